package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func draws(seed uint64, label string, n int) []uint64 {
	r := Stream(seed, label)
	out := make([]uint64, n)
	for i := range out {
		out[i] = r.Uint64()
	}
	return out
}

func TestStreamSplitsByPurpose(t *testing.T) {
	assert.Equal(t, draws(1, "a", 8), draws(1, "a", 8), "a stream is a function of seed and label")
	assert.NotEqual(t, draws(1, "a", 8), draws(1, "b", 8), "labels give different streams")
	assert.NotEqual(t, draws(1, "a", 8), draws(2, "a", 8), "seeds give different streams")
	assert.NotEqual(t, draws(1, "node/n1", 8), draws(1, "node/n2", 8))
	assert.NotEqual(t, draws(1, "", 8), draws(1, "network", 8))
}

// TestLabelHashIsStable pins the derivation of streams (64-bit FNV-1a, then
// the splitmix64 finaliser; the hashes were computed independently of this
// code, the draw pins the PCG seeding):
// changing it would change every seeded run, so every golden trace and every
// seed a user reported.
func TestLabelHashIsStable(t *testing.T) {
	assert.Equal(t, uint64(0x58109f97160c0933), labelHash("network"))
	assert.Equal(t, uint64(0x8ce97f398228e937), labelHash("node/leader1"))
	assert.Equal(t, uint64(0x00e7e5b2209cfcb1), Stream(1, "network").Uint64())
}
