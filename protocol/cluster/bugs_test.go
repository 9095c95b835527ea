package cluster

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/multipaxos-kv/multipaxos-kv/protocol/check"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/internal/steertest"
	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
	"github.com/multipaxos-kv/multipaxos-kv/sim/golden"
)

// bugSweep is how a seeded sweep finds one catalogued bug: an embedded
// scenario, the seeds first..last (inclusive, run serially, as
// `multipaxos-kv sweep -seeds first..last` runs them), and the check that
// fails on seed fails (the first failing seed of the range). The correct
// code must pass every seed of the same range.
type bugSweep struct {
	bug         string
	scenario    string
	first, last uint64
	check       check.Name
	fails       uint64
}

// sweepBugs holds the bugs seeded sweeps find; the others are explored
// (protocol/explore/bugs_test.go, exploredBugs below).
var sweepBugs = []bugSweep{
	// Three leaders duel; an Accept of a deposed ballot is accepted below
	// the promise after the new leader recovered the slot.
	{"accept-below-promise", "duelling-leaders", 1, 2, check.NameAgreement, 2},
	// leader2 takes over from the isolated leader1 and hears of none of
	// the values already chosen: it chooses others in their slots.
	{"promise-without-accepted", "leader-isolated", 1, 1, check.NameAgreement, 1},
	// Two leaders campaign in the same round with one ballot, and both win.
	{"same-ballot", "duelling-leaders", 1, 2, check.NameAgreement, 2},
	// Commits lost and fetched again arrive out of slot order.
	{"replica-unordered", "lossy", 1, 3, check.NameAgreement, 3},
	// leader1 crashes with answered requests still in Phase 2: lost, and a
	// later read does not see them.
	{"reply-before-chosen", "leader-failover", 1, 2, check.NameLinearizability, 2},
}

// exploredBugs are found by the explorer instead; protocol/explore/bugs_test.go
// holds their searches and checks the same partition from its side.
var exploredBugs = []string{
	"minority-quorum",
	"count-duplicate-votes",
	"no-sessions",
	"forget-round",
	"count-stale-votes",
	"acceptor-amnesia",
	"recover-first-value",
	"count-stale-promises",
}

// TestEveryBugHasATest: every catalogued bug is swept here or explored
// there, never both, and every name is a catalogued bug.
func TestEveryBugHasATest(t *testing.T) {
	var mine []string
	for _, c := range sweepBugs {
		mine = append(mine, c.bug)
	}
	steertest.CheckCatalogueCovered(t, mine, exploredBugs)
}

// sweepSeeds runs seeds first..last of s serially, one cluster reset for
// each seed (as sweep does), and returns, per failing seed, the names of
// its failed checks.
func sweepSeeds(t *testing.T, s scenarios.Scenario, first, last uint64) map[uint64][]string {
	t.Helper()
	failed := map[uint64][]string{}
	var c *Cluster
	for seed := first; seed <= last; seed++ {
		if c == nil {
			s.Seed = seed
			c = New(s, Options{})
		} else {
			c.Reset(seed)
		}
		if o := c.Run(); !o.OK {
			failed[seed] = o.Failed()
		}
	}
	return failed
}

// TestSweepFindsBugs sweeps each range with the bug switched on, which must
// fail the named check first on the named seed, and with the correct code,
// which must pass every seed of it.
func TestSweepFindsBugs(t *testing.T) {
	for _, c := range sweepBugs {
		t.Run(c.bug, func(t *testing.T) {
			s, err := scenarios.Load(c.scenario)
			if err != nil {
				t.Fatal(err)
			}
			if failed := sweepSeeds(t, s, c.first, c.last); len(failed) > 0 {
				t.Fatalf("the correct code fails seeds %v of %s", failed, c.scenario)
			}
			s.Bugs = append(slices.Clip(s.Bugs), c.bug)
			failed := sweepSeeds(t, s, c.first, c.last)
			first := uint64(0)
			for seed := c.first; seed <= c.last; seed++ {
				if _, ok := failed[seed]; ok {
					first = seed
					break
				}
			}
			if first == 0 {
				t.Fatalf("%s not found in seeds %d..%d of %s", c.bug, c.first, c.last, c.scenario)
			}
			if first != c.fails || !slices.Contains(failed[first], string(c.check)) {
				t.Errorf("first failing seed %d fails %v, want seed %d failing %s", first, failed[first], c.fails, c.check)
			}
			t.Logf("%s: seed %d of %s fails %v (%d of seeds %d..%d fail; the correct code passes them all)", c.bug, first, c.scenario, failed[first], len(failed), c.first, c.last)
			// Keep the failing seed's run, minimised: with -update only, as
			// minimising takes seconds (TestBugCounterexamples checks the
			// kept files on every run).
			if !*golden.Update {
				return
			}
			run := recorded(t, c.scenario, first, c.bug)
			m, err := Minimize(run.Scenario, run.Records, MinimizeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			sched, trace, err := Counterexample(m.Scenario, m.Records)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("..", "..", "testdata", "bugs", c.bug+".sched"), sched)
			golden.Check(t, filepath.Join("..", "..", "testdata", "bugs", c.bug+".txt"), trace)
		})
	}
}
