package explore

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// TestCompactionSafeInEverySchedule: with the logs compacted after every
// slot (snapshots sent to the acceptors, which forget what they cover; a
// leader recovering from a snapshot; a node behind it installing it),
// every schedule of the small scenarios, with a crash, a loss or a
// duplicate anywhere, keeps agreement, exactly-once and the invariants at
// every state and linearizability at every end. Compaction adds messages,
// so the spaces are larger than without it (595 states for explore-basic).
func TestCompactionSafeInEverySchedule(t *testing.T) {
	for _, c := range []struct {
		scenario string
		budget   sim.Budget
		min      int // distinct states at least: the snapshots add interleavings
	}{
		{"explore-basic", sim.Budget{}, 4000},
		{"explore-basic", sim.Budget{Crashes: 1}, 50000},
		{"explore-failover", sim.Budget{Crashes: 1}, 50000},
		{"explore-failover", sim.Budget{Losses: 1}, 15000},
	} {
		s := load(t, c.scenario)
		s.SnapshotEvery = 1
		r, err := Run(s, Options{Budget: c.budget})
		require.NoError(t, err)
		require.True(t, r.Complete, "%s %+v", c.scenario, c.budget)
		assert.Nil(t, r.Violation, "%s %+v", c.scenario, c.budget)
		assert.GreaterOrEqual(t, r.States, c.min, "%s %+v", c.scenario, c.budget)
	}
}

// TestPhase1AfterCompaction: a leader that takes over after the log was
// compacted starts from the snapshot its promises report (or installs an
// acceptor's snapshot it is behind). Breadth-first search cannot reach so
// deep a state within its bounds, so seeded random walks with the election
// timer and a crash in the budget do: they must reach it, in many states,
// and every check must hold in all of them.
func TestPhase1AfterCompaction(t *testing.T) {
	for _, name := range []string{"explore-failover", "explore-takeover"} {
		s := load(t, name)
		s.SnapshotEvery = 1
		r, err := Run(s, Options{
			Strategy: Random, Walks: 1500, Seed: 1,
			Budget:     sim.Budget{Timers: 2, Crashes: 1},
			TimerKinds: []string{"election"},
		})
		require.NoError(t, err)
		assert.Nil(t, r.Violation, name)
		assert.Greater(t, r.Sometimes.FromSnapshot, 50, "%s: leaders started from a snapshot", name)
		t.Logf("%s: %d states, %d with a leader started from a snapshot", name, r.States, r.Sometimes.FromSnapshot)
	}
}
