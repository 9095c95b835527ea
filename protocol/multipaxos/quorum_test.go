package multipaxos

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestQuorum drives one quorum helper through a sequence of operations:
// each acceptor counts once (a duplicated vote is not a second vote; Paxos
// needs a majority of distinct acceptors), indexes outside the acceptors
// count never, clear forgets the votes and keeps the size, and size forgets
// them too, resizing when the number of acceptors changes.
func TestQuorum(t *testing.T) {
	type step struct {
		name  string
		op    string // "size", "add" or "clear"
		arg   int
		added bool   // what add reports
		count int    // count afterwards
		has   []bool // has(i) afterwards, for every i in range
	}
	steps := []step{
		{"a zero quorum counts nobody", "clear", 0, false, 0, nil},
		{"add before size counts nobody", "add", 0, false, 0, nil},
		{"size makes room for three", "size", 3, false, 0, []bool{false, false, false}},
		{"a first vote counts", "add", 1, true, 1, []bool{false, true, false}},
		{"the same acceptor again does not", "add", 1, false, 1, []bool{false, true, false}},
		{"a negative index does not", "add", -1, false, 1, []bool{false, true, false}},
		{"an index past the acceptors does not", "add", 3, false, 1, []bool{false, true, false}},
		{"another acceptor counts", "add", 2, true, 2, []bool{false, true, true}},
		{"and the last one", "add", 0, true, 3, []bool{true, true, true}},
		{"clear forgets every vote", "clear", 0, false, 0, []bool{false, false, false}},
		{"after clear an acceptor counts again", "add", 2, true, 1, []bool{false, false, true}},
		{"size with the same number forgets the votes", "size", 3, false, 0, []bool{false, false, false}},
		{"size with another number resizes", "size", 5, false, 0, []bool{false, false, false, false, false}},
		{"index 4 is an acceptor now", "add", 4, true, 1, []bool{false, false, false, false, true}},
		{"size down to one", "size", 1, false, 0, []bool{false}},
		{"index 4 is not any more", "add", 4, false, 0, []bool{false}},
	}
	var q quorum
	for _, s := range steps {
		switch s.op {
		case "size":
			q.size(s.arg)
		case "add":
			assert.Equal(t, s.added, q.add(s.arg), "%s: add(%d)", s.name, s.arg)
		case "clear":
			q.clear()
		}
		assert.Equal(t, s.count, q.count(), "%s: count", s.name)
		for i, want := range s.has {
			assert.Equal(t, want, q.has(i), "%s: has(%d)", s.name, i)
		}
		assert.False(t, q.has(-1), "%s: has(-1)", s.name)
		assert.False(t, q.has(len(s.has)), "%s: has(%d), past the acceptors", s.name, len(s.has))
	}
}

// TestQuorumCloneAndState: a quorum's copy is independent, and its
// encoding depends on who voted, not on the order they voted in; nine
// acceptors take two bytes of bits.
func TestQuorumCloneAndState(t *testing.T) {
	var a, b quorum
	a.size(9)
	b.size(9)
	for _, i := range []int{8, 0, 3} {
		a.add(i)
	}
	for _, i := range []int{3, 8, 0, 0} {
		b.add(i)
	}
	assert.Equal(t, a.appendState(nil), b.appendState(nil), "the same voters in another order encode the same")
	assert.Equal(t, []byte{0b1001, 0b1, 3}, a.appendState(nil))

	c := a.cloneInto(quorum{})
	a.add(5)
	assert.False(t, c.has(5), "a vote on the original reached its copy")
	assert.Equal(t, 3, c.count())
	d := a.cloneInto(c) // reuse the copy's memory
	assert.True(t, d.has(5))
	a.clear()
	assert.Equal(t, 4, d.count(), "clearing the original cleared its copy")
}
