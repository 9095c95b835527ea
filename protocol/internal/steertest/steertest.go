// Package steertest drives steered engines for the node packages' tests:
// random but replayable action picks, and a holder node so that a test can
// put a clone in a node's place. It is test support, shared by the tests of
// protocol/kv and protocol/multipaxos.
package steertest

import (
	"math/rand/v2"
	"strings"
	"testing"

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
