package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/multipaxos-kv/multipaxos-kv/protocol/cluster"
	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
)

const minimizeUsage = `Usage: multipaxos-kv minimize [flags] SCHEDULE

Shrinks a failing schedule (from run -schedule, sweep, explore) to a smaller
one that fails the same check: events are removed, with the decisions they
took, in halves, quarters, ... and then one by one, as long as a lenient
replay (events no longer pending are skipped) still fails that check. The
result is recorded again as a strict schedule that replay reproduces byte
for byte, with its text trace beside it. Deterministic: the same input
gives the same output. Liveness failures are not minimised (a shorter run
always stalls).

Flags:
%s
Example:
  multipaxos-kv run -q -seed 2 -bug reply-before-chosen -schedule fail.sched leader-failover
  multipaxos-kv minimize fail.sched && multipaxos-kv replay fail.min.sched
`

// cmdMinimize shrinks a failing schedule.
func cmdMinimize(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("minimize", flag.ContinueOnError)
	tries := fs.Int("tries", cluster.DefaultMinimizeTries, "replays at most, `N` (the bound that keeps the result the same on every machine)")
	timeout := fs.Duration("timeout", 5*time.Minute, "wall time at most (cuts the minimisation short)")
	out := fs.String("o", "", "where to write the minimal schedule, `FILE` (default: SCHEDULE with .min.sched; its text trace goes beside it as .txt)")
	quiet := fs.Bool("q", false, "no progress on stderr")
	keep := fs.String("keep", "", "keep the result as a regression schedule `NAME`: testdata/regress/NAME.sched and its trace, which go test replays (it must still fail with its bugs, and hold without them)")
	fs.Usage = func() { fmt.Fprintf(fs.Output(), minimizeUsage, flagDefaults(fs)) }
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return report(stderr, "minimize", err)
	}
	if len(pos) != 1 {
		return report(stderr, "minimize", usageError{fmt.Errorf("expected one schedule file, got %d arguments", len(pos))})
	}
	if *tries < 1 || *tries > maxExploreBound {
		return report(stderr, "minimize", usageError{fmt.Errorf("-tries %d: must be between 1 and %d", *tries, maxExploreBound)})
	}
	file := pos[0]
	if *keep != "" {
		if scenarios.SafeName(*keep) != *keep || strings.HasPrefix(*keep, ".") {
			return report(stderr, "minimize", usageError{fmt.Errorf("-keep %q: a name of letters, digits, '-', '_' and '.', not a path", *keep)})
		}
		if *out != "" {
			return report(stderr, "minimize", usageError{fmt.Errorf("-keep and -o both name the output: give one")})
		}
		if err := os.MkdirAll(filepath.Join("testdata", "regress"), 0o755); err != nil {
			return report(stderr, "minimize", usageError{err})
		}
		*out = filepath.Join("testdata", "regress", *keep+".sched")
	}
	if *out == "" {
		*out = strings.TrimSuffix(file, ".sched") + ".min.sched"
	}
	text := strings.TrimSuffix(*out, ".sched") + ".txt"
	if err := checkOutputs(output{"o", *out}, output{"o", text}); err != nil {
		return report(stderr, "minimize", usageError{err})
	}
	data, err := readUserFile(file, "schedule", maxScheduleSize)
	if err != nil {
		return report(stderr, "minimize", err)
	}
	s, recs, err := cluster.ParseSchedule(data, file)
	if err != nil {
		return report(stderr, "minimize", usageError{err})
	}
	opt := cluster.MinimizeOptions{Tries: *tries, Timeout: *timeout}
	if !*quiet {
		opt.Progress = func(tries, events int) {
			fmt.Fprintf(stderr, "minimize: %d tries, %d events left\n", tries, events)
		}
	}
	m, err := cluster.Minimize(s, recs, opt)
	if err != nil {
		return report(stderr, "minimize", usageError{fmt.Errorf("%s: %v", file, err)})
	}
	sched, trace, err := cluster.Counterexample(m.Scenario, m.Records)
	if err != nil {
		return report(stderr, "minimize", err)
	}
	if err := os.WriteFile(*out, sched, 0o644); err != nil {
		return report(stderr, "minimize", usageError{err})
	}
	if err := os.WriteFile(text, trace, 0o644); err != nil {
		return report(stderr, "minimize", usageError{err})
	}
	fmt.Fprintf(stdout, "minimize:  %s fails in both\n", m.Check)
	fmt.Fprintf(stdout, "events:    %d -> %d\n", m.Before, m.After)
	fmt.Fprintf(stdout, "messages:  %d -> %d sent\n", m.BeforeMessages, m.AfterMessages)
	fmt.Fprintf(stdout, "tries:     %d replays", m.Tries)
	if m.Cut != "" {
		fmt.Fprintf(stdout, " (cut: %s)", m.Cut)
	}
	fmt.Fprintf(stdout, "\nwrote:     %s and its trace %s\nreplay:    multipaxos-kv replay %s\n", *out, text, *out)
	return exitOK
}
