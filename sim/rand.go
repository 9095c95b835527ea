package sim

import "math/rand/v2"

// Stream returns a random source derived from the root seed and a label that
// names its purpose ("network", "node/leader1", ...). Each purpose has its own
// stream, so adding a node or a draw in one place never shifts the draws of
// another.
func Stream(seed uint64, label string) *rand.Rand {
	return rand.New(rand.NewPCG(seed, labelHash(label)))
}

// Reseedable is a labelled random stream that can be reseeded in place, so
// that a cluster reused across seeds allocates no new sources.
type Reseedable struct{ s stream }

// NewReseedable returns Stream(seed, label) in a form that Reseed restarts.
func NewReseedable(seed uint64, label string) *Reseedable {
	return &Reseedable{newStream(seed, label)}
}

// Rand is the stream.
func (r *Reseedable) Rand() *rand.Rand { return r.s.r }

// Reseed restarts the stream as Stream(seed, label) would.
func (r *Reseedable) Reseed(seed uint64) { r.s.reseed(seed) }

// stream is a labelled random stream that can be reseeded in place, so that
// an engine reused across seeds allocates no new sources.
type stream struct {
	src   *rand.PCG
	r     *rand.Rand
	label uint64
}

func newStream(seed uint64, label string) stream {
	src := rand.NewPCG(seed, labelHash(label))
	return stream{src: src, r: rand.New(src), label: labelHash(label)}
}

// reseed restarts the stream as Stream(seed, label) would.
func (s stream) reseed(seed uint64) { s.src.Seed(seed, s.label) }

// labelHash is 64-bit FNV-1a followed by a splitmix64 finaliser: cheap, stable
// across Go versions, and well mixed for short labels.
func labelHash(label string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(label); i++ {
		h ^= uint64(label[i])
		h *= 1099511628211
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// PCG is the source of Stream(seed, label), as a value: a node that draws
// from its own stream holds it in its state, so that copying the node
// copies the stream.
func PCG(seed uint64, label string) rand.PCG { return *rand.NewPCG(seed, labelHash(label)) }
