package multipaxos

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/internal/steertest"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// steeredCluster is 2 leaders (pipeline 2), 3 acceptors, 1 replica and 2
// clients of 4 requests each, wired as newRig wires them and each in a
// holder, in steered mode with the least latency and no jitter
// (sim.FirstDecider), and a budget of timers and faults. Built twice, it
// is the same run.
func steeredCluster() *sim.Engine[protocol.Msg] {
	e := sim.New[protocol.Msg](sim.Config{Seed: 1, LatencyMin: sim.Millisecond, LatencyMax: sim.Millisecond, TimeLimit: sim.Second, MaxEvents: 100000, TimerNames: protocol.TimerNames})
	const leaders, acceptors = 2, 3
	var ls []*Leader
	var lids, aids, rids []sim.NodeID
	for i := 1; i <= leaders; i++ {
		l := &Leader{ID: int32(i), Timeouts: recoveryTimeouts, Pipeline: 2}
		ls = append(ls, l)
		lids = append(lids, e.AddNode(fmt.Sprintf("leader%d", i), &steertest.Holder{N: l}))
	}
	for i := 1; i <= acceptors; i++ {
		aids = append(aids, e.AddNode(fmt.Sprintf("acceptor%d", i), &steertest.Holder{N: &Acceptor{}}))
	}
	rids = append(rids, e.AddNode("replica1", &steertest.Holder{N: &Replica{}}))
	for i, l := range ls {
		l.Acceptors, l.Replicas = aids, rids
		for j, id := range lids {
			if j != i {
				l.Peers = append(l.Peers, id)
			}
		}
	}
	w := kv.NewWorkload(e.Symbols(), 4, []string{"x", "y"}, 3, 1, 2, 1)
	for i := 1; i <= 2; i++ {
		name := fmt.Sprintf("client%d", i)
		c := &kv.Client{Targets: lids, Work: w, Timeout: 100 * sim.Millisecond, Retries: 5}
		c.SetStream(sim.PCG(1, "node/"+name))
		e.AddNode(name, &steertest.Holder{N: c})
	}
	e.Steer()
	e.SetDecider(sim.FirstDecider{})
	e.SetBudget(sim.Budget{Timers: 300, Losses: 2, Duplicates: 2, Crashes: 1})
	return e
}

// TestCloneIndependence clones every node of a MultiPaxos run mid-way
// (steertest.CheckClones), once every kind of node has something to copy.
func TestCloneIndependence(t *testing.T) {
	steertest.CheckClones(t, steertest.CloneCheck{
		Build: steeredCluster, Seed: 7, Warm: 15, MidSteps: 5000,
		// Mid-run: a leader leads with two slots applied, the replica has
		// learnt one, and client1 still has requests to make.
		Mid: func(e *sim.Engine[protocol.Msg]) bool {
			var applied bool
			for i := range 2 {
				if l := steertest.Held(e, i).(*Leader); l.role == leading && l.applied >= 2 {
					applied = true
				}
			}
			return applied && steertest.Held(e, 5).(*Replica).applied >= 1 && !steertest.Held(e, 6).(*kv.Client).Done()
		},
		// The original moved on: every kind of node changed, so the checks
		// are not vacuous.
		Moved: func(t *testing.T, e *sim.Engine[protocol.Msg], before, after [][]byte) {
			changed := map[string]bool{}
			for i := range before {
				if string(before[i]) != string(after[i]) {
					changed[fmt.Sprintf("%T", steertest.Held(e, i))] = true
				}
			}
			for _, typ := range []string{"*multipaxos.Leader", "*multipaxos.Acceptor", "*multipaxos.Replica", "*kv.Client"} {
				assert.True(t, changed[typ], "some %s changed after the clone: the test drives the original too little", typ)
			}
		},
	})
}

// TestCloneLeaderDeep clones a leader whose every slice holds something
// (promises, recovered entries, slots with votes, a queue, a machine with
// sessions) and checks, field by field, that changing the original's
// reaches none of the clone's, for both Clone(nil) and Clone(into).
func TestCloneLeaderDeep(t *testing.T) {
	x := cmdOf("client1", 1, protocol.Put, "x", "1")
	y := cmdOf("client2", 1, protocol.Get, "x", "")
	mk := func() *Leader {
		l := &Leader{ID: 1, Acceptors: []sim.NodeID{0, 1, 2}, role: leading, ballot: b(2, 1), seen: b(2, 1), round: 2}
		l.promises.size(3)
		l.promises.add(0)
		l.promises.add(2)
		l.answered.size(3)
		l.answered.add(1)
		l.recovered = []protocol.Entry{{Slot: 1, Ballot: b(1, 1), Value: protocol.One(x)}}
		l.slots = []proposal{{val: protocol.One(x), chosen: true}, {val: protocol.One(y), from: []sim.NodeID{5}}}
		for i := range l.slots {
			l.slots[i].votes.size(3)
			l.slots[i].votes.add(0)
		}
		l.machine.Apply(protocol.One(x))
		l.applied, l.recovering, l.inflight = 1, 1, 1
		l.queue = []pending{{from: 6, cmd: cmdOf("client3", 1, protocol.Delete, "x", "")}}
		return l
	}
	for _, c := range []struct {
		name string
		into sim.Node[protocol.Msg]
	}{{"Clone(nil)", nil}, {"Clone(into)", mk()}} {
		t.Run(c.name, func(t *testing.T) {
			l := mk()
			d := l.Clone(c.into).(*Leader)
			want := l.AppendState(nil)
			require.Equal(t, want, d.AppendState(nil))

			l.promises.add(1)
			l.answered.add(0)
			l.recovered[0].Value = protocol.One(y)
			l.slots[1].votes.add(1)
			l.slots[1].chosen = true
			l.queue[0].cmd.Seq = 9
			l.machine.Apply(protocol.One(y))
			l.slots = append(l.slots[:2], proposal{val: protocol.One(x)}) // may reuse spare capacity
			assert.Equal(t, want, d.AppendState(nil), "changing the original's state changed the clone")
			assert.Equal(t, 2, d.promises.count())
			assert.False(t, d.slots[1].votes.has(1))
			assert.Equal(t, []protocol.Command{x}, applied(d.Machine()))
		})
	}
}

// TestCloneAcceptorReplica clones an acceptor and a replica, changes the
// originals, and checks the clones did not change, for both Clone(nil) and
// Clone(into).
func TestCloneAcceptorReplica(t *testing.T) {
	x := cmdOf("client1", 1, protocol.Put, "x", "1")
	y := cmdOf("client2", 1, protocol.Put, "y", "2")
	for _, into := range []bool{false, true} {
		t.Run(fmt.Sprintf("into=%v", into), func(t *testing.T) {
			a := &Acceptor{}
			a.Accept(b(1, 1), 2, protocol.One(x))
			var ainto sim.Node[protocol.Msg]
			if into {
				old := &Acceptor{}
				old.Accept(b(5, 5), 4, protocol.One(y)) // longer, so its array is reused
				ainto = old
			}
			ac := a.Clone(ainto).(*Acceptor)
			want := a.AppendState(nil)
			require.Equal(t, want, ac.AppendState(nil))
			a.Accept(b(2, 1), 1, protocol.One(y))
			a.Accept(b(2, 1), 2, protocol.One(y))
			assert.Equal(t, want, ac.AppendState(nil), "accepting on the original changed the clone")

			e, _ := testEngine(0)
			rep := &Replica{}
			rid := e.AddNode("replica1", rep)
			p := &probe{to: rid, burst: true, script: []protocol.Msg{
				{Kind: protocol.Commit, Slot: 1, Cmd: x},
				{Kind: protocol.Commit, Slot: 3, Cmd: y},
			}}
			e.AddNode("leader1", p)
			e.Run()
			var rinto sim.Node[protocol.Msg]
			if into {
				rinto = rep.Clone(nil)
			}
			rc := rep.Clone(rinto).(*Replica)
			want = rep.AppendState(nil)
			require.Equal(t, want, rc.AppendState(nil))
			rep.log[2].Cmd.Key = sym("changed")
			rep.have[1] = true
			rep.Machine().Apply(protocol.One(y))
			assert.Equal(t, want, rc.AppendState(nil), "changing the original replica changed the clone")
		})
	}
}
