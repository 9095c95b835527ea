package multipaxos

import (
	"strconv"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// The readable states (AppendStateJSON, sim.StateJSON) are what the trace's
// state records show of a node for a reader stepping through a run: what
// it promised and accepted, its log, its store. They name nodes and
// symbols, bound every list (protocol.StateJSONListMax) and leave out the
// counters that only pace the node (backoff, re-sends); the canonical
// encoding (AppendState) is unchanged.

// AppendStateJSON implements sim.StateJSON: the promised ballot, every
// accepted entry ({"slot","ballot","cmd"}, the latest when there are many),
// and the snapshot that replaced the entries before it.
func (a *Acceptor) AppendStateJSON(b []byte, n sim.Names) []byte {
	b = append(b, `{"promised":`...)
	b = a.Promised.AppendJSON(b)
	var idx []int
	for i, e := range a.Accepted {
		if e.Ballot != (protocol.Ballot{}) {
			idx = append(idx, i)
		}
	}
	b = protocol.AppendJSONList(b, "accepted", len(idx), true, func(b []byte, i int) []byte {
		return a.Accepted[idx[i]].AppendJSON(b, n)
	})
	b = appendSnapJSON(b, a.Snap)
	return append(b, '}')
}

// AppendStateJSON implements sim.StateJSON: the role, the node's own
// ballot and the highest it has seen; while a candidate, the acceptors
// that promised and the entries their promises reported (for each slot,
// the one accepted at the highest ballot); the slots of its log since its
// snapshot, each with its command, the acceptors that accepted it and
// whether it is chosen; how far it applied; the requests queued; and its
// state machine (store and sessions).
func (l *Leader) AppendStateJSON(b []byte, n sim.Names) []byte {
	b = append(b, `{"role":`...)
	b = sim.AppendJSONString(b, roleNames[l.role])
	b = sim.AppendJSONInt(b, "round", int64(l.round))
	b = append(b, `,"ballot":`...)
	b = l.ballot.AppendJSON(b)
	b = append(b, `,"seen":`...)
	b = l.seen.AppendJSON(b)
	if l.role == candidate {
		b = l.appendVoters(b, "promises", &l.promises, n)
		var idx []int
		for i, e := range l.recovered {
			if e.Ballot != (protocol.Ballot{}) {
				idx = append(idx, i)
			}
		}
		b = protocol.AppendJSONList(b, "recovered", len(idx), true, func(b []byte, i int) []byte {
			return l.recovered[idx[i]].AppendJSON(b, n)
		})
	}
	b = protocol.AppendJSONList(b, "slots", len(l.slots), true, func(b []byte, i int) []byte {
		p := &l.slots[i]
		b = append(b, `{"slot":`...)
		b = strconv.AppendInt(b, l.base()+int64(i)+1, 10)
		b = p.val.AppendJSON(b, n)
		b = l.appendVoters(b, "votes", &p.votes, n)
		b = sim.AppendJSONBool(b, "chosen", p.chosen)
		return append(b, '}')
	})
	b = sim.AppendJSONInt(b, "applied", l.applied)
	if l.base() > 0 {
		b = sim.AppendJSONInt(b, "compacted", l.base())
	}
	if l.recovering > l.applied {
		b = sim.AppendJSONInt(b, "recovering", l.recovering)
	}
	queue := l.queue[l.head:]
	b = protocol.AppendJSONList(b, "queue", len(queue), false, func(b []byte, i int) []byte {
		return queue[i].cmd.AppendJSON(b, n)
	})
	b = l.machine.AppendStateJSONFields(b, n)
	return append(b, '}')
}

// appendVoters appends `,"key":[acceptor names]` for the acceptors q counted.
func (l *Leader) appendVoters(b []byte, key string, q *quorum, n sim.Names) []byte {
	b = protocol.AppendJSONKey(b, key, false)
	b = append(b, '[')
	first := true
	for i, id := range l.Acceptors {
		if q.has(i) {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = sim.AppendJSONString(b, n.Name(id))
		}
	}
	return append(b, ']')
}

// AppendStateJSON implements sim.StateJSON: how far the replica applied its
// log, the slots it holds since its snapshot (those past applied wait for a
// gap to fill), how far the leader's last heartbeat said it had applied,
// and its state machine (store and sessions).
func (r *Replica) AppendStateJSON(b []byte, n sim.Names) []byte {
	b = append(b, `{"applied":`...)
	b = strconv.AppendInt(b, r.applied, 10)
	if r.base > 0 {
		b = sim.AppendJSONInt(b, "compacted", r.base)
	}
	var idx []int
	for i := range r.log {
		if r.have[i] {
			idx = append(idx, i)
		}
	}
	b = protocol.AppendJSONList(b, "log", len(idx), true, func(b []byte, i int) []byte {
		b = append(b, `{"slot":`...)
		b = strconv.AppendInt(b, r.base+int64(idx[i])+1, 10)
		b = r.log[idx[i]].AppendJSON(b, n)
		return append(b, '}')
	})
	b = sim.AppendJSONInt(b, "heartbeat_applied", r.hbApplied)
	b = r.machine.AppendStateJSONFields(b, n)
	return append(b, '}')
}

// appendSnapJSON appends `,"snapshot":{"slot":N,"keys":K}` for a snapshot.
func appendSnapJSON(b []byte, s *protocol.Snap) []byte {
	if s == nil {
		return b
	}
	b = append(b, `,"snapshot":{"slot":`...)
	b = strconv.AppendInt(b, s.Slot, 10)
	b = sim.AppendJSONInt(b, "keys", int64(s.Keys))
	return append(b, '}')
}
