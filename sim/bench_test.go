package sim

import (
	"encoding/binary"
	"math"
	"runtime"
	"strconv"
	"testing"
)

// hop is the benchmark's message: a plain value, as a protocol message is.
type hop struct {
	From NodeID
	N    uint32
}

func (hop) Type() string { return "hop" }

func (m hop) AppendJSON(b []byte, _ Names) []byte {
	b = append(b, `{"type":"hop"`...)
	b = AppendJSONInt(b, "n", int64(m.N))
	return append(b, '}')
}

func (m hop) AppendState(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(m.From))
	return binary.AppendUvarint(b, uint64(m.N))
}

// hopper forwards every message it receives to a pseudo-random node (a hash
// of itself and the message's number: nodes draw no randomness), so the
// number of messages in flight stays what the Start calls put there.
type hopper struct {
	nodes int
	prime int // messages to send at start
}

func (h *hopper) Start(env *Env[hop]) {
	for i := range h.prime {
		env.Send(h.pick(env.Self(), uint32(i)), hop{From: env.Self(), N: uint32(i)})
	}
}

// pick hashes (self, n) onto a node: a splitmix64 finaliser, well mixed
// and allocation-free.
func (h *hopper) pick(self NodeID, n uint32) NodeID {
	x := uint64(self)<<32 | uint64(n)
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return NodeID(x % uint64(h.nodes))
}

func (h *hopper) Receive(env *Env[hop], from NodeID, m hop) {
	env.Send(h.pick(env.Self(), m.N+1), hop{From: env.Self(), N: m.N + 1})
}

func (h *hopper) Timer(*Env[hop], TimerKind) {}

func (h *hopper) Crash() {}

func (h *hopper) Clone(into Node[hop]) Node[hop] {
	d, ok := into.(*hopper)
	if !ok || d == nil {
		d = new(hopper)
	}
	*d = *h
	return d
}

func (h *hopper) AppendState(b []byte) []byte { return b }

const benchNodes = 16

// hopEngine builds an untraced engine with pending messages always in flight
// that stops after deliveries deliveries. The queue and the outbox are sized
// for the run up front, so that Run measures the steady state, not the growth
// of the slab.
func hopEngine(pending, deliveries int) *Engine[hop] {
	e := New[hop](Config{
		Seed:       1,
		LatencyMin: Millisecond,
		LatencyMax: 10 * Millisecond,
		TimeLimit:  math.MaxInt64,
		MaxEvents:  benchNodes + deliveries, // the starts, then one event per delivery
	})
	size := pending + benchNodes
	e.q.slab = make([]event[hop], 0, size)
	e.q.heap = make([]item, 0, size)
	e.q.free = make([]int32, 0, size)
	// The outbox too: a Start hands the network its whole share at once.
	e.env.out = make([]effect[hop], 0, pending/benchNodes+1)
	for i := range benchNodes {
		share := pending / benchNodes
		if i < pending%benchNodes {
			share++
		}
		e.AddNode("n"+strconv.Itoa(i+1), &hopper{nodes: benchNodes, prime: share})
	}
	return e
}

func BenchmarkEngine(b *testing.B) {
	for _, bc := range []struct {
		name    string
		pending int
	}{
		{"pending=10", 10},
		{"pending=1k", 1000},
		{"pending=100k", 100000},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := hopEngine(bc.pending, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			res := e.Run()
			b.StopTimer()
			if res.Reason != StopEventLimit || res.Delivered != b.N || res.Pending != bc.pending {
				b.Fatalf("ran %+v (%s), want %d deliveries with %d pending", res, res.Describe(e.Config()), b.N, bc.pending)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// TestEngineSteadyStateDoesNotAllocate is the benchmark's promise as a
// test: once the queue has its working size, sending and delivering
// messages allocates nothing.
func TestEngineSteadyStateDoesNotAllocate(t *testing.T) {
	if testing.Short() {
		t.Skip("counts allocations over 200k events")
	}
	const deliveries = 200_000
	e := hopEngine(1000, deliveries)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res := e.Run()
	runtime.ReadMemStats(&after)
	if res.Delivered != deliveries {
		t.Fatalf("delivered %d messages, want %d", res.Delivered, deliveries)
	}
	// A few allocations may come from the runtime itself; one per event
	// would be 200k.
	if n := after.Mallocs - before.Mallocs; n > 100 {
		t.Errorf("Run allocated %d times for %d deliveries (%.2f per delivery)", n, deliveries, float64(n)/deliveries)
	}
}
