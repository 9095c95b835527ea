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
one that fails the same check with the same signature (the slot, key or
request the failure names). Passes, repeated until none makes progress: cut
everything after the failure; remove events (with the decisions they took)
in halves, quarters, ... and then one by one; remove the scenario's faults
the same way; fewer clients, a smaller batch, fewer requests per client; fewer keys and
values; every latency at latency_min, no jitter, no loss or duplicate drawn.
Each candidate is replayed leniently (events no longer pending are
skipped; a message is found by its sender, receiver and contents, whatever
its number in the candidate's run) and kept when it fails the same way. The result, with its smaller
scenario, is recorded again as a strict schedule that replay reproduces byte
for byte, with its text trace beside it. Deterministic: the same input gives
the same output. Liveness failures are not minimised (a shorter run always
stalls).

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
		opt.Progress = func(pass string, tries, events int) {
			fmt.Fprintf(stderr, "minimize: %d tries, %d events left (%s)\n", tries, events, pass)
		}
	}
	m, err := cluster.Minimize(s, recs, opt)
	if err != nil {
		return report(stderr, "minimize", usageError{fmt.Errorf("%s: %v", file, err)})
	}
	if err := writeMinimized(m, *out, text); err != nil {
		return report(stderr, "minimize", usageError{err})
	}
	writeMinimizeSummary(stdout, m)
	fmt.Fprintf(stdout, "wrote:     %s and its trace %s\nreplay:    %s\n", *out, text, command("replay "+*out))
	return exitOK
}

// writeMinimized writes a minimal schedule to out and the trace its replay
// prints to text.
func writeMinimized(m cluster.Minimized, out, text string) error {
	sched, trace, err := cluster.Counterexample(m.Scenario, m.Records)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, sched, 0o644); err != nil {
		return err
	}
	return os.WriteFile(text, trace, 0o644)
}

// writeMinimizeSummary prints what a minimisation kept and what it took
// away: before -> after.
func writeMinimizeSummary(w io.Writer, m cluster.Minimized) {
	b, a := m.Before, m.After
	fmt.Fprintf(w, "minimize:  %s fails in both\n", m.Signature)
	fmt.Fprintf(w, "events:    %d -> %d\n", b.Events, a.Events)
	fmt.Fprintf(w, "messages:  %d -> %d sent\n", b.Messages, a.Messages)
	fmt.Fprintf(w, "faults:    %d -> %d\n", b.Faults, a.Faults)
	fmt.Fprintf(w, "clients:   %d -> %d\n", b.Clients, a.Clients)
	fmt.Fprintf(w, "requests:  %d -> %d invoked (requests_per_client %d -> %d)\n", b.Requests, a.Requests, b.RequestsPerClient, a.RequestsPerClient)
	fmt.Fprintf(w, "workload:  keys %d -> %d, values %d -> %d\n", b.Keys, a.Keys, b.Values, a.Values)
	if b.Batch > 1 {
		fmt.Fprintf(w, "batch:     %d -> %d requests per slot at most\n", b.Batch, a.Batch)
	}
	fmt.Fprintf(w, "tries:     %d replays in %v", m.Tries, m.Elapsed.Round(time.Millisecond))
	if m.Cut != "" {
		fmt.Fprintf(w, " (cut: %s)", m.Cut)
	}
	fmt.Fprintln(w)
}
