package multipaxos

import (
	"strconv"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// AppendFields implements sim.Fielder: the leader's durable "round" and
// "boots", then "role", "ballot", "seen", "promises" and "answered" (the
// acceptors counted), "backoff", "resends", "retry_armed",
// "recovered[SLOT]" (Phase 1's recovered entries), "slot[SLOT].cmd",
// ".from", ".votes" and ".chosen" (Phase 2), "recovering", "inflight",
// "queue", "snapshot" and "recovery_snapshot", then its state machine's
// fields (kv.Machine.AppendFields).
func (l *Leader) AppendFields(dst []sim.Field, n sim.Names) []sim.Field {
	dst = append(dst,
		field("round", strconv.FormatInt(int64(l.round), 10)),
		field("boots", strconv.Itoa(l.boots)),
		field("role", roleNames[l.role]),
		field("ballot", l.ballot.String()),
		field("seen", l.seen.String()),
		field("promises", l.voters(&l.promises, n)),
		field("answered", l.voters(&l.answered, n)),
		field("backoff", strconv.FormatUint(uint64(l.backoff), 10)),
		field("resends", strconv.FormatUint(uint64(l.resends), 10)),
		field("retry_armed", strconv.FormatBool(l.retryArmed)))
	for i, e := range l.recovered {
		if e.Ballot != (protocol.Ballot{}) || !e.Value.Same(protocol.Value{}) {
			dst = append(dst, field("recovered["+strconv.FormatInt(l.recBase()+int64(i)+1, 10)+"]", entryText(e, n)))
		}
	}
	for i := range l.slots {
		p := &l.slots[i]
		s := "slot[" + strconv.FormatInt(l.base()+int64(i)+1, 10) + "]."
		dst = append(dst,
			field(s+"cmd", p.val.Tagged(n)),
			field(s+"from", fromText(p.from, n)),
			field(s+"votes", l.voters(&p.votes, n)),
			field(s+"chosen", strconv.FormatBool(p.chosen)))
	}
	queue := make([]string, 0, len(l.queue)-l.head)
	for _, p := range l.queue[l.head:] {
		queue = append(queue, p.cmd.Tagged(n))
	}
	dst = append(dst,
		field("recovering", strconv.FormatInt(l.recovering, 10)),
		field("inflight", strconv.Itoa(l.inflight)),
		field("queue", "["+strings.Join(queue, ", ")+"]"),
		field("snapshot", snapText(l.snap)),
		field("recovery_snapshot", snapText(l.recSnap)))
	return l.machine.AppendFields(dst, n)
}

// fromText names a slot's clients: "-" for none (a recovered slot), the
// client of a single request, "[client1, client2]" for a batch.
func fromText(from []sim.NodeID, n sim.Names) string {
	switch len(from) {
	case 0:
		return "-"
	case 1:
		return n.Name(from[0])
	}
	names := make([]string, len(from))
	for i, f := range from {
		names[i] = n.Name(f)
	}
	return "[" + strings.Join(names, ", ") + "]"
}

// voters names the acceptors q counted: "[acceptor1, acceptor3]".
func (l *Leader) voters(q *quorum, n sim.Names) string {
	var names []string
	for i, id := range l.Acceptors {
		if q.has(i) {
			names = append(names, n.Name(id))
		}
	}
	return "[" + strings.Join(names, ", ") + "]"
}

// AppendFields implements sim.Fielder: "promised", "accepted[SLOT]" (the
// ballot and command of each slot accepted) and "snapshot".
func (a *Acceptor) AppendFields(dst []sim.Field, n sim.Names) []sim.Field {
	dst = append(dst, field("promised", a.Promised.String()))
	for _, e := range a.Accepted {
		if e.Ballot != (protocol.Ballot{}) {
			dst = append(dst, field("accepted["+strconv.FormatInt(e.Slot, 10)+"]", entryText(e, n)))
		}
	}
	return append(dst, field("snapshot", snapText(a.Snap)))
}

// AppendFields implements sim.Fielder: "boots", "heartbeat_applied" (how far
// the last heartbeat's sender had applied), "received[SLOT]" (each value
// received), then its state machine's fields.
func (r *Replica) AppendFields(dst []sim.Field, n sim.Names) []sim.Field {
	dst = append(dst,
		field("boots", strconv.Itoa(r.boots)),
		field("heartbeat_applied", strconv.FormatInt(r.hbApplied, 10)))
	for i, v := range r.log {
		if r.have[i] {
			dst = append(dst, field("received["+strconv.FormatInt(r.base+int64(i)+1, 10)+"]", v.Tagged(n)))
		}
	}
	return r.machine.AppendFields(dst, n)
}

func field(name, value string) sim.Field { return sim.Field{Name: name, Value: value} }

// entryText is "BALLOT COMMAND", e.g. `(1,1) PUT "a" = "val_0" (client1 #1)`.
func entryText(e protocol.Entry, n sim.Names) string {
	return e.Ballot.String() + " " + e.Value.Tagged(n)
}

// snapText names a snapshot by the slots it holds: "slots 1..7", or "none".
func snapText(s *protocol.Snap) string {
	if s == nil {
		return "none"
	}
	return "slots 1.." + strconv.FormatInt(s.Slot, 10)
}
