package protocol

import (
	"strconv"

	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// MsgType is the kind of a message.
type MsgType uint8

// The messages of both protocols. Request and Reply are the client API;
// Prepare..AcceptRejected are Paxos' two phases between a leader and its
// acceptors; Commit tells the replicas what was chosen.
const (
	Request MsgType = iota
	Reply
	Prepare
	Promise
	PrepareRejected
	Accept
	Accepted
	AcceptRejected
	Commit
	Heartbeat
	Fetch
	Redirect
	HeartbeatAck
	Snapshot
)

var msgNames = [...]string{"Request", "Reply", "Prepare", "Promise", "PrepareRejected", "Accept", "Accepted", "AcceptRejected", "Commit", "Heartbeat", "Fetch", "Redirect", "HeartbeatAck", "Snapshot"}

// String is the message type's name.
func (t MsgType) String() string {
	if int(t) < len(msgNames) {
		return msgNames[t]
	}
	return "Unknown"
}

// ParseMsgType is the message type whose String is name; false for a name
// no type has. Readers of a trace (the pictures) use it rather than
// spelling the names again.
func ParseMsgType(name string) (MsgType, bool) {
	for i, n := range msgNames {
		if n == name {
			return MsgType(i), true
		}
	}
	return 0, false
}

// Entry is one accepted log entry, as an acceptor reports it in a Promise.
type Entry struct {
	Slot   int64
	Value  Value
	Ballot Ballot
}

// Msg is the single message type of a run: a tagged union whose Type says
// which fields are meaningful.
//
//	Request         Cmd                    client -> leader or server
//	Reply           Cmd, Result            answers the request Cmd
//	Prepare         Ballot                 leader -> acceptor (Phase 1a)
//	Promise         Ballot, Payload        acceptor -> leader (Phase 1b): entries above its snapshot, and the snapshot
//	PrepareRejected Ballot (the promised)  acceptor -> leader
//	Accept          Ballot, Slot, Value    leader -> acceptor (Phase 2a); Value: Cmd and a batch's Payload.More
//	Accepted        Ballot, Slot           acceptor -> leader (Phase 2b)
//	AcceptRejected  Ballot (promised), Slot
//	Commit          Slot, Value            leader -> replica
//	Heartbeat       Ballot, Slot (applied) leader -> other leaders, acceptors, replicas
//	HeartbeatAck    Ballot (the promised), Slot (its snapshot's)
//	                                       acceptor -> leader: still here, what it promised, how far it compacted
//	Snapshot        Payload.Snap           leader -> acceptor: keep it, forget the entries it covers;
//	                                       leader -> replica, acceptor -> leader: install it, you are behind it
//	Fetch           Slot (first missing)   replica -> leader: send me commits from Slot
//	Redirect        Ballot, Cmd            standby leader -> client: Ballot.LeaderID leads, ask it
type Msg struct {
	Slot    int64
	Cmd     Command
	Payload *Payload // Promise and Snapshot only
	Ballot  Ballot
	Result  Result
	Kind    MsgType
	// Part is, in a Commit record of an applied slot (kv.RecordApplied),
	// which command of the value it records; 0 in every message.
	Part uint16
}

// Type implements sim.Message.
func (m Msg) Type() string { return m.Kind.String() }

// AppendJSON implements sim.Message: the message as a JSON object with only
// the fields its type uses.
func (m Msg) AppendJSON(b []byte, n sim.Names) []byte {
	b = append(b, `{"type":`...)
	b = sim.AppendJSONString(b, m.Kind.String())
	switch m.Kind {
	case Prepare, Promise, PrepareRejected, Accept, Accepted, AcceptRejected, Heartbeat, Redirect, HeartbeatAck:
		b = append(b, `,"ballot":`...)
		b = m.Ballot.AppendJSON(b)
	}
	switch m.Kind {
	case Accept, Accepted, AcceptRejected, Commit, Fetch:
		b = sim.AppendJSONInt(b, "slot", m.Slot)
	case Heartbeat:
		b = sim.AppendJSONInt(b, "applied", m.Slot)
	}
	switch m.Kind {
	case Accept, Commit:
		b = m.Value().AppendJSON(b, n)
	case Request, Reply, Redirect:
		b = append(b, `,"cmd":`...)
		b = m.Cmd.AppendJSON(b, n)
	}
	if m.Kind == Reply {
		b = m.Result.AppendJSON(b, m.Cmd, n)
	}
	if m.Kind == Promise {
		b = append(b, `,"accepted":[`...)
		for i, e := range m.Entries() {
			if i > 0 {
				b = append(b, ',')
			}
			b = e.AppendJSON(b, n)
		}
		b = append(b, ']')
	}
	if snap := m.Snap(); snap != nil {
		b = append(b, `,"snapshot":{"slot":`...)
		b = strconv.AppendInt(b, snap.Slot, 10)
		b = sim.AppendJSONInt(b, "keys", int64(snap.Keys))
		b = append(b, '}')
	}
	if m.Kind == HeartbeatAck && m.Slot > 0 {
		b = sim.AppendJSONInt(b, "compacted", m.Slot)
	}
	return append(b, '}')
}
