package multipaxos

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/internal/steertest"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// TestWaitsMatchSearch: the leader's per-client counts (waits), which make
// the duplicate test of a request constant-time, agree with a search of its
// queue and unapplied slots at every step of many random runs with losses,
// duplicates, crashes and elections, for every request of every client;
// and where they cannot tell (another request of the same client waits)
// they say so instead of answering.
func TestWaitsMatchSearch(t *testing.T) {
	var checked, queued, inexact int
	for seed := uint64(1); seed <= 60; seed++ {
		e := steeredCluster()
		rng := rand.New(rand.NewPCG(seed, 9))
		for range 400 {
			if len(steertest.Drive(e, rng, 1, nil)) == 0 {
				break
			}
			for i := range 2 {
				l := steertest.Held(e, i).(*Leader)
				if len(l.queue) > l.head {
					queued++
				}
				for c := 6; c <= 7; c++ { // the clients' node ids
					for seq := uint64(1); seq <= 5; seq++ {
						cmd := protocol.Command{Client: sim.NodeID(c), Seq: seq}
						found, exact := l.waits.has(cmd)
						checked++
						if !exact {
							inexact++
							continue
						}
						require.Equal(t, l.waiting(cmd), found, "seed %d: leader%d, client node %d request %d", seed, i+1, c, seq)
					}
				}
			}
		}
	}
	assert.Positive(t, queued, "no leader ever queued a request: the test checks nothing")
	t.Logf("%d lookups, %d left to the search, %d steps with a queue", checked, inexact, queued)
}
