// Command multipaxos-kv runs the deterministic simulation of a key-value
// store replicated with MultiPaxos: one scenario, a replay of a recorded
// schedule, or the list of embedded scenarios. See README.md.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit statuses, as SPEC.md fixes them.
const (
	exitOK    = 0 // ran, and every check held
	exitFail  = 1 // a check failed, or a replay diverged
	exitUsage = 2 // bad usage or bad input
)

func main() {
	stdout := bufio.NewWriterSize(os.Stdout, 1<<16)
	code := run(os.Args[1:], stdout, os.Stderr)
	stdout.Flush()
	os.Exit(code)
}

const mainUsage = `multipaxos-kv: a deterministic simulator of a MultiPaxos-replicated key-value store

Usage:
  multipaxos-kv [run] [flags] [SCENARIO]   run a scenario (default: "default") and check it
  multipaxos-kv scenarios                  list the embedded scenarios
  multipaxos-kv replay [flags] SCHEDULE    re-execute a recorded schedule exactly
  multipaxos-kv sweep [flags] [SCENARIO]   run and check many seeds in parallel

SCENARIO is an embedded scenario's name or a path to a .toml file.
Run "multipaxos-kv COMMAND -h" for a command's flags and an example.

Exit status: 0 every check held, 1 a check failed or a replay diverged,
2 bad usage or bad input.
`

// run is the whole program, minus the process: it takes the arguments and
// the output streams and returns the exit status, so tests call it directly.
func run(args []string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 {
		switch args[0] {
		case "run", "scenarios", "replay", "sweep":
			cmd, args = args[0], args[1:]
		case "help", "-h", "-help", "--help":
			fmt.Fprint(stdout, mainUsage)
			return exitOK
		}
	}
	var err error
	switch cmd {
	case "scenarios":
		err = cmdScenarios(args, stdout)
	case "replay":
		return cmdReplay(args, stdout, stderr)
	case "sweep":
		return cmdSweep(args, stdout, stderr)
	default:
		return cmdRun(args, stdout, stderr)
	}
	return report(stderr, "scenarios", err)
}

// usageError is bad usage or bad input: exit status 2.
type usageError struct{ error }

// failure is a run whose checks failed or a replay that diverged: exit 1.
type failure struct{ error }

// report prints err, one line per problem, and maps it to an exit status.
func report(stderr io.Writer, cmd string, err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	code := exitUsage
	var f failure
	if errors.As(err, &f) {
		code = exitFail
	}
	for _, line := range strings.Split(strings.TrimRight(err.Error(), "\n"), "\n") {
		fmt.Fprintf(stderr, "multipaxos-kv %s: %s\n", cmd, line)
	}
	return code
}

// parseFlags parses flags that may come before or after the positional
// arguments (Go's flag package stops at the first positional one), and
// returns the positional arguments.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(stdout)
				fs.Usage()
				return nil, err
			}
			return nil, usageError{fmt.Errorf("%v (see multipaxos-kv %s -h)", err, fs.Name())}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
