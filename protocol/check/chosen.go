package check

import (
	"fmt"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
)

// Chosen watches the run as it goes and checks Paxos' safety property at its
// source: no slot ever has two different commands chosen, where a command is
// chosen when a quorum of acceptors has accepted it at one ballot (Lamport,
// "Paxos Made Simple", section 2.1, "only a single value is chosen"). It is
// fed every Accepted vote, with the command the acceptor holds for that slot.
type Chosen struct {
	quorum int
	votes  map[vote]struct{}
	counts map[slotBallot]int
	chosen map[int64]choice
	err    error
}

type slotBallot struct {
	slot   int64
	ballot protocol.Ballot
}

type vote struct {
	slotBallot
	acceptor int
}

type choice struct {
	ballot protocol.Ballot
	cmd    protocol.Command
}

// NewChosen watches acceptors with the given quorum size.
func NewChosen(quorum int) *Chosen {
	return &Chosen{quorum: quorum, votes: map[vote]struct{}{}, counts: map[slotBallot]int{}, chosen: map[int64]choice{}}
}

// Reset forgets everything, keeping the memory, for another run.
func (c *Chosen) Reset() {
	clear(c.votes)
	clear(c.counts)
	clear(c.chosen)
	c.err = nil
}

// Accepted records that acceptor accepted cmd for slot at ballot b.
func (c *Chosen) Accepted(acceptor int, slot int64, b protocol.Ballot, cmd protocol.Command) {
	v := vote{slotBallot{slot, b}, acceptor}
	if _, dup := c.votes[v]; dup {
		return
	}
	c.votes[v] = struct{}{}
	c.counts[v.slotBallot]++
	if c.counts[v.slotBallot] != c.quorum {
		return
	}
	prev, ok := c.chosen[slot]
	if !ok {
		c.chosen[slot] = choice{b, cmd}
		return
	}
	if !prev.cmd.Same(cmd) && c.err == nil {
		c.err = fmt.Errorf("slot %d: %v (%s #%d) was chosen at ballot %v, then %v (%s #%d) at ballot %v",
			slot, prev.cmd, prev.cmd.Client, prev.cmd.Seq, prev.ballot, cmd, cmd.Client, cmd.Seq, b)
	}
}

// Err is the first violation seen, or nil.
func (c *Chosen) Err() error { return c.err }

// Slots is the number of slots chosen so far.
func (c *Chosen) Slots() int { return len(c.chosen) }

// Applied checks the learners against what was chosen: a node may apply at
// slot N only the command chosen there.
func (c *Chosen) Applied(ls []Learner) error {
	for _, l := range ls {
		for i, cmd := range l.Applied {
			slot := int64(i + 1)
			ch, ok := c.chosen[slot]
			switch {
			case !ok:
				return fmt.Errorf("%s applied %v at slot %d, where nothing was chosen", l.Name, cmd, slot)
			case !ch.cmd.Same(cmd):
				return fmt.Errorf("%s applied %v (%s #%d) at slot %d, where %v (%s #%d) was chosen", l.Name, cmd, cmd.Client, cmd.Seq, slot, ch.cmd, ch.cmd.Client, ch.cmd.Seq)
			}
		}
	}
	return nil
}
