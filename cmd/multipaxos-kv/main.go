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
	"path/filepath"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/sim/buildinfo"
)

// Exit statuses, as SPEC.md fixes them.
const (
	exitOK    = 0 // ran, and every check held
	exitFail  = 1 // a check failed, or a replay diverged
	exitUsage = 2 // bad usage or bad input
)

func main() {
	progName = invokedAs(os.Args[0])
	stdout := bufio.NewWriterSize(os.Stdout, 1<<16)
	code := run(os.Args[1:], stdout, os.Stderr)
	stdout.Flush()
	os.Exit(code)
}

// progName is the name the tool was invoked by, which every reproducer it
// prints starts with, so that the command can be pasted back: the base name
// of the program (a binary installed or renamed), or "multipaxos-kv" under
// go run and in tests.
var progName = "multipaxos-kv"

// invokedAs is the name to print for a program started as arg0: its base
// name, unless it is a go run or go test build (a temporary directory) or
// empty.
func invokedAs(arg0 string) string {
	base := filepath.Base(arg0)
	if base == "." || base == "/" || base == "" || strings.HasSuffix(base, ".test") || strings.Contains(filepath.ToSlash(arg0), "/go-build") {
		return "multipaxos-kv"
	}
	return base
}

// command is a command line of this tool, as a reproducer prints it.
func command(args string) string { return progName + " " + args }

const mainUsage = `multipaxos-kv: a deterministic simulator of a MultiPaxos-replicated key-value store

Usage:
  multipaxos-kv [run] [flags] [SCENARIO]   run a scenario (default: "default") and check it
  multipaxos-kv scenarios                  list the embedded scenarios
  multipaxos-kv replay [flags] SCHEDULE    re-execute a recorded schedule exactly
  multipaxos-kv sweep [flags] [SCENARIO]   run and check many seeds in parallel
  multipaxos-kv explore [flags] [SCENARIO] search every ordering of a small scenario's events
  multipaxos-kv bugs                       list the catalogued protocol bugs (-bug NAME)
  multipaxos-kv diff A B                   the first event where two runs (schedules or JSON traces) part, and why
  multipaxos-kv minimize [flags] SCHEDULE  shrink a failing schedule to one that fails the same check
  multipaxos-kv scenarios -show NAME       print an embedded scenario's TOML
  multipaxos-kv version                    the build: module version and VCS revision (also --version)
  multipaxos-kv help [COMMAND]             this text, or a command's flags and an example

SCENARIO is an embedded scenario's name or a path to a .toml file.
Run "multipaxos-kv COMMAND -h" or "multipaxos-kv help COMMAND" for a
command's flags and an example. The README lists every limit on inputs.

Exit status: 0 every check held, 1 a check failed or a replay diverged,
2 bad usage or bad input.
`

// run is the whole program, minus the process: it takes the arguments and
// the output streams and returns the exit status, so tests call it directly.
func run(args []string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 {
		switch args[0] {
		case "run", "scenarios", "replay", "sweep", "explore", "bugs", "diff", "minimize", "version":
			cmd, args = args[0], args[1:]
		case "-version", "--version":
			cmd, args = "version", args[1:]
		case "help", "-h", "-help", "--help":
			return cmdHelp(args[1:], stdout, stderr)
		}
	}
	var err error
	switch cmd {
	case "version":
		err = cmdVersion(args, stdout)
		return report(stderr, "version", err)
	case "scenarios":
		err = cmdScenarios(args, stdout)
	case "replay":
		return cmdReplay(args, stdout, stderr)
	case "sweep":
		return cmdSweep(args, stdout, stderr)
	case "explore":
		return cmdExplore(args, stdout, stderr)
	case "bugs":
		return report(stderr, "bugs", cmdBugs(args, stdout))
	case "diff":
		return cmdDiff(args, stdout, stderr)
	case "minimize":
		return cmdMinimize(args, stdout, stderr)
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

// cmdHelp prints the main usage, or with a command's name that command's.
func cmdHelp(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		fmt.Fprint(stdout, mainUsage)
		return exitOK
	case len(args) > 1:
		return report(stderr, "help", usageError{fmt.Errorf("expected at most one command, got %d arguments: %s", len(args), strings.Join(args, " "))})
	}
	switch args[0] {
	case "run", "scenarios", "replay", "sweep", "explore", "bugs", "diff", "minimize", "version":
		return run([]string{args[0], "-h"}, stdout, stderr)
	}
	return report(stderr, "help", usageError{fmt.Errorf("unknown command %q (commands: run, replay, sweep, explore, bugs, diff, minimize, scenarios, version, help)", args[0])})
}

// cmdVersion prints the build of the binary on one line.
func cmdVersion(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: multipaxos-kv version\n\nPrints the build: module version (\"(devel)\" for a build from a work tree),\nVCS revision (\"unknown\" when Go did not record it, as with go run) and Go\nversion. Also: multipaxos-kv --version.\n\nExample:\n  multipaxos-kv version\n")
	}
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Errorf("unexpected argument %q (version takes none)", pos[0])}
	}
	_, err = fmt.Fprintln(stdout, buildinfo.String())
	return err
}
