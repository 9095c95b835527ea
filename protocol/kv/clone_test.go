package kv

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/internal/steertest"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// steeredStore is the unreplicated kv_store, a Server and two Clients of 6
// requests each, each in a holder, in steered mode with the least latency,
// and losses, duplicates and a crash in the budget. Built twice, it is the
// same run.
func steeredStore() *sim.Engine[protocol.Msg] {
	e := sim.New[protocol.Msg](sim.Config{Seed: 1, LatencyMin: sim.Millisecond, LatencyMax: sim.Millisecond, TimeLimit: sim.Second, MaxEvents: 100000, TimerNames: protocol.TimerNames})
	sid := e.AddNode("kvstore", &steertest.Holder{N: &Server{}})
	w := NewWorkload(e.Symbols(), 6, []string{"x", "y"}, 3, 1, 2, 1)
	for i := 1; i <= 2; i++ {
		name := fmt.Sprintf("client%d", i)
		c := &Client{Targets: []sim.NodeID{sid}, Work: w, Timeout: 10 * sim.Millisecond, Retries: 3}
		c.SetStream(sim.PCG(1, "node/"+name))
		e.AddNode(name, &steertest.Holder{N: c})
	}
	e.Steer()
	e.SetDecider(sim.FirstDecider{})
	e.SetBudget(sim.Budget{Timers: 20, Losses: 3, Duplicates: 2, Crashes: 1})
	return e
}

// TestCloneIndependence clones the Server and the Clients of a run mid-way
// (steertest.CheckClones); the server's store, which AppendState does not
// encode (it is a function of the log), is checked directly.
func TestCloneIndependence(t *testing.T) {
	steertest.CheckClones(t, steertest.CloneCheck{
		Build: steeredStore, Seed: 3, Warm: 8, MidSteps: 1000,
		Mid: func(e *sim.Engine[protocol.Msg]) bool {
			return steertest.Held(e, 0).(*Server).Machine().Len() >= 3 && !steertest.Held(e, 1).(*Client).Done() && !steertest.Held(e, 2).(*Client).Done()
		},
		Moved: func(t *testing.T, e *sim.Engine[protocol.Msg], before, after [][]byte) {
			for i := range before {
				assert.NotEqual(t, before[i], after[i], "%s changed after the clone: the test drives the original too little", e.Name(sim.NodeID(i)))
			}
		},
		Kept: func(t *testing.T, original, clone sim.Node[protocol.Msg], i int, final bool) {
			if s, ok := original.(*Server); ok {
				assert.Equal(t, s.Machine().Store().Map(names), clone.(*Server).Machine().Store().Map(names), "the clone's store (final %v)", final)
			}
		},
	})
}

// TestMachineCloneIndependence: AppendState encodes only a machine's log,
// of which the store and the sessions are functions, so it cannot see a
// store or a sessions map shared between a machine and its clone. This
// checks them directly: applying to the original changes neither the
// clone's store nor its sessions, for a new clone and for a clone into a
// machine that held other state.
func TestMachineCloneIndependence(t *testing.T) {
	for _, into := range []bool{false, true} {
		t.Run(fmt.Sprintf("into=%v", into), func(t *testing.T) {
			var m, d Machine
			if into {
				d.Apply(protocol.One(asRequest("client9", 4, put("z", "9"))))
				d.Apply(protocol.One(asRequest("client1", 7, put("x", "7"))))
			}
			m.Apply(protocol.One(asRequest("client1", 1, put("x", "1"))))
			m.CloneInto(&d)
			want := m.AppendState(nil)
			require.Equal(t, want, d.AppendState(nil))
			require.Equal(t, map[string]string{"x": "1"}, d.Store().Map(names))
			_, ok := d.Answered(node("client9"), 4)
			require.False(t, ok, "the clone keeps none of into's sessions")

			m.Apply(protocol.One(asRequest("client1", 2, del("x"))))
			m.Apply(protocol.One(asRequest("client2", 1, put("y", "2"))))
			assert.Equal(t, want, d.AppendState(nil))
			assert.Equal(t, map[string]string{"x": "1"}, d.Store().Map(names), "applying to the original changed the clone's store")
			_, ok = d.Answered(node("client1"), 2)
			assert.False(t, ok, "applying to the original changed the clone's session of client1")
			_, ok = d.Answered(node("client2"), 1)
			assert.False(t, ok, "applying to the original gave the clone a session of client2")
			assert.Equal(t, []protocol.Command{asRequest("client1", 1, put("x", "1"))}, effectsOf(&d))

			// And the other way round.
			d.Apply(protocol.One(asRequest("client3", 1, put("w", "3"))))
			assert.Equal(t, map[string]string{"y": "2"}, m.Store().Map(names), "applying to the clone changed the original")
			_, ok = m.Answered(node("client3"), 1)
			assert.False(t, ok)
		})
	}
}

// TestAppendStateCanonical: one state reached two ways encodes the same. A
// machine that applied a log encodes as one that applied other commands,
// was Reset and applied the same log (its maps keep their old memory); a
// client encodes only what decides what it does next, not the request in
// flight, which its script and count of requests sent determine.
func TestAppendStateCanonical(t *testing.T) {
	log := []protocol.Command{asRequest("client1", 1, put("x", "1")), {Op: protocol.Noop}, asRequest("client2", 1, get("x"))}
	var fresh, reused, cloned Machine
	for _, c := range log {
		fresh.Apply(protocol.One(c))
	}
	for _, c := range []protocol.Command{put("a", "1"), put("b", "2"), asRequest("client1", 5, del("a"))} {
		reused.Apply(protocol.One(c))
	}
	reused.Reset()
	for _, c := range log {
		reused.Apply(protocol.One(c))
	}
	cloned.Apply(protocol.One(put("q", "q")))
	fresh.CloneInto(&cloned)
	assert.Equal(t, fresh.AppendState(nil), reused.AppendState(nil), "a reset machine that applied the same log")
	assert.Equal(t, fresh.AppendState(nil), cloned.AppendState(nil), "a clone into a machine with other state")
	assert.True(t, fresh.Store().Equal(reused.Store()))
	var other Machine
	other.Apply(protocol.One(log[0]))
	other.Apply(protocol.One(log[2]))
	assert.NotEqual(t, fresh.AppendState(nil), other.AppendState(nil), "a log without the Noop is another state: the slots differ")

	script := []protocol.Command{asRequest("client1", 1, put("x", "1")), asRequest("client1", 2, get("x"))}
	w := &Workload{Requests: 2}
	a := &Client{Work: w, Targets: []sim.NodeID{0}}
	a.sent, a.pending, a.cur = 1, true, script[0]
	// The same client state reached after a Reset: a is the one that has
	// just sent request 1.
	c := &Client{Work: w, Targets: []sim.NodeID{0}}
	c.sent, c.pending, c.cur, c.tries, c.target = 2, false, script[1], 3, 0
	c.Reset()
	c.sent, c.pending, c.cur = 1, true, script[0]
	assert.Equal(t, a.AppendState(nil), c.AppendState(nil))
}
