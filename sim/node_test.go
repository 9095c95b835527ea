package sim

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEngineTimerKinds: a node has at most one pending timer of each kind;
// setting a kind again replaces it, cancelling it removes it, and a crash
// forgets them all.
func TestEngineTimerKinds(t *testing.T) {
	const a, b = TimerKind(0), TimerKind(1)
	cases := []struct {
		name    string
		start   func(n *tnode, env *Env[tmsg])
		timer   func(n *tnode, env *Env[tmsg], kind TimerKind)
		faults  func(e *Engine[tmsg], id NodeID)
		want    []string
		events  int
		pending int
	}{
		{
			name:   "set fires",
			start:  func(_ *tnode, env *Env[tmsg]) { env.SetTimer(a, 2*Millisecond, 0) },
			want:   []string{"   2.000ms n: timer a"},
			events: 2,
		},
		{
			name: "set again replaces with a later one",
			start: func(_ *tnode, env *Env[tmsg]) {
				env.SetTimer(a, 2*Millisecond, 0)
				env.SetTimer(a, 5*Millisecond, 0)
			},
			want:   []string{"   5.000ms n: timer a"},
			events: 2,
		},
		{
			name: "set again replaces with an earlier one",
			start: func(_ *tnode, env *Env[tmsg]) {
				env.SetTimer(a, 5*Millisecond, 0)
				env.SetTimer(a, Millisecond, 0)
			},
			want:   []string{"   1.000ms n: timer a"},
			events: 2,
		},
		{
			name: "replaced by another handler",
			start: func(_ *tnode, env *Env[tmsg]) {
				env.SetTimer(a, 5*Millisecond, 0)
				env.SetTimer(b, Millisecond, 0)
			},
			timer: func(_ *tnode, env *Env[tmsg], kind TimerKind) {
				if kind == b {
					env.SetTimer(a, Millisecond, 0)
				}
			},
			want:   []string{"   1.000ms n: timer b", "   2.000ms n: timer a"},
			events: 3,
		},
		{
			name: "kinds are independent",
			start: func(_ *tnode, env *Env[tmsg]) {
				env.SetTimer(b, Millisecond, 0)
				env.SetTimer(a, Millisecond, 0)
				env.CancelTimer(b)
				env.SetTimer(b, 2*Millisecond, 0)
			},
			want:   []string{"   1.000ms n: timer a", "   2.000ms n: timer b"},
			events: 3,
		},
		{
			name: "cancel",
			start: func(_ *tnode, env *Env[tmsg]) {
				env.SetTimer(a, Millisecond, 0)
				env.CancelTimer(a)
			},
			events: 1,
		},
		{
			name: "cancel then set",
			start: func(_ *tnode, env *Env[tmsg]) {
				env.CancelTimer(a)
				env.SetTimer(a, Millisecond, 0)
			},
			want:   []string{"   1.000ms n: timer a"},
			events: 2,
		},
		{
			name: "cancel in a later handler",
			start: func(_ *tnode, env *Env[tmsg]) {
				env.SetTimer(a, 5*Millisecond, 0)
				env.SetTimer(b, Millisecond, 0)
			},
			timer: func(_ *tnode, env *Env[tmsg], kind TimerKind) { env.CancelTimer(a) },
			want:  []string{"   1.000ms n: timer b"},
			// The cancelled timer is no event, but it stays queued until
			// its time comes.
			events: 2,
		},
		{
			name:   "cancel of a kind never set",
			start:  func(_ *tnode, env *Env[tmsg]) { env.CancelTimer(b) },
			events: 1,
		},
		{
			name: "a handler sets its own kind again",
			start: func(_ *tnode, env *Env[tmsg]) {
				env.SetTimer(a, Millisecond, 0)
			},
			timer: func(n *tnode, env *Env[tmsg], kind TimerKind) {
				if env.Now() < 3*Millisecond {
					env.SetTimer(a, Millisecond, 0)
				}
			},
			want:   []string{"   1.000ms n: timer a", "   2.000ms n: timer a", "   3.000ms n: timer a"},
			events: 4,
		},
		{
			name: "crash forgets, restart starts afresh",
			start: func(n *tnode, env *Env[tmsg]) {
				if n.starts == 1 {
					env.SetTimer(a, 5*Millisecond, 0) // due while down
					env.SetTimer(b, 9*Millisecond, 0) // due after the restart
				} else {
					env.SetTimer(a, Millisecond, 0)
				}
			},
			faults: func(e *Engine[tmsg], id NodeID) {
				e.Crash(2*Millisecond, id)
				e.Restart(3*Millisecond, id)
			},
			want:   []string{"   3.000ms n: start", "   4.000ms n: timer a"},
			events: 4,
		},
		{
			name: "crash forgets for good",
			start: func(n *tnode, env *Env[tmsg]) {
				env.SetTimer(a, 5*Millisecond, 0)
			},
			faults:  func(e *Engine[tmsg], id NodeID) { e.Crash(2*Millisecond, id) },
			events:  2,
			pending: 0,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := newTraced(timerNames(limits(), "a", "b"))
			n := &tnode{}
			n.start = func(env *Env[tmsg]) { c.start(n, env) }
			if c.timer != nil {
				n.timer = func(env *Env[tmsg], kind TimerKind) { c.timer(n, env, kind) }
			}
			id := tr.add("n", n)
			if c.faults != nil {
				c.faults(tr.Engine, id)
			}
			res := tr.Run()
			require.Equal(t, StopQuiescent, res.Reason)
			var got []string
			got = append(got, tr.log[1:]...) // the first start is always there
			assert.Equal(t, c.want, got)
			assert.Equal(t, c.events, res.Events, "starts, firings and faults")
			assert.Equal(t, c.pending, res.Pending)
			assert.Equal(t, [MaxTimerKinds]int32{}, tr.nodes[id].timers, "no timer is left pending")
		})
	}
}

// TestEngineTimerJitter: a timer's jitter is the decider's choice, in
// [after, after+jitter], recorded as a "j" decision; a timer without
// jitter asks nothing.
func TestEngineTimerJitter(t *testing.T) {
	cases := []struct {
		name    string
		decider Decider
		jitter  Time
		want    Time // the firing time, or -1 for "within range"
		asked   bool
	}{
		{"first decider", FirstDecider{}, 4 * Millisecond, 2 * Millisecond, true},
		{"max decider", maxDecider{}, 4 * Millisecond, 6 * Millisecond, true},
		{"fixed decider", &fixedDecider{jitter: 3}, 4 * Millisecond, 2*Millisecond + 3, true},
		{"seeded", nil, 4 * Millisecond, -1, true},
		{"no jitter", maxDecider{}, 0, 2 * Millisecond, false},
		{"negative jitter is none", maxDecider{}, -Millisecond, 2 * Millisecond, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := timerNames(limits(), "a")
			cfg.Seed = 5
			e := New[tmsg](cfg)
			if c.decider != nil {
				e.SetDecider(c.decider)
			}
			var recs []Record
			e.RecordTo(&recs)
			var fired Time = -1
			e.AddNode("n", &tnode{
				start: func(env *Env[tmsg]) { env.SetTimer(0, 2*Millisecond, c.jitter) },
				timer: func(env *Env[tmsg], _ TimerKind) { fired = env.Now() },
			})
			e.Run()
			if c.want >= 0 {
				assert.Equal(t, c.want, fired)
			} else {
				assert.GreaterOrEqual(t, fired, 2*Millisecond)
				assert.LessOrEqual(t, fired, 2*Millisecond+c.jitter)
			}
			var jitters []Record
			for _, r := range recs {
				if r.Kind == RecJitter {
					jitters = append(jitters, r)
				}
			}
			if !c.asked {
				assert.Empty(t, jitters)
				return
			}
			require.Len(t, jitters, 1)
			assert.Equal(t, int64(fired-2*Millisecond), jitters[0].Value)
		})
	}
}

// TestEngineTimerKindOutOfRange: a node that sets a kind beyond
// MaxTimerKinds breaks an invariant.
func TestEngineTimerKindOutOfRange(t *testing.T) {
	e := New[tmsg](limits())
	e.AddNode("n", &tnode{start: func(env *Env[tmsg]) { env.SetTimer(MaxTimerKinds, Millisecond, 0) }})
	res := e.Run()
	assert.Equal(t, StopInvariant, res.Reason)
	assert.Equal(t, "n broke an invariant: sim: timer kind 8 out of range (at most 8 kinds)", res.Invariant)
}

// TestEngineTimerNames: a kind without a name is "timer<k>" in the trace
// and the schedule.
func TestEngineTimerNames(t *testing.T) {
	cfg := limits()
	cfg.TimerNames = []string{"zero", "", "two"}
	tr := newTraced(cfg)
	var recs []Record
	tr.RecordTo(&recs)
	tr.add("n", &tnode{start: func(env *Env[tmsg]) {
		for k := range TimerKind(4) {
			env.SetTimer(k, Time(k+1)*Millisecond, 0)
		}
	}})
	tr.Run()
	var events []string
	for _, r := range recs {
		events = append(events, r.String())
	}
	assert.Equal(t, []string{"e 0 start n", "e 1000000 timer n zero", "e 2000000 timer n timer1", "e 3000000 timer n two", "e 4000000 timer n timer3"}, events)
	var names []any
	for _, r := range only(jsonRecords(t, tr.json.Bytes()), EvTimer) {
		names = append(names, r["name"])
	}
	assert.Equal(t, []any{"zero", "timer1", "two", "timer3"}, names)
}

// TestEngineOutbox: a handler's effects are applied once it returns, in
// the order it made them.
func TestEngineOutbox(t *testing.T) {
	tr := newTraced(timerNames(limits(), "t"))
	var log []string
	tr.OnSend(func(from, to NodeID, m tmsg) { log = append(log, "sent "+m.Kind) })
	tr.OnNote(func(node NodeID, note uint8) { log = append(log, "note "+string('0'+note)) })
	tr.OnRecord(func(node NodeID, m tmsg) { log = append(log, "record "+m.Kind) })
	var during Stats
	var pendingDuring int
	tr.add("a", &tnode{start: func(env *Env[tmsg]) {
		env.Step("one")
		env.Send(1, tmsg{"m1", 0})
		log = append(log, "handler sent m1")
		env.Note(3)
		env.SetTimer(0, Millisecond, 0)
		env.Record(tmsg{"rq", 1})
		env.Step("two")
		env.Send(1, tmsg{"m2", 0})
		env.Record(tmsg{"rp", 1})
		env.CancelTimer(0) // after the set: no timer is left
		log = append(log, "handler returns")
		during, pendingDuring = env.e.Stats(), env.e.q.Len()
	}})
	tr.add("b", &tnode{})
	res := tr.Run()

	assert.Equal(t, []string{"handler sent m1", "handler returns", "sent m1", "note 3", "record rq", "sent m2", "record rp"}, log,
		"the engine sees the effects after the handler")
	assert.Zero(t, during.Sent, "nothing was sent while the handler ran")
	assert.Equal(t, 1, pendingDuring, "only b's start was queued while the handler ran")
	assert.Equal(t, 2, res.Delivered)
	assert.Equal(t, 4, res.Events, "two starts, two deliveries: the timer was cancelled")

	var evs []string
	for _, r := range jsonRecords(t, tr.json.Bytes()) {
		if r[FieldEv] == string(EvDeliver) {
			continue
		}
		s := r[FieldEv].(string)
		if m, ok := r["msg"].(map[string]any); ok {
			s += " " + m["type"].(string)
		}
		if txt, ok := r["text"].(string); ok {
			s += " " + txt
		}
		evs = append(evs, s)
	}
	assert.Equal(t, []string{"step one", "send m1", "step two", "send m2"}, evs)
	assert.Equal(t, "[   0.000ms] [a] one\n[   0.000ms] [a] two\n", tr.text.String())
}

// TestEngineOutboxTimerOrder: a handler's timer effects apply in order.
func TestEngineOutboxTimerOrder(t *testing.T) {
	set := func(after Time) func(env *Env[tmsg]) {
		return func(env *Env[tmsg]) { env.SetTimer(0, after, 0) }
	}
	cancel := func(env *Env[tmsg]) { env.CancelTimer(0) }
	cases := []struct {
		name string
		ops  []func(env *Env[tmsg])
		want Time // when the timer fires, or -1
	}{
		{"set", []func(*Env[tmsg]){set(Millisecond)}, Millisecond},
		{"set, cancel", []func(*Env[tmsg]){set(Millisecond), cancel}, -1},
		{"cancel, set", []func(*Env[tmsg]){cancel, set(Millisecond)}, Millisecond},
		{"set, set", []func(*Env[tmsg]){set(Millisecond), set(3 * Millisecond)}, 3 * Millisecond},
		{"set, cancel, set", []func(*Env[tmsg]){set(Millisecond), cancel, set(2 * Millisecond)}, 2 * Millisecond},
		{"set, set, cancel", []func(*Env[tmsg]){set(Millisecond), set(2 * Millisecond), cancel}, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := New[tmsg](limits())
			var fired []Time
			e.AddNode("n", &tnode{
				start: func(env *Env[tmsg]) {
					for _, op := range c.ops {
						op(env)
					}
				},
				timer: func(env *Env[tmsg], _ TimerKind) { fired = append(fired, env.Now()) },
			})
			res := e.Run()
			require.Equal(t, StopQuiescent, res.Reason)
			if c.want < 0 {
				assert.Empty(t, fired)
			} else {
				assert.Equal(t, []Time{c.want}, fired)
			}
		})
	}
}

// TestEngineInvariant: a node that panics has broken an invariant. The run
// stops there, saying which node and why, and none of the effects the
// handler made before it panicked is applied.
func TestEngineInvariant(t *testing.T) {
	effects := func(env *Env[tmsg]) {
		env.Step("before the panic")
		env.Send(0, tmsg{"lost", 0})
		env.SetTimer(1, Millisecond, 0)
		env.Record(tmsg{"rec", 9})
		panic("boom")
	}
	cases := []struct {
		name  string
		node  func() *tnode
		steps int // steps of b that do get applied
	}{
		{"start", func() *tnode { return &tnode{start: effects} }, 0},
		{"receive", func() *tnode {
			return &tnode{recv: func(env *Env[tmsg], _ NodeID, _ tmsg) { effects(env) }}
		}, 0},
		{"timer", func() *tnode {
			return &tnode{
				start: func(env *Env[tmsg]) { env.Step("armed"); env.SetTimer(0, Millisecond, 0) },
				timer: func(env *Env[tmsg], _ TimerKind) { effects(env) },
			}
		}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := timerNames(limits(), "t", "u")
			cfg.LatencyMin, cfg.LatencyMax = Millisecond, Millisecond
			var recs []Record
			build := func() *traced {
				tr := newTraced(cfg)
				tr.add("a", &tnode{start: func(env *Env[tmsg]) { env.Send(1, tmsg{"go", 0}) }})
				tr.add("b", c.node())
				tr.add("c", &tnode{actions: []action{sendAt(5*Millisecond, 0, tmsg{"later", 0})}})
				return tr
			}
			tr := build()
			tr.RecordTo(&recs)
			records := 0
			tr.OnRecord(func(NodeID, tmsg) { records++ })
			res := tr.Run()
			assert.Equal(t, StopInvariant, res.Reason)
			assert.Equal(t, "b broke an invariant: boom", res.Invariant)
			assert.Equal(t, "stopped: b broke an invariant: boom", res.Describe(cfg))
			assert.Equal(t, res.Invariant, tr.Failure())
			assert.True(t, tr.Stopped())
			assert.False(t, tr.Step(), "a stopped run stays stopped")
			assert.Equal(t, 1, res.Sent, "b's send was not applied")
			assert.Zero(t, records, "b's record was not applied")
			assert.Zero(t, tr.nodes[1].timers[1], "b's timer was not set")
			assert.NotContains(t, tr.text.String(), "before the panic")
			assert.Equal(t, c.steps, strings.Count(tr.text.String(), "[b]"))
			for _, l := range tr.log {
				assert.NotContains(t, l, "recv later", "the run went on after the panic")
			}

			// A replay of the run stops at the same place, without
			// diverging.
			rp := build()
			rp.ReplayFrom(recs)
			got := rp.Run()
			assert.Equal(t, res, got)
			assert.Equal(t, tr.text.String(), rp.text.String())
			assert.Equal(t, tr.json.String(), rp.json.String())
		})
	}
}

// TestEngineStep: Run is a loop over Step, which runs one event at a time.
func TestEngineStep(t *testing.T) {
	ran := busyEngine(busyConfig(3), -1)
	want := ran.Run()

	stepped := busyEngine(busyConfig(3), -1)
	n := 0
	for stepped.Step() {
		n++
		require.Equal(t, n, stepped.Stats().Events, "one event per step")
	}
	assert.False(t, stepped.Step(), "the run stays over")
	assert.True(t, stepped.Stopped())
	assert.Equal(t, want, stepped.Result())
	assert.Equal(t, ran.json.String(), stepped.json.String())
	assert.Panics(t, func() { stepped.Run() }, "Run after Step")
}

// TestEnvExplain: with Tracer.Explain, a rule is explained once per run,
// whichever node meets it first; without it, or untraced, never. Routine
// steps are asked for separately.
func TestEnvExplain(t *testing.T) {
	const rule, other = 3, 4
	run := func(tracer *Tracer) (asked []string) {
		e := New[tmsg](Config{Seed: 1, TimeLimit: Second, MaxEvents: 100})
		if tracer != nil {
			e.SetTracer(tracer)
		}
		for _, name := range []string{"a", "b"} {
			e.AddNode(name, &tnode{start: func(env *Env[tmsg]) {
				for _, r := range []uint8{rule, rule, other} {
					if env.Explain(r) {
						asked = append(asked, fmt.Sprintf("%s:%d", name, r))
					}
				}
				if env.TracingRoutine() {
					asked = append(asked, name+":routine")
				}
			}})
		}
		e.Run()
		return asked
	}
	var text bytes.Buffer
	assert.Equal(t, []string{"a:3", "a:4"}, run(&Tracer{Text: &text, Explain: true}))
	assert.Empty(t, run(&Tracer{Text: &text}), "explanations are asked for")
	assert.Empty(t, run(nil), "an untraced run explains nothing")
	assert.Equal(t, []string{"a:routine", "b:routine"}, run(&Tracer{Text: &text, Routine: true}))
	assert.Panics(t, func() { (&Tracer{Explain: true}).explain(MaxRules) })
}
