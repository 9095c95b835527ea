package multipaxos

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// acceptorState is what an acceptor holds, for the bug tables (no accepted
// entries is nil, however the slice got empty).
type acceptorState struct {
	Promised protocol.Ballot
	Accepted []protocol.Entry
}

func stateOfAcceptor(n sim.Node[protocol.Msg]) any {
	a := n.(*Acceptor)
	return acceptorState{a.Promised, slices.Clip(append([]protocol.Entry(nil), a.Accepted...))}
}

// replicaState is what a replica applied and the store it built.
type replicaState struct {
	Applied []protocol.Command
	Store   map[string]string
}

func stateOfReplica(n sim.Node[protocol.Msg]) any {
	r := n.(*Replica)
	return replicaState{append([]protocol.Command(nil), applied(r.Machine())...), r.Machine().Store().Map(names)}
}

// stepNode runs node, named name, on an engine with no latency and a
// scripted peer that sends it script[k] at (k+1)*10ms; with crashAfter > 0
// the node crashes and restarts between messages crashAfter and
// crashAfter+1. It returns what the node sent the peer, in order.
func stepNode(t *testing.T, name string, node sim.Node[protocol.Msg], script []protocol.Msg, crashAfter int) []protocol.Msg {
	t.Helper()
	e, text := testEngine(0)
	id := e.AddNode(name, node)
	var timed []timedMsg
	for k, m := range script {
		timed = append(timed, timedMsg{at: sim.Time(k+1) * 10 * sim.Millisecond, to: id, msg: m})
	}
	if crashAfter > 0 {
		at := sim.Time(crashAfter)*10*sim.Millisecond + 3*sim.Millisecond
		e.Crash(at, id)
		e.Restart(at+sim.Millisecond, id)
	}
	p := &timedProbe{script: timed}
	e.AddNode("leader1", p)
	res := e.Run()
	require.Equal(t, sim.StopQuiescent, res.Reason, "%s", text)
	return p.got
}

// TestNodeBugs shows, for each catalogued bug that acts in an acceptor or a
// replica, the rule with the bug off and the broken rule with it on, on the
// node itself: the same messages delivered, what it answers and the state
// it is left in.
func TestNodeBugs(t *testing.T) {
	x := cmdOf("client1", 1, protocol.Put, "x", "1")
	z := cmdOf("client2", 1, protocol.Put, "z", "3")
	entry := func(slot int64, bal protocol.Ballot, c protocol.Command) protocol.Entry {
		return protocol.Entry{Slot: slot, Ballot: bal, Value: protocol.One(c)}
	}
	prepare := func(bal protocol.Ballot) protocol.Msg { return protocol.Msg{Kind: protocol.Prepare, Ballot: bal} }
	accept := func(bal protocol.Ballot, slot int64, c protocol.Command) protocol.Msg {
		return protocol.Msg{Kind: protocol.Accept, Ballot: bal, Slot: slot, Cmd: c}
	}
	commit := func(slot int64, c protocol.Command) protocol.Msg {
		return protocol.Msg{Kind: protocol.Commit, Slot: slot, Cmd: c}
	}
	put3 := protocol.Command{Op: protocol.Put, Key: sym("x"), Value: sym("3")}
	put1 := protocol.Command{Op: protocol.Put, Key: sym("x"), Value: sym("1")}
	delx := protocol.Command{Op: protocol.Delete, Key: sym("x")}

	type outcome struct {
		replies []protocol.Msg
		state   any
	}
	cases := []struct {
		bug        protocol.Bug
		rule       string
		name       string // the node's name
		node       func(protocol.Bugs) sim.Node[protocol.Msg]
		state      func(sim.Node[protocol.Msg]) any
		script     []protocol.Msg
		crashAfter int
		off, on    outcome
	}{
		{
			// Paxos Made Simple, section 2.2, Phase 2(b): an acceptor
			// accepts a proposal unless it has promised a higher number.
			bug:  protocol.BugAcceptBelowPromise,
			rule: "an Accept below the promise is rejected with the promise; with the bug it is accepted, and the promise stays",
			name: "acceptor1",
			node: func(bugs protocol.Bugs) sim.Node[protocol.Msg] {
				return &Acceptor{Promised: b(2, 2), Bugs: bugs}
			},
			state:  stateOfAcceptor,
			script: []protocol.Msg{accept(b(1, 1), 1, x)},
			off: outcome{
				replies: []protocol.Msg{{Kind: protocol.AcceptRejected, Ballot: b(2, 2), Slot: 1}},
				state:   acceptorState{Promised: b(2, 2)},
			},
			on: outcome{
				replies: []protocol.Msg{{Kind: protocol.Accepted, Ballot: b(1, 1), Slot: 1}},
				state:   acceptorState{Promised: b(2, 2), Accepted: []protocol.Entry{entry(1, b(1, 1), x)}},
			},
		},
		{
			// Paxos Made Simple, section 2.2, Phase 1(b): the promise
			// carries the highest-numbered proposal the acceptor accepted,
			// per slot in MultiPaxos.
			bug:  protocol.BugPromiseWithoutAccepted,
			rule: "a Promise reports every accepted entry; with the bug it reports none, though the acceptor still holds them",
			name: "acceptor1",
			node: func(bugs protocol.Bugs) sim.Node[protocol.Msg] {
				return &Acceptor{Promised: b(1, 1), Accepted: []protocol.Entry{entry(1, b(1, 1), x), {Slot: 2}, entry(3, b(1, 1), z)}, Bugs: bugs}
			},
			state:  stateOfAcceptor,
			script: []protocol.Msg{prepare(b(2, 2))},
			off: outcome{
				replies: []protocol.Msg{{Kind: protocol.Promise, Ballot: b(2, 2), Payload: &protocol.Payload{Entries: []protocol.Entry{entry(1, b(1, 1), x), entry(3, b(1, 1), z)}}}},
				state:   acceptorState{Promised: b(2, 2), Accepted: []protocol.Entry{entry(1, b(1, 1), x), {Slot: 2}, entry(3, b(1, 1), z)}},
			},
			on: outcome{
				replies: []protocol.Msg{{Kind: protocol.Promise, Ballot: b(2, 2)}},
				state:   acceptorState{Promised: b(2, 2), Accepted: []protocol.Entry{entry(1, b(1, 1), x), {Slot: 2}, entry(3, b(1, 1), z)}},
			},
		},
		{
			// Paxos Made Simple, section 2.5: an acceptor keeps what it
			// must remember in stable storage, preserved during failures.
			bug:  protocol.BugAcceptorAmnesia,
			rule: "the promise and the accepted value outlive a crash, so a lower Prepare is rejected after the restart; with the bug the restarted acceptor forgot both and promises it, reporting nothing",
			name: "acceptor1",
			node: func(bugs protocol.Bugs) sim.Node[protocol.Msg] {
				return &Acceptor{Bugs: bugs}
			},
			state:      stateOfAcceptor,
			script:     []protocol.Msg{prepare(b(2, 1)), accept(b(2, 1), 1, x), prepare(b(1, 2))},
			crashAfter: 2,
			off: outcome{
				replies: []protocol.Msg{
					{Kind: protocol.Promise, Ballot: b(2, 1)},
					{Kind: protocol.Accepted, Ballot: b(2, 1), Slot: 1},
					{Kind: protocol.PrepareRejected, Ballot: b(2, 1)},
				},
				state: acceptorState{Promised: b(2, 1), Accepted: []protocol.Entry{entry(1, b(2, 1), x)}},
			},
			on: outcome{
				replies: []protocol.Msg{
					{Kind: protocol.Promise, Ballot: b(2, 1)},
					{Kind: protocol.Accepted, Ballot: b(2, 1), Slot: 1},
					{Kind: protocol.Promise, Ballot: b(1, 2)},
				},
				state: acceptorState{Promised: b(1, 2)},
			},
		},
		{
			// Paxos Made Simple, section 3: a server executes command i
			// only once it has executed commands 1 to i-1.
			bug:  protocol.BugReplicaUnordered,
			rule: "commits for slots 3, 1, 2 are applied in slot order; with the bug in arrival order, so the put of slot 3 is rejected by the later put of slot 1 and the delete removes x",
			name: "replica1",
			node: func(bugs protocol.Bugs) sim.Node[protocol.Msg] {
				return &Replica{Bugs: bugs}
			},
			state:  stateOfReplica,
			script: []protocol.Msg{commit(3, put3), commit(1, put1), commit(2, delx)},
			off: outcome{
				state: replicaState{Applied: []protocol.Command{put1, delx, put3}, Store: map[string]string{"x": "3"}},
			},
			on: outcome{
				state: replicaState{Applied: []protocol.Command{put3, put1, delx}, Store: map[string]string{}},
			},
		},
	}
	covered := map[protocol.Bug]bool{}
	for _, c := range cases {
		covered[c.bug] = true
		t.Run(c.bug.String(), func(t *testing.T) {
			for _, on := range []bool{false, true} {
				var bugs protocol.Bugs
				want := c.off
				if on {
					bugs, want = bugs.With(c.bug), c.on
				}
				n := c.node(bugs)
				got := stepNode(t, c.name, n, c.script, c.crashAfter)
				assert.Equal(t, want.replies, got, "bug on: %v: %s: what the node answers", on, c.rule)
				assert.Equal(t, want.state, c.state(n), "bug on: %v: %s: the node's state", on, c.rule)
			}
		})
	}
	// Every catalogued bug of an acceptor or a replica has its row.
	for i, info := range protocol.Catalogue {
		if strings.HasPrefix(info.Where, "acceptor") || strings.HasPrefix(info.Where, "replica") {
			assert.True(t, covered[protocol.Bug(i)], "no row for %s (%s)", info.Name, info.Where)
		}
	}
}
