// Package steertest is test support shared by the protocol packages' tests:
// random but replayable action picks over a steered engine, a holder node
// so that a test can put a clone in a node's place, the clone-independence
// check (protocol/kv, protocol/multipaxos), and the check that the bug
// searches cover the catalogue (protocol/explore, protocol/cluster).
package steertest

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// Pick is one steered action: its index among the enabled actions, and how
// many were enabled, so that a run driven the same way can check that it
// was offered the same choice.
type Pick struct{ I, Of int }

// Drive runs up to n actions of a steered engine, each chosen by rng among
// the enabled ones, stopping early when until (if set) holds or nothing is
// enabled. Nine times in ten it delivers a message, if one is in flight, so
// that timers and faults do not drown the protocol's progress (picked
// uniformly, leaders fire their election timers as often as they receive
// heartbeats, and duel for ever). It returns the picks it made.
func Drive(e *sim.Engine[protocol.Msg], rng *rand.Rand, n int, until func() bool) []Pick {
	var picks []Pick
	var acts []sim.Action
	var deliveries []int
	for range n {
		if until != nil && until() {
			break
		}
		acts = e.Enabled(acts[:0])
		if len(acts) == 0 {
			break
		}
		deliveries = deliveries[:0]
		for i, a := range acts {
			if a.Kind == sim.ActRun && strings.HasPrefix(e.Describe(a), "deliver ") {
				deliveries = append(deliveries, i)
			}
		}
		p := Pick{rng.IntN(len(acts)), len(acts)}
		if len(deliveries) > 0 && rng.IntN(10) > 0 {
			p.I = deliveries[rng.IntN(len(deliveries))]
		}
		picks = append(picks, p)
		e.Do(acts[p.I])
	}
	return picks
}

// Replay drives e by picks, as Drive drove another engine.
func Replay(t testing.TB, e *sim.Engine[protocol.Msg], picks []Pick) {
	t.Helper()
	var acts []sim.Action
	for k, p := range picks {
		acts = e.Enabled(acts[:0])
		require.Len(t, acts, p.Of, "action %d: the clone is offered another choice than the original", k)
		e.Do(acts[p.I])
	}
}

// NodeStates is every node's AppendState.
func NodeStates(e *sim.Engine[protocol.Msg]) [][]byte {
	out := make([][]byte, e.NumNodes())
	for i := range out {
		out[i] = e.Node(sim.NodeID(i)).AppendState(nil)
	}
	return out
}

// Holder is a node that delegates to the node it holds, so that a test can
// put a clone in a node's place in an engine.
type Holder struct{ N sim.Node[protocol.Msg] }

// Start delegates.
func (h *Holder) Start(env *sim.Env[protocol.Msg]) { h.N.Start(env) }

// Receive delegates.
func (h *Holder) Receive(env *sim.Env[protocol.Msg], from sim.NodeID, m protocol.Msg) {
	h.N.Receive(env, from, m)
}

// Timer delegates.
func (h *Holder) Timer(env *sim.Env[protocol.Msg], k sim.TimerKind) { h.N.Timer(env, k) }

// Crash delegates.
func (h *Holder) Crash() { h.N.Crash() }

// AppendState delegates.
func (h *Holder) AppendState(b []byte) []byte { return h.N.AppendState(b) }

// Clone clones the held node (into another Holder's node when into is one).
func (h *Holder) Clone(into sim.Node[protocol.Msg]) sim.Node[protocol.Msg] {
	d, _ := into.(*Holder)
	var inner sim.Node[protocol.Msg]
	if d == nil {
		d = &Holder{}
	} else {
		inner = d.N
	}
	d.N = h.N.Clone(inner)
	return d
}

// Held is the node engine e holds as node i, read from the engine each time
// (an engine that shares its nodes with a copy replaces a node with a clone
// before changing it).
func Held(e *sim.Engine[protocol.Msg], i int) sim.Node[protocol.Msg] {
	return e.Node(sim.NodeID(i)).(*Holder).N
}

// CloneCheck describes a clone-independence test of a steered run: how to
// build it (twice: it must be the same run), how far to warm it up, when it
// is mid-way, and checks of the caller's own.
type CloneCheck struct {
	Build    func() *sim.Engine[protocol.Msg]
	Seed     uint64 // of the action picks
	Warm     int    // actions before the older clones (those Clone(into) reuses) are made
	MidSteps int    // actions at most to reach Mid
	Mid      func(e *sim.Engine[protocol.Msg]) bool
	// Moved, when set, checks that driving the original after the clones
	// changed what the test needs changed (so the checks are not vacuous).
	Moved func(t *testing.T, e *sim.Engine[protocol.Msg], before, after [][]byte)
	// Kept, when set, checks what AppendState cannot see of a clone (a
	// store, say), once the original was driven on (final false: the
	// clone's at clone time) and once the clone was driven as the original
	// (final true).
	Kept func(t *testing.T, original sim.Node[protocol.Msg], clone sim.Node[protocol.Msg], i int, final bool)
}

// CheckClones clones every node of the run mid-way, twice: into nothing
// (Clone(nil), a new node) and into an older clone of the same node
// (Clone(into), reusing its memory). Driving the original further must not
// change either clone: each keeps encoding what the original encoded when
// it was cloned, which is what lets the explorer keep a state and come back
// to it. Each clone, put in its node's place in a run brought to the same
// point and driven by the same actions as the original, must then encode as
// the original does. The same holds of a whole engine's copy (CloneInto),
// however the engine shares or copies its nodes.
func CheckClones(t *testing.T, c CloneCheck) {
	t.Helper()
	e := c.Build()
	n := e.NumNodes()
	rng := rand.New(rand.NewPCG(c.Seed, c.Seed))
	prefix := Drive(e, rng, c.Warm, nil)
	older := make([]sim.Node[protocol.Msg], n)
	for i := range older {
		older[i] = Held(e, i).Clone(nil)
	}
	prefix = append(prefix, Drive(e, rng, c.MidSteps, func() bool { return c.Mid(e) })...)
	require.True(t, c.Mid(e), "the run reaches a mid-run state")

	before := NodeStates(e)
	snapshot := make([]sim.Node[protocol.Msg], n)
	fresh := make([]sim.Node[protocol.Msg], n)
	reused := make([]sim.Node[protocol.Msg], n)
	for i := range n {
		name := e.Name(sim.NodeID(i))
		snapshot[i] = Held(e, i).Clone(nil)
		fresh[i] = Held(e, i).Clone(nil)
		reused[i] = Held(e, i).Clone(older[i])
		require.Same(t, older[i], reused[i], "%s: Clone(into) reuses into", name)
		assert.Equal(t, before[i], fresh[i].AppendState(nil), "%s: a clone encodes as the original", name)
		assert.Equal(t, before[i], reused[i].AppendState(nil), "%s: a clone into an older clone encodes as the original", name)
	}
	copied := e.CloneInto(nil)

	post := Drive(e, rng, 400, nil)
	require.NotEmpty(t, post)
	after := NodeStates(e)
	if c.Moved != nil {
		c.Moved(t, e, before, after)
	}
	for i := range n {
		name := e.Name(sim.NodeID(i))
		assert.Equal(t, before[i], fresh[i].AppendState(nil), "%s: driving the original changed its clone", name)
		assert.Equal(t, before[i], reused[i].AppendState(nil), "%s: driving the original changed its clone into an older clone", name)
		assert.Equal(t, before[i], copied.Node(sim.NodeID(i)).AppendState(nil), "%s: driving the original changed the engine's copy", name)
		if c.Kept != nil {
			c.Kept(t, snapshot[i], fresh[i], i, false)
			c.Kept(t, snapshot[i], reused[i], i, false)
		}
	}

	var s1, s2 sim.StateScratch
	want := e.AppendState(nil, &s1)
	for _, k := range []struct {
		name   string
		clones []sim.Node[protocol.Msg]
	}{{"Clone(nil)", fresh}, {"Clone(into)", reused}} {
		// The same run, brought to the point of the clones, with the
		// clones in its nodes' places.
		e2 := c.Build()
		Replay(t, e2, prefix)
		require.Equal(t, before, NodeStates(e2), "the run replayed to the same point")
		for i := range n {
			e2.Node(sim.NodeID(i)).(*Holder).N = k.clones[i]
		}
		Replay(t, e2, post)
		got := NodeStates(e2)
		for i := range n {
			assert.Equal(t, after[i], got[i], "%s: %s driven as the original encodes differently", k.name, e.Name(sim.NodeID(i)))
			if c.Kept != nil {
				c.Kept(t, Held(e, i), Held(e2, i), i, true)
			}
		}
		assert.Equal(t, want, e2.AppendState(nil, &s2), "%s: the whole run encodes as the original", k.name)
	}
	Replay(t, copied, post)
	assert.Equal(t, after, NodeStates(copied), "the engine's copy driven as the original")
	assert.Equal(t, want, copied.AppendState(nil, &s2), "the engine's copy encodes as the original")
}

// CheckCatalogueCovered checks that the bugs one package's tests find
// (mine) and those another package's tests find (theirs, as that package
// lists them) partition protocol.Catalogue: every catalogued bug is found by
// exactly one of the two, and every name is a catalogued bug.
func CheckCatalogueCovered(t *testing.T, mine, theirs []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, name := range append(append([]string(nil), mine...), theirs...) {
		if seen[name] {
			t.Errorf("%s is found by both packages' tests (or listed twice)", name)
		}
		seen[name] = true
	}
	for _, b := range protocol.Catalogue {
		if !seen[b.Name] {
			t.Errorf("catalogued bug %s has no test that finds it: add a search to protocol/explore/bugs_test.go or a sweep to protocol/cluster/bugs_test.go (and its name to the other file's list)", b.Name)
		}
		delete(seen, b.Name)
	}
	for name := range seen {
		t.Errorf("%s is not a catalogued bug", name)
	}
}
