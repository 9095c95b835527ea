package check

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// linHist builds a client history by hand, events in execution order; clients
// are numbered, client 1 being "client1".
type linHist []kv.HistoryEvent

const linMs = sim.Millisecond

// inv invokes request id of client c: "put a v1", "get a", "delete a".
func (h linHist) inv(t sim.Time, c sim.NodeID, id uint64, op string) linHist {
	f := strings.Fields(op)
	kind, ok := protocol.ParseOp(f[0])
	if !ok {
		kind = protocol.Op(9) // no such op
	}
	o := kv.Op{ID: id, Op: kind, Key: sym(f[1])}
	if len(f) > 2 {
		o.Value = sym(f[2])
	}
	return append(h, kv.HistoryEvent{T: t, Client: c, Invoke: true, Op: o})
}

// ok returns success for request id of client c (put, delete).
func (h linHist) ok(t sim.Time, c sim.NodeID, id uint64) linHist {
	return append(h, kv.HistoryEvent{T: t, Client: c, Ret: kv.Ret{ID: id, OK: true}})
}

// val returns a get's value.
func (h linHist) val(t sim.Time, c sim.NodeID, id uint64, v string) linHist {
	return append(h, kv.HistoryEvent{T: t, Client: c, Ret: kv.Ret{ID: id, OK: true, Value: sym(v), HasValue: true}})
}

// fail returns an error.
func (h linHist) fail(t sim.Time, c sim.NodeID, id uint64, err string) linHist {
	code, key := errOf(err)
	return append(h, kv.HistoryEvent{T: t, Client: c, Ret: kv.Ret{ID: id, Err: code, Key: key}})
}

// checkLin checks h with no log, so every key with an answered operation
// goes to the search.
func checkLin(h linHist) LinResult { return Linearizable(h, linClientName, nil, 0) }

func TestLinearizable(t *testing.T) {
	cases := []struct {
		name string
		h    linHist
		err  string // "" when linearizable; else a substring of the error
	}{
		{"empty", nil, ""},
		{"sequential", linHist{}.
			inv(0, 1, 1, "put a v1").ok(1*linMs, 1, 1).
			inv(1*linMs, 1, 2, "get a").val(2*linMs, 1, 2, "v1").
			inv(2*linMs, 1, 3, "put a v2").fail(3*linMs, 1, 3, "key already exists: a").
			inv(3*linMs, 1, 4, "delete a").ok(4*linMs, 1, 4).
			inv(4*linMs, 1, 5, "get a").fail(5*linMs, 1, 5, "key not found: a").
			inv(5*linMs, 1, 6, "delete a").fail(6*linMs, 1, 6, "key not found: a"), ""},
		{"stale read", linHist{}.
			inv(0, 1, 1, "put a v1").ok(1*linMs, 1, 1).
			inv(2*linMs, 2, 1, "get a").fail(3*linMs, 2, 1, "key not found: a"),
			`not linearizable: key "a": no linearization of 2 operations: after client1 #1 PUT "a" = "v1" -> OK [0s, 1ms] (leaving {a=v1}), none of these can come next: client2 #1 GET "a" -> key not found: a [2ms, 3ms]`},
		{"read of a value never written", linHist{}.
			inv(0, 1, 1, "get a").val(1*linMs, 1, 1, "v9"),
			`not linearizable: key "a": no linearization of 1 operations: from the initial state {}, none of these can come next: client1 #1 GET "a" -> "v9" [0s, 1ms]`},
		{"concurrent, linearizable in another order than invoked", linHist{}.
			inv(0, 1, 1, "put a v1").
			inv(1*linMs, 2, 1, "get a").
			inv(2*linMs, 3, 1, "delete a").
			fail(3*linMs, 3, 1, "key not found: a"). // before the put
			val(4*linMs, 2, 1, "v1").                // after the put
			ok(5*linMs, 1, 1), ""},
		{"concurrent puts, one wins", linHist{}.
			inv(0, 1, 1, "put a v1").
			inv(0, 2, 1, "put a v2").
			fail(2*linMs, 1, 1, "key already exists: a").
			ok(2*linMs, 2, 1).
			inv(3*linMs, 3, 1, "get a").val(4*linMs, 3, 1, "v2"), ""},
		{"concurrent puts, both win", linHist{}.
			inv(0, 1, 1, "put a v1").
			inv(0, 2, 1, "put a v2").
			ok(2*linMs, 1, 1).
			ok(2*linMs, 2, 1), `key "a": no linearization of 2 operations`},
		{"error text naming another key", linHist{}.
			inv(0, 1, 1, "get a").fail(1*linMs, 1, 1, "key not found: b"),
			`key "a": no linearization of 1 operations: from the initial state {}, none of these can come next: client1 #1 GET "a" -> key not found: b [0s, 1ms]`},
		{"put answered with the wrong error", linHist{}.
			inv(0, 1, 1, "put a v1").ok(1*linMs, 1, 1).
			inv(1*linMs, 1, 2, "put a v2").fail(2*linMs, 1, 2, "key not found: a"), `key "a"`},
		{"get answered ok without the value", linHist{}.
			inv(0, 1, 1, "put a v1").ok(1*linMs, 1, 1).
			inv(1*linMs, 1, 2, "get a").ok(2*linMs, 1, 2), `key "a"`},
		{"unanswered put, then seen", linHist{}.
			inv(0, 1, 1, "put a v1").
			inv(5*linMs, 2, 1, "get a").val(6*linMs, 2, 1, "v1"), ""},
		{"unanswered put, seen late only", linHist{}.
			inv(0, 1, 1, "put a v1").
			inv(5*linMs, 2, 1, "get a").fail(6*linMs, 2, 1, "key not found: a").
			inv(7*linMs, 2, 2, "get a").val(8*linMs, 2, 2, "v1"), ""},
		{"unanswered put, never seen", linHist{}.
			inv(0, 1, 1, "put a v1").
			inv(5*linMs, 2, 1, "get a").fail(6*linMs, 2, 1, "key not found: a").
			inv(7*linMs, 2, 2, "get a").fail(8*linMs, 2, 2, "key not found: a").
			inv(9*linMs, 2, 3, "put a v2").ok(10*linMs, 2, 3), ""},
		{"unanswered put, seen then unseen", linHist{}.
			inv(0, 1, 1, "put a v1").
			inv(5*linMs, 2, 1, "get a").val(6*linMs, 2, 1, "v1").
			inv(7*linMs, 2, 2, "get a").fail(8*linMs, 2, 2, "key not found: a"), `key "a"`},
		{"unanswered put, effect only after its invocation", linHist{}.
			inv(0, 2, 1, "get a").val(1*linMs, 2, 1, "v1").
			inv(2*linMs, 1, 1, "put a v1"), `key "a"`},
		{"unanswered delete that took effect", linHist{}.
			inv(0, 1, 1, "put a v1").ok(1*linMs, 1, 1).
			inv(2*linMs, 1, 2, "delete a").
			inv(3*linMs, 2, 1, "get a").fail(4*linMs, 2, 1, "key not found: a"), ""},
		{"unanswered delete that did not", linHist{}.
			inv(0, 1, 1, "put a v1").ok(1*linMs, 1, 1).
			inv(2*linMs, 1, 2, "delete a").
			inv(3*linMs, 2, 1, "get a").val(4*linMs, 2, 1, "v1"), ""},
		{"crashed client restarts with its next request", linHist{}.
			inv(0, 1, 1, "put a v1").
			inv(5*linMs, 1, 2, "get a").val(6*linMs, 1, 2, "v1").
			inv(6*linMs, 1, 3, "put a v2").fail(7*linMs, 1, 3, "key already exists: a"), ""},
		{"keys are independent", linHist{}.
			inv(0, 1, 1, "put a v1").
			inv(0, 2, 1, "put b v2").
			ok(1*linMs, 1, 1).ok(1*linMs, 2, 1).
			inv(2*linMs, 1, 2, "get b").
			inv(2*linMs, 2, 2, "get a").
			val(3*linMs, 1, 2, "v2").
			val(3*linMs, 2, 2, "v1").
			inv(4*linMs, 3, 1, "delete a").ok(5*linMs, 3, 1).
			inv(6*linMs, 3, 2, "get b").val(7*linMs, 3, 2, "v2"), ""},
		{"one bad key among good ones", linHist{}.
			inv(0, 1, 1, "put a v1").
			inv(0, 2, 1, "put b v2").
			ok(1*linMs, 1, 1).
			ok(1*linMs, 2, 1).
			inv(2*linMs, 1, 2, "get a").
			inv(2*linMs, 2, 2, "get b").
			val(3*linMs, 1, 2, "v1").
			val(3*linMs, 2, 2, "v1"),
			`not linearizable: key "b": no linearization of 2 operations: after client2 #1 PUT "b" = "v2" -> OK [0s, 1ms] (leaving {b=v2}), none of these can come next: client2 #2 GET "b" -> "v1" [2ms, 3ms]`},
		{"two bad keys", linHist{}.
			inv(0, 1, 1, "get b").
			inv(0, 2, 1, "get a").
			inv(0, 3, 1, "get c").
			val(1*linMs, 1, 1, "x").
			val(1*linMs, 2, 1, "x").
			fail(1*linMs, 3, 1, "key not found: c"),
			`key "a": no linearization of 1 operations: from the initial state {}, none of these can come next: client2 #1 GET "a" -> "x" [0s, 1ms] (also failing: key "b")`},
		{"long prefix is shortened", linHist{}.
			inv(0, 1, 1, "put a v1").ok(1*linMs, 1, 1).
			inv(1*linMs, 1, 2, "delete a").ok(2*linMs, 1, 2).
			inv(2*linMs, 1, 3, "put a v2").ok(3*linMs, 1, 3).
			inv(3*linMs, 1, 4, "delete a").ok(4*linMs, 1, 4).
			inv(4*linMs, 1, 5, "put a v3").ok(5*linMs, 1, 5).
			inv(5*linMs, 1, 6, "get a").val(6*linMs, 1, 6, "v2"),
			`after 2 earlier operations then client1 #3 PUT "a" = "v2" -> OK [2ms, 3ms]; client1 #4 DELETE "a" -> OK [3ms, 4ms]; client1 #5 PUT "a" = "v3" -> OK [4ms, 5ms] (leaving {a=v3}), none of these can come next: client1 #6 GET "a" -> "v2" [5ms, 6ms]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := checkLin(c.h)
			if c.err == "" {
				require.NoError(t, r.Err())
				assert.Equal(t, porcupine.Ok, r.Outcome)
				return
			}
			require.Error(t, r.Err())
			assert.Equal(t, porcupine.Illegal, r.Outcome)
			assert.Contains(t, r.Err().Error(), c.err)
			assert.True(t, strings.HasPrefix(r.Err().Error(), "not linearizable: "), r.Err().Error())
		})
	}
}

func TestLinearizableCounts(t *testing.T) {
	r := checkLin(linHist{}.
		inv(0, 1, 1, "put a v1").
		inv(0, 2, 1, "put b v1").ok(1*linMs, 2, 1).
		inv(2*linMs, 2, 2, "delete c"))
	require.NoError(t, r.Err())
	assert.Equal(t, 3, r.Ops)
	assert.Equal(t, 2, r.Indeterminate)
	assert.Equal(t, 3, r.Keys)
	assert.Equal(t, DefaultLinBudget, r.Budget)
	assert.Equal(t, 1, r.Searched, "the key without an answer needs no log")
}

// TestLinearizableTies: the engine can invoke a request at the very virtual
// time another returns, after it. Porcupine alone would call the two
// concurrent (closed intervals, calls first at equal times); the history's
// order must win.
func TestLinearizableTies(t *testing.T) {
	// The get can only be legal if it comes before the put, which returned
	// at the same instant but earlier in the history: not linearizable.
	after := linHist{}.
		inv(0, 1, 1, "put a v1").
		ok(3*linMs, 1, 1).
		inv(3*linMs, 2, 1, "get a").
		fail(3*linMs, 2, 1, "key not found: a")
	r := checkLin(after)
	assert.Equal(t, porcupine.Illegal, r.Outcome)
	assert.EqualError(t, r.Err(), `not linearizable: key "a": no linearization of 2 operations: after client1 #1 PUT "a" = "v1" -> OK [0s, 3ms] (leaving {a=v1}), none of these can come next: client2 #1 GET "a" -> key not found: a [3ms, 3ms]`)

	// Porcupine by itself, on the raw virtual times, misses it.
	raw := []porcupine.Operation{
		{ClientId: 0, Input: linInput{op: protocol.Put, key: "a", value: "v1"}, Call: 0, Output: linOutput{answered: true, res: linRes{ok: true}}, Return: int64(3 * linMs)},
		{ClientId: 1, Input: linInput{op: protocol.Get, key: "a"}, Call: int64(3 * linMs), Output: linOutput{answered: true, res: linRes{err: "key not found: a"}}, Return: int64(3 * linMs)},
	}
	assert.True(t, porcupine.CheckOperations(linModel, raw))

	// The same instant with the get invoked before the put returns: they
	// overlap, and the get may come first.
	before := linHist{}.
		inv(0, 1, 1, "put a v1").
		inv(3*linMs, 2, 1, "get a").
		ok(3*linMs, 1, 1).
		fail(3*linMs, 2, 1, "key not found: a")
	assert.NoError(t, checkLin(before).Err())

	// A client's next request starts at the instant its previous one
	// returned: it comes after it.
	self := linHist{}.
		inv(0, 1, 1, "put a v1").
		ok(3*linMs, 1, 1).
		inv(3*linMs, 1, 2, "get a").
		fail(3*linMs, 1, 2, "key not found: a")
	assert.Equal(t, porcupine.Illegal, checkLin(self).Outcome)
}

// TestLinearizableHugeTimes: times too large to scale fall back to ordinal
// timestamps, with the same order.
func TestLinearizableHugeTimes(t *testing.T) {
	big := sim.Time(1) << 62
	h := linHist{}.
		inv(big, 1, 1, "put a v1").
		ok(big+1, 1, 1).
		inv(big+1, 2, 1, "get a").
		fail(big+1, 2, 1, "key not found: a")
	r := checkLin(h)
	assert.Equal(t, int64(0), r.clock.scale)
	assert.Equal(t, porcupine.Illegal, r.Outcome)
	ok := linHist{}.
		inv(big, 1, 1, "put a v1").
		inv(big+1, 2, 1, "get a").
		ok(big+1, 1, 1).
		fail(big+1, 2, 1, "key not found: a")
	assert.NoError(t, checkLin(ok).Err())
	var buf bytes.Buffer
	require.NoError(t, r.WriteHTML(&buf, []Annotation{{T: big, Node: "leader1", Text: "crash"}, {T: big + 5, Text: "the end"}}))
	assert.Contains(t, buf.String(), "the end")
}

func TestLinClock(t *testing.T) {
	h := linHist{}.inv(0, 1, 1, "get a").fail(2, 1, 1, "x").inv(2, 1, 2, "get a").fail(7, 1, 2, "x")
	c := newLinClock(h)
	assert.Equal(t, int64(10), c.scale)
	assert.Equal(t, []int64{1, 22, 23, 74}, []int64{c.event(0), c.event(1), c.event(2), c.event(3)})
	assert.Equal(t, []int64{0, 20, 50, 70, 80}, []int64{c.at(0), c.at(2), c.at(5), c.at(7), c.at(8)})
	assert.Equal(t, int64(linNever-1), c.at(sim.Time(linNever)))

	c.scale = 0 // ordinal: annotations go before the events of their time
	assert.Equal(t, []int64{2, 4, 6, 8}, []int64{c.event(0), c.event(1), c.event(2), c.event(3)})
	assert.Equal(t, []int64{1, 3, 7, 7, 9}, []int64{c.at(0), c.at(2), c.at(5), c.at(7), c.at(8)})

	many := make(linHist, 10)
	assert.Equal(t, int64(100), newLinClock(many).scale)
}

func TestLinearizableMalformed(t *testing.T) {
	cases := []struct {
		name string
		h    linHist
		err  string
	}{
		{"return without invoke", linHist{}.ok(1*linMs, 1, 1),
			"malformed history: event 0 at 1ms: client1 returns #1, which is not outstanding"},
		{"second return", linHist{}.inv(0, 1, 1, "put a v").ok(1*linMs, 1, 1).ok(2*linMs, 1, 1),
			"malformed history: event 2 at 2ms: client1 returns #1, which is not outstanding"},
		{"request number reused", linHist{}.inv(0, 1, 1, "put a v").ok(1*linMs, 1, 1).inv(2*linMs, 1, 1, "get a"),
			"malformed history: event 2 at 2ms: client1 invokes #1 a second time"},
		{"unknown op", linHist{}.inv(0, 1, 1, "cas a v"),
			`malformed history: event 0 at 0s: client1 invokes #1 with unknown op "op9" (want put, get or delete)`},
		{"time goes back", linHist{}.inv(2*linMs, 1, 1, "get a").fail(1*linMs, 1, 1, "key not found: a"),
			"malformed history: event 1 at 1ms: client1 is out of time order (after 2ms)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := checkLin(c.h)
			assert.Equal(t, porcupine.Illegal, r.Outcome)
			assert.EqualError(t, r.Err(), c.err)
			var buf bytes.Buffer
			assert.NoError(t, r.WriteHTML(&buf, nil))
		})
	}
}

func TestLinResultZeroIsNotOK(t *testing.T) {
	assert.EqualError(t, LinResult{}.Err(), "linearizability not checked")
}

// linHardHistory is n concurrent gets that see an empty key, then a get that
// sees a value no one wrote: not linearizable, but porcupine tries every
// subset of the n gets (2^n) before it can say so.
func linHardHistory(n int) linHist {
	var h linHist
	for c := 1; c <= n; c++ {
		h = h.inv(0, sim.NodeID(c), 1, "get a")
	}
	for c := 1; c <= n; c++ {
		h = h.fail(1*linMs, sim.NodeID(c), 1, "key not found: a")
	}
	return h.inv(2*linMs, sim.NodeID(n+1), 1, "get a").val(3*linMs, sim.NodeID(n+1), 1, "zzz")
}

// TestLinearizableBudget: the search is bounded by steps, not time, so the
// verdict is the same on any machine: a history too hard for the budget is
// inconclusive every time, and a failure.
func TestLinearizableBudget(t *testing.T) {
	// Small enough to finish: the search is exhaustive and correct.
	assert.Equal(t, porcupine.Illegal, checkLin(linHardHistory(8)).Outcome)

	// 2^40 subsets cannot be searched within any of these budgets (nor
	// by porcupine, for the picture, in its time).
	h := linHardHistory(40)
	defer func(d time.Duration) { linPictureTimeout = d }(linPictureTimeout)
	linPictureTimeout = 10 * time.Millisecond
	for _, budget := range []int{1, 1000, 100000} {
		r := Linearizable(h, linClientName, nil, budget)
		assert.Equal(t, porcupine.Unknown, r.Outcome)
		require.Error(t, r.Err(), "an inconclusive check is never ok")
		assert.Equal(t, fmt.Sprintf(`inconclusive: search budget of %d steps exhausted on 41 operations (key "a"; the log order of key "a" is no linearization: client1 #1 GET "a" -> key not found: a [0s, 1ms] was answered but is not in the log)`, budget), r.Err().Error())
		assert.GreaterOrEqual(t, r.Steps, budget)
		assert.Less(t, r.Steps, budget+1, "a step of a 41-operation key costs 1")
		var buf bytes.Buffer
		require.NoError(t, r.WriteHTML(&buf, nil))
	}
}

// TestLinearizableIllegalAndUndecided: when one key is illegal and another
// is too hard for the budget, the verdict names the illegal one, whatever
// the budget (from the 2 steps it takes): the smaller key is searched first.
func TestLinearizableIllegalAndUndecided(t *testing.T) {
	h := linHist{}.inv(0, 100, 1, "get z").val(0, 100, 1, "x")
	h = append(h, linHardHistory(40)...)
	for _, budget := range []int{2, 10, 100000} { // key "z" takes 2 steps
		r := Linearizable(h, linClientName, nil, budget)
		assert.Equal(t, porcupine.Illegal, r.Outcome)
		assert.Contains(t, r.Err().Error(), `not linearizable: key "z": no linearization of 1 operations`)
		assert.NotContains(t, r.Err().Error(), "also failing")
	}
}

// TestLinApplyMatchesStore: the model's one-key step is kv.Store.Apply.
func TestLinApplyMatchesStore(t *testing.T) {
	for _, present := range []bool{false, true} {
		for _, op := range []protocol.Op{protocol.Put, protocol.Get, protocol.Delete} {
			var st kv.Store
			s := linState{}
			if present {
				st.Apply(protocol.Command{Op: protocol.Put, Key: sym("k"), Value: sym("old")})
				s = linState{key: "k", value: "old", present: true}
			}
			before := s
			cmd := protocol.Command{Op: op, Key: sym("k"), Value: sym("new")}
			in := linInput{op: op, key: "k"}
			if op == protocol.Put {
				in.value = "new"
			}
			res := st.Apply(cmd)
			want := linRes{ok: res.OK, err: res.ErrText(linClientName, cmd)}
			if res.OK && op == protocol.Get {
				want.value = linClientName.Symbol(res.Value)
			}
			next, got := linApply(s, in)
			assert.Equal(t, want, got, "%v on present=%v", cmd, present)
			v, ok := st.Map(linClientName)["k"]
			assert.Equal(t, ok, next.present, "%v on present=%v", cmd, present)
			assert.Equal(t, v, next.value, "%v on present=%v", cmd, present)
			assert.Equal(t, before, s, "Step must not change its input")
			if !next.present {
				assert.Equal(t, linState{}, next, "absent is one state")
			}
		}
	}
}

// linGenHistory simulates clients closed-loop against a kv.Store, each request
// taking effect at its return, so the history is linearizable; a client may
// crash with its request in flight, which then takes effect or not. Times
// advance by 0..step each event, so ties are common.
func linGenHistory(r *rand.Rand, clients, requests int, keys []string, step int, crash float64) linHist {
	h, _ := linGenRun(r, clients, requests, keys, step, crash)
	return h
}

// linGenRun is linGenHistory with the log: the commands in the order they
// took effect, as a replicated log would hold them.
func linGenRun(r *rand.Rand, clients, requests int, keys []string, step int, crash float64) (linHist, []protocol.Command) {
	var st kv.Store
	var log []protocol.Command
	apply := func(c sim.NodeID, seq int, cmd protocol.Command) protocol.Result {
		cmd.Client, cmd.Seq = c, uint64(seq)
		log = append(log, cmd)
		return st.Apply(cmd)
	}
	type client struct {
		sent    int
		pending bool
		cmd     protocol.Command
	}
	cs := make([]client, clients)
	var h linHist
	var now sim.Time
	for {
		var live []int
		for i, c := range cs {
			if c.pending || c.sent < requests {
				live = append(live, i)
			}
		}
		if len(live) == 0 {
			return h, log
		}
		i := live[r.IntN(len(live))]
		c := &cs[i]
		id := sim.NodeID(i + 1)
		now += sim.Time(r.IntN(step + 1))
		if !c.pending {
			c.sent++
			cmd := protocol.Command{Op: protocol.Op(1 + r.IntN(3)), Key: sym(keys[r.IntN(len(keys))])}
			if cmd.Op == protocol.Put {
				cmd.Value = sym("v" + strconv.Itoa(r.IntN(3)))
			}
			c.cmd, c.pending = cmd, true
			h = append(h, kv.HistoryEvent{T: now, Client: id, Invoke: true, Op: kv.Op{ID: uint64(c.sent), Op: cmd.Op, Key: cmd.Key, Value: cmd.Value}})
			continue
		}
		c.pending = false
		if r.Float64() < crash {
			if r.IntN(2) == 0 {
				apply(id, c.sent, c.cmd)
			}
			continue
		}
		res := apply(id, c.sent, c.cmd)
		h = append(h, kv.HistoryEvent{T: now, Client: id, Ret: kv.Ret{ID: uint64(c.sent), OK: res.OK, Value: res.Value, HasValue: c.cmd.Op == protocol.Get, Err: res.Err, Key: c.cmd.Key}})
	}
}

// linMutate changes one answer of h, which may or may not stay linearizable.
func linMutate(r *rand.Rand, h linHist) {
	var rets []int
	for i, e := range h {
		if !e.Invoke {
			rets = append(rets, i)
		}
	}
	if len(rets) == 0 {
		return
	}
	e := &h[rets[r.IntN(len(rets))]]
	switch r.IntN(3) {
	case 0:
		e.Ret.OK, e.Ret.Value, e.Ret.Err = true, 0, protocol.ErrNone
	case 1:
		e.Ret.OK, e.Ret.Value, e.Ret.HasValue, e.Ret.Err = true, sym("v"+strconv.Itoa(r.IntN(3))), true, protocol.ErrNone
	case 2:
		e.Ret.OK, e.Ret.Value = false, 0
		e.Ret.Err, e.Ret.Key = []protocol.ErrCode{protocol.ErrNotFound, protocol.ErrExists}[r.IntN(2)], sym("a")
	}
}

// linReference is the definition, searched by brute force: some order of
// the answered operations, plus any of the unanswered ones, that respects
// the history's real-time order (an operation invoked after another
// returned comes after it) and in which kv.Store gives every answer.
func linReference(h linHist) bool {
	type op struct {
		inv, ret int // indices in h; ret -1 when unanswered
		cmd      protocol.Command
		res      protocol.Result
		errKey   sim.Sym // the key the error text names
	}
	var ops []op
	open := map[sim.NodeID]int{}
	for i, e := range h {
		if e.Invoke {
			o, _ := linParseOp(e.Op)
			open[e.Client] = len(ops)
			ops = append(ops, op{inv: i, ret: -1, cmd: o})
			continue
		}
		j := open[e.Client]
		ops[j].ret = i
		ops[j].res = protocol.Result{OK: e.Ret.OK, Err: e.Ret.Err}
		ops[j].errKey = e.Ret.Key
		if e.Ret.OK && e.Ret.HasValue {
			ops[j].res.Value = e.Ret.Value
		}
	}
	var search func(done uint64, store map[string]string) bool
	search = func(done uint64, store map[string]string) bool {
		if done == 1<<len(ops)-1 {
			return true
		}
		for i, o := range ops {
			if done&(1<<i) != 0 {
				continue
			}
			ready := true
			for j, p := range ops {
				if done&(1<<j) == 0 && p.ret >= 0 && p.ret < o.inv {
					ready = false
				}
			}
			if !ready {
				continue
			}
			var st kv.Store
			for k, v := range store {
				st.Apply(protocol.Command{Op: protocol.Put, Key: sym(k), Value: sym(v)})
			}
			res := st.Apply(o.cmd)
			same := res == o.res && (res.OK || o.errKey == o.cmd.Key)
			if (o.ret < 0 || same) && search(done|1<<i, st.Map(linClientName)) {
				return true
			}
			if o.ret < 0 && search(done|1<<i, store) { // it never took effect
				return true
			}
		}
		return false
	}
	return search(0, map[string]string{})
}

func linParseOp(o kv.Op) (protocol.Command, bool) {
	switch o.Op {
	case protocol.Put, protocol.Get, protocol.Delete:
		return protocol.Command{Op: o.Op, Key: o.Key, Value: o.Value}, true
	}
	return protocol.Command{}, false
}

// TestLinearizableQuick checks the porcupine-based checker against the
// brute-force definition on many small random histories, ties and
// unanswered requests included.
func TestLinearizableQuick(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var legal, illegal int
	for i := range 3000 {
		h := linGenHistory(r, 1+r.IntN(3), 1+r.IntN(3), []string{"a", "b"}[:1+r.IntN(2)], 2, 0.2)
		if i%2 == 1 {
			linMutate(r, h)
		}
		want := linReference(h)
		got := checkLin(h)
		require.Equal(t, want, got.Err() == nil, "history %d: %+v: %v", i, h, got.Err())
		if want {
			legal++
		} else {
			illegal++
			require.Contains(t, got.Err().Error(), "not linearizable: key ")
		}
	}
	t.Logf("%d linearizable, %d not", legal, illegal)
	assert.Greater(t, legal, 500)
	assert.Greater(t, illegal, 300)
}

func TestLinWriteHTML(t *testing.T) {
	h := linHist{}.
		inv(0, 1, 1, "put a v1").
		inv(1*linMs, 2, 1, "get a").
		ok(2*linMs, 1, 1).
		inv(2*linMs, 1, 2, "put b v2").
		val(3*linMs, 2, 1, "v1").
		inv(3*linMs, 3, 1, "get b").
		fail(4*linMs, 3, 1, "key not found: b")
	anns := []Annotation{
		{T: 1 * linMs, Node: "acceptor3", Text: "crash acceptor3"},
		{T: 2 * linMs, Node: "client1", Text: "crash client1"},
		{T: 3 * linMs, Text: "partition [leader1 acceptor1] [acceptor2 acceptor3]"},
		{T: 5 * linMs, Node: "acceptor3", Text: "restart acceptor3"},
	}
	render := func() string {
		r := checkLin(h)
		require.NoError(t, r.Err())
		var buf bytes.Buffer
		require.NoError(t, r.WriteHTML(&buf, anns))
		return buf.String()
	}
	page := render()
	assert.True(t, strings.HasPrefix(page, "<!doctype html>"), page[:min(len(page), 100)])
	for _, want := range []string{"crash acceptor3", "crash client1", "partition [leader1 acceptor1] [acceptor2 acceptor3]", "restart acceptor3",
		`PUT \"a\" = \"v1\" -\u003e OK`, "client2 #1, invoked at 1ms, returned at 3ms", "no answer: may or may not have taken effect", `{a=v1}`} {
		assert.Contains(t, page, want)
	}
	for range 5 {
		require.Equal(t, page, render(), "the picture is the same every time")
	}

	// An illegal history draws too, with its partial linearizations.
	bad := checkLin(linHist{}.inv(0, 1, 1, "put a v1").ok(1*linMs, 1, 1).inv(2*linMs, 2, 1, "get a").fail(3*linMs, 2, 1, "key not found: a"))
	require.Error(t, bad.Err())
	var buf bytes.Buffer
	require.NoError(t, bad.WriteHTML(&buf, anns))
	assert.Contains(t, buf.String(), "crash acceptor3")
}

// BenchmarkLinearizable checks a history shaped like the default scenario's
// (3 clients x 5 closed-loop requests on keys a..e) and a long one (3
// clients x 2000 requests), with their log (the witness proves them) and
// without (every key is searched).
func BenchmarkLinearizable(b *testing.B) {
	for _, bc := range []struct {
		name     string
		requests int
		log      bool
	}{{"default", 5, true}, {"long", 2000, true}, {"default-search", 5, false}, {"long-search", 2000, false}} {
		b.Run(bc.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			h, log := linGenRun(r, 3, bc.requests, []string{"a", "b", "c", "d", "e"}, int(5*linMs), 0)
			if !bc.log {
				log = nil
			}
			require.Len(b, h, 2*3*bc.requests)
			res := Linearizable(h, linClientName, log, 0)
			require.NoError(b, res.Err())
			require.Equal(b, bc.log, res.Searched == 0)
			b.ReportAllocs()
			for b.Loop() {
				if err := Linearizable(h, linClientName, log, 0).Err(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestLinearizableCore: a failure names the writes and the fewest other
// operations that cannot be ordered with them: here the put and the get
// that missed it, not the get that saw it (and never the get that saw it
// without the put, which would fail only for want of a write the history
// has).
func TestLinearizableCore(t *testing.T) {
	h := linHist{}.
		inv(0, 1, 1, "put a v1").ok(1*linMs, 1, 1).
		inv(2*linMs, 2, 1, "get a").
		inv(2*linMs, 3, 1, "get a").
		fail(3*linMs, 2, 1, "key not found: a").
		val(4*linMs, 3, 1, "v1")
	r := checkLin(h)
	err := r.Err()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `the writes and the fewest other operations that cannot be ordered (2): client1 #1 PUT "a" = "v1" -> OK [0s, 1ms]; client2 #1 GET "a" -> key not found: a [2ms, 3ms]`)
	assert.Equal(t, []int{0, 1}, linCore(r.operations()), "the core, by operation index")
}
