package multipaxos

import (
	"encoding/binary"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
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
