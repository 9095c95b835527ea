package check

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// linInterleave merges h and log into one stream as a run could feed it:
// each in its own order, and a request's Apply after its Invoke (an entry
// whose request h never invokes may come anywhere). early in [0, 1] is how
// eagerly the log is fed: 0 holds it back to the end of the history, 1
// feeds each entry as soon as it may come.
func linInterleave(r *rand.Rand, h linHist, log []protocol.Command, early float64) []linFeedStep {
	type request struct {
		client sim.NodeID
		seq    uint64
	}
	at := map[request]int{} // the invoke's index in h
	for i, e := range h {
		if e.Invoke {
			at[request{e.Client, e.Op.ID}] = i
		}
	}
	var out []linFeedStep
	i, j := 0, 0
	for i < len(h) || j < len(log) {
		ready := j < len(log)
		if ready && log[j].HasClient() {
			if k, ok := at[request{log[j].Client, log[j].Seq}]; ok && k >= i {
				ready = false
			}
		}
		if ready && (i == len(h) || r.Float64() < early) {
			out = append(out, linFeedStep{cmd: log[j], apply: true})
			j++
			continue
		}
		out = append(out, linFeedStep{e: h[i]})
		i++
	}
	return out
}

// linFeedStep is one event fed to a LinStream: a history event, or a log
// entry.
type linFeedStep struct {
	e     kv.HistoryEvent
	cmd   protocol.Command
	apply bool
}

// linFeed feeds steps to s.
func linFeed(s *LinStream, steps []linFeedStep) {
	for _, st := range steps {
		switch {
		case st.apply:
			s.Apply(st.cmd)
		case st.e.Invoke:
			s.Invoke(st.e.T, st.e.Client, st.e.Op)
		default:
			s.Return(st.e.T, st.e.Client, st.e.Ret)
		}
	}
}

// linRandomRun is a small random run like TestLinearizableMatchesPorcupine's:
// linearizable, or not (an answer corrupted, two events swapped, the log
// reordered or cut), with what a real log holds besides (linDecorate).
func linRandomRun(r *rand.Rand, i int) (linHist, []protocol.Command) {
	h, log := linGenRun(r, 1+r.IntN(4), 1+r.IntN(6), []string{"a", "b", "c"}[:1+r.IntN(3)], 2, 0.15)
	log = linDecorate(r, log)
	switch i % 5 {
	case 1:
		linMutate(r, h)
	case 2:
		linSwap(r, h)
	case 3:
		if len(log) > 1 {
			j := r.IntN(len(log) - 1)
			log[j], log[j+1] = log[j+1], log[j]
		}
	case 4:
		if len(log) > 0 {
			j := r.IntN(len(log))
			log = slices.Delete(log, j, j+1)
		}
	}
	return h, log
}

// TestLinStreamMatchesPorcupine: on thousands of small random runs,
// linearizable or not, fed as a run would feed them (the log interleaved
// with the history at random), the stream gives porcupine's verdict. With
// a retain too small to keep every operation it may be inconclusive, but
// when it decides, it decides as porcupine does: a pass from a cut is
// sound.
func TestLinStreamMatchesPorcupine(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var legal, illegal, partialOK, partialUnknown, cutIllegal int
	s := NewLinStream(linClientName, 0, -1)
	small := NewLinStream(linClientName, 0, 0)
	for i := range 4000 {
		h, log := linRandomRun(r, i)
		ops, err := linOperations(h, linClientName)
		require.NoError(t, err)
		want := porcupine.CheckOperations(linModel, ops)
		steps := linInterleave(r, h, log, r.Float64())

		s.Reset()
		linFeed(s, steps)
		got := s.Result()
		require.NotEqual(t, porcupine.Unknown, got.Outcome, "history %d: %v", i, got.Err())
		require.Equal(t, want, got.Err() == nil, "history %d: %+v log %v: %v", i, h, log, got.Err())
		if want {
			legal++
		} else {
			illegal++
			require.ErrorContains(t, got.Err(), "not linearizable: key ")
		}

		small.retain = r.IntN(4)
		small.Reset()
		linFeed(small, steps)
		part := small.Result()
		if !want {
			keys := small.keysByText()
			for p, err := range small.witnessErrs(keys) {
				if k := &small.keys[keys[p]]; err != nil && k.dropped > 0 && k.droppedMax <= k.cutSerial {
					cutIllegal++ // searched from its cut, and must not pass
				}
			}
		}
		switch part.Outcome {
		case porcupine.Unknown:
			partialUnknown++
			require.ErrorContains(t, part.Err(), "inconclusive: key ", "history %d", i)
			require.ErrorContains(t, part.Err(), "was only partly retained", "history %d", i)
		case porcupine.Ok:
			require.True(t, want, "history %d: retain %d: ok, but porcupine says not linearizable: %+v log %v", i, small.retain, h, log)
			keys := small.keysByText()
			for p, err := range small.witnessErrs(keys) {
				if err != nil && small.keys[keys[p]].dropped > 0 {
					partialOK++ // passed from its cut
				}
			}
		default:
			require.False(t, want, "history %d: retain %d: %v", i, small.retain, part.Err())
			require.Equal(t, got.Err(), part.Err(), "history %d: decided only on keys kept whole", i)
		}
	}
	t.Logf("%d linearizable, %d not; with a small retain: %d inconclusive, %d partly kept keys passed from their cut, %d keys of histories not linearizable searched from their cut",
		legal, illegal, partialUnknown, partialOK, cutIllegal)
	assert.Greater(t, legal, 1500)
	assert.Greater(t, illegal, 500)
	assert.Greater(t, partialUnknown, 100)
	assert.Greater(t, partialOK, 50)
	assert.Greater(t, cutIllegal, 50)
}

// TestLinStreamInterleavings: the verdict, its explanation and which keys
// were searched do not depend on how the log is interleaved with the
// history, as long as no request is applied before it is invoked.
func TestLinStreamInterleavings(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	s := NewLinStream(linClientName, 0, -1)
	for i := range 1000 {
		h, log := linRandomRun(r, i)
		want := Linearizable(h, linClientName, log, 0)
		for k, early := range []float64{0, 1, 0.5, r.Float64(), r.Float64()} {
			s.Reset()
			linFeed(s, linInterleave(r, h, log, early))
			got := s.Result()
			require.Equal(t, want.Outcome, got.Outcome, "history %d, interleaving %d: %v", i, k, got.Err())
			require.Equal(t, want.Err(), got.Err(), "history %d, interleaving %d", i, k)
			require.Equal(t, want.Searched, got.Searched, "history %d, interleaving %d", i, k)
			require.Equal(t, [3]int{want.Ops, want.Indeterminate, want.Keys}, [3]int{got.Ops, got.Indeterminate, got.Keys}, "history %d", i)
		}
	}
}

// TestLinStreamPartial: where a key whose witness failed was only partly
// retained, a search from its cut decides only a pass.
func TestLinStreamPartial(t *testing.T) {
	a := sym("a")
	put := func(seq uint64, v string) kv.Op {
		return kv.Op{ID: seq, Op: protocol.Put, Key: a, Value: sym(v)}
	}
	ok := func(seq uint64) kv.Ret { return kv.Ret{ID: seq, OK: true, Key: a} }
	val := func(seq uint64, v string) kv.Ret {
		return kv.Ret{ID: seq, OK: true, HasValue: true, Value: sym(v), Key: a}
	}
	get := func(seq uint64) kv.Op { return kv.Op{ID: seq, Op: protocol.Get, Key: a} }
	del := func(seq uint64) kv.Op { return kv.Op{ID: seq, Op: protocol.Delete, Key: a} }
	cmd := func(c sim.NodeID, o kv.Op) protocol.Command {
		return protocol.Command{Client: c, Seq: o.ID, Op: o.Op, Key: o.Key, Value: o.Value}
	}

	// Three concurrent operations that can leave {a=v1} or {a=v2}; the log
	// says v2, the get after them sees v1. Linearizable (put v2, delete,
	// put v1, get), but not from the log's state once the three are dropped.
	ambiguous := func(s *LinStream) {
		s.Invoke(0, 1, put(1, "v1"))
		s.Invoke(0, 2, del(1))
		s.Invoke(0, 3, put(1, "v2"))
		s.Apply(cmd(1, put(1, "v1")))
		s.Apply(cmd(2, del(1)))
		s.Apply(cmd(3, put(1, "v2")))
		s.Return(1, 1, ok(1))
		s.Return(1, 2, ok(1))
		s.Return(1, 3, ok(1))
		s.Invoke(2, 4, get(1))
		s.Apply(cmd(4, get(1)))
		s.Return(3, 4, val(1, "v1"))
	}
	whole := NewLinStream(linClientName, 0, -1)
	ambiguous(whole)
	require.NoError(t, whole.Result().Err(), "kept whole, the search finds the other order")
	cut := NewLinStream(linClientName, 0, 1) // the get is kept, the rest dropped
	ambiguous(cut)
	res := cut.Result()
	assert.Equal(t, porcupine.Unknown, res.Outcome)
	assert.EqualError(t, res.Err(), `inconclusive: key "a" was only partly retained (3 of its 4 operations dropped, retain 1) and its log order is no linearization: in log order, client4 #1 GET "a" -> "v1" [2ns, 3ns] gets "v2"; `+
		`its 1 operations after the last point its log order proved have no linearization from the state there, {a=v2}, which proves nothing: another order of the operations before may leave another state`)
	assert.Equal(t, 1, res.Searched)

	// A long correct run on one key with a small retain, then an answered
	// operation the log lacks: the witness fails, the search from the cut
	// passes, and that is a proof.
	missing := func(s *LinStream, last string) {
		var seq uint64
		var now sim.Time
		for i := range 100 {
			seq++
			now++
			o := put(seq, "v"+strconv.Itoa(i))
			s.Invoke(now, 1, o)
			s.Apply(cmd(1, o))
			s.Return(now, 1, ok(seq))
			seq++
			s.Invoke(now, 1, del(seq))
			s.Apply(cmd(1, del(seq)))
			s.Return(now, 1, ok(seq))
		}
		seq++
		s.Invoke(now, 2, get(1))
		s.Return(now, 2, kv.Ret{ID: 1, Err: protocol.ErrNotFound, Key: a}) // not in the log
		s.Invoke(now, 1, put(seq, last))
		s.Apply(cmd(1, put(seq, last)))
		s.Return(now+1, 1, ok(seq))
		s.Invoke(now+1, 1, get(seq+1))
		s.Apply(cmd(1, get(seq+1)))
		s.Return(now+2, 1, val(seq+1, last))
	}
	small := NewLinStream(linClientName, 0, 10)
	missing(small, "end")
	res = small.Result()
	require.NoError(t, res.Err())
	assert.Equal(t, 1, res.Searched)
	assert.Less(t, small.live, 20)

	// A stale read after a long run: the whole history proves it not
	// linearizable; with it only partly kept, the check cannot say so, but
	// says why, and never passes it.
	stale := func(s *LinStream) {
		for i := range 50 {
			seq := uint64(2*i + 1)
			now := sim.Time(2 * i)
			s.Invoke(now, 1, put(seq, "v"+strconv.Itoa(i)))
			s.Apply(cmd(1, put(seq, "v"+strconv.Itoa(i))))
			s.Return(now, 1, ok(seq))
			s.Invoke(now, 1, del(seq+1))
			s.Apply(cmd(1, del(seq+1)))
			s.Return(now+1, 1, ok(seq+1))
		}
		s.Invoke(200, 2, get(1))
		s.Return(201, 2, val(1, "v49"))
		s.Apply(cmd(2, get(1)))
	}
	full := NewLinStream(linClientName, 0, -1)
	stale(full)
	assert.Equal(t, porcupine.Illegal, full.Result().Outcome)
	assert.ErrorContains(t, full.Result().Err(), `not linearizable: key "a": no linearization of 101 operations`)
	part := NewLinStream(linClientName, 0, 5)
	stale(part)
	res = part.Result()
	assert.Equal(t, porcupine.Unknown, res.Outcome)
	assert.ErrorContains(t, res.Err(), `inconclusive: key "a" was only partly retained (96 of its 101 operations dropped, retain 5)`)

	// With no cut after what was dropped, there is nothing to search.
	nocut := NewLinStream(linClientName, 0, 1)
	nocut.Invoke(0, 9, get(1))
	nocut.Return(1, 9, val(1, "x")) // answered, never placed: in limbo for good
	for i := range 5 {
		seq := uint64(2*i + 1)
		nocut.Invoke(sim.Time(2+i), 1, put(seq, "v"))
		nocut.Apply(cmd(1, put(seq, "v")))
		nocut.Return(sim.Time(2+i), 1, ok(seq))
		nocut.Invoke(sim.Time(2+i), 1, del(seq+1))
		nocut.Apply(cmd(1, del(seq+1)))
		nocut.Return(sim.Time(2+i), 1, ok(seq+1))
	}
	res = nocut.Result()
	assert.Equal(t, porcupine.Unknown, res.Outcome)
	assert.EqualError(t, res.Err(), `inconclusive: key "a" was only partly retained (9 of its 11 operations dropped, retain 1) and its log order is no linearization: client9 #1 GET "a" -> "x" [0s, 1ns] was answered but is not in the log; `+
		`some were dropped after the last point its log order proved, so there is nothing sound to search from`)
}

// TestLinStreamReset: a reused stream judges as a new one, and a result
// taken before keeps its own data (its picture does not change).
func TestLinStreamReset(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	s := NewLinStream(linClientName, 0, -1)
	h, log := linGenRun(r, 3, 4, []string{"a", "b"}, 2, 0.2)
	linFeed(s, linInterleave(r, h, log, 0.5))
	first := s.Result()
	require.NoError(t, first.Err())
	var before bytes.Buffer
	require.NoError(t, first.WriteHTML(&before, nil))
	for i := range 50 {
		h, log := linRandomRun(r, i)
		s.Reset()
		linFeed(s, linInterleave(r, h, log, 0.5))
		fresh := Linearizable(h, linClientName, log, 0)
		require.Equal(t, fresh.Err(), s.Result().Err(), "history %d", i)
	}
	var after bytes.Buffer
	require.NoError(t, first.WriteHTML(&after, nil))
	assert.Equal(t, before.String(), after.String())
}

// linStreamGen simulates clients closed-loop against one kv.Store-like
// state per key, cheaply, and feeds the stream as a cluster would: an
// operation invoked, then taking effect (its command queued for the log),
// then answered; the log fed in order, lagging up to lag entries behind the
// effects; clients picked at random, so requests overlap. Linearizable by
// construction.
type linStreamGen struct {
	r       *rand.Rand
	keys    []sim.Sym
	values  []sim.Sym
	lag     int
	now     sim.Time
	clients []linGenClient
	state   []linGenKey // by index in keys
	queue   []protocol.Command
	head    int
	ops     int
	drain   bool // invoke nothing more: let the requests in flight finish
}

type linGenClient struct {
	stage int // 0 idle, 1 invoked, 2 took effect
	seq   uint64
	key   int
	cmd   protocol.Command
	ret   kv.Ret
}

type linGenKey struct {
	present bool
	value   sim.Sym
}

func newLinStreamGen(seed uint64, clients, keys, lag int) *linStreamGen {
	g := &linStreamGen{r: rand.New(rand.NewPCG(seed, seed)), lag: lag, clients: make([]linGenClient, clients), state: make([]linGenKey, keys)}
	for k := range keys {
		g.keys = append(g.keys, sym("key"+strconv.Itoa(k)))
	}
	for v := range 8 {
		g.values = append(g.values, sym("val"+strconv.Itoa(v)))
	}
	return g
}

// step advances one random client by one stage, and maybe the log; it
// reports whether an operation was invoked.
func (g *linStreamGen) step(e linSink) bool {
	g.now += sim.Time(g.r.IntN(2))
	i := g.r.IntN(len(g.clients))
	c := &g.clients[i]
	id := sim.NodeID(i + 1)
	invoked := false
	switch c.stage {
	case 0:
		if g.drain {
			break
		}
		c.seq++
		c.key = g.r.IntN(len(g.keys))
		c.cmd = protocol.Command{Client: id, Seq: c.seq, Op: protocol.Op(1 + g.r.IntN(3)), Key: g.keys[c.key]}
		if c.cmd.Op == protocol.Put {
			c.cmd.Value = g.values[g.r.IntN(len(g.values))]
		}
		e.Invoke(g.now, id, kv.Op{ID: c.seq, Op: c.cmd.Op, Key: c.cmd.Key, Value: c.cmd.Value})
		c.stage = 1
		invoked = true
		g.ops++
	case 1:
		st := &g.state[c.key]
		ret := kv.Ret{ID: c.seq, Key: c.cmd.Key, HasValue: c.cmd.Op == protocol.Get}
		switch {
		case c.cmd.Op == protocol.Put && !st.present:
			st.present, st.value, ret.OK = true, c.cmd.Value, true
		case c.cmd.Op == protocol.Put:
			ret.Err = protocol.ErrExists
		case !st.present:
			ret.Err = protocol.ErrNotFound
		case c.cmd.Op == protocol.Get:
			ret.OK, ret.Value = true, st.value
		default:
			st.present, st.value, ret.OK = false, 0, true
		}
		c.ret = ret
		g.queue = append(g.queue, c.cmd)
		c.stage = 2
	case 2:
		e.Return(g.now, id, c.ret)
		c.stage = 0
	}
	for len(g.queue)-g.head > g.lag || len(g.queue) > g.head && g.r.IntN(2) == 0 {
		e.Apply(g.queue[g.head])
		g.head++
	}
	if g.head > 1024 && 2*g.head > len(g.queue) {
		g.queue = g.queue[:copy(g.queue, g.queue[g.head:])]
		g.head = 0
	}
	return invoked
}

// linSink takes a stream's events: a LinStream, or a recorder.
type linSink interface {
	Invoke(t sim.Time, client sim.NodeID, op kv.Op)
	Return(t sim.Time, client sim.NodeID, r kv.Ret)
	Apply(cmd protocol.Command)
}

// TestLinStreamMemory: a long run streamed through keeps no more records
// than its operations in flight (one per client, plus the log's lag) and
// those it may retain.
func TestLinStreamMemory(t *testing.T) {
	const clients, keys, lag, ops = 20, 10, 8, 200_000
	for _, retain := range []int{0, 100, 5000} {
		g := newLinStreamGen(1, clients, keys, lag)
		s := NewLinStream(linClientName, 0, retain)
		most := 0
		for g.ops < ops {
			g.step(s)
			most = max(most, s.live)
		}
		res := s.Result()
		require.NoError(t, res.Err())
		assert.Equal(t, ops, res.Ops)
		assert.Zero(t, res.Searched)
		assert.LessOrEqual(t, most, clients+lag+1+retain, "retain %d", retain)
		assert.LessOrEqual(t, len(s.recs), clients+lag+1+retain, "retain %d: the pool", retain)
		assert.LessOrEqual(t, s.kept, retain)
		t.Logf("retain %d: at most %d records", retain, most)
	}
}

// TestLinStreamNoAllocs: in steady state, feeding the stream allocates
// nothing.
func TestLinStreamNoAllocs(t *testing.T) {
	g := newLinStreamGen(2, 20, 10, 8)
	s := NewLinStream(linClientName, 0, 1000)
	for range 100_000 {
		g.step(s)
	}
	allocs := testing.AllocsPerRun(10, func() {
		for range 1000 {
			g.step(s)
		}
	})
	assert.Zero(t, allocs)
	require.NoError(t, s.Result().Err())
}

// linRecorder records a generated run, to feed it again without the cost
// of generating it.
type linRecorder struct{ evs []linEv }

// linEv is one recorded event, compact: an invoke (op), a return (ret) or
// an apply (cmd).
type linEv struct {
	t      sim.Time
	client sim.NodeID
	kind   uint8 // 0 invoke, 1 return, 2 apply
	op     kv.Op
	ret    kv.Ret
}

func (l *linRecorder) Invoke(t sim.Time, client sim.NodeID, op kv.Op) {
	l.evs = append(l.evs, linEv{t: t, client: client, kind: 0, op: op})
}
func (l *linRecorder) Return(t sim.Time, client sim.NodeID, r kv.Ret) {
	l.evs = append(l.evs, linEv{t: t, client: client, kind: 1, ret: r})
}
func (l *linRecorder) Apply(cmd protocol.Command) {
	l.evs = append(l.evs, linEv{client: cmd.Client, kind: 2, op: kv.Op{ID: cmd.Seq, Op: cmd.Op, Key: cmd.Key, Value: cmd.Value}})
}

// feed sends the recording to s.
func (l *linRecorder) feed(s linSink) {
	for i := range l.evs {
		e := &l.evs[i]
		switch e.kind {
		case 0:
			s.Invoke(e.t, e.client, e.op)
		case 1:
			s.Return(e.t, e.client, e.ret)
		default:
			s.Apply(protocol.Command{Client: e.client, Seq: e.op.ID, Op: e.op.Op, Key: e.op.Key, Value: e.op.Value})
		}
	}
}

// linBenchRun is the benchmark's run: ops operations of 100 clients over 50
// keys, the log lagging up to 16 entries.
func linBenchRun(ops int) *linRecorder {
	g := newLinStreamGen(3, 100, 50, 16)
	l := &linRecorder{evs: make([]linEv, 0, 3*ops+64)}
	for g.ops < ops {
		g.step(l)
	}
	g.drain = true
	for !g.idle() {
		g.step(l)
	}
	return l
}

// idle reports whether every client is idle and the log fed.
func (g *linStreamGen) idle() bool {
	for _, c := range g.clients {
		if c.stage != 0 {
			return false
		}
	}
	return g.head == len(g.queue)
}

// BenchmarkLinStream checks a 1M-operation run (100 clients over 50 keys),
// fed as it goes ("stream"), and recorded then checked by Linearizable
// ("batch"); ns/operation is the time per operation of the history.
func BenchmarkLinStream(b *testing.B) {
	const ops = 1_000_000
	run := linBenchRun(ops)
	b.Run("stream", func(b *testing.B) {
		s := NewLinStream(linClientName, 0, -1)
		b.ReportAllocs()
		for b.Loop() {
			s.Reset()
			run.feed(s)
			res := s.Result()
			if res.Err() != nil || res.Ops != ops || res.Searched != 0 {
				b.Fatalf("%v: %d ops, %d searched", res.Err(), res.Ops, res.Searched)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/ops, "ns/operation")
	})
	b.Run("batch", func(b *testing.B) {
		var h []kv.HistoryEvent
		var log []protocol.Command
		for _, e := range run.evs {
			switch e.kind {
			case 0:
				h = append(h, kv.HistoryEvent{T: e.t, Client: e.client, Invoke: true, Op: e.op})
			case 1:
				h = append(h, kv.HistoryEvent{T: e.t, Client: e.client, Ret: e.ret})
			default:
				log = append(log, protocol.Command{Client: e.client, Seq: e.op.ID, Op: e.op.Op, Key: e.op.Key, Value: e.op.Value})
			}
		}
		b.ReportAllocs()
		for b.Loop() {
			res := Linearizable(h, linClientName, log, 0)
			if res.Err() != nil || res.Ops != ops || res.Searched != 0 {
				b.Fatalf("%v: %d ops, %d searched", res.Err(), res.Ops, res.Searched)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/ops, "ns/operation")
	})
}
