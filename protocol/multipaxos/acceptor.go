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
	// Accepted holds, for slot s at index s-1-Base(), the ballot and command
	// last accepted there; a zero Ballot means nothing was accepted. A dense
	// slice keeps Promise's entries in slot order without sorting a map.
	Accepted []protocol.Entry
	// Snap is the latest snapshot a leader sent (log compaction): the
	// entries of the slots it covers are forgotten, and a Prepare or an
	// Accept for them is answered with it.
	Snap *protocol.Snap
	// Bugs switches on catalogued mistakes, for teaching (protocol.Bugs).
	Bugs protocol.Bugs
}

// Start announces the acceptor and, after a restart, what it recovered.
func (a *Acceptor) Start(env *kv.Env) {
	if env.Tracing() {
		switch {
		case a.Promised == (protocol.Ballot{}) && len(a.Accepted) == 0 && a.Snap == nil:
			env.Step("Starting")
		case a.Snap != nil:
			env.Step("Restarting with durable state: promised " + a.Promised.String() + ", a snapshot of slots 1.." + strconv.FormatInt(a.Snap.Slot, 10) + " and " + entries(a.countAccepted()) + " above it")
			kv.Explain(env, protocol.RuleDurable)
		default:
			env.Step("Restarting with durable state: promised " + a.Promised.String() + ", " + entries(a.countAccepted()))
			kv.Explain(env, protocol.RuleDurable)
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
		reply = a.Accept(m.Ballot, m.Slot, m.Value())
	case protocol.Heartbeat:
		// A leader checks that it still reaches a majority: answer with the
		// promised ballot, which also tells it if it has been superseded,
		// and how far this acceptor compacted, so that it can send a newer
		// snapshot.
		if env.TracingRoutine() {
			env.Step("heartbeat from " + env.Name(from) + " at ballot " + m.Ballot.String() + ": answering with its promise " + a.Promised.String())
		}
		env.Send(from, protocol.Msg{Kind: protocol.HeartbeatAck, Ballot: a.Promised, Slot: a.Base()})
		return
	case protocol.Snapshot:
		a.compact(env, m.Snap())
		return
	default:
		return
	}
	if env.Tracing() {
		env.Step(describeVote(env, m, reply))
		if reply.Kind == protocol.Promise {
			kv.Explain(env, protocol.RulePromise)
		}
	}
	if reply.Kind == protocol.Accepted {
		kv.RecordAccepted(env, m.Slot, m.Ballot, m.Value()) // what Accept just stored
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
	m := protocol.Msg{Kind: protocol.Promise, Ballot: b}
	if entries != nil || a.Snap != nil {
		m.Payload = &protocol.Payload{Entries: entries, Snap: a.Snap}
	}
	return m
}

// Base is the slot of the acceptor's snapshot (0: none): the entries up to
// it are forgotten.
func (a *Acceptor) Base() int64 {
	if a.Snap == nil {
		return 0
	}
	return a.Snap.Slot
}

// Entry is what the acceptor accepted at slot (a zero entry when nothing,
// or when the slot is forgotten).
func (a *Acceptor) Entry(slot int64) protocol.Entry {
	i := slot - 1 - a.Base()
	if i < 0 || i >= int64(len(a.Accepted)) {
		return protocol.Entry{}
	}
	return a.Accepted[i]
}

// compact keeps snapshot s, if it is newer than the acceptor's, and forgets
// the entries it covers: a leader that applied its slots sent it, and a
// leader that recovers from this acceptor takes it instead of them.
func (a *Acceptor) compact(env *kv.Env, s *protocol.Snap) {
	if s == nil || s.Slot <= a.Base() {
		return
	}
	k := min(s.Slot-a.Base(), int64(len(a.Accepted)))
	n := copy(a.Accepted, a.Accepted[k:])
	clear(a.Accepted[n:])
	a.Accepted = a.Accepted[:n]
	a.Snap = s
	if env.Tracing() {
		env.Step("compacting: keeping the snapshot of slots 1.." + strconv.FormatInt(s.Slot, 10) + " and forgetting the " + strconv.FormatInt(k, 10) + " entries it covers")
	}
}

// Accept is Phase 2b: a proposal whose ballot is at least the promised one
// is accepted, and the promise raised to it; a lower one is rejected with the
// promised ballot (Paxos Made Simple, 2.2, "Phase 2 (b)"). Slots start at 1.
// The value is one command, or a batch of them: the acceptor votes for it
// whole.
func (a *Acceptor) Accept(b protocol.Ballot, slot int64, v protocol.Value) protocol.Msg {
	if (b.Less(a.Promised) && !a.Bugs.Has(protocol.BugAcceptBelowPromise)) || slot < 1 {
		return protocol.Msg{Kind: protocol.AcceptRejected, Ballot: a.Promised, Slot: slot}
	}
	if base := a.Base(); slot <= base {
		// Chosen long ago: the snapshot holds it. The leader is behind it.
		return protocol.Msg{Kind: protocol.Snapshot, Slot: slot, Payload: &protocol.Payload{Snap: a.Snap}}
	}
	a.Promised = max2(a.Promised, b)
	base := a.Base()
	for base+int64(len(a.Accepted)) < slot {
		a.Accepted = append(a.Accepted, protocol.Entry{Slot: base + int64(len(a.Accepted)) + 1})
	}
	a.Accepted[slot-1-base] = protocol.Entry{Slot: slot, Ballot: b, Value: v}
	return protocol.Msg{Kind: protocol.Accepted, Ballot: b, Slot: slot}
}

// describeVote is the trace line for the acceptor's answer to m: the
// ballot, and for an Accept the slot and the value; a rejection says what
// the acceptor promised instead.
func describeVote(n sim.Names, m, reply protocol.Msg) string {
	switch reply.Kind {
	case protocol.Promise:
		return "PREPARE accepted, promising ballot " + m.Ballot.String()
	case protocol.PrepareRejected:
		return "PREPARE " + m.Ballot.String() + " rejected (higher ballot " + reply.Ballot.String() + " promised)"
	}
	what := "ACCEPT slot " + strconv.FormatInt(m.Slot, 10) + " at ballot " + m.Ballot.String()
	switch reply.Kind {
	case protocol.Accepted:
		return what + ": " + m.Value().Text(n) + " -> accepted"
	case protocol.Snapshot:
		return what + ", which its snapshot of slots 1.." + strconv.FormatInt(reply.Snap().Slot, 10) + " covers: sending the snapshot"
	}
	return what + ": " + m.Value().Text(n) + " -> rejected (higher ballot " + reply.Ballot.String() + " promised)"
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
	d.Promised, d.Bugs, d.Snap = a.Promised, a.Bugs, a.Snap
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
	return a.Snap.AppendState(b)
}

func max2(a, b protocol.Ballot) protocol.Ballot {
	if a.Less(b) {
		return b
	}
	return a
}

// Reset forgets even the durable state, for another run.
func (a *Acceptor) Reset() {
	a.Promised, a.Snap = protocol.Ballot{}, nil
	clear(a.Accepted)
	a.Accepted = a.Accepted[:0]
}
