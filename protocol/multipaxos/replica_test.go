package multipaxos

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// TestReplicaAppliesInSlotOrder sends commits out of order, with a duplicate,
// and expects the replica to buffer until the gap is filled and then apply
// every slot exactly once, in slot order.
func TestReplicaAppliesInSlotOrder(t *testing.T) {
	e, text := testEngine(0)
	r := &Replica{}
	rid := e.AddNode("replica1", r)
	commit := func(slot int64, c protocol.Command) protocol.Msg {
		return protocol.Msg{Kind: protocol.Commit, Slot: slot, Cmd: c}
	}
	c1 := protocol.Command{Op: protocol.Put, Key: sym("x"), Value: sym("1")}
	c2 := protocol.Command{Op: protocol.Delete, Key: sym("x")}
	c3 := protocol.Command{Op: protocol.Put, Key: sym("x"), Value: sym("3")}
	p := &probe{to: rid, burst: true, script: []protocol.Msg{commit(3, c3), commit(1, c1), commit(3, c3), commit(2, c2)}}
	e.AddNode("leader1", p)
	e.Run()

	assert.Equal(t, []protocol.Command{c1, c2, c3}, applied(r.Machine()))
	assert.Equal(t, map[string]string{"x": "3"}, r.Machine().Store().Map(names))
	want := `[   0.000ms] [replica1] Starting
[   0.000ms] [replica1] slot 3 buffered: waiting for slot 1
[   0.000ms] [replica1] slot 1: PUT "x" = "1"
[   0.000ms] [replica1] slot 2: DELETE "x"
[   0.000ms] [replica1] slot 3: PUT "x" = "3"
`
	require.Equal(t, want, text.String())

	r.Crash()
	assert.Empty(t, applied(r.Machine()), "a replica's state is volatile")
	assert.Equal(t, 0, r.Machine().Store().Len())
}

// TestOriginalLeaderPutGet is the original emulation's only test, run through
// the simulated cluster: 3 acceptors, 1 replica, 1 leader, and a client that
// sends the six requests one after another.
func TestOriginalLeaderPutGet(t *testing.T) {
	e, _ := testEngine(sim.Millisecond)
	l := &Leader{ID: 1, Timeouts: Timeouts{Heartbeat: 10 * sim.Millisecond, Election: 50 * sim.Millisecond, Retry: 20 * sim.Millisecond}}
	lid := e.AddNode("leader1", l)
	for i := 1; i <= 3; i++ {
		l.Acceptors = append(l.Acceptors, e.AddNode("acceptor"+string(rune('0'+i)), &Acceptor{}))
	}
	r := &Replica{}
	l.Replicas = append(l.Replicas, e.AddNode("replica1", r))
	req := func(seq uint64, op protocol.Op, k, v string) protocol.Msg {
		return protocol.Msg{Kind: protocol.Request, Cmd: protocol.Command{Op: op, Key: sym(k), Value: sym(v), Client: clientID("client1"), Seq: seq}}
	}
	c := &probe{to: lid, script: []protocol.Msg{
		req(1, protocol.Put, "x", "hello"),
		req(2, protocol.Get, "x", ""),
		req(3, protocol.Put, "x", "world"),
		req(4, protocol.Delete, "x", ""),
		req(5, protocol.Get, "x", ""),
		req(6, protocol.Delete, "x", ""),
	}}
	e.AddNode("client1", c)
	res := e.Run()
	require.Len(t, c.got, 6, "every request is answered (run ended: %+v)", res)
	want := []protocol.Result{
		{OK: true},
		{OK: true, Value: sym("hello")},
		{Err: protocol.ErrExists},
		{OK: true},
		{Err: protocol.ErrNotFound},
		{Err: protocol.ErrNotFound},
	}
	for i, m := range c.got {
		assert.Equal(t, protocol.Reply, m.Kind)
		assert.Equal(t, uint64(i+1), m.Cmd.Seq)
		assert.Equal(t, want[i], m.Result, "request %d: %v", i+1, m.Cmd)
	}
	assert.Len(t, applied(l.Machine()), 6, "reads go through the log too")
	assert.Equal(t, applied(l.Machine()), applied(r.Machine()), "the replica learns the same log")
	assert.Equal(t, 0, r.Machine().Store().Len())
}
