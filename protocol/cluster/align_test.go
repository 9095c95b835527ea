package cluster

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
)

// TestResolver: a message is found again by its contents: in a run that
// no longer sends the first of two messages, the second has the number 1;
// the first is skipped; identical messages keep their order; other events
// and unknown messages are left as they are.
func TestResolver(t *testing.T) {
	names := []string{"leader1", "acceptor1"}
	a := protocol.Msg{Kind: protocol.Prepare, Ballot: protocol.Ballot{Round: 1, LeaderID: 1}}
	b := protocol.Msg{Kind: protocol.Accept, Slot: 1}
	old, now := newSends(names), newSends(names)
	old.sent(0, 1, a) // leader1#1
	old.sent(0, 1, b) // leader1#2
	old.sent(0, 1, b) // leader1#3: the same contents again
	now.sent(0, 1, b) // leader1#1
	now.sent(0, 1, b) // leader1#2
	r := resolver(old, now)
	for _, c := range []struct {
		what, want string
		ok         bool
	}{
		{"deliver leader1#2 acceptor1 Accept", "deliver leader1#1 acceptor1 Accept", true},
		{"deliver leader1#3 acceptor1 Accept dup", "deliver leader1#2 acceptor1 Accept dup", true},
		{"lose leader1#2 acceptor1 Accept", "lose leader1#1 acceptor1 Accept", true},
		{"duplicate leader1#3 acceptor1 Accept", "duplicate leader1#2 acceptor1 Accept", true},
		{"deliver leader1#1 acceptor1 Prepare", "", false},
		{"deliver leader1#9 acceptor1 Accept", "deliver leader1#9 acceptor1 Accept", true},
		{"timer leader1 retry", "timer leader1 retry", true},
		{"crash acceptor1", "crash acceptor1", true},
		{"deliver", "deliver", true},
	} {
		got, ok := r(c.what)
		assert.Equal(t, c.ok, ok, c.what)
		assert.Equal(t, c.want, got, c.what)
	}
}
