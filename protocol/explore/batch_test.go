package explore

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// TestBatchingSafeInEverySchedule: with batch 2, the two clients' puts go
// into one slot in some schedules and into two in others; every schedule,
// also with a loss anywhere, keeps agreement, exactly-once and
// the invariants at every state and linearizability at every end. (With a
// crash in the budget the search is complete too, at 201997 states, but
// takes too long for every test run; sweeps cover batches with crashes and
// compaction, protocol/cluster's TestBatching.)
func TestBatchingSafeInEverySchedule(t *testing.T) {
	for _, budget := range []sim.Budget{{}, {Losses: 1}} {
		r, err := Run(load(t, "explore-batch"), Options{Budget: budget})
		require.NoError(t, err)
		require.True(t, r.Complete, "%+v", budget)
		assert.Nil(t, r.Violation, "%+v", budget)
		assert.Positive(t, r.Sometimes.Batch, "a slot held both requests in some state")
		assert.Less(t, r.Sometimes.Batch, r.States, "and not in every state")
	}
}
