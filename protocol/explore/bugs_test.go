package explore

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/multipaxos-kv/multipaxos-kv/protocol/check"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/cluster"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/internal/steertest"
	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
	"github.com/multipaxos-kv/multipaxos-kv/sim/golden"
)

// bugSearch is how the explorer finds one catalogued bug: a named embedded
// scenario, a search with its budgets and bounds, and the check that fails.
// The correct code gets the same search and must pass it: complete within
// the same budgets when the search is (opt.States 0), else the same number
// of distinct states or random walks.
type bugSearch struct {
	bug      string
	scenario string
	opt      Options
	check    check.Name
	depth    int // the counterexample's length, in events (0: any)
}

// exploreBugs holds the bugs explore finds; the others are swept
// (protocol/cluster/bugs_test.go, sweptBugs below). The state and walk
// bounds are the smallest round figures above what the bug needs.
var exploreBugs = []bugSearch{
	// One Accepted makes a quorum of "half of 3": the leader applies a slot
	// that no majority accepted. The whole space, no faults: 58 states.
	{"minority-quorum", "explore-basic", Options{}, check.NameAgreement, 11},
	// A duplicated Accepted counted twice chooses with one vote.
	{"count-duplicate-votes", "explore-basic", Options{Budget: sim.Budget{Duplicates: 1}}, check.NameAgreement, 15},
	// A duplicated Request goes through the log twice and, with no
	// session, takes effect twice.
	{"no-sessions", "explore-basic", Options{Budget: sim.Budget{Duplicates: 1}}, check.NameExactlyOnce, 21},
	// leader1 crashes, restarts with round 0 and campaigns in (1,1) again:
	// ballot (1,1) proposes two commands for slot 1.
	{"forget-round", "explore-restart", Options{States: 100_000, Budget: sim.Budget{Crashes: 1, Timers: 1}, TimerKinds: []string{"election"}}, check.NameAgreement, 21},
	// After the restart, an Accepted of ballot (1,1) from an acceptor that
	// holds the other client's put is counted for ballot (2,1).
	{"count-stale-votes", "explore-restart", Options{States: 250_000, Budget: sim.Budget{Crashes: 1, Timers: 1}, TimerKinds: []string{"election"}}, check.NameAgreement, 22},
	// An acceptor crashes and restarts empty after a put was chosen with
	// its vote; leader2's Phase 1 then hears of nothing and another value
	// is chosen for slot 1. Deep (a failover and a crash): random walks.
	{"acceptor-amnesia", "explore-takeover", Options{Strategy: Random, Walks: 3_000, Seed: 1, Budget: sim.Budget{Crashes: 1, Timers: 1}, TimerKinds: []string{"election"}}, check.NameAgreement, 0},
	// Three ballots: leader1's put accepted at (1,1), leader2's at (1,2)
	// and chosen, then leader1 campaigns again and keeps the first value
	// a promise reported, (1,1)'s, instead of (1,2)'s.
	{"recover-first-value", "explore-takeover", Options{Strategy: Random, Walks: 3_000, Seed: 1, Budget: sim.Budget{Crashes: 1, Timers: 2}, TimerKinds: []string{"election"}}, check.NameAgreement, 0},
	// After the restart, a Promise of ballot (1,1), sent before that
	// acceptor accepted a put, is counted for ballot (2,1): the quorum hears
	// of no value and chooses the other put.
	{"count-stale-promises", "explore-restart", Options{Strategy: Random, Walks: 20_000, Seed: 1, Budget: sim.Budget{Crashes: 1, Timers: 1}, TimerKinds: []string{"election"}}, check.NameAgreement, 0},
}

// sweptBugs are found by seeded sweeps instead: protocol/cluster/bugs_test.go
// holds their table and checks the same partition from its side.
var sweptBugs = []string{
	"accept-below-promise",
	"promise-without-accepted",
	"same-ballot",
	"replica-unordered",
	"reply-before-chosen",
}

// TestEveryBugHasASearch: every catalogued bug is found by a search here or
// by a sweep, never both, and every name is a catalogued bug.
func TestEveryBugHasASearch(t *testing.T) {
	var mine []string
	for _, c := range exploreBugs {
		mine = append(mine, c.bug)
	}
	steertest.CheckCatalogueCovered(t, mine, sweptBugs)
}

// TestExploreFindsBugs runs each search with the bug switched on, which
// must end in a violation of the named check, and then with the correct
// code, which must pass the same search.
func TestExploreFindsBugs(t *testing.T) {
	for _, c := range exploreBugs {
		t.Run(c.bug, func(t *testing.T) {
			s, err := scenarios.Load(c.scenario)
			if err != nil {
				t.Fatal(err)
			}
			good, err := Run(s, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			if v := good.Violation; v != nil {
				t.Fatalf("the correct code fails the search: %s: %v\npath: %v", v.Check.Name, v.Check.Err, v.Path)
			}
			switch {
			case c.opt.Strategy == Random:
				if good.Cut == "" {
					t.Errorf("the correct code's search ended early: %+v", good.Stats)
				}
			case c.opt.States == 0 && !good.Complete:
				t.Errorf("the correct code's search is not complete: %s", good.Cut)
			case c.opt.States > 0 && good.States < c.opt.States:
				t.Errorf("the correct code's search covered %d states, not %d: complete %v", good.States, c.opt.States, good.Complete)
			}

			s.Bugs = append(slices.Clip(s.Bugs), c.bug)
			bad, err := Run(s, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			v := bad.Violation
			if v == nil {
				t.Fatalf("%s not found: %d states, complete %v, cut %q", c.bug, bad.States, bad.Complete, bad.Cut)
			}
			if v.Check.Name != c.check {
				t.Errorf("%s failed %s (%v), want %s", c.bug, v.Check.Name, v.Check.Err, c.check)
			}
			if c.depth > 0 && v.Depth != c.depth {
				t.Errorf("counterexample of %d events, want %d", v.Depth, c.depth)
			}
			t.Logf("%s: %s fails after %d events (%d states; correct code: %d states, complete %v): %v", c.bug, v.Check.Name, v.Depth, bad.States, good.States, good.Complete, v.Check.Err)
			// Keep the counterexample (go test -update rewrites it).
			sched, trace, err := cluster.Counterexample(s, v.Schedule)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("..", "..", "testdata", "bugs", c.bug+".sched"), sched)
			golden.Check(t, filepath.Join("..", "..", "testdata", "bugs", c.bug+".txt"), trace)
		})
	}
}
