package sim

import (
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rnode is a relay with real state, for the steered tests: it sends its
// greetings when it starts, counts what it receives, and forwards each
// message it receives to fwd (if set) as "from<sender>". It keeps no
// durable state: a crash forgets its counts.
type rnode struct {
	greet []NodeID // configuration: whom to send "go" at start
	fwd   NodeID   // configuration: where to forward, NoNode for nowhere
	tick  Time     // configuration: a timer of kind 0 after tick, when > 0
	got   map[string]int
}

func newRelay(fwd NodeID, greet ...NodeID) *rnode { return &rnode{greet: greet, fwd: fwd} }

func (r *rnode) Start(env *Env[tmsg]) {
	for _, to := range r.greet {
		env.Send(to, tmsg{"go", 0})
	}
	if r.tick > 0 {
		env.SetTimer(0, r.tick, 0)
	}
}

func (r *rnode) Receive(env *Env[tmsg], from NodeID, m tmsg) {
	if r.got == nil {
		r.got = map[string]int{}
	}
	r.got[m.Kind]++
	if r.fwd != NoNode {
		env.Send(r.fwd, tmsg{"from" + env.Name(from), 0})
	}
}

func (r *rnode) Timer(env *Env[tmsg], kind TimerKind) {
	if r.got == nil {
		r.got = map[string]int{}
	}
	r.got["tick"]++
}

func (r *rnode) Crash() { clear(r.got) }

func (r *rnode) Clone(into Node[tmsg]) Node[tmsg] {
	d, ok := into.(*rnode)
	if !ok || d == nil {
		d = new(rnode)
	}
	got := d.got
	*d = *r
	if r.got != nil {
		if got == nil {
			got = make(map[string]int, len(r.got))
		}
		clear(got)
		maps.Copy(got, r.got)
	}
	d.got = got
	return d
}

func (r *rnode) AppendState(b []byte) []byte {
	keys := slices.Sorted(maps.Keys(r.got))
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = AppendStateString(b, k)
		b = binary.AppendUvarint(b, uint64(r.got[k]))
	}
	return b
}

// describeAll names every action as a schedule would.
func describeAll[M Message](e *Engine[M], acts []Action) []string {
	out := make([]string, len(acts))
	for i, a := range acts {
		out[i] = e.Describe(a)
	}
	return out
}

// doNamed runs the enabled action that Describe names what, failing the
// test when none is enabled.
func doNamed[M Message](t *testing.T, e *Engine[M], what string) {
	t.Helper()
	for _, a := range e.Enabled(nil) {
		if e.Describe(a) == what {
			e.Do(a)
			return
		}
	}
	t.Fatalf("%q is not enabled; enabled: %q", what, describeAll(e, e.Enabled(nil)))
}

// steerCluster builds the steered tests' cluster: tnodes a, b, c; a's start
// sends m to b; every start sets timer t 4ms later; c crashes at 5ms and
// everyone heals at 1ms (scheduled in that order).
func steerCluster() *traced {
	cfg := timerNames(limits(), "t")
	cfg.Seed = 2
	cfg.LatencyMin, cfg.LatencyMax = Millisecond, 3*Millisecond
	tr := newTraced(cfg)
	arm := func(env *Env[tmsg]) { env.SetTimer(0, 4*Millisecond, 0) }
	tr.add("a", &tnode{start: func(env *Env[tmsg]) { env.Send(1, tmsg{"m", 0}); arm(env) }})
	tr.add("b", &tnode{start: arm})
	tr.add("c", &tnode{start: arm})
	tr.Crash(5*Millisecond, 2)
	tr.Heal(Millisecond)
	return tr
}

func TestSteerEnabled(t *testing.T) {
	full := Budget{Timers: 1, Losses: 1, Duplicates: 1, Crashes: 1}
	tr := steerCluster()
	tr.Steer()
	tr.SetBudget(full)
	assert.Equal(t, full, tr.Budget())
	// The starts come first, one at a time, in the order nodes were added,
	// even with faults due at time 0 and a budget to spend.
	for _, name := range []string{"a", "b", "c"} {
		acts := tr.Enabled(nil)
		require.Len(t, acts, 1, "before %s starts", name)
		assert.Equal(t, ActRun, acts[0].Kind)
		assert.Equal(t, "start "+name, tr.Describe(acts[0]))
		tr.Do(acts[0])
	}
	// Then: deliveries (each losable and duplicable within the budget) and
	// timers (within the budget) in slab order, the next scheduled fault in
	// the order faults were scheduled, a crash of each running node.
	assert.Equal(t, []string{
		"deliver a#1 b m", "lose a#1 b m", "duplicate a#1 b m",
		"timer b t", "timer c t", "timer a t",
		"crash c",
		"inject crash a", "inject crash b", "inject crash c",
	}, describeAll(tr.Engine, tr.Enabled(nil)))
	// TimerOf says which actions fire a timer, and whose.
	var timers []string
	for _, a := range tr.Enabled(nil) {
		id, kind, ok := tr.TimerOf(a)
		if !ok {
			continue
		}
		timers = append(timers, fmt.Sprintf("%s %d", tr.Name(id), kind))
	}
	assert.Equal(t, []string{"b 0", "c 0", "a 0"}, timers)
	// Enabled appends to dst.
	dst := []Action{{Kind: ActRestart, Node: 7}}
	assert.Len(t, tr.Enabled(dst), 11)
	assert.Equal(t, Action{Kind: ActRestart, Node: 7}, tr.Enabled(dst)[0])

	// Without a budget: deliveries and the next fault only.
	tr.SetBudget(Budget{})
	assert.Equal(t, []string{"deliver a#1 b m", "crash c"}, describeAll(tr.Engine, tr.Enabled(nil)))
	// The scheduled crash makes c down: its restart is enabled whatever the
	// budget, and the next fault is the heal.
	doNamed(t, tr.Engine, "crash c")
	assert.Equal(t, []string{"deliver a#1 b m", "heal", "inject restart c"}, describeAll(tr.Engine, tr.Enabled(nil)))
	doNamed(t, tr.Engine, "heal")
	doNamed(t, tr.Engine, "deliver a#1 b m")
	assert.Equal(t, []string{"inject restart c"}, describeAll(tr.Engine, tr.Enabled(nil)))
	doNamed(t, tr.Engine, "inject restart c")
	assert.Empty(t, tr.Enabled(nil), "timers need a budget")
	tr.SetBudget(Budget{Timers: 5})
	assert.Equal(t, []string{"timer c t", "timer b t", "timer a t"}, describeAll(tr.Engine, tr.Enabled(nil)))
}

func TestSteerModeChecks(t *testing.T) {
	e := steerCluster()
	assert.Panics(t, func() { e.Do(Action{}) }, "Do needs steered mode")
	e.Steer()
	assert.Panics(t, func() { e.Step() }, "Step in steered mode needs a schedule")

	started := steerCluster()
	started.Step()
	assert.Panics(t, func() { started.Steer() }, "Steer after the run started")
}

// TestSteerDo runs each kind of action and checks what it did, that it is
// recorded, and that the recorded schedule (cut where the test stops)
// replays to the same traces.
func TestSteerDo(t *testing.T) {
	cases := []struct {
		name   string
		budget Budget
		do     []string // actions by name, after the starts
		last   string   // the last schedule event, without its time
		check  func(t *testing.T, tr *traced)
	}{
		{
			name: "deliver",
			do:   []string{"deliver a#1 b m"},
			last: "deliver a#1 b m",
			check: func(t *testing.T, tr *traced) {
				assert.Equal(t, "b: recv m 0 from a", tr.log[len(tr.log)-1][11:])
				assert.Equal(t, 1, tr.Stats().Delivered)
				assert.GreaterOrEqual(t, tr.Now(), Millisecond, "the delivery ran at its due time")
			},
		},
		{
			name:   "timer",
			budget: Budget{Timers: 2},
			do:     []string{"timer c t"},
			last:   "timer c t",
			check: func(t *testing.T, tr *traced) {
				assert.Equal(t, "   4.000ms c: timer t", tr.log[len(tr.log)-1])
				assert.Equal(t, Budget{Timers: 1}, tr.Budget(), "a timer firing spends the budget")
			},
		},
		{
			name: "time never goes back",
			// The delivery is due before the timers, but runs after one.
			budget: Budget{Timers: 1},
			do:     []string{"timer b t", "deliver a#1 b m"},
			last:   "deliver a#1 b m",
			check: func(t *testing.T, tr *traced) {
				assert.Equal(t, "   4.000ms b: recv m 0 from a", tr.log[len(tr.log)-1])
				assert.Equal(t, 4*Millisecond, tr.Now())
			},
		},
		{
			name: "scheduled fault",
			do:   []string{"crash c"},
			last: "crash c",
			check: func(t *testing.T, tr *traced) {
				assert.False(t, tr.Up(2))
				assert.Equal(t, 5*Millisecond, tr.Now(), "the fault ran at its time")
				assert.Contains(t, tr.text.String(), "[   5.000ms] [fault] crash c\n")
			},
		},
		{
			name:   "lose",
			budget: Budget{Losses: 1},
			do:     []string{"lose a#1 b m"},
			last:   "lose a#1 b m",
			check: func(t *testing.T, tr *traced) {
				assert.Equal(t, Stats{Events: 4, Sent: 1, Dropped: 1}, tr.Stats())
				assert.Equal(t, Budget{}, tr.Budget())
				assert.Equal(t, []string{"crash c"}, describeAll(tr.Engine, tr.Enabled(nil)), "the message is gone")
				drops := only(jsonRecords(t, tr.json.Bytes()), EvDrop)
				require.Len(t, drops, 1)
				assert.Equal(t, "loss", drops[0]["reason"])
				assert.Equal(t, float64(0), drops[0]["t"], "a loss happens now")
			},
		},
		{
			name:   "duplicate",
			budget: Budget{Duplicates: 2},
			do:     []string{"duplicate a#1 b m"},
			last:   "duplicate a#1 b m",
			check: func(t *testing.T, tr *traced) {
				assert.Equal(t, 1, tr.Stats().Duplicated)
				assert.Equal(t, Budget{Duplicates: 1}, tr.Budget())
				assert.Equal(t, []string{"deliver a#1 b m", "deliver a#1 b m dup", "crash c"}, describeAll(tr.Engine, tr.Enabled(nil)),
					"neither the message nor its copy can be duplicated again")
				doNamed(t, tr.Engine, "deliver a#1 b m dup")
				doNamed(t, tr.Engine, "deliver a#1 b m")
				assert.Equal(t, 2, tr.Stats().Delivered)
				var notes []any
				for _, r := range only(jsonRecords(t, tr.json.Bytes()), EvDeliver) {
					notes = append(notes, r["note"])
				}
				assert.Equal(t, []any{"duplicate", nil}, notes)
			},
		},
		{
			name:   "inject crash",
			budget: Budget{Crashes: 1, Timers: 3},
			do:     []string{"inject crash a"},
			last:   "inject crash a",
			check: func(t *testing.T, tr *traced) {
				assert.False(t, tr.Up(0))
				assert.Equal(t, 1, tr.Node(0).(*tnode).crashes)
				assert.Equal(t, Budget{Timers: 3}, tr.Budget())
				assert.Equal(t, []string{"deliver a#1 b m", "timer b t", "timer c t", "crash c", "inject restart a"},
					describeAll(tr.Engine, tr.Enabled(nil)), "a's timer is forgotten")
				assert.Contains(t, tr.text.String(), "[   0.000ms] [fault] crash a (injected)\n")
				assert.Equal(t, []map[string]any{{"t": float64(0), "ev": "crash", "node": "a"}}, only(jsonRecords(t, tr.json.Bytes()), EvCrash))
			},
		},
		{
			name:   "inject restart",
			budget: Budget{Crashes: 1},
			do:     []string{"inject crash b", "deliver a#1 b m", "inject restart b"},
			last:   "inject restart b",
			check: func(t *testing.T, tr *traced) {
				assert.True(t, tr.Up(1))
				b := tr.Node(1).(*tnode)
				assert.Equal(t, 2, b.starts)
				assert.Equal(t, 1, tr.Stats().Dropped, "the message reached b while it was down")
				assert.Contains(t, tr.text.String(), "[fault] restart b (injected)\n")
				tr.SetBudget(Budget{Timers: 1})
				assert.Contains(t, describeAll(tr.Engine, tr.Enabled(nil)), "timer b t", "the new incarnation set its timer")
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := steerCluster()
			var recs []Record
			tr.RecordTo(&recs)
			tr.Steer()
			tr.SetBudget(c.budget)
			for range 3 {
				tr.Do(tr.Enabled(nil)[0])
			}
			for _, what := range c.do {
				doNamed(t, tr.Engine, what)
			}
			var last string
			for _, r := range recs {
				if r.Kind == RecEvent {
					last = r.Text
				}
			}
			assert.Equal(t, fmt.Sprintf("%d %s", tr.Now(), c.last), last)
			c.check(t, tr)

			// The schedule, cut here, replays to the same traces.
			recs = append(recs, Record{Kind: RecStop, Text: "cut"})
			_, parsed := writeParse(t, nil, recs)
			rp := steerCluster()
			rp.ReplayFrom(parsed)
			res := rp.Run()
			require.Nil(t, res.Diverge)
			assert.Equal(t, StopCut, res.Reason)
			assert.Equal(t, tr.Stats(), res.Stats)
			assert.Equal(t, tr.text.String(), rp.text.String())
			assert.Equal(t, tr.json.String(), rp.json.String())
		})
	}
}

// randomWalk runs n enabled actions of e, each picked by a fixed-seed
// stream, and returns their names.
func randomWalk[M Message](e *Engine[M], seed uint64, n int) []string {
	r := Stream(seed, "walk")
	var names []string
	for range n {
		acts := e.Enabled(nil)
		if len(acts) == 0 {
			break
		}
		a := acts[r.IntN(len(acts))]
		names = append(names, e.Describe(a))
		e.Do(a)
	}
	return names
}

// steeredBusy is the busy run in steered mode, as the explorer runs it:
// least choices, a budget of faults.
func steeredBusy() *traced {
	tr := busyEngine(busyConfig(1), -1)
	tr.SetDecider(FirstDecider{})
	tr.Steer()
	tr.SetBudget(Budget{Timers: 6, Losses: 2, Duplicates: 2, Crashes: 1})
	return tr
}

func stateOf[M Message](e *Engine[M]) []byte {
	return e.AppendState(nil, &StateScratch{})
}

func TestCloneIntoIsIndependent(t *testing.T) {
	e := steeredBusy()
	randomWalk(e.Engine, 1, 25)
	before := stateOf(e.Engine)

	d := e.CloneInto(nil)
	require.Equal(t, before, stateOf(d), "the copy's state is the original's")
	assert.Equal(t, Fingerprint(before), Fingerprint(stateOf(d)))
	assert.Equal(t, describeAll(e.Engine, e.Enabled(nil)), describeAll(d, d.Enabled(nil)))
	assert.Equal(t, e.Stats(), d.Stats())
	assert.Equal(t, e.Now(), d.Now())
	assert.Equal(t, e.Budget(), d.Budget())

	// Running the original does not change the copy.
	walk := randomWalk(e.Engine, 2, 30)
	require.NotEqual(t, before, stateOf(e.Engine))
	assert.Equal(t, before, stateOf(d), "the original's steps changed the copy")
	assert.Empty(t, d.tracer, "the copy is not traced")

	// The copy takes the same steps to the same state.
	for _, what := range walk {
		doNamed(t, d, what)
	}
	assert.Equal(t, stateOf(e.Engine), stateOf(d))
	assert.Equal(t, e.Stats(), d.Stats())

	// And running the copy further does not change the original.
	after := stateOf(e.Engine)
	randomWalk(d, 3, 30)
	assert.Equal(t, after, stateOf(e.Engine), "the copy's steps changed the original")

	// Cloning into a used engine reuses it and gives the same copy.
	again := e.CloneInto(d)
	assert.Same(t, d, again)
	assert.Equal(t, after, stateOf(d))
	// Both go on independently from there, whichever moves first.
	randomWalk(e.Engine, 4, 10)
	assert.Equal(t, after, stateOf(d))
	randomWalk(d, 5, 10)
	assert.NotEqual(t, stateOf(e.Engine), stateOf(d))
}

// TestCloneIntoNodesIndependent: a node changed in one engine after a clone
// is not changed in the other, whichever engine changes it, and however
// many copies there are.
func TestCloneIntoNodesIndependent(t *testing.T) {
	build := func() *Engine[tmsg] {
		e := New[tmsg](limits())
		e.AddNode("a", newRelay(NoNode, 1))
		e.AddNode("b", newRelay(NoNode, 0))
		e.Steer()
		e.Do(e.Enabled(nil)[0])
		e.Do(e.Enabled(nil)[0])
		return e
	}
	e := build()
	d1, d2 := e.CloneInto(nil), e.CloneInto(nil)
	doNamed(t, d1, "deliver a#1 b go")
	doNamed(t, e, "deliver b#1 a go")
	assert.Empty(t, d2.Node(0).(*rnode).got)
	assert.Empty(t, d2.Node(1).(*rnode).got)
	assert.Empty(t, d1.Node(0).(*rnode).got)
	assert.Equal(t, map[string]int{"go": 1}, d1.Node(1).(*rnode).got)
	assert.Equal(t, map[string]int{"go": 1}, e.Node(0).(*rnode).got)
	assert.Empty(t, e.Node(1).(*rnode).got)
	// A crash changes the node too.
	e.SetBudget(Budget{Crashes: 1})
	doNamed(t, e, "inject crash a")
	assert.Empty(t, e.Node(0).(*rnode).got)
	d3 := d2.CloneInto(nil)
	doNamed(t, d3, "deliver b#1 a go")
	assert.Empty(t, d2.Node(0).(*rnode).got)
	assert.Equal(t, map[string]int{"go": 1}, d3.Node(0).(*rnode).got)

	// The copies' states are the states of runs that took the same steps.
	ref := build()
	doNamed(t, ref, "deliver a#1 b go")
	assert.Equal(t, stateOf(ref), stateOf(d1))
	assert.Equal(t, stateOf(build()), stateOf(d2))
}

// TestCloneIntoOrdered: an ordered run cloned mid-way goes on in the copy
// from the same state.
func TestCloneIntoOrdered(t *testing.T) {
	e := steerCluster()
	for range 4 {
		require.True(t, e.Step())
	}
	d := e.CloneInto(nil)
	assert.Equal(t, stateOf(e.Engine), stateOf(d))
	assert.False(t, d.q.steered)
	assert.True(t, slices.Equal(e.q.heap, d.q.heap), "the near heaps are alike")
	assert.Equal(t, e.q.w, d.q.w, "the wheels are alike")
	require.True(t, d.Step())
	assert.NotEqual(t, stateOf(e.Engine), stateOf(d))
}

// TestAppendStateIgnoresTimesAndNumbers: b and c each send a "go" to a,
// which forwards "from<sender>" to d. Delivering b's first or c's first
// numbers a's forwards the other way round and runs at other times (other
// latencies), but reaches the same state.
func TestAppendStateIgnoresTimesAndNumbers(t *testing.T) {
	build := func(seed uint64) *Engine[tmsg] {
		cfg := limits()
		cfg.Seed = seed
		cfg.LatencyMin, cfg.LatencyMax = Millisecond, 9*Millisecond
		e := New[tmsg](cfg)
		const a, d = NodeID(0), NodeID(3)
		e.AddNode("a", newRelay(d))
		e.AddNode("b", newRelay(NoNode, a))
		e.AddNode("c", newRelay(NoNode, a))
		e.AddNode("d", newRelay(NoNode))
		e.Steer()
		for range 4 {
			e.Do(e.Enabled(nil)[0])
		}
		return e
	}
	e1, e2 := build(1), build(2)
	doNamed(t, e1, "deliver b#1 a go")
	doNamed(t, e1, "deliver c#1 a go")
	doNamed(t, e2, "deliver c#1 a go")
	doNamed(t, e2, "deliver b#1 a go")
	assert.ElementsMatch(t, []string{"deliver a#1 d fromb", "deliver a#2 d fromc"}, describeAll(e1, e1.Enabled(nil)))
	assert.ElementsMatch(t, []string{"deliver a#1 d fromc", "deliver a#2 d fromb"}, describeAll(e2, e2.Enabled(nil)))
	require.NotEqual(t, e1.Now(), e2.Now(), "the test needs the runs at other times")

	s1, s2 := stateOf(e1), stateOf(e2)
	assert.Equal(t, s1, s2)
	assert.Equal(t, Fingerprint(s1), Fingerprint(s2))

	// Delivering the forwards in either order reaches the same state too.
	c1, c2 := e1.CloneInto(nil), e2.CloneInto(nil)
	doNamed(t, c1, "deliver a#1 d fromb")
	doNamed(t, c2, "deliver a#2 d fromb")
	assert.Equal(t, stateOf(c1), stateOf(c2))
	// But different states differ.
	assert.NotEqual(t, s1, stateOf(c1), "a delivery changes the state")
	doNamed(t, c1, "deliver a#2 d fromc")
	doNamed(t, c2, "deliver a#1 d fromc")
	assert.Equal(t, stateOf(c1), stateOf(c2))
	assert.Empty(t, c1.Enabled(nil))

	// The same multiset of messages in flight with another content
	// encodes differently.
	e3 := build(1)
	doNamed(t, e3, "deliver b#1 a go")
	assert.NotEqual(t, stateOf(e3), s1)
}

// TestAppendStateCoversRunState: liveness, timers, pending faults, budget
// are part of the state (a client history is the protocol's).
func TestAppendStateCoversRunState(t *testing.T) {
	base := func() *traced {
		tr := steerCluster()
		tr.Steer()
		for range 3 {
			tr.Do(tr.Enabled(nil)[0])
		}
		return tr
	}
	ref := stateOf(base().Engine)
	cases := []struct {
		name string
		edit func(t *testing.T, tr *traced)
	}{
		{"budget", func(t *testing.T, tr *traced) { tr.SetBudget(Budget{Losses: 1}) }},
		{"a crash", func(t *testing.T, tr *traced) {
			tr.SetBudget(Budget{Crashes: 1})
			doNamed(t, tr.Engine, "inject crash c")
			tr.SetBudget(Budget{Crashes: 1})
		}},
		{"a scheduled fault", func(t *testing.T, tr *traced) { doNamed(t, tr.Engine, "crash c") }},
		{"a timer", func(t *testing.T, tr *traced) {
			tr.SetBudget(Budget{Timers: 1})
			doNamed(t, tr.Engine, "timer c t")
			tr.SetBudget(Budget{})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := base()
			c.edit(t, tr)
			assert.NotEqual(t, ref, stateOf(tr.Engine))
		})
	}
	// AppendState appends, and reuses its scratch.
	var s StateScratch
	tr := base()
	b := tr.AppendState([]byte("x"), &s)
	assert.Equal(t, append([]byte("x"), ref...), b)
	assert.Equal(t, ref, tr.AppendState(nil, &s))
}

// TestFingerprint: a fingerprint is a function of the bytes alone (no
// random seed: the same in every process), and tells apart inputs that
// differ in a byte, in length, or in a trailing zero.
func TestFingerprint(t *testing.T) {
	inputs := [][]byte{nil, {0}, {0, 0}, []byte("a"), []byte("b"), []byte("ab"), []byte("ba"),
		[]byte("12345678"), []byte("12345679"), []byte("123456789"), []byte("0123456789abcdef"), []byte("0123456789abcdeF")}
	seen := map[uint64]string{}
	for _, in := range inputs {
		f := Fingerprint(in)
		assert.Equal(t, f, Fingerprint(append([]byte(nil), in...)), "%q", in)
		if other, dup := seen[f]; dup {
			t.Errorf("%q and %q have the same fingerprint %x", in, other, f)
		}
		seen[f] = string(in)
	}
	// Equal states, equal fingerprints, across engines.
	a, b := steeredBusy(), steeredBusy()
	randomWalk(a.Engine, 9, 20)
	randomWalk(b.Engine, 9, 20)
	assert.Equal(t, Fingerprint(stateOf(a.Engine)), Fingerprint(stateOf(b.Engine)))
}

// TestReplayIsSteered: a replay steers the engine, and what it records is
// the schedule it replays, byte for byte.
func TestReplayIsSteered(t *testing.T) {
	for _, seed := range []uint64{1, 6} {
		cfg := busyConfig(seed)
		want, orig, recs := recordBusy(t, cfg)
		tr := busyEngine(cfg, -1)
		var again []Record
		tr.RecordTo(&again)
		tr.ReplayFrom(recs)
		assert.True(t, tr.q.steered)
		got := tr.Run()
		require.Nil(t, got.Diverge, "seed %d", seed)
		assert.Equal(t, want, got)
		assert.Equal(t, recs, again, "seed %d: the replay records its schedule", seed)
		assert.Equal(t, orig.text.String(), tr.text.String())
		assert.Equal(t, orig.json.String(), tr.json.String())
	}
}

// TestReplayNamesNonPendingEvent: an event the schedule names that is not
// pending (another message number, a timer of another kind) diverges at
// that line.
func TestReplayNamesNonPendingEvent(t *testing.T) {
	cfg := busyConfig(2)
	_, _, recs := recordBusy(t, cfg)
	_, parsed := writeParse(t, []byte(testHeader), recs)
	var deliver, timer int
	for i, r := range parsed {
		if r.Kind != RecEvent || i < len(parsed)/3 {
			continue
		}
		if deliver == 0 && strings.Contains(r.Text, " deliver ") {
			deliver = i
		}
		if timer == 0 && strings.Contains(r.Text, " timer ") {
			timer = i
		}
	}
	require.NotZero(t, deliver)
	require.NotZero(t, timer)
	for _, c := range []struct {
		i    int
		edit func(string) string
	}{
		{deliver, func(s string) string { return replaceNumber(s) }},
		{timer, func(s string) string { return s + "x" }},
	} {
		edited := append([]Record(nil), parsed...)
		edited[c.i].Text = c.edit(edited[c.i].Text)
		res, _ := replay(cfg, edited)
		require.Equal(t, StopDivergence, res.Reason)
		assert.Equal(t, Divergence{Line: parsed[c.i].Line, Want: edited[c.i].String(), Got: "no such event is pending"}, *res.Diverge)
	}
}

// replaceNumber makes "... deliver x#N ..." name message #999 instead.
func replaceNumber(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '#' {
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			return s[:i+1] + "999" + s[j:]
		}
	}
	return s
}

// TestReplayCut: "s <why>" stops the replay on purpose, with StopCut, where
// the schedule has it; a cut where the run asks for a decision diverges.
func TestReplayCut(t *testing.T) {
	cfg := busyConfig(4)
	_, orig, recs := recordBusy(t, cfg)
	// Cut before the first event past the middle.
	cut := len(recs) / 2
	for recs[cut].Kind != RecEvent {
		cut++
	}
	edited := append(append([]Record(nil), recs[:cut]...), Record{Kind: RecStop, Text: "cut"})
	res, tr := replay(cfg, edited)
	require.Nil(t, res.Diverge)
	assert.Equal(t, StopCut, res.Reason)
	assert.Equal(t, "the schedule ends here", res.Describe(cfg))
	assert.Positive(t, res.Pending)
	assert.True(t, len(tr.json.String()) < len(orig.json.String()))
	assert.Equal(t, orig.json.String()[:len(tr.json.String())], tr.json.String(), "the cut run is a prefix of the whole")
	assert.Equal(t, orig.text.String()[:len(tr.text.String())], tr.text.String())

	// The cut ends the schedule: records after it are left over.
	after := recs[cut]
	after.Line = 55
	res, _ = replay(cfg, append(edited, after))
	require.Equal(t, StopDivergence, res.Reason)
	assert.Equal(t, Divergence{Line: 55, Want: after.String()}, *res.Diverge)

	// A cut right where a decision is due.
	for cut = 1; recs[cut].Kind != RecLatency; cut++ {
	}
	edited = append(append([]Record(nil), recs[:cut]...), Record{Kind: RecStop, Text: "cut", Line: 77})
	res, _ = replay(cfg, edited)
	require.Equal(t, StopDivergence, res.Reason)
	assert.Equal(t, 77, res.Diverge.Line)
	assert.Equal(t, "s cut", res.Diverge.Want)
}

// TestSameSeedSameBytes: two runs of one seed write identical traces and
// schedules, in both the legacy and today's busy runs.
func TestSameSeedSameBytes(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		run := func() (text, json, sched string) {
			var recs []Record
			tr := busyEngineMode(busyConfig(13), -1, legacy)
			tr.RecordTo(&recs)
			tr.Run()
			var b []byte
			for _, r := range recs {
				b = append(b, r.String()...)
				b = append(b, '\n')
			}
			return tr.text.String(), tr.json.String(), string(b)
		}
		t1, j1, s1 := run()
		t2, j2, s2 := run()
		require.NotEmpty(t, j1)
		assert.Equal(t, t1, t2, "legacy %v: text", legacy)
		assert.Equal(t, j1, j2, "legacy %v: JSON", legacy)
		assert.Equal(t, s1, s2, "legacy %v: schedule", legacy)
	}
}

// TestReplayLenient: a schedule with an event taken out replays leniently
// to its end, skipping the events that are no longer pending (counted) and
// answering missing decisions at their least; strictly it diverges.
func TestReplayLenient(t *testing.T) {
	var recs []Record
	tr := busyEngine(busyConfig(1), -1)
	tr.RecordTo(&recs)
	tr.Run()
	// Take out the first delivery, with the decisions its handler took.
	var edited []Record
	removed := false
	skipping := false
	for _, r := range recs {
		if !removed && r.Kind == RecEvent && strings.Contains(r.Text, " deliver ") {
			removed, skipping = true, true
			continue
		}
		if skipping && r.Kind != RecEvent {
			continue
		}
		skipping = false
		edited = append(edited, r)
	}
	require.True(t, removed)

	strict := busyEngine(busyConfig(1), -1)
	strict.ReplayFrom(edited)
	assert.Equal(t, StopDivergence, strict.Run().Reason)

	lenient := busyEngine(busyConfig(1), -1)
	lenient.ReplayLenient(edited)
	res := lenient.Run()
	assert.Nil(t, res.Diverge)
	assert.Contains(t, []StopReason{StopCut, StopQuiescent, StopTimeLimit}, res.Reason)
	assert.Positive(t, res.Skipped, "events of the removed delivery's consequences were skipped")

	again := busyEngine(busyConfig(1), -1)
	again.ReplayLenient(edited)
	assert.Equal(t, res, again.Run(), "a lenient replay is deterministic")
}

// TestFindDelivery: a replay finds a delivery by its sender, number,
// receiver, type and copy, field by field, as the identity the schedule
// names; anything else it names is no pending delivery.
func TestFindDelivery(t *testing.T) {
	tr := steerCluster()
	tr.Steer()
	tr.SetBudget(Budget{Losses: 1, Duplicates: 1})
	for range 3 {
		tr.Do(tr.Enabled(nil)[0])
	}
	for _, c := range []struct {
		what string
		kind ActionKind
		ok   bool
	}{
		{"deliver a#1 b m", ActRun, true},
		{"lose a#1 b m", ActLose, true},
		{"duplicate a#1 b m", ActDuplicate, true},
		{"deliver a#1 b m dup", ActRun, false},
		{"deliver a#2 b m", ActRun, false},
		{"deliver a#01 b m", ActRun, false},
		{"deliver a#1 c m", ActRun, false},
		{"deliver x#1 b m", ActRun, false},
		{"deliver a#1 b n", ActRun, false},
		{"deliver a#1 b m extra", ActRun, false},
		{"deliver a#1", ActRun, false},
		{"timer b t", ActRun, true},
	} {
		a, ok := tr.find(c.what)
		require.Equal(t, c.ok, ok, c.what)
		if ok {
			want := "deliver a#1 b m"
			if c.kind == ActRun {
				want = c.what
			}
			assert.Equal(t, c.kind, a.Kind, c.what)
			assert.Equal(t, want, tr.identity(&tr.q.slab[a.Slot]), c.what)
		}
	}
}

// TestReplayResolve: a lenient replay looks for the event its resolver
// names instead of the record's, and skips the records it refuses; only a
// lenient replay takes a resolver.
func TestReplayResolve(t *testing.T) {
	var recs []Record
	tr := busyEngine(busyConfig(1), -1)
	tr.RecordTo(&recs)
	want := tr.Run()

	same := busyEngine(busyConfig(1), -1)
	same.ReplayLenient(recs)
	var asked []string
	same.ReplayResolve(func(what string) (string, bool) { asked = append(asked, what); return what, true })
	res := same.Run()
	assert.Equal(t, want.Stats, res.Stats, "renaming nothing replays the run")
	assert.Contains(t, asked, "start "+same.Name(0), "every event's record is asked about, without its time")

	none := busyEngine(busyConfig(1), -1)
	none.ReplayLenient(recs)
	none.ReplayResolve(func(what string) (string, bool) { return what, !strings.HasPrefix(what, "deliver ") })
	res = none.Run()
	assert.Zero(t, res.Delivered, "every delivery skipped")
	assert.Positive(t, res.Skipped)

	strict := busyEngine(busyConfig(1), -1)
	strict.ReplayFrom(recs)
	assert.Panics(t, func() { strict.ReplayResolve(func(w string) (string, bool) { return w, true }) })
}
