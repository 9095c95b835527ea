package sim

import (
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// limits is a config with generous limits and a perfect network.
func limits() Config { return Config{TimeLimit: Second, MaxEvents: 10000} }

func TestEngineLatencyWithinBounds(t *testing.T) {
	cfg := limits()
	cfg.Seed = 3
	cfg.LatencyMin, cfg.LatencyMax = Millisecond, 5*Millisecond
	e := New[tmsg](cfg)
	const rounds = 200
	var lat []Time
	var a, b NodeID
	// Every message carries its send time; each receiver measures the
	// latency and answers until enough were measured.
	echo := func(env *Env[tmsg], from NodeID, m tmsg) {
		lat = append(lat, env.Now()-Time(m.N))
		if len(lat) < rounds {
			env.Send(from, tmsg{Kind: "ping", N: int64(env.Now())})
		}
	}
	a = e.AddNode("a", &tnode{
		start: func(env *Env[tmsg]) { env.Send(b, tmsg{Kind: "ping", N: int64(env.Now())}) },
		recv:  echo,
	})
	b = e.AddNode("b", &tnode{recv: echo})
	_ = a
	res := e.Run()
	require.Equal(t, StopQuiescent, res.Reason)
	require.Len(t, lat, rounds)
	assert.Equal(t, rounds, res.Sent)
	assert.Equal(t, rounds, res.Delivered)
	seen := map[Time]bool{}
	for i, l := range lat {
		require.GreaterOrEqual(t, l, cfg.LatencyMin, "message %d", i)
		require.LessOrEqual(t, l, cfg.LatencyMax, "message %d", i)
		seen[l] = true
	}
	assert.Greater(t, len(seen), rounds/2, "latencies should be drawn, not constant")
	assert.Equal(t, 2+rounds, res.Events, "two starts and one event per delivery")
	assert.Equal(t, res.Stats, e.Stats())
}

func TestEngineZeroLatencyDeliversInSendOrder(t *testing.T) {
	tr := newTraced(limits())
	var a, b, c NodeID
	a = tr.add("a", &tnode{start: func(env *Env[tmsg]) {
		env.Send(b, tmsg{"m", 1})
		env.Send(c, tmsg{"m", 2})
		env.Send(b, tmsg{"m", 3})
		env.Send(a, tmsg{"m", 4})
	}})
	b = tr.add("b", &tnode{recv: func(env *Env[tmsg], from NodeID, m tmsg) {
		if m.N == 1 {
			env.Send(from, tmsg{"r", 1})
		}
	}})
	c = tr.add("c", &tnode{})
	res := tr.Run()
	assert.Equal(t, []string{
		"   0.000ms a: start",
		"   0.000ms b: start",
		"   0.000ms c: start",
		"   0.000ms b: recv m 1 from a",
		"   0.000ms c: recv m 2 from a",
		"   0.000ms b: recv m 3 from a",
		"   0.000ms a: recv m 4 from a",
		"   0.000ms a: recv r 1 from b",
	}, tr.log)
	assert.Equal(t, Time(0), res.End)
	assert.Equal(t, StopQuiescent, res.Reason)
}

func TestEngineTimers(t *testing.T) {
	const x, y, z, w, now, u, v = TimerKind(0), TimerKind(1), TimerKind(2), TimerKind(3), TimerKind(4), TimerKind(5), TimerKind(6)
	tr := newTraced(timerNames(limits(), "x", "y", "z", "w", "now", "u", "v"))
	tr.add("n1", &tnode{
		start: func(env *Env[tmsg]) {
			env.SetTimer(x, 3*Millisecond, 0)
			env.SetTimer(y, Millisecond, 0)
			env.SetTimer(z, 2*Millisecond, 0)
			env.SetTimer(w, 3*Millisecond, 0)    // same time as x: after it
			env.SetTimer(now, -5*Millisecond, 0) // a negative delay fires at once
			env.SetTimer(u, 3*Millisecond, 0)    // after w
			env.CancelTimer(z)
		},
		timer: func(env *Env[tmsg], kind TimerKind) {
			switch kind {
			case y:
				env.CancelTimer(y) // already fired: nothing happens
				// The new timer takes y's freed slot; cancelling y again
				// must not cancel it.
				env.SetTimer(v, Millisecond+Millisecond/2, 0)
				env.CancelTimer(y)
			case x:
				env.CancelTimer(w) // pending, at the same time as x
			}
		},
	})
	// Watch the slots of y and v after every event, to check that v reuses
	// y's.
	var ySlot, vSlot int32 = -1, -1
	tr.StopWhen("never", func() bool {
		if s := tr.nodes[0].timers[y]; s != 0 {
			ySlot = s - 1
		}
		if s := tr.nodes[0].timers[v]; s != 0 {
			vSlot = s - 1
		}
		return false
	})
	res := tr.Run()
	assert.Equal(t, []string{
		"   0.000ms n1: start",
		"   0.000ms n1: timer now",
		"   1.000ms n1: timer y",
		"   2.500ms n1: timer v",
		"   3.000ms n1: timer x",
		"   3.000ms n1: timer u",
	}, tr.log)
	require.GreaterOrEqual(t, ySlot, int32(0))
	assert.Equal(t, ySlot, vSlot, "the test must exercise slot reuse")
	assert.Equal(t, 6, res.Events, "cancelled timers are not events")
	assert.Equal(t, StopQuiescent, res.Reason)
	assert.Equal(t, 3*Millisecond, res.End)

	recs := jsonRecords(t, tr.json.Bytes())
	timers := only(recs, EvTimer)
	require.Len(t, timers, 5)
	assert.Equal(t, map[string]any{"t": ms(2.5), "ev": "timer", "node": "n1", "name": "v"}, timers[2])
}

// TestEngineTimerFarFuture: a delay too long to add to the current time
// (math.MaxInt64 as "never") must not wrap around into the past, nor must
// its jitter.
func TestEngineTimerFarFuture(t *testing.T) {
	for _, c := range []struct {
		name          string
		after, jitter Time
	}{
		{"delay", math.MaxInt64, 0},
		{"delay and jitter", math.MaxInt64 - Millisecond, 2 * Millisecond},
		{"jitter", Millisecond, math.MaxInt64},
	} {
		t.Run(c.name, func(t *testing.T) {
			const soon, never = TimerKind(0), TimerKind(1)
			tr := newTraced(timerNames(limits(), "soon", "never"))
			tr.SetDecider(maxDecider{})
			tr.add("n1", &tnode{
				start: func(env *Env[tmsg]) { env.SetTimer(soon, Millisecond, 0) },
				timer: func(env *Env[tmsg], kind TimerKind) {
					if kind == soon {
						env.SetTimer(never, c.after, c.jitter)
					}
				},
			})
			res := tr.Run()
			assert.Equal(t, []string{"   0.000ms n1: start", "   1.000ms n1: timer soon"}, tr.log)
			assert.Equal(t, StopTimeLimit, res.Reason)
			assert.Equal(t, 1, res.Pending)
			assert.Equal(t, Millisecond, res.End, "virtual time never goes back")
		})
	}
}

// maxDecider takes every choice at its greatest.
type maxDecider struct{}

func (maxDecider) Latency(_, max Time) Time           { return max }
func (maxDecider) Chance(Decision, float64) bool      { return true }
func (maxDecider) Jitter(_ *rand.Rand, max Time) Time { return max }

func TestEngineCrashAndRestart(t *testing.T) {
	cfg := limits()
	cfg.LatencyMin, cfg.LatencyMax = Millisecond, Millisecond
	const early, late, again = TimerKind(0), TimerKind(1), TimerKind(2)
	tr := newTraced(timerNames(cfg, "early", "late", "again"))
	var n1 *tnode
	n1 = &tnode{
		start: func(env *Env[tmsg]) {
			env.Step("started")
			if n1.starts == 1 {
				env.SetTimer(early, 10*Millisecond, 0) // due while down
				env.SetTimer(late, 30*Millisecond, 0)  // due after the restart
			} else {
				env.SetTimer(again, Millisecond, 0)
			}
		},
	}
	id1 := tr.add("n1", n1)
	tr.add("n2", &tnode{actions: []action{
		sendAt(4*Millisecond+Millisecond/2, id1, tmsg{"ping", 0}), // in flight at the crash
		sendAt(6*Millisecond, id1, tmsg{"ping", 1}),               // sent while n1 is down
		sendAt(25*Millisecond, id1, tmsg{"ping", 2}),              // after the restart
	}})
	tr.Crash(5*Millisecond, id1)
	tr.Restart(20*Millisecond, id1)
	res := tr.Run()

	assert.Equal(t, []string{
		"   0.000ms n1: start",
		"   0.000ms n2: start",
		"  20.000ms n1: start",
		"  21.000ms n1: timer again",
		"  26.000ms n1: recv ping 2 from n2",
	}, tr.log, "timers set before the crash never fire, even after the restart")
	assert.Equal(t, 2, n1.starts)
	assert.Equal(t, 1, n1.crashes)
	assert.True(t, tr.Up(id1))
	assert.Equal(t, Stats{Events: 11, Sent: 3, Delivered: 1, Dropped: 2}, res.Stats)

	recs := jsonRecords(t, tr.json.Bytes())
	assert.Equal(t, []map[string]any{
		{"t": ms(5.5), "ev": "drop", "mid": float64(1), "from": "n2", "to": "n1", "msg": map[string]any{"type": "ping", "n": float64(0)}, "reason": "crashed"},
		{"t": ms(7), "ev": "drop", "mid": float64(2), "from": "n2", "to": "n1", "msg": map[string]any{"type": "ping", "n": float64(1)}, "reason": "crashed"},
	}, only(recs, EvDrop))
	assert.Equal(t, []map[string]any{{"t": ms(5), "ev": "crash", "node": "n1"}}, only(recs, EvCrash))
	assert.Equal(t, []map[string]any{{"t": ms(20), "ev": "restart", "node": "n1"}}, only(recs, EvRestart))
	// The restart is traced before the steps of the new incarnation's Start.
	var order []string
	for _, r := range recs {
		if r["t"] == ms(20) {
			order = append(order, r[FieldEv].(string))
		}
	}
	assert.Equal(t, []string{"restart", "step"}, order)

	assert.Equal(t, "[   0.000ms] [n1] started\n"+
		"[   5.000ms] [fault] crash n1\n"+
		"[   5.500ms] [network] lost ping n2 -> n1 (crashed; later losses on this link are not shown until the next fault)\n"+
		"[  20.000ms] [fault] restart n1\n"+
		"[  20.000ms] [n1] started\n", tr.text.String())
}

func TestEngineRepeatedFaults(t *testing.T) {
	tr := newTraced(limits())
	n1 := &tnode{}
	id := tr.add("n1", n1)
	tr.Restart(Millisecond, id) // already up: no second Start
	tr.Crash(2*Millisecond, id)
	tr.Crash(2*Millisecond, id) // already down: no second Crash
	tr.Restart(3*Millisecond, id)
	res := tr.Run()
	assert.Equal(t, 2, n1.starts)
	assert.Equal(t, 1, n1.crashes)
	assert.Equal(t, 5, res.Events)
	assert.Equal(t, "[   1.000ms] [fault] restart n1 (already up)\n"+
		"[   2.000ms] [fault] crash n1\n"+
		"[   2.000ms] [fault] crash n1 (already down)\n"+
		"[   3.000ms] [fault] restart n1\n", tr.text.String())
}

func TestEnginePartition(t *testing.T) {
	cfg := limits()
	cfg.LatencyMin, cfg.LatencyMax = 2*Millisecond, 2*Millisecond
	tr := newTraced(cfg)
	const a, b, c, d = NodeID(0), NodeID(1), NodeID(2), NodeID(3)
	tr.add("a", &tnode{actions: []action{
		sendAt(9*Millisecond, b, tmsg{"inflight", 0}), // arrives at 11ms, inside the partition
		sendAt(12*Millisecond, b, tmsg{"cut", 0}),
		sendAt(12*Millisecond, c, tmsg{"toc", 0}), // c is in no group
		sendAt(16*Millisecond, b, tmsg{"joined", 0}),
		sendAt(16*Millisecond, c, tmsg{"split", 0}),
		sendAt(25*Millisecond, b, tmsg{"healed", 0}),
		sendAt(25*Millisecond, c, tmsg{"healed", 0}),
	}})
	tr.add("b", &tnode{actions: []action{sendAt(12*Millisecond, a, tmsg{"back", 0})}})
	tr.add("c", &tnode{actions: []action{sendAt(12*Millisecond, b, tmsg{"ctob", 0})}})
	tr.add("d", &tnode{actions: []action{
		sendAt(12*Millisecond, a, tmsg{"dtoa", 0}),
		sendAt(16*Millisecond, c, tmsg{"dtoc", 0}), // d is in no group
	}})
	tr.Partition(10*Millisecond, [][]NodeID{{a}, {b}})
	tr.Partition(15*Millisecond, [][]NodeID{{a, b}, {c}}) // replaces the first
	tr.Heal(20 * Millisecond)
	res := tr.Run()

	var recvs []string
	for _, l := range tr.log {
		if strings.Contains(l, "recv") {
			recvs = append(recvs, l)
		}
	}
	// Among sends at the same time, a's come last: its script's timer for
	// 12ms and 16ms is armed when its previous action runs, after the other
	// nodes armed theirs.
	assert.Equal(t, []string{
		"  14.000ms b: recv ctob 0 from c",
		"  14.000ms a: recv dtoa 0 from d",
		"  14.000ms c: recv toc 0 from a",
		"  18.000ms c: recv dtoc 0 from d",
		"  18.000ms b: recv joined 0 from a",
		"  27.000ms b: recv healed 0 from a",
		"  27.000ms c: recv healed 0 from a",
	}, recvs)
	assert.Equal(t, 11, res.Sent)
	assert.Equal(t, 7, res.Delivered)
	assert.Equal(t, 4, res.Dropped)

	recs := jsonRecords(t, tr.json.Bytes())
	var drops []string
	for _, r := range only(recs, EvDrop) {
		assert.Equal(t, "partition", r["reason"])
		drops = append(drops, Time(r["t"].(float64)).Stamp()+" "+r["msg"].(map[string]any)["type"].(string))
	}
	assert.Equal(t, []string{"  11.000ms inflight", "  12.000ms back", "  12.000ms cut", "  16.000ms split"}, drops)
	assert.Equal(t, []map[string]any{
		{"t": ms(10), "ev": "partition", "groups": []any{[]any{"a"}, []any{"b"}}},
		{"t": ms(15), "ev": "partition", "groups": []any{[]any{"a", "b"}, []any{"c"}}},
	}, only(recs, EvPartition))
	assert.Equal(t, []map[string]any{{"t": ms(20), "ev": "heal"}}, only(recs, EvHeal))
	assert.Contains(t, tr.text.String(), "[  10.000ms] [fault] partition a|b\n")
	assert.Contains(t, tr.text.String(), "[  15.000ms] [fault] partition a,b|c\n")
	// The text trace shows the first loss on each cut link, not every one:
	// the JSON trace has them all (above).
	assert.Contains(t, tr.text.String(), "[  11.000ms] [network] lost inflight a -> b (partition; later losses on this link are not shown until the next fault)\n")
	assert.NotContains(t, tr.text.String(), "lost cut a -> b")
	assert.Contains(t, tr.text.String(), "[  16.000ms] [network] lost split a -> c (partition; later losses on this link are not shown until the next fault)\n",
		"a new fault shows the link's losses again")
}

// TestEngineCut: a cut loses messages one way only, including those in
// flight, until a heal; cutting a cut link again says so.
func TestEngineCut(t *testing.T) {
	cfg := limits()
	cfg.LatencyMin, cfg.LatencyMax = 2*Millisecond, 2*Millisecond
	tr := newTraced(cfg)
	const a, b, c = NodeID(0), NodeID(1), NodeID(2)
	tr.add("a", &tnode{actions: []action{
		sendAt(9*Millisecond, b, tmsg{"inflight", 0}), // arrives at 11ms, after the cut
		sendAt(12*Millisecond, b, tmsg{"cut", 0}),
		sendAt(12*Millisecond, c, tmsg{"toc", 0}), // another link
		sendAt(25*Millisecond, b, tmsg{"healed", 0}),
	}})
	tr.add("b", &tnode{actions: []action{sendAt(12*Millisecond, a, tmsg{"back", 0})}}) // the other way
	tr.add("c", &tnode{})
	tr.Cut(10*Millisecond, a, b)
	tr.Cut(11*Millisecond, a, b)
	tr.Heal(20 * Millisecond)
	res := tr.Run()

	var recvs []string
	for _, l := range tr.log {
		if strings.Contains(l, "recv") {
			recvs = append(recvs, l)
		}
	}
	assert.Equal(t, []string{
		"  14.000ms a: recv back 0 from b",
		"  14.000ms c: recv toc 0 from a",
		"  27.000ms b: recv healed 0 from a",
	}, recvs)
	assert.Equal(t, 2, res.Dropped)
	recs := jsonRecords(t, tr.json.Bytes())
	for _, r := range only(recs, "drop") {
		assert.Equal(t, "cut", r["reason"])
	}
	assert.Equal(t, []map[string]any{
		{"t": ms(10), "ev": "cut", "from": "a", "to": "b"},
		{"t": ms(11), "ev": "cut", "from": "a", "to": "b"},
	}, only(recs, "cut"))
	text := tr.text.String()
	assert.Contains(t, text, "[  10.000ms] [fault] cut a -> b\n")
	assert.Contains(t, text, "[  11.000ms] [fault] cut a -> b (already cut)\n")
	assert.Contains(t, text, "[  11.000ms] [network] lost inflight a -> b (cut; later losses on this link are not shown until the next fault)\n")
	assert.Contains(t, text, "[  20.000ms] [fault] heal\n")
}

// TestEngineHold: messages sent on a held link during the hold wait for
// its end, then travel with their latency; messages sent before it, after
// it, and on other links are not affected. Overlapping holds on one link
// last until the latest end; a message leaves when the hold in force at its
// send ends.
func TestEngineHold(t *testing.T) {
	cfg := limits()
	cfg.LatencyMin, cfg.LatencyMax = 2*Millisecond, 2*Millisecond
	tr := newTraced(cfg)
	const a, b = NodeID(0), NodeID(1)
	tr.add("a", &tnode{actions: []action{
		sendAt(9*Millisecond, b, tmsg{"before", 0}), // in flight when the hold starts
		sendAt(12*Millisecond, b, tmsg{"held", 1}),
		sendAt(29*Millisecond, b, tmsg{"held", 2}), // in the second, overlapping hold
		sendAt(35*Millisecond, b, tmsg{"after", 0}),
	}})
	tr.add("b", &tnode{actions: []action{sendAt(12*Millisecond, a, tmsg{"back", 0})}})
	tr.Hold(10*Millisecond, a, b, 10*Millisecond)
	tr.Hold(15*Millisecond, a, b, 15*Millisecond) // until 30ms
	res := tr.Run()

	var recvs []string
	for _, l := range tr.log {
		if strings.Contains(l, "recv") {
			recvs = append(recvs, l)
		}
	}
	assert.Equal(t, []string{
		"  11.000ms b: recv before 0 from a",
		"  14.000ms a: recv back 0 from b",
		"  22.000ms b: recv held 1 from a", // sent before the second hold: leaves at 20ms
		"  32.000ms b: recv held 2 from a",
		"  37.000ms b: recv after 0 from a",
	}, recvs)
	assert.Equal(t, 0, res.Dropped)
	recs := jsonRecords(t, tr.json.Bytes())
	assert.Equal(t, []map[string]any{
		{"t": ms(10), "ev": "hold", "from": "a", "to": "b", "for": ms(10)},
		{"t": ms(15), "ev": "hold", "from": "a", "to": "b", "for": ms(15)},
	}, only(recs, "hold"))
	assert.Contains(t, tr.text.String(), "[  10.000ms] [fault] hold a -> b for 10ms\n")
}

// burst runs node a sending n messages to node b at time 0, with latencies
// of 1..3ms and the network settings edit makes.
func burst(edit func(*Config), n int) (*traced, Result) {
	cfg := limits()
	cfg.LatencyMin, cfg.LatencyMax = Millisecond, 3*Millisecond
	edit(&cfg)
	tr := newTraced(cfg)
	const b = NodeID(1)
	tr.add("a", &tnode{start: func(env *Env[tmsg]) {
		for i := range n {
			env.Send(b, tmsg{"m", int64(i)})
		}
	}})
	tr.add("b", &tnode{})
	return tr, tr.Run()
}

func TestEngineDropAll(t *testing.T) {
	tr, res := burst(func(c *Config) { c.Drop = 1 }, 5)
	assert.Equal(t, Stats{Events: 2, Sent: 5, Dropped: 5}, res.Stats)
	recs := jsonRecords(t, tr.json.Bytes())
	drops := only(recs, EvDrop)
	require.Len(t, drops, 5)
	for i, r := range drops {
		assert.Equal(t, "loss", r["reason"])
		assert.Equal(t, float64(0), r["t"], "a lost message is dropped when sent")
		assert.Equal(t, float64(i), r["msg"].(map[string]any)["n"])
	}
	assert.Empty(t, only(recs, EvDeliver))
	assert.Len(t, only(recs, EvSend), 5)
	assert.Contains(t, tr.text.String(), "[   0.000ms] [network] lost m a -> b (loss)\n")
}

func TestEngineDuplicateAll(t *testing.T) {
	tr, res := burst(func(c *Config) { c.Duplicate = 1 }, 3)
	assert.Equal(t, Stats{Events: 8, Sent: 3, Delivered: 6, Duplicated: 3}, res.Stats)
	recs := jsonRecords(t, tr.json.Bytes())
	copies := map[float64][]any{}
	for _, r := range only(recs, EvDeliver) {
		n := r["msg"].(map[string]any)["n"].(float64)
		copies[n] = append(copies[n], r["note"])
		if _, ok := r["reason"]; ok {
			t.Errorf("a delivery has no reason: %v", r)
		}
	}
	for n := range 3 {
		assert.ElementsMatch(t, []any{nil, "duplicate"}, copies[float64(n)], "message %d: one original, one copy", n)
	}
}

func TestEngineStopReasons(t *testing.T) {
	// ticker sets a timer every millisecond, forever.
	ticker := func() *tnode {
		return &tnode{
			start: func(env *Env[tmsg]) { env.SetTimer(0, Millisecond, 0) },
			timer: func(env *Env[tmsg], kind TimerKind) { env.SetTimer(kind, Millisecond, 0) },
		}
	}
	once := func() *tnode {
		return &tnode{start: func(env *Env[tmsg]) { env.SetTimer(0, 7*Millisecond, 0) }}
	}
	cases := []struct {
		name     string
		node     func() *tnode
		cfg      Config
		reason   StopReason
		events   int
		pending  int
		end      Time
		describe string
	}{
		{"time limit", ticker, Config{TimeLimit: 10 * Millisecond, MaxEvents: 1000}, StopTimeLimit, 11, 1, 10 * Millisecond,
			"time limit 10ms reached with 1 events pending"},
		{"event limit", ticker, Config{TimeLimit: Second, MaxEvents: 5}, StopEventLimit, 5, 1, 4 * Millisecond,
			"event limit 5 reached with 1 events pending"},
		{"quiescent", once, Config{TimeLimit: Second, MaxEvents: 1000}, StopQuiescent, 2, 0, 7 * Millisecond,
			"no events left"},
		{"event at the time limit runs", once, Config{TimeLimit: 7 * Millisecond, MaxEvents: 1000}, StopQuiescent, 2, 0, 7 * Millisecond,
			"no events left"},
		{"event just past the time limit", once, Config{TimeLimit: 7*Millisecond - 1, MaxEvents: 1000}, StopTimeLimit, 1, 1, 0,
			"time limit 6.999999ms reached with 1 events pending"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := New[tmsg](c.cfg)
			e.AddNode("n1", c.node())
			res := e.Run()
			assert.Equal(t, c.reason, res.Reason)
			assert.Equal(t, c.events, res.Events)
			assert.Equal(t, c.pending, res.Pending)
			assert.Equal(t, c.end, res.End)
			assert.Equal(t, c.end, e.Now())
			assert.Equal(t, c.describe, res.Describe(c.cfg))
		})
	}
}

func TestEngineRunTwicePanics(t *testing.T) {
	e := New[tmsg](limits())
	e.Run()
	assert.Panics(t, func() { e.Run() })
}

func TestEngineNodes(t *testing.T) {
	e := New[tmsg](limits())
	a := e.AddNode("a", &tnode{})
	b := e.AddNode("b", &tnode{})
	assert.Equal(t, NodeID(0), a)
	assert.Equal(t, NodeID(1), b)
	assert.Equal(t, 2, e.NumNodes())
	assert.Equal(t, "b", e.Name(b))
	assert.Equal(t, "?", e.Name(NoNode))
	assert.Equal(t, "?", e.Name(2))
	id, ok := e.Lookup("b")
	assert.True(t, ok)
	assert.Equal(t, b, id)
	id, ok = e.Lookup("zz")
	assert.False(t, ok)
	assert.Equal(t, NoNode, id)
	assert.True(t, e.Up(a))
	assert.Equal(t, limits(), e.Config())
}

// TestEngineTracingOff checks that a node can tell whether its steps are
// traced, and that an untraced run still counts everything.
func TestEngineTracingOff(t *testing.T) {
	var tracing []bool
	probe := func() *tnode {
		return &tnode{start: func(env *Env[tmsg]) {
			tracing = append(tracing, env.Tracing())
			env.Stepf("%v", "formatted only when tracing")
			env.Step("x")
		}}
	}
	e := New[tmsg](limits())
	e.AddNode("a", probe())
	e.Run()
	tr := newTraced(limits())
	tr.AddNode("a", probe())
	tr.Run()
	assert.Equal(t, []bool{false, true}, tracing)
	assert.Equal(t, "[   0.000ms] [a] formatted only when tracing\n[   0.000ms] [a] x\n", tr.text.String())
}

var textLine = regexp.MustCompile(`^\[[ \d]{4,}\.\d{3}ms\] \[(n1|n2|n3|fault|network)\] \S.*$`)

func TestEngineTraceForms(t *testing.T) {
	tr := busyEngine(busyConfig(1), -1)
	res := tr.Run()
	require.Equal(t, StopQuiescent, res.Reason, res.Describe(tr.Config()))
	recs := jsonRecords(t, tr.json.Bytes())
	kinds := map[TraceEv]int{}
	for _, r := range schemaRecords(t, tr.json.Bytes()) {
		kinds[r.Ev]++
	}
	// The run exercises every kind of network and fault record.
	for _, k := range []TraceEv{EvSend, EvDeliver, EvDrop, EvTimer, EvCrash, EvRestart, EvPartition, EvHeal, EvStep} {
		assert.Positive(t, kinds[k], "no %q record", k)
	}
	assert.Equal(t, res.Sent, kinds[EvSend])
	assert.Equal(t, res.Delivered, kinds[EvDeliver])
	assert.Equal(t, res.Dropped, kinds[EvDrop])
	assert.Positive(t, res.Duplicated)
	for _, r := range recs {
		switch TraceEv(r[FieldEv].(string)) {
		case EvSend, EvDeliver, EvDrop:
			assert.Contains(t, r, "from")
			assert.Contains(t, r, "to")
			assert.IsType(t, "", r["msg"].(map[string]any)["type"])
		}
	}

	lines := strings.Split(tr.text.String(), "\n")
	require.Equal(t, "", lines[len(lines)-1])
	steps := 0
	for i, l := range lines[:len(lines)-1] {
		require.Regexp(t, textLine, l, "text line %d", i+1)
		if !strings.Contains(l, "] [fault] ") && !strings.Contains(l, "] [network] ") {
			steps++
		}
	}
	assert.Equal(t, kinds[EvStep], steps, "one text line per step")
	for _, r := range only(recs, EvStep) {
		stamp := Time(r["t"].(float64)).Stamp()
		assert.Contains(t, tr.text.String(), "["+stamp+"] ["+r["node"].(string)+"] "+r["text"].(string)+"\n")
	}
}

// TestEngineRecord: what nodes hand to Env.Record reaches the record
// observer at the virtual time it happened, in order across nodes, the same
// in a traced and an untraced run; the engine itself writes nothing for it
// (a protocol's history is the protocol's to trace).
func TestEngineRecord(t *testing.T) {
	rec := func(at Time, kind string, n int64) action {
		return action{at: at, do: func(env *Env[tmsg]) { env.Record(tmsg{kind, n}) }}
	}
	type got struct {
		t    Time
		node NodeID
		m    tmsg
	}
	run := func(traced bool) ([]got, *traced) {
		tr := newTraced(limits())
		if !traced {
			tr.SetTracer(nil)
		}
		var out []got
		tr.OnRecord(func(node NodeID, m tmsg) { out = append(out, got{tr.Now(), node, m}) })
		tr.add("server", &tnode{})
		tr.add("client1", &tnode{actions: []action{rec(1*Millisecond, "invoke", 1), rec(2*Millisecond, "return", 1), rec(5*Millisecond, "invoke", 2)}})
		tr.add("client2", &tnode{actions: []action{rec(4*Millisecond, "invoke", 1), rec(8*Millisecond, "return", 1)}})
		tr.Run()
		return out, tr
	}
	with, tr := run(true)
	without, _ := run(false)
	assert.Equal(t, with, without, "tracing does not change what is recorded")
	assert.Equal(t, []got{
		{1 * Millisecond, 1, tmsg{"invoke", 1}},
		{2 * Millisecond, 1, tmsg{"return", 1}},
		{4 * Millisecond, 2, tmsg{"invoke", 1}},
		{5 * Millisecond, 1, tmsg{"invoke", 2}},
		{8 * Millisecond, 2, tmsg{"return", 1}},
	}, with)
	for _, r := range jsonRecords(t, tr.json.Bytes()) {
		assert.NotContains(t, []any{string(EvInvoke), string(EvReturn)}, r[FieldEv], "the engine writes no history records")
	}
}

func TestEngineDeterminism(t *testing.T) {
	run := func(seed uint64) (text, json string, recs []Record) {
		tr := busyEngine(busyConfig(seed), -1)
		tr.RecordTo(&recs)
		tr.Run()
		return tr.text.String(), tr.json.String(), recs
	}
	text1, json1, recs1 := run(7)
	text2, json2, recs2 := run(7)
	require.NotEmpty(t, json1)
	assert.Equal(t, json1, json2, "the same seed must give a byte-identical JSON trace")
	assert.Equal(t, text1, text2, "the same seed must give a byte-identical text trace")
	assert.Equal(t, recs1, recs2)

	_, json3, recs3 := run(8)
	assert.NotEqual(t, json1, json3)
	assert.NotEqual(t, latencies(recs1), latencies(recs3), "another seed must draw other latencies")
}

// latencies returns the latency decisions of a schedule, in order.
func latencies(recs []Record) []int64 {
	var out []int64
	for _, r := range recs {
		if r.Kind == RecLatency {
			out = append(out, r.Value)
		}
	}
	return out
}

// TestEngineIdleNodeDoesNotShiftStreams adds a node that never sends: the
// network's draws, the other nodes' draws and so the whole JSON trace stay
// the same, wherever the node is added.
func TestEngineIdleNodeDoesNotShiftStreams(t *testing.T) {
	run := func(idleAt int) (json string, recs []Record) {
		tr := busyEngine(busyConfig(11), idleAt)
		tr.RecordTo(&recs)
		tr.Run()
		return tr.json.String(), recs
	}
	json0, recs0 := run(-1)
	lat0 := latencies(recs0)
	require.Greater(t, len(lat0), 50)
	for idleAt := 0; idleAt <= 3; idleAt++ {
		json1, recs1 := run(idleAt)
		assert.Equal(t, lat0, latencies(recs1), "idle node at %d: the network's latencies changed", idleAt)
		assert.Equal(t, json0, json1, "idle node at %d: the trace changed", idleAt)
		var events []Record
		for _, r := range recs1 {
			if r.Kind != RecEvent || r.Text != "0 start idle" {
				events = append(events, r)
			}
		}
		assert.Equal(t, recs0, events, "idle node at %d: the schedule changed beyond the idle node's start", idleAt)
	}
}

// TestEngineEndsAlikeWithCancelledTimers: a run whose last event leaves
// only cancelled timers, enough of them for the queue to purge them, ends
// for the reason it would with every cancelled timer still queued until
// popped: at the event limit, unless every one is due after the time limit;
// short of it, at the time limit if one is due after it.
func TestEngineEndsAlikeWithCancelledTimers(t *testing.T) {
	const limit = 100 * Millisecond
	cases := []struct {
		name      string
		beyond    func(k TimerKind) bool // timer kind k is due after the time limit
		maxEvents int
		want      StopReason
	}{
		{"all due by the limit", func(TimerKind) bool { return false }, 100, StopQuiescent},
		{"some due after the limit", func(k TimerKind) bool { return k%2 == 1 }, 100, StopTimeLimit},
		{"event limit, all due by the limit", func(TimerKind) bool { return false }, 2, StopEventLimit},
		{"event limit, some due after the limit", func(k TimerKind) bool { return k%2 == 1 }, 2, StopEventLimit},
		{"event limit, all due after the limit", func(TimerKind) bool { return true }, 2, StopTimeLimit},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := New[tmsg](Config{TimeLimit: limit, MaxEvents: c.maxEvents})
			// The node sets every timer kind, then cancels them all when
			// its message to itself arrives: the last cancel leaves
			// purgeMin cancelled timers and no live event.
			e.AddNode("n", &tnode{
				start: func(env *Env[tmsg]) {
					for k := range TimerKind(MaxTimerKinds) {
						after := Time(k+1) * Millisecond
						if c.beyond(k) {
							after += limit
						}
						env.SetTimer(k, after, 0)
					}
					env.Send(env.Self(), tmsg{Kind: "cancel"})
				},
				recv: func(env *Env[tmsg], _ NodeID, _ tmsg) {
					for k := range TimerKind(MaxTimerKinds) {
						env.CancelTimer(k)
					}
				},
			})
			res := e.Run()
			assert.Equal(t, 2, res.Events, "the start and the delivery")
			assert.Equal(t, c.want, res.Reason)
			assert.Equal(t, 0, res.Pending, "cancelled timers are not pending")
			assert.Equal(t, Time(0), res.End)
			assert.LessOrEqual(t, e.q.queued(), 2, "the cancelled timers were purged")
		})
	}
}
