package multipaxos

import (
	"encoding/binary"
	"strconv"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// quorum records which acceptors (by index) answered something, once each:
// the one helper for Phase 1's promises, Phase 2's votes and the majority
// check.
type quorum struct {
	voted []bool
	n     int
}

// size makes room for n acceptors and forgets every vote.
func (q *quorum) size(n int) {
	if len(q.voted) != n {
		q.voted = make([]bool, n)
	}
	q.clear()
}

// add counts acceptor i once; it reports whether i was new.
func (q *quorum) add(i int) bool {
	if i < 0 || i >= len(q.voted) || q.voted[i] {
		return false
	}
	q.voted[i] = true
	q.n++
	return true
}

// has reports whether acceptor i was counted.
func (q *quorum) has(i int) bool { return i >= 0 && i < len(q.voted) && q.voted[i] }

// count is the number of acceptors counted.
func (q *quorum) count() int { return q.n }

func (q *quorum) clear() {
	clear(q.voted)
	q.n = 0
}

// cloneInto returns a copy of q that uses d's memory.
func (q quorum) cloneInto(d quorum) quorum {
	d.voted = append(d.voted[:0], q.voted...)
	d.n = q.n
	return d
}

func (q *quorum) appendState(b []byte) []byte {
	var bits byte
	for i, v := range q.voted {
		if v {
			bits |= 1 << (i % 8)
		}
		if i%8 == 7 || i == len(q.voted)-1 {
			b = append(b, bits)
			bits = 0
		}
	}
	return binary.AppendUvarint(b, uint64(q.n))
}

// tally is q in trace text, the acceptors counted by name and how many of
// how many against the quorum: "acceptor1 + acceptor3, 2 of 3 (quorum 2)".
// Only for tracing: it builds a string.
func (l *Leader) tally(env *kv.Env, q *quorum) string {
	var b []byte
	for i, a := range l.Acceptors {
		if q.has(i) {
			if len(b) > 0 {
				b = append(b, " + "...)
			}
			b = append(b, env.Name(a)...)
		}
	}
	b = append(b, ", "...)
	b = strconv.AppendInt(b, int64(q.count()), 10)
	b = append(b, " of "...)
	b = strconv.AppendInt(b, int64(len(l.Acceptors)), 10)
	b = append(b, " (quorum "...)
	b = strconv.AppendInt(b, int64(l.Quorum()), 10)
	return string(append(b, ')'))
}

// nodeNames is nodes' names in trace text, "replica1, replica2". Only for
// tracing: it builds a string.
func nodeNames(env *kv.Env, nodes []sim.NodeID) string {
	var b []byte
	for i, id := range nodes {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, env.Name(id)...)
	}
	return string(b)
}

// see notes ballot b, seen in any message: the highest ballot seen is where
// the next campaign starts above, and who leads is its leader id. It reports
// whether b is above the node's own ballot, which means another node has
// run Phase 1 since and this one's ballot can no longer win.
func (l *Leader) see(b protocol.Ballot) (above bool) {
	if l.seen.Less(b) {
		l.seen = b
	}
	return l.ballot.Less(b)
}
