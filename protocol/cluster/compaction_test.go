package cluster

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
)

// compactionScenarios are the embedded scenarios with faults that make
// nodes fall behind, crash and take over: with a snapshot every 2 slots,
// every path of log compaction runs in them.
var compactionScenarios = []string{"default", "lossy", "leader-failover", "duelling-leaders", "replica-catch-up", "acceptor-crash", "minority-partition", "leader-cut-off"}

// TestCompaction: with the logs compacted every 2 slots, every check holds
// for many seeds and swarm draws of the scenarios that exercise it, and the
// compaction paths are taken: leaders compact and send snapshots,
// acceptors forget what they cover, replicas behind a leader's snapshot
// install it, and a leader taking over recovers from a snapshot its
// promises report. Two runs of a seed give identical traces.
func TestCompaction(t *testing.T) {
	paths := map[string]int{}
	want := []string{
		"compacting the log: slots 1..",
		"compacting: keeping the snapshot of slots 1..",
		"'s snapshot of slots 1..", // a replica (or a leader) behind it installs it
		"which the snapshot of slots 1..",
		"with a snapshot of slots 1..", // a Promise reports one
		"report a snapshot of slots 1..",
	}
	for _, name := range compactionScenarios {
		s := load(t, name)
		s.SnapshotEvery = 2
		c := New(s, Options{})
		for seed := uint64(1); seed <= 150; seed++ {
			c.Reset(seed)
			o := c.Run()
			require.True(t, o.OK, "%s seed %d with snapshot_every = 2: %v", name, seed, o.Failed())
		}
		for seed := uint64(1); seed <= 200; seed++ {
			w := scenarios.Swarm(s, seed)
			w.SnapshotEvery = 1 + int(seed%4)
			o := New(w, Options{}).Run()
			require.True(t, o.OK, "%s with snapshot_every = %d: %v", w.Name, w.SnapshotEvery, o.Failed())
		}
		countPaths(t, s, 6, want, paths)
	}
	for _, w := range want {
		assert.Positive(t, paths[w], "no run took the path %q", w)
	}
	t.Logf("paths: %v", paths)
}

// countPaths runs seeds 1..seeds of s traced, twice each, requires every
// check to hold and the two traces to be identical, and adds to paths how
// often each text of want occurs in the text traces.
func countPaths(t *testing.T, s scenarios.Scenario, seeds uint64, want []string, paths map[string]int) {
	t.Helper()
	for seed := uint64(1); seed <= seeds; seed++ {
		s.Seed = seed
		text, js, _, o := traced(t, s, nil)
		require.True(t, o.OK, "%s seed %d: %v", s.Name, seed, o.Failed())
		text2, js2, _, _ := traced(t, s, nil)
		require.Equal(t, string(js), string(js2), "%s seed %d: two runs, one trace", s.Name, seed)
		require.Equal(t, string(text), string(text2))
		for _, w := range want {
			paths[w] += strings.Count(string(text), w)
		}
	}
}

// TestCompactionBoundsMemory: what every node and every check keeps is
// bounded by the compaction interval, not by the length of the run; without
// compaction it grows with every slot (so the test sees the difference).
func TestCompactionBoundsMemory(t *testing.T) {
	run := func(every int) *Cluster {
		s := load(t, "default")
		s.Workload.RequestsPerClient = 2000
		s.SnapshotEvery = every
		c := New(s, Options{SkipLin: true})
		o := c.Run()
		require.True(t, o.OK, "%v", o.Failed())
		return c
	}
	kept := func(c *Cluster) (acc, logs int) {
		for _, id := range c.Topology.Acceptors {
			acc = max(acc, len(c.acceptor(id).Accepted))
		}
		for _, id := range c.Topology.Learners() {
			_, log := c.machine(id).Log()
			logs = max(logs, len(log))
		}
		return acc, logs
	}
	c := run(100)
	acc, logs := kept(c)
	assert.LessOrEqual(t, acc, 100, "an acceptor keeps at most the entries since the last snapshot")
	assert.LessOrEqual(t, logs, 100, "a machine keeps at most the commands since the last snapshot")
	assert.LessOrEqual(t, c.watch.Kept(), 2*c.window(), "the log watch keeps a window of slots")
	assert.Equal(t, int64(6000), c.machine(c.Topology.Learners()[0]).Len(), "every slot was applied")

	c = run(0)
	acc, logs = kept(c)
	assert.Equal(t, 6000, acc, "without compaction an acceptor keeps every slot")
	assert.Equal(t, 6000, logs)
	assert.Equal(t, 6000, c.watch.Kept(), "and so does the log watch")
}

// TestLongRunKeepsNoHistory: a run of more than KeepRequests requests keeps
// neither the client history nor the log order, and is still checked by
// every check, linearizability included (the checks follow the run); a
// shorter run keeps both.
func TestLongRunKeepsNoHistory(t *testing.T) {
	s := load(t, "default")
	s.Workload.RequestsPerClient = KeepRequests/3 + 1
	s.TimeLimit = scenarios.Duration(10000 * time.Hour)
	s.MaxEvents = scenarios.MaxEventsLimit
	c := New(s, Options{})
	o := c.Run()
	require.True(t, o.OK, "%v", o.Checks)
	assert.Empty(t, c.History(), "no history kept")
	assert.Empty(t, c.linLog, "no log order kept")
	assert.Equal(t, 3*(KeepRequests/3+1), o.Lin.Ops, "linearizability checked every operation")
	answered, total := c.Answered()
	assert.Equal(t, total, answered)

	s.Workload.RequestsPerClient = 100
	c = New(s, Options{})
	require.True(t, c.Run().OK)
	assert.Len(t, c.History(), 600, "a short run keeps its history")
}
