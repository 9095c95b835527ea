package cluster

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
)

// TestBatching: with several requests per slot, every check holds for many
// seeds (300 of each, and 300 swarm draws) of the scenarios with faults, crashes and
// takeovers, also when the logs are compacted every few slots; the batch
// paths are taken (a slot of several requests, recovered whole by a new
// leader, applied by the replicas); and two runs of a seed give identical
// traces.
func TestBatching(t *testing.T) {
	paths := map[string]int{}
	want := []string{
		"requests at once (batch ",             // a leader fills a slot with several requests
		"-> accepted",                          // acceptors vote for it
		"recovering [",                         // a new leader's Phase 1 recovers a batch whole
		": batch of ",                          // a replica applies one
		"was already applied: answering again", // or is answered from the session
	}
	for _, name := range append([]string{"batching", "retry-twice", "two-values"}, compactionScenarios...) {
		s := load(t, name)
		s.Batch, s.Pipeline = 3, max(s.Pipeline, 2)
		s.Nodes.Clients = max(s.Nodes.Clients, 6)
		c := New(s, Options{})
		for seed := uint64(1); seed <= 300; seed++ {
			c.Reset(seed)
			o := c.Run()
			require.True(t, o.OK, "%s seed %d with batch = 3: %v", name, seed, o.Failed())
		}
		for seed := uint64(1); seed <= 300; seed++ {
			w := scenarios.Swarm(s, seed)
			w.Batch = 1 + int(seed%5)
			w.Nodes.Clients = max(w.Nodes.Clients, 4)
			if seed%2 == 0 {
				w.SnapshotEvery = 1 + int(seed%3)
			}
			o := New(w, Options{}).Run()
			require.True(t, o.OK, "%s swarm %d with batch = %d: %v", name, seed, w.Batch, o.Failed())
		}
		countPaths(t, s, 4, want, paths)
	}
	for _, w := range want {
		assert.Positive(t, paths[w], "no run took the path %q", w)
	}
}

// TestBatchingSavesMessages: the same requests in fewer slots take fewer
// messages, and every request still gets the kv_store's answer: 40
// clients with pipeline 4, one request per slot and then up to 10.
func TestBatchingSavesMessages(t *testing.T) {
	s := load(t, "default")
	s.Nodes.Clients, s.Pipeline = 40, 4
	run := func(batch int) (Outcome, int64) {
		s.Batch = batch
		c := New(s, Options{})
		o := c.Run()
		require.True(t, o.OK, "batch %d: %v", batch, o.Failed())
		_, last, _ := c.leader(c.Topology.Leaders[0]).Log()
		return o, last
	}
	one, slots1 := run(1)
	ten, slots10 := run(10)
	assert.Equal(t, int64(200), slots1, "one slot per request")
	assert.Less(t, slots10, int64(60), "up to 10 requests per slot")
	assert.Less(t, ten.Result.Delivered, one.Result.Delivered*2/3, "fewer messages for the same requests")
}
