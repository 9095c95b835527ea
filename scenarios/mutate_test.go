package scenarios

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMutate: chains of mutations of swarm draws stay valid scenarios that
// round-trip through TOML, are the same for the same RNG, keep every
// crashed leader restarted, and use every kind of mutation.
func TestMutate(t *testing.T) {
	base, err := Load("default")
	require.NoError(t, err)
	kinds := map[string]int{}
	for seed := uint64(1); seed <= 200; seed++ {
		s := Swarm(base, seed)
		for step := range uint64(10) {
			child, what := Mutate(base, s, rand.New(rand.NewPCG(seed, step)))
			again, _ := Mutate(base, s, rand.New(rand.NewPCG(seed, step)))
			require.Equal(t, child, again, "seed %d step %d: not deterministic", seed, step)
			require.NoError(t, child.Validate(), "seed %d step %d: %s", seed, step, what)
			require.True(t, child.leadersRestart(), "seed %d step %d: %s leaves a leader down", seed, step, what)
			enc, err := child.Encode()
			require.NoError(t, err)
			_, err = Parse(enc, "child.toml")
			require.NoError(t, err, "seed %d step %d:\n%s", seed, step, enc)
			if child.Liveness {
				assert.False(t, needsScaling(child), "seed %d step %d: %s: timeouts not scaled", seed, step, what)
			}
			for _, k := range []string{"latency", "drop", "duplicate", "seed", "fault times", "move crash", "remove crash", "add faults"} {
				if len(what) >= len(k) && what[:len(k)] == k {
					kinds[k]++
				}
			}
			s = child
		}
	}
	assert.Len(t, kinds, 8, "every kind of mutation: %v", kinds)
}
