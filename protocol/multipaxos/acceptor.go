package multipaxos

import (
	"encoding/binary"
	"strconv"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// Acceptor is a Paxos acceptor: it promises ballots and accepts values.
// Everything it holds is durable (it would be on disk): a crash loses nothing,
// which is what lets a promise outlive a restart.
type Acceptor struct {
	// Promised is the highest ballot promised: the acceptor ignores anything
	// below it.
	Promised protocol.Ballot
	// Accepted holds, for slot s at index s-1, the ballot and command last
	// accepted there; a zero Ballot means nothing was accepted. A dense slice
	// keeps Promise's entries in slot order without sorting a map.
	Accepted []protocol.Entry
	// Bugs switches on catalogued mistakes, for teaching (protocol.Bugs).
	Bugs protocol.Bugs
}

// Start announces the acceptor and, after a restart, what it recovered.
func (a *Acceptor) Start(env *kv.Env) {
	if env.Tracing() {
		if a.Promised == (protocol.Ballot{}) && len(a.Accepted) == 0 {
			env.Step("Starting")
		} else {
			env.Step("Restarting with durable state: promised " + a.Promised.String() + ", " + strconv.Itoa(a.countAccepted()) + " accepted entries")
		}
	}
}

// Receive applies the acceptor's two rules and answers the sender.
func (a *Acceptor) Receive(env *kv.Env, from sim.NodeID, m protocol.Msg) {
	var reply protocol.Msg
	switch m.Kind {
	case protocol.Prepare:
		reply = a.Prepare(m.Ballot)
	case protocol.Accept:
		reply = a.Accept(m.Ballot, m.Slot, m.Cmd)
	case protocol.Heartbeat:
		// A leader checks that it still reaches a majority: answer with the
		// promised ballot, which also tells it if it has been superseded.
		env.Send(from, protocol.Msg{Kind: protocol.HeartbeatAck, Ballot: a.Promised})
		return
	default:
		return
	}
	if env.Tracing() {
		env.Step(describeVote(m, reply))
	}
	env.Send(from, reply)
}

// Prepare is Phase 1b. A ballot at least as high as the promised one is
// promised, and the reply carries every accepted entry so that the new
// leader can recover them; a lower ballot is rejected with the promised one,
// so that its leader learns what to exceed (Paxos Made Simple, 2.2, "Phase 1
// (b)"). An equal ballot is promised again, so that a retransmitted Prepare
// gets its answer.
func (a *Acceptor) Prepare(b protocol.Ballot) protocol.Msg {
	if b.Less(a.Promised) {
		return protocol.Msg{Kind: protocol.PrepareRejected, Ballot: a.Promised}
	}
	a.Promised = b
	var entries []protocol.Entry
	if n := a.countAccepted(); n > 0 && !a.Bugs.Has(protocol.BugPromiseWithoutAccepted) {
		entries = make([]protocol.Entry, 0, n)
		for _, e := range a.Accepted {
			if e.Ballot != (protocol.Ballot{}) {
				entries = append(entries, e)
			}
		}
	}
	return protocol.Msg{Kind: protocol.Promise, Ballot: b, Entries: entries}
}

// Accept is Phase 2b: a proposal whose ballot is at least the promised one
// is accepted, and the promise raised to it; a lower one is rejected with the
// promised ballot (Paxos Made Simple, 2.2, "Phase 2 (b)"). Slots start at 1.
func (a *Acceptor) Accept(b protocol.Ballot, slot int64, cmd protocol.Command) protocol.Msg {
	if (b.Less(a.Promised) && !a.Bugs.Has(protocol.BugAcceptBelowPromise)) || slot < 1 {
		return protocol.Msg{Kind: protocol.AcceptRejected, Ballot: a.Promised, Slot: slot}
	}
	a.Promised = max2(a.Promised, b)
	for int64(len(a.Accepted)) < slot {
		a.Accepted = append(a.Accepted, protocol.Entry{Slot: int64(len(a.Accepted)) + 1})
	}
	a.Accepted[slot-1] = protocol.Entry{Slot: slot, Ballot: b, Cmd: cmd}
	return protocol.Msg{Kind: protocol.Accepted, Ballot: b, Slot: slot}
}

// describeVote is the trace line for the acceptor's answer to m.
func describeVote(m, reply protocol.Msg) string {
	slot := strconv.FormatInt(m.Slot, 10)
	switch reply.Kind {
	case protocol.Promise:
		return "PREPARE accepted, promising ballot " + m.Ballot.String()
	case protocol.PrepareRejected:
		return "PREPARE " + m.Ballot.String() + " rejected (higher ballot " + reply.Ballot.String() + " promised)"
	case protocol.Accepted:
		return "ACCEPT for slot " + slot + " -> accepted"
	}
	return "ACCEPT rejected for slot " + slot + " (ballot " + m.Ballot.String() + " below promised " + reply.Ballot.String() + ")"
}

func (a *Acceptor) countAccepted() int {
	n := 0
	for _, e := range a.Accepted {
		if e.Ballot != (protocol.Ballot{}) {
			n++
		}
	}
	return n
}

// Timer is unused: acceptors only answer.
func (a *Acceptor) Timer(*kv.Env, sim.TimerKind) {}

// Crash loses nothing: the promise and the accepted entries are durable.
func (a *Acceptor) Crash() {
	if a.Bugs.Has(protocol.BugAcceptorAmnesia) {
		a.Reset()
	}
}

// Clone implements sim.Node.
func (a *Acceptor) Clone(into sim.Node[protocol.Msg]) sim.Node[protocol.Msg] {
	d, _ := into.(*Acceptor)
	if d == nil {
		d = &Acceptor{}
	}
	d.Promised, d.Bugs = a.Promised, a.Bugs
	d.Accepted = append(d.Accepted[:0], a.Accepted...)
	return d
}

// AppendState implements sim.Node: the promise and every accepted entry.
func (a *Acceptor) AppendState(b []byte) []byte {
	b = a.Promised.AppendState(b)
	b = binary.AppendUvarint(b, uint64(len(a.Accepted)))
	for _, e := range a.Accepted {
		b = e.AppendState(b)
	}
	return b
}

func max2(a, b protocol.Ballot) protocol.Ballot {
	if a.Less(b) {
		return b
	}
	return a
}

// Reset forgets even the durable state, for another run.
func (a *Acceptor) Reset() {
	a.Promised = protocol.Ballot{}
	clear(a.Accepted)
	a.Accepted = a.Accepted[:0]
}
