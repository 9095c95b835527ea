package sim

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixedDecider answers every question the same way and counts the calls.
type fixedDecider struct {
	latency   Time
	chance    bool
	jitter    Time
	latencies int
	chances   []Decision
	jitters   int
}

func (d *fixedDecider) Jitter(_ *rand.Rand, max Time) Time { d.jitters++; return min(d.jitter, max) }

func (d *fixedDecider) Latency(lo, hi Time) Time { d.latencies++; return d.latency }

func (d *fixedDecider) Chance(what Decision, p float64) bool {
	d.chances = append(d.chances, what)
	return d.chance
}

func TestByteDeciderLatency(t *testing.T) {
	cases := []struct {
		data     []byte
		min, max Time
		want     Time
	}{
		{[]byte{0x00, 0x00}, 10, 20, 10},
		{[]byte{0x00, 0x0a}, 10, 20, 20},
		{[]byte{0x00, 0x0b}, 10, 20, 10},          // wraps modulo the range's width, 11
		{[]byte{0x01, 0x02}, 10, 20, 10 + 258%11}, // big-endian: 0x0102 = 258
		{[]byte{0xff, 0xff}, 0, 1_000_000, 65535}, // a wide range is reached only up to 65535
		{[]byte{0xff, 0xff}, Millisecond, 5 * Millisecond, Millisecond + 65535},
		{[]byte{0x12, 0x34}, 7, 7, 7}, // an empty range: min
		{[]byte{0x12, 0x34}, 9, 3, 9}, // max below min: min
	}
	for _, c := range cases {
		d := &ByteDecider{Data: append([]byte(nil), c.data...), Fallback: &fixedDecider{latency: -1}}
		got := d.Latency(c.min, c.max)
		assert.Equal(t, c.want, got, "bytes %x in [%d, %d]", c.data, c.min, c.max)
		assert.Empty(t, d.Data, "a latency takes two bytes, even from an empty range")
	}
}

func TestByteDeciderChance(t *testing.T) {
	cases := []struct {
		b    byte
		p    float64
		want bool
	}{
		{0, 0.001, true},
		{0, 1, true},
		{255, 1, true},
		{127, 0.5, true},   // 127/256 < 0.5
		{128, 0.5, false},  // 128/256 == 0.5
		{25, 0.1, true},    // 25/256 < 0.1
		{26, 0.1, false},   // 26/256 > 0.1
		{255, 0.99, false}, // 255/256 > 0.99
		{255, 0.997, true}, // 255/256 < 0.997
	}
	for _, c := range cases {
		for _, what := range []Decision{DecideDrop, DecideDuplicate} {
			d := &ByteDecider{Data: []byte{c.b, 0xaa}, Fallback: &fixedDecider{}}
			assert.Equal(t, c.want, d.Chance(what, c.p), "byte %d, p %v", c.b, c.p)
			assert.Equal(t, []byte{0xaa}, d.Data, "a chance takes one byte")
		}
	}
}

// TestByteDeciderFallsBack follows a ByteDecider as its bytes run out.
func TestByteDeciderFallsBack(t *testing.T) {
	fb := &fixedDecider{latency: 42, chance: true}
	// Two bytes of latency, one chance, then one byte left: too short for a
	// latency (which falls back and leaves it), enough for a chance.
	d := &ByteDecider{Data: []byte{0x00, 0x05, 0xff, 0x00}, Fallback: fb}
	assert.Equal(t, Time(15), d.Latency(10, 20))
	assert.False(t, d.Chance(DecideDrop, 0.5), "0xff/256 is not below 0.5")
	assert.Equal(t, Time(42), d.Latency(10, 20), "one byte is not enough for a latency")
	assert.Equal(t, 1, fb.latencies)
	assert.Equal(t, []byte{0x00}, d.Data, "a fallen-back latency leaves the byte")
	assert.True(t, d.Chance(DecideDuplicate, 0.5), "0x00/256 is below 0.5")
	assert.Empty(t, fb.chances)
	// Out of bytes: everything comes from the fallback.
	assert.Equal(t, Time(42), d.Latency(10, 20))
	assert.True(t, d.Chance(DecideDuplicate, 0.001))
	assert.Equal(t, 2, fb.latencies)
	assert.Equal(t, []Decision{DecideDuplicate}, fb.chances)
}

func TestByteDeciderJitter(t *testing.T) {
	cases := []struct {
		data []byte
		max  Time
		want Time
	}{
		{[]byte{0x00, 0x00}, 10, 0},
		{[]byte{0x00, 0x0a}, 10, 10},
		{[]byte{0x00, 0x0b}, 10, 0},              // wraps modulo the range's width, 11
		{[]byte{0x01, 0x02}, 10, 258 % 11},       // big-endian: 0x0102 = 258
		{[]byte{0xff, 0xff}, Millisecond, 65535}, // a wide range is reached only up to 65535
		{[]byte{0x12, 0x34}, 1, 0x1234 % 2},
	}
	for _, c := range cases {
		fb := &fixedDecider{jitter: -1}
		d := &ByteDecider{Data: append([]byte(nil), c.data...), Fallback: fb}
		assert.Equal(t, c.want, d.Jitter(nil, c.max), "bytes %x in [0, %d]", c.data, c.max)
		assert.Empty(t, d.Data, "a jitter takes two bytes")
		assert.Zero(t, fb.jitters)
	}
	// One byte is not enough: the fallback answers and the byte stays.
	fb := &fixedDecider{jitter: 3}
	d := &ByteDecider{Data: []byte{0x07}, Fallback: fb}
	assert.Equal(t, Time(3), d.Jitter(nil, 10))
	assert.Equal(t, 1, fb.jitters)
	assert.Equal(t, []byte{0x07}, d.Data)
}

func TestFirstDecider(t *testing.T) {
	var d FirstDecider
	assert.Equal(t, Time(3), d.Latency(3, 9))
	assert.Equal(t, Time(3), d.Latency(3, 3))
	assert.False(t, d.Chance(DecideDrop, 1))
	assert.False(t, d.Chance(DecideDuplicate, 0.5))
	assert.Equal(t, Time(0), d.Jitter(Stream(1, "x"), Second))

	// A run under FirstDecider: least latency, no loss, no duplicate, no
	// jitter, whatever the network's probabilities.
	cfg := limits()
	cfg.LatencyMin, cfg.LatencyMax = 2*Millisecond, 9*Millisecond
	cfg.Drop, cfg.Duplicate = 0.9, 0.9
	tr := newTraced(timerNames(cfg, "t"))
	tr.SetDecider(FirstDecider{})
	tr.add("a", &tnode{start: func(env *Env[tmsg]) {
		env.Send(1, tmsg{"m", 0})
		env.SetTimer(0, Millisecond, 5*Millisecond)
	}})
	tr.add("b", &tnode{})
	res := tr.Run()
	assert.Equal(t, Stats{Events: 4, Sent: 1, Delivered: 1}, res.Stats)
	assert.Equal(t, []string{
		"   0.000ms a: start",
		"   0.000ms b: start",
		"   1.000ms a: timer t",
		"   2.000ms b: recv m 0 from a",
	}, tr.log)
}

// TestSeedDeciderJitter: a seeded jitter is drawn in [0, max] from the
// node's stream it is handed, not from the network's.
func TestSeedDeciderJitter(t *testing.T) {
	net := Stream(1, "network")
	d := SeedDecider{R: net}
	node := Stream(1, "node/a")
	want := Stream(1, "node/a")
	hit := map[Time]bool{}
	for range 1000 {
		j := d.Jitter(node, 3)
		require.Equal(t, Time(want.Int64N(4)), j, "drawn from the node's stream")
		hit[j] = true
	}
	assert.Len(t, hit, 4, "every jitter of a small range is drawn")
	assert.Equal(t, Stream(1, "network").Uint64(), net.Uint64(), "the network's stream was not drawn from")
}

func TestSeedDecider(t *testing.T) {
	d := SeedDecider{R: Stream(1, "test")}
	assert.Equal(t, Time(5), d.Latency(5, 5))
	assert.Equal(t, Time(5), d.Latency(5, 2))
	hit := map[Time]bool{}
	for range 1000 {
		l := d.Latency(3, 6)
		require.GreaterOrEqual(t, l, Time(3))
		require.LessOrEqual(t, l, Time(6))
		hit[l] = true
	}
	assert.Len(t, hit, 4, "every latency of a small range is drawn")
	for range 100 {
		require.True(t, d.Chance(DecideDrop, 1))
	}
	n := 0
	for range 10000 {
		if d.Chance(DecideDrop, 0.25) {
			n++
		}
	}
	assert.InDelta(t, 2500, n, 300)
}

// fuzzRun runs three pingers with a crash, a restart and a partition, every
// network decision taken from data (then from a seeded fallback).
func fuzzRun(t *testing.T, data []byte) {
	cfg := Config{
		Seed:       1,
		LatencyMin: 0,
		LatencyMax: 3 * Millisecond,
		Drop:       0.3,
		Duplicate:  0.3,
		TimeLimit:  Second,
		MaxEvents:  3000,
		TimerNames: []string{"tick"},
	}
	tr := newTraced(cfg)
	tr.SetDecider(&ByteDecider{Data: data, Fallback: SeedDecider{R: Stream(cfg.Seed, "network")}})
	var ids []NodeID
	var ps []*pinger
	for _, name := range []string{"n1", "n2", "n3"} {
		p := &pinger{hops: 20, tickMax: 4}
		ps = append(ps, p)
		ids = append(ids, tr.AddNode(name, p))
	}
	for _, p := range ps {
		p.peers = ids
	}
	var first byte
	if len(data) > 0 {
		first = data[0]
	}
	tr.Crash(Time(first%8)*Millisecond, ids[first%3])
	tr.Restart(Time(first%8+2)*Millisecond, ids[first%3])
	tr.Partition(Time(first%5)*Millisecond, [][]NodeID{{ids[0]}, {ids[1], ids[2]}})
	tr.Heal(9 * Millisecond)
	res := tr.Run()
	require.LessOrEqual(t, res.Events, cfg.MaxEvents)
	require.NotEqual(t, StopDivergence, res.Reason)
	require.Equal(t, res.Sent+res.Duplicated, res.Delivered+res.Dropped+countDeliveriesPending(tr), "every message is delivered, dropped or still queued")
	recs := jsonRecords(t, tr.json.Bytes())
	require.Equal(t, uint64(len(recs)), tr.tracer.Seq())
	require.NoError(t, tr.tracer.Err())
}

// countDeliveriesPending counts the messages still in the queue.
func countDeliveriesPending(tr *traced) int {
	n := 0
	for i := range tr.q.slab {
		if tr.q.slab[i].kind == evDeliver {
			n++
		}
	}
	return n
}

func FuzzEngineBytes(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add(bytes.Repeat([]byte{0}, 64))     // minimum latencies, every drop and duplicate
	f.Add(bytes.Repeat([]byte{0xff}, 64))  // maximum latencies, no drop, no duplicate
	f.Add(bytes.Repeat([]byte{0x80}, 300)) // mid-range latencies; 0x80/256 is not below 0.3: no drops
	f.Add([]byte("the quick brown fox jumps over the lazy dog"))
	f.Add(bytes.Repeat([]byte{1, 2, 3, 250, 251}, 100))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRun(t, data)
	})
}
