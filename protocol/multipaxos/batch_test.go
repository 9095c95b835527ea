package multipaxos

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// TestLeaderBatches: seven requests wait while leader1 runs Phase 1; with
// batch 3 and pipeline 2, the win fills two slots with three requests each,
// in arrival order, and the seventh waits for a free slot. Every request
// is answered once, with the kv_store's answer; the replica applies the
// same three slots; and the acceptors hold each batch whole.
func TestLeaderBatches(t *testing.T) {
	e, text := testEngine(sim.Millisecond)
	l := &Leader{ID: 1, Pipeline: 2, Batch: 3, Timeouts: Timeouts{Heartbeat: 10 * sim.Millisecond, Election: 50 * sim.Millisecond, Retry: 20 * sim.Millisecond}}
	lid := e.AddNode("leader1", l)
	var accs []*Acceptor
	for i := 1; i <= 3; i++ {
		a := &Acceptor{}
		accs = append(accs, a)
		l.Acceptors = append(l.Acceptors, e.AddNode("acceptor"+string(rune('0'+i)), a))
	}
	r := &Replica{}
	l.Replicas = append(l.Replicas, e.AddNode("replica1", r))
	var cmds []protocol.Command
	for seq := uint64(1); seq <= 7; seq++ {
		op := protocol.Put
		if seq%2 == 0 {
			op = protocol.Get
		}
		cmds = append(cmds, protocol.Command{Op: op, Key: sym("k"), Value: sym("v"), Client: clientID("client1"), Seq: seq})
	}
	p := &probe{to: lid, burst: true}
	for _, c := range cmds {
		p.script = append(p.script, protocol.Msg{Kind: protocol.Request, Cmd: c})
	}
	e.AddNode("client1", p)
	e.Run()

	require.Len(t, p.got, 7, "every request answered once")
	for i, m := range p.got {
		assert.Equal(t, protocol.Reply, m.Kind)
		assert.Equal(t, uint64(i+1), m.Cmd.Seq, "answered in log order")
	}
	assert.Equal(t, protocol.Result{OK: true}, p.got[0].Result, "the first put")
	assert.Equal(t, protocol.Result{OK: true, Value: sym("v")}, p.got[1].Result, "a get of it")
	assert.Equal(t, protocol.Result{Err: protocol.ErrExists}, p.got[2].Result, "put fails if the key exists")

	_, log := l.Machine().Log()
	require.Len(t, log, 3, "7 requests in 3 slots")
	for i, want := range []protocol.Value{protocol.Batch(cmds[0:3]), protocol.Batch(cmds[3:6]), protocol.One(cmds[6])} {
		assert.True(t, log[i].Same(want), "slot %d: %s", i+1, log[i].Tagged(names))
		for _, a := range accs {
			assert.True(t, a.Entry(int64(i+1)).Value.Same(want), "the acceptors hold slot %d whole", i+1)
		}
	}
	assert.Equal(t, cmds, applied(r.Machine()), "the replica applies the same commands in the same order")
	assert.Equal(t, l.Machine().Digest(), r.Machine().Digest())
	assert.Contains(t, text.String(), `[leader1] Assigning slot 1 for 3 requests at once (batch 3): client1's request 1: PUT "k" = "v", client1's request 2: GET "k", client1's request 3: PUT "k" = "v"; sending Accept at ballot (1,1) to 3 acceptors`)
	assert.Contains(t, text.String(), `[leader1] Assigning slot 3 for client1's request 7: PUT "k" = "v"; sending Accept at ballot (1,1) to 3 acceptors`)
	assert.Contains(t, text.String(), `[acceptor1] ACCEPT slot 2 at ballot (1,1): batch of 3: GET "k", PUT "k" = "v", GET "k" -> accepted`)
	assert.Contains(t, text.String(), `[replica1] slot 1: batch of 3: PUT "k" = "v", GET "k", PUT "k" = "v"`)
}

// TestReplicaAppliesBatches: a replica applies a slot's batch in order, as
// one slot; a request that reached the log twice, once alone and once in a
// batch, takes effect once, and the trace says so.
func TestReplicaAppliesBatches(t *testing.T) {
	e, text := testEngine(0)
	r := &Replica{}
	rid := e.AddNode("replica1", r)
	x := protocol.Command{Op: protocol.Put, Key: sym("x"), Value: sym("1"), Client: clientID("client1"), Seq: 1}
	y := protocol.Command{Op: protocol.Put, Key: sym("y"), Value: sym("2"), Client: clientID("client2"), Seq: 1}
	del := protocol.Command{Op: protocol.Delete, Key: sym("x"), Client: clientID("client3"), Seq: 1}
	commit := func(slot int64, v protocol.Value) protocol.Msg {
		return protocol.Msg{Kind: protocol.Commit, Slot: slot}.With(v)
	}
	p := &probe{to: rid, burst: true, script: []protocol.Msg{
		commit(2, protocol.Batch([]protocol.Command{y, x, del})),
		commit(1, protocol.One(x)),
	}}
	e.AddNode("leader1", p)
	e.Run()

	assert.Equal(t, []protocol.Command{x, y, x, del}, applied(r.Machine()))
	assert.Equal(t, []protocol.Command{x, y, del}, effects(r.Machine()), "x took effect once")
	assert.Equal(t, map[string]string{"y": "2"}, r.Machine().Store().Map(names))
	_, _, got := r.Log()
	assert.Equal(t, int64(2), got, "two slots applied")
	want := `[   0.000ms] [replica1] Starting
[   0.000ms] [replica1] slot 2 buffered: waiting for slot 1
[   0.000ms] [replica1] slot 1: PUT "x" = "1"
[   0.000ms] [replica1] slot 2: batch of 3: PUT "y" = "2", PUT "x" = "1", DELETE "x" (a retry of client1's request 1: no effect)
`
	assert.Equal(t, want, text.String())
}
