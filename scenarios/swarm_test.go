package scenarios

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSwarm: every draw is a valid scenario that round-trips through its
// TOML form, the same seed gives the same draw, and across seeds every kind
// of fault and network setting shows up while a majority of acceptors is
// never faulty.
func TestSwarm(t *testing.T) {
	base, err := Load("default")
	require.NoError(t, err)
	seen := map[string]int{}
	for seed := uint64(1); seed <= 2000; seed++ {
		s := Swarm(base, seed)
		require.NoError(t, s.Validate(), "seed %d", seed)
		require.Equal(t, s, Swarm(base, seed), "seed %d: not deterministic", seed)
		assert.Equal(t, seed, s.Seed)
		enc, err := s.Encode()
		require.NoError(t, err)
		back, err := Parse(enc, "swarm.toml")
		require.NoError(t, err, "seed %d:\n%s", seed, enc)
		for i := range back.Faults {
			back.Faults[i].Line = 0
		}
		require.Equal(t, s, back, "seed %d: TOML round trip", seed)

		faultyAcceptors := map[string]bool{}
		crashed := map[string]bool{} // leaders crashed and not restarted yet
		for _, f := range s.Faults {
			seen[f.Kind()]++
			switch f.Kind() {
			case "crash":
				if strings.HasPrefix(f.Crash, "acceptor") {
					faultyAcceptors[f.Crash] = true
				}
				if strings.HasPrefix(f.Crash, "leader") {
					seen["leader crash"]++
					crashed[f.Crash] = true
				}
			case "restart":
				delete(crashed, f.Restart)
			case "partition":
				if f.Partition[0][0] != "leader1" {
					for _, a := range f.Partition[0] {
						faultyAcceptors[a] = true
					}
				}
			case "cut":
				require.Len(t, f.Cut, 2)
				healed := false
				for _, g := range s.Faults {
					healed = healed || g.Heal && g.At > f.At
				}
				minority := func(n string) bool {
					i, err := strconv.Atoi(strings.TrimPrefix(n, "acceptor"))
					return strings.HasPrefix(n, "acceptor") && err == nil && i > s.Nodes.Acceptors-(s.Nodes.Acceptors-1)/2
				}
				if !healed {
					seen["unhealed cut"]++
					assert.True(t, minority(f.Cut[0]) || minority(f.Cut[1]), "seed %d: only a cut to or from a faulty acceptor may stay: %v", seed, s.Faults)
				}
				assert.True(t, strings.HasPrefix(f.Cut[0], "leader") || strings.HasPrefix(f.Cut[1], "leader"), "seed %d: a cut touches a leader: %v", seed, f.Cut)
			case "hold":
				assert.GreaterOrEqual(t, f.For, s.Timeouts.Election, "seed %d: a long hold", seed)
				assert.LessOrEqual(t, f.For, 5*s.Timeouts.Election, "seed %d", seed)
			}
		}
		assert.LessOrEqual(t, len(faultyAcceptors), (s.Nodes.Acceptors-1)/2, "seed %d: a majority must stay up: %v", seed, s.Faults)
		assert.Empty(t, crashed, "seed %d: every crashed leader restarts: %v", seed, s.Faults)
		if !s.Liveness {
			// Unscaled on purpose: timeouts as in base although the latency
			// asks for more; safety only.
			seen["unscaled"]++
			assert.Equal(t, base.Timeouts, s.Timeouts, "seed %d: unscaled", seed)
			assert.Less(t, s.Timeouts.Election, 4*s.Network.LatencyMax, "seed %d: liveness is off only where scaling was skipped", seed)
			continue
		}
		assert.GreaterOrEqual(t, s.Timeouts.Election, 4*s.Network.LatencyMax, "seed %d: timeouts scaled to the latency", seed)
		if s.Timeouts.Election != base.Timeouts.Election {
			seen["scaled"]++
			f := s.Timeouts.Election / base.Timeouts.Election
			assert.Equal(t, base.Timeouts.Heartbeat*f, s.Timeouts.Heartbeat, "seed %d: one factor for every timeout", seed)
			assert.Equal(t, base.Timeouts.Client*f, s.Timeouts.Client, "seed %d", seed)
		}
		if s.Network.Drop > 0 {
			seen["drop"]++
		}
		if s.Network.Duplicate > 0 {
			seen["duplicate"]++
		}
		if len(s.Faults) == 0 {
			seen["no faults"]++
		}
	}
	for _, k := range []string{"crash", "restart", "heal", "partition", "cut", "hold", "leader crash", "drop", "duplicate", "no faults", "scaled", "unscaled"} {
		assert.Greater(t, seen[k], 50, "%s drawn too rarely: %v", k, seen)
	}
	assert.Positive(t, seen["unhealed cut"], "a cut of a faulty acceptor's link that stays: %v", seen)

	t.Logf("drawn in 2000 seeds: %v", seen)

	kv, err := Load("kvstore")
	require.NoError(t, err)
	for seed := uint64(1); seed <= 100; seed++ {
		s := Swarm(kv, seed)
		require.NoError(t, s.Validate())
		assert.Empty(t, s.Faults, "kvstore gets network draws only")
	}
}

// TestSwarmBatch: a scenario that batches gets batch sizes from 1 to its
// own, every one of them over the seeds; one that does not batch keeps
// batch 1, and its other draws do not depend on the batch draw.
func TestSwarmBatch(t *testing.T) {
	base, err := Load("batching")
	require.NoError(t, err)
	one := base
	one.Batch = 1
	sizes := map[int]int{}
	for seed := uint64(1); seed <= 400; seed++ {
		s := Swarm(base, seed)
		require.NoError(t, s.Validate())
		sizes[s.Batch]++
		u := Swarm(one, seed)
		assert.Equal(t, 1, u.Batch)
		u.Batch = s.Batch
		assert.Equal(t, s, u, "seed %d: only the batch differs", seed)
	}
	for b := 1; b <= base.Batch; b++ {
		assert.Positive(t, sizes[b], "batch %d drawn", b)
	}
	assert.Len(t, sizes, base.Batch)
}
