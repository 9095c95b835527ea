package scenarios

import (
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
		for _, f := range s.Faults {
			switch {
			case f.Crash != "":
				seen["crash"]++
				if f.Crash[:len("acceptor")] == "acceptor" {
					faultyAcceptors[f.Crash] = true
				}
			case f.Restart != "":
				seen["restart"]++
			case f.Heal:
				seen["heal"]++
			default:
				seen["partition"]++
				if f.Partition[0][0] != "leader1" {
					for _, a := range f.Partition[0] {
						faultyAcceptors[a] = true
					}
				}
			}
		}
		assert.LessOrEqual(t, len(faultyAcceptors), (s.Nodes.Acceptors-1)/2, "seed %d: a majority must stay up: %v", seed, s.Faults)
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
	for _, k := range []string{"crash", "restart", "heal", "partition", "drop", "duplicate", "no faults", "scaled"} {
		assert.Greater(t, seen[k], 50, "%s drawn too rarely: %v", k, seen)
	}

	kv, err := Load("kvstore")
	require.NoError(t, err)
	for seed := uint64(1); seed <= 100; seed++ {
		s := Swarm(kv, seed)
		require.NoError(t, s.Validate())
		assert.Empty(t, s.Faults, "kvstore gets network draws only")
	}
}
