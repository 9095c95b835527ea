package multipaxos

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// TestStandbyRedirects: a standby leader that hears the leading node's
// heartbeats answers a request with a Redirect naming it; one that hears no
// leader stays silent.
func TestStandbyRedirects(t *testing.T) {
	r := newRig(fixed, 2, 1, []*Acceptor{{}, {}, {}}, 0)
	put := cmdOf("client1", 1, protocol.Put, "x", "v")
	p := &timedProbe{script: []timedMsg{{at: 30 * sim.Millisecond, to: r.leaderIDs[1], msg: requestMsg(put)}}}
	r.e.AddNode("client1", p)
	r.e.Run()
	require.Len(t, p.got, 1, "%s", r.text)
	assert.Equal(t, protocol.Redirect, p.got[0].Kind)
	assert.Equal(t, int32(1), p.got[0].Ballot.LeaderID, "leader1 leads")
	assert.Equal(t, put, p.got[0].Cmd)
	r.assertTrace(t, "[leader2] not leading: redirecting client1's request 1 to leader1")
	assert.Equal(t, 1, r.noted(r.leaderIDs[1], protocol.NoteRedirect))

	// Alone, a standby node hears nobody: it stays silent.
	r = newRig(fixed, 2, 1, []*Acceptor{{}, {}, {}}, 0)
	r.e.Crash(0, r.leaderIDs[0])
	p = &timedProbe{script: []timedMsg{{at: 30 * sim.Millisecond, to: r.leaderIDs[1], msg: requestMsg(put)}}}
	r.e.AddNode("client1", p)
	r.e.Run()
	for _, m := range p.got {
		assert.NotEqual(t, protocol.Redirect, m.Kind, "no leader heard: no redirect")
	}
	r.assertTrace(t, "[leader2] not leading and no leader heard from: ignoring client1's request 1")
	assert.Zero(t, r.noted(r.leaderIDs[1], protocol.NoteRedirect))
}

// redirector answers every request with a Redirect to leader number hint.
type redirector struct{ hint int32 }

func (d *redirector) Start(*kv.Env) {}
func (d *redirector) Receive(env *kv.Env, from sim.NodeID, m protocol.Msg) {
	env.Send(from, protocol.Msg{Kind: protocol.Redirect, Ballot: protocol.Ballot{Round: 1, LeaderID: d.hint}, Cmd: m.Cmd})
}
func (d *redirector) Timer(*kv.Env, sim.TimerKind) {}
func (d *redirector) Crash()                       {}
func (d *redirector) Clone(sim.Node[protocol.Msg]) sim.Node[protocol.Msg] {
	c := *d
	return &c
}
func (d *redirector) AppendState(b []byte) []byte { return b }

// answerer answers every request OK.
type answerer struct{ got int }

func (a *answerer) Start(*kv.Env) {}
func (a *answerer) Receive(env *kv.Env, from sim.NodeID, m protocol.Msg) {
	a.got++
	env.Send(from, protocol.Msg{Kind: protocol.Reply, Cmd: m.Cmd, Result: protocol.Result{OK: true}})
}
func (a *answerer) Timer(*kv.Env, sim.TimerKind) {}
func (a *answerer) Crash()                       {}
func (a *answerer) Clone(sim.Node[protocol.Msg]) sim.Node[protocol.Msg] {
	c := *a
	return &c
}
func (a *answerer) AppendState(b []byte) []byte { return binary.AppendUvarint(b, uint64(a.got)) }

// TestClientFollowsRedirect: a client sends its request at once to the
// leader a Redirect names, counting it as a retry; a Redirect that names
// the node it came from, or comes from a node the client did not ask, is
// ignored, and with no retries left the client gives up.
func TestClientFollowsRedirect(t *testing.T) {
	run := func(retries int, first sim.Node[protocol.Msg]) (*kv.Client, *answerer, string) {
		e, text := testEngine(sim.Millisecond)
		a := &answerer{}
		ids := []sim.NodeID{e.AddNode("leader1", first), e.AddNode("leader2", a)}
		// The client's own stream of the seed, from which it drew its
		// requests before the redesign.
		w := kv.NewWorkload(e.Symbols(), 1, []string{"k"}, 1, 0, 1, 0)
		c := &kv.Client{Targets: ids, Work: w, Timeout: 100 * sim.Millisecond, Retries: retries}
		c.SetStream(sim.PCG(1, "node/client1"))
		e.AddNode("client1", c)
		e.Run()
		return c, a, text.String()
	}

	c, a, text := run(3, &redirector{hint: 2})
	assert.True(t, c.Finished(), text)
	assert.Equal(t, 1, a.got)
	assert.Contains(t, text, "[client1] leader1 redirects request 1: sending it to leader2 (retry 1/3)")
	assert.Contains(t, text, `[client1] PUT "k" = "val_0" -> OK`)

	c, a, text = run(0, &redirector{hint: 2})
	assert.False(t, c.Finished())
	assert.True(t, c.Done(), "it gave up")
	assert.Zero(t, a.got)
	assert.Contains(t, text, "leader1 redirects request 1 to leader2, but no retries are left: giving up")

	// A redirect to itself changes nothing: the client waits for its timeout.
	c, _, text = run(1, &redirector{hint: 1})
	assert.NotContains(t, text, "redirects request 1: sending it")
	assert.Contains(t, text, "no answer to request 1 from leader1 after 100ms: sending it again to leader1 (retry 1/1)")
	assert.True(t, c.Done())
}
