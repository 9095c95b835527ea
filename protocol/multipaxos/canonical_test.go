package multipaxos

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// TestAppendStateCanonicalAcceptor: an acceptor's state is its promise and
// what it accepted per slot, however it got there, so the explorer counts
// one state where the network delivered the same Accepts in another order.
func TestAppendStateCanonicalAcceptor(t *testing.T) {
	x := cmdOf("client1", 1, protocol.Put, "x", "1")
	z := cmdOf("client2", 1, protocol.Put, "z", "3")
	cases := []struct {
		name       string
		one, other func(a *Acceptor)
	}{
		{
			"slots accepted in either order",
			func(a *Acceptor) { a.Accept(b(1, 1), 1, protocol.One(x)); a.Accept(b(1, 1), 3, protocol.One(z)) },
			func(a *Acceptor) { a.Accept(b(1, 1), 3, protocol.One(z)); a.Accept(b(1, 1), 1, protocol.One(x)) },
		},
		{
			"promised by a Prepare, or by the Accept itself",
			func(a *Acceptor) { a.Prepare(b(2, 1)); a.Accept(b(2, 1), 1, protocol.One(x)) },
			func(a *Acceptor) { a.Accept(b(2, 1), 1, protocol.One(x)) },
		},
		{
			"a slot overwritten at a higher ballot, or accepted there at once",
			func(a *Acceptor) { a.Accept(b(1, 1), 2, protocol.One(z)); a.Accept(b(2, 2), 2, protocol.One(x)) },
			func(a *Acceptor) { a.Accept(b(2, 2), 2, protocol.One(x)) },
		},
		{
			"a rejected Accept leaves no trace",
			func(a *Acceptor) { a.Prepare(b(3, 1)); a.Accept(b(2, 1), 1, protocol.One(x)) },
			func(a *Acceptor) { a.Prepare(b(3, 1)) },
		},
		{
			"a repeated Prepare, Accept and duplicate",
			func(a *Acceptor) {
				a.Prepare(b(1, 1))
				a.Prepare(b(1, 1))
				a.Accept(b(1, 1), 1, protocol.One(x))
				a.Accept(b(1, 1), 1, protocol.One(x))
			},
			func(a *Acceptor) { a.Prepare(b(1, 1)); a.Accept(b(1, 1), 1, protocol.One(x)) },
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			one, other := &Acceptor{}, &Acceptor{}
			c.one(one)
			c.other(other)
			require.Equal(t, one.Accepted, other.Accepted)
			assert.Equal(t, one.AppendState(nil), other.AppendState(nil))
		})
	}
	// And a different state encodes differently.
	one, other := &Acceptor{}, &Acceptor{}
	one.Accept(b(1, 1), 1, protocol.One(x))
	other.Accept(b(1, 2), 1, protocol.One(x))
	assert.NotEqual(t, one.AppendState(nil), other.AppendState(nil), "the same command at another ballot is another state")
}

// TestAppendStateCanonicalReplica: a replica that received the same commits
// in another order, with duplicates, or after one more restart (only
// whether it ever restarted changes what it does) encodes the same.
func TestAppendStateCanonicalReplica(t *testing.T) {
	c := func(slot int64, k string) protocol.Msg {
		return protocol.Msg{Kind: protocol.Commit, Slot: slot, Cmd: cmdOf("client1", uint64(slot), protocol.Put, k, "v")}
	}
	run := func(restarts int, commits ...protocol.Msg) []byte {
		e, _ := testEngine(0)
		r := &Replica{}
		rid := e.AddNode("replica1", r)
		for i := range restarts {
			e.Crash(sim.Time(2*i+1)*sim.Millisecond, rid)
			e.Restart(sim.Time(2*i+2)*sim.Millisecond, rid)
		}
		var script []timedMsg
		for _, m := range commits {
			script = append(script, timedMsg{at: 10 * sim.Millisecond, to: rid, msg: m})
		}
		e.AddNode("leader1", &timedProbe{script: script})
		e.Run()
		return r.AppendState(nil)
	}
	want := run(1, c(1, "a"), c(2, "b"), c(3, "c"))
	assert.Equal(t, want, run(1, c(3, "c"), c(1, "a"), c(2, "b")), "commits in another order")
	assert.Equal(t, want, run(1, c(2, "b"), c(2, "b"), c(3, "c"), c(1, "a"), c(3, "c")), "commits with duplicates")
	assert.Equal(t, want, run(2, c(1, "a"), c(2, "b"), c(3, "c")), "one more restart")
	assert.NotEqual(t, want, run(0, c(1, "a"), c(2, "b"), c(3, "c")), "a replica never restarted is another state: its next start is a first start")
	assert.NotEqual(t, want, run(1, c(1, "a"), c(3, "c")), "a replica waiting for slot 2 is another state")
}

// TestAppendStateCanonicalLeader: a leader's encoding does not depend on
// the order in which its quorum's promises arrived, on where its queue
// starts in its array, or on the order of the votes.
func TestAppendStateCanonicalLeader(t *testing.T) {
	a := cmdOf("client1", 1, protocol.Put, "a", "1")
	z := cmdOf("client2", 1, protocol.Put, "z", "2")
	// acceptor1 accepted slot 1, acceptor2 slot 2, both at (1,1), the
	// ballot leader1 campaigns with again; acceptor3 is down. Whichever
	// promise comes first, leader1 recovers both slots, chooses them with
	// acceptor1 and acceptor2, and stops there.
	run := func(first int) (*rig, []byte) {
		accs := []*Acceptor{
			{Promised: b(1, 1), Accepted: []protocol.Entry{{Slot: 1, Ballot: b(1, 1), Value: protocol.One(a)}}},
			{Promised: b(1, 1), Accepted: []protocol.Entry{{Slot: 1}, {Slot: 2, Ballot: b(1, 1), Value: protocol.One(z)}}},
			{},
		}
		r := newRig(scripted, 1, 1, accs, 0)
		r.e.Crash(0, r.accIDs[2])
		r.e.SetDecider(msgDecider{r: r, latency: func(s sent) sim.Time {
			if s.from == r.accIDs[first] {
				return sim.Millisecond
			}
			return 2 * sim.Millisecond
		}})
		l := r.leaders[0]
		r.e.StopWhen("recovered", func() bool { ok, _ := l.Leading(); return ok && l.applied == 2 })
		res := r.e.Run()
		require.Equal(t, sim.StopSettled, res.Reason, "%s", r.text)
		return r, l.AppendState(nil)
	}
	r1, s1 := run(0)
	r2, s2 := run(1)
	r1.assertTrace(t, `[leader1] Promise from acceptor1 with 1 accepted entry: slot 1 PUT "a" = "1" (client1 #1) at (1,1) (1/2)`, `[leader1] Promise from acceptor2 with 1 accepted entry: slot 2 PUT "z" = "2" (client2 #1) at (1,1) (2/2)`)
	r2.assertTrace(t, `[leader1] Promise from acceptor2 with 1 accepted entry: slot 2 PUT "z" = "2" (client2 #1) at (1,1) (1/2)`, `[leader1] Promise from acceptor1 with 1 accepted entry: slot 1 PUT "a" = "1" (client1 #1) at (1,1) (2/2)`)
	assert.Equal(t, []protocol.Command{a, z}, applied(r1.leaders[0].Machine()))
	assert.Equal(t, s1, s2, "the promises in the other order lead to the same state")

	// The queue: the same requests waiting, from index 1 of a longer array
	// or from index 0.
	p := func(seq uint64) pending { return pending{from: 9, cmd: cmdOf("client1", seq, protocol.Get, "a", "")} }
	mk := func(queue []pending, head int) *Leader {
		l := &Leader{ID: 1, Acceptors: []sim.NodeID{0, 1, 2}, role: leading, ballot: b(1, 1), seen: b(1, 1)}
		l.promises.size(3)
		l.answered.size(3)
		l.queue, l.head = queue, head
		return l
	}
	assert.Equal(t, mk([]pending{p(2), p(3)}, 0).AppendState(nil), mk([]pending{p(1), p(2), p(3)}, 1).AppendState(nil), "a queue served from its head")
	assert.NotEqual(t, mk([]pending{p(2), p(3)}, 0).AppendState(nil), mk([]pending{p(3), p(2)}, 0).AppendState(nil), "the queue's order is state")

	// The votes of a slot in either order.
	one, other := mk(nil, 0), mk(nil, 0)
	for _, l := range []*Leader{one, other} {
		l.slots = []proposal{{val: protocol.One(a), from: []sim.NodeID{9}}}
		l.slots[0].votes.size(3)
	}
	one.slots[0].votes.add(0)
	one.slots[0].votes.add(2)
	other.slots[0].votes.add(2)
	other.slots[0].votes.add(0)
	other.slots[0].votes.add(2)
	assert.Equal(t, one.AppendState(nil), other.AppendState(nil), "votes in another order, with a duplicate")
}
