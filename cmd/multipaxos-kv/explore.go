package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/explore"
	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

const exploreUsage = `Usage: multipaxos-kv explore [flags] [SCENARIO]

Searches every ordering of a small scenario's events from its initial state
(breadth-first by default): deliver any message in flight, fire any pending
timer, and within the budgets lose or duplicate a message, crash or restart
a node. Agreement, exactly-once and the nodes' invariants are checked at
every state, linearizability at every terminal state. A violation exits 1
with a schedule of the (shortest, breadth-first) path that replay
reproduces, with every picture flag. Scenarios made for it: explore-*.

Flags:
%s
Examples:
  multipaxos-kv explore explore-basic
  multipaxos-kv explore -timers 4 -crashes 1 explore-failover
  multipaxos-kv explore -bug count-stale-votes -crashes 1 explore-failover
`

// cmdExplore runs the explorer.
func cmdExplore(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("explore", flag.ContinueOnError)
	var bugs bugFlag
	bugs.register(fs)
	strategy := fs.String("strategy", "bfs", "`bfs` (shortest counterexample), dfs, or random (seeded walks)")
	depth := fs.Int("depth", 0, "longest path in events, `N` (0: no limit)")
	states := fs.Int("states", 2_000_000, "distinct states at most, `N`")
	wall := fs.Duration("time", 10*time.Minute, "wall time at most (cuts the search, never changes a verdict)")
	memory := fs.Int("memory", 192, "memory at most for the states waiting to be explored, in `MiB` (estimated from their contents, so a search is cut at the same state on every machine; the process needs up to about twice that)")
	var b sim.Budget
	fs.IntVar(&b.Timers, "timers", 0, "timer firings per path, `N`")
	fs.IntVar(&b.Losses, "losses", 0, "messages lost per path, `N`")
	fs.IntVar(&b.Duplicates, "duplicates", 0, "messages duplicated per path, `N`")
	fs.IntVar(&b.Crashes, "crashes", 0, "node crashes per path, `N` (leaders, acceptors, replicas; a crashed node may restart)")
	crashClients := fs.Bool("crash-clients", false, "let crashes hit clients too")
	timerKinds := fs.String("timer-kinds", "", "only these timer kinds may fire, `LIST` of "+strings.Join(protocol.TimerNames, ",")+" (default: all)")
	walks := fs.Int("walks", 1000, "random walks, `N` (-strategy random)")
	seed := new(uint64)
	*seed = 1
	fs.Var(seedValue{seed}, "seed", "the random walks' seed, `N`")
	schedule := fs.String("schedule", "", "where to write a violation's schedule, `FILE` (default: SCENARIO-violation.sched)")
	quiet := fs.Bool("q", false, "no progress on stderr")
	fs.Usage = func() { fmt.Fprintf(fs.Output(), exploreUsage, flagDefaults(fs)) }
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return report(stderr, "explore", err)
	}
	name := "explore-basic"
	switch len(pos) {
	case 0:
	case 1:
		name = pos[0]
	default:
		return report(stderr, "explore", usageError{fmt.Errorf("expected one scenario, got %d arguments: %s", len(pos), strings.Join(pos, " "))})
	}
	for _, c := range []struct {
		flag string
		v    int
	}{{"depth", *depth}, {"states", *states}, {"memory", *memory}, {"timers", b.Timers}, {"losses", b.Losses}, {"duplicates", b.Duplicates}, {"crashes", b.Crashes}, {"walks", *walks}} {
		if c.v < 0 || c.v > maxExploreBound {
			return report(stderr, "explore", usageError{fmt.Errorf("-%s %d: must be between 0 and %d", c.flag, c.v, maxExploreBound)})
		}
	}
	switch explore.Strategy(*strategy) {
	case explore.BFS, explore.DFS, explore.Random:
	default:
		return report(stderr, "explore", usageError{fmt.Errorf("-strategy %q: expected bfs, dfs or random", *strategy)})
	}
	s, err := scenarios.Load(name)
	if err != nil {
		return report(stderr, "explore", usageError{err})
	}
	bugs.apply(&s)
	if err := explore.Check(s); err != nil {
		return report(stderr, "explore", usageError{fmt.Errorf("%s: %v", name, err)})
	}
	out := *schedule
	if out == "" {
		out = scenarios.SafeName(s.Name) + "-violation.sched"
	}
	if err := checkOutputs(output{"schedule", out}); err != nil {
		return report(stderr, "explore", usageError{err})
	}
	opt := explore.Options{Strategy: explore.Strategy(*strategy), Depth: *depth, States: *states, Time: *wall, Memory: *memory << 20, Budget: b, CrashClients: *crashClients, TimerKinds: splitList(*timerKinds), Walks: *walks, Seed: *seed}
	if !*quiet {
		opt.Progress = func(st explore.Stats) {
			fmt.Fprintf(stderr, "explore: %d states, %d transitions, depth %d, frontier %d, %.0f states/s\n", st.States, st.Transitions, st.Depth, st.Frontier, float64(st.States)/st.Elapsed.Seconds())
		}
	}
	res, err := explore.Run(s, opt)
	if err != nil {
		return report(stderr, "explore", usageError{err})
	}
	var w bytes.Buffer
	writeExplore(&w, s, opt, res)
	if v := res.Violation; v != nil {
		var sched bytes.Buffer
		if err := v.WriteSchedule(&sched, s); err != nil {
			return report(stderr, "explore", err)
		}
		if err := os.WriteFile(out, sched.Bytes(), 0o644); err != nil {
			return report(stderr, "explore", usageError{err})
		}
		fmt.Fprintf(&w, "schedule:    %s (%d events)\n", out, v.Depth)
		fmt.Fprintf(&w, "reproduce:   %s   (add -diagram run.html for a picture)\n", command("replay "+out))
		fmt.Fprintf(&w, "result:      FAILED\n")
		stdout.Write(w.Bytes())
		return report(stderr, "explore", failure{fmt.Errorf("%s failed after %d events: %v", v.Check.Name, v.Depth, v.Check.Err)})
	}
	fmt.Fprintf(&w, "result:      ok\n")
	_, err = stdout.Write(w.Bytes())
	return report(stderr, "explore", err)
}

// splitList splits a comma-separated flag value ("" is none).
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// maxExploreBound bounds every count flag of explore (-memory too, in MiB:
// 1 PiB is beyond any machine, and the shift cannot overflow).
const maxExploreBound = 1_000_000_000

// writeExplore writes the summary of a search.
func writeExplore(w io.Writer, s scenarios.Scenario, opt explore.Options, res explore.Result) {
	b := opt.Budget
	bound := func(v int) string {
		if v == 0 {
			return "none"
		}
		return fmt.Sprint(v)
	}
	fmt.Fprintf(w, "explore:     %s (%s; budgets per path: timers %d, losses %d, duplicates %d, crashes %d; depth limit %s, state limit %s)\n",
		s.Name, opt.Strategy, b.Timers, b.Losses, b.Duplicates, b.Crashes, bound(opt.Depth), bound(opt.States))
	if len(s.Bugs) > 0 {
		fmt.Fprintf(w, "bugs:        %s\n", strings.Join(s.Bugs, ", "))
	}
	fmt.Fprintf(w, "states:      %d distinct, %d transitions, depth %d, %d terminal\n", res.States, res.Transitions, res.Depth, res.Terminal)
	rate := float64(res.States) / max(res.Elapsed.Seconds(), 1e-9)
	fmt.Fprintf(w, "speed:       %.0f states/s (%v)\n", rate, res.Elapsed.Round(time.Millisecond))
	switch {
	case res.Violation != nil:
		fmt.Fprintf(w, "coverage:    stopped at the first violation\n")
	case res.Complete:
		fmt.Fprintf(w, "coverage:    complete: every state reachable within the budgets was explored\n")
	case res.CompleteTo > 0:
		fmt.Fprintf(w, "coverage:    complete to depth %d: every state reachable in at most %d events within the budgets was explored (deeper ones were not)\n", res.CompleteTo, res.CompleteTo)
	default:
		fmt.Fprintf(w, "coverage:    cut: %s\n", res.Cut)
	}
	m := res.Sometimes
	fmt.Fprintf(w, "sometimes:   states where a value was chosen %d, recovery found an accepted value %d, a Noop filled a hole %d, a leader was preempted %d, a retry was answered from its session %d, a slot held a batch %d, a leader started from a snapshot %d; terminal states with every request answered %d\n",
		m.Chosen, m.RecoveredValue, m.NoopFill, m.Preempted, m.SessionAnswer, m.Batch, m.FromSnapshot, m.Answered)
	if v := res.Violation; v != nil {
		fmt.Fprintf(w, "VIOLATION:   %s: %v\n", v.Check.Name, v.Check.Err)
		fmt.Fprintf(w, "path:        %s\n", strings.Join(v.Path, "; "))
		return
	}
	fmt.Fprintf(w, "checks:      agreement, exactly-once, invariants at every state; linearizability at every terminal state: ok\n")
}
