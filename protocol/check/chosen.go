package check

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// Chosen watches the run as it goes and checks Paxos' safety property at its
// source: no slot ever has two different commands chosen, where a command is
// chosen when a quorum of acceptors has accepted it at one ballot (Lamport,
// "Paxos Made Simple", section 2.1, "only a single value is chosen"). It is
// fed every Accepted vote, with the value the acceptor holds for that slot.
type Chosen struct {
	quorum int
	names  sim.Names   // for the text of a failure
	slots  []slotVotes // slot s at index s-1-base
	base   int64       // the slots forgotten (Forget)
	// chosenBelow counts the chosen slots forgotten, for Slots.
	chosenBelow int
	err         error
	// state caches AppendState's encoding while stateOK; Accepted clears it.
	state   []byte
	stateOK bool
}

// slotVotes is what one slot has seen: the votes per ballot, and its choice.
// Plain slices rather than maps: they are reused across runs and cost no
// hashing on the hot path of a sweep.
type slotVotes struct {
	ballots []ballotVotes
	chosen  bool
	choice  choice
}

type ballotVotes struct {
	ballot protocol.Ballot
	val    protocol.Value // what the ballot proposed for the slot
	voters []int          // acceptor indices, each once
}

type choice struct {
	ballot protocol.Ballot
	val    protocol.Value
}

// NewChosen watches acceptors with the given quorum size; names resolves
// the commands' symbols in the text of a failure.
func NewChosen(quorum int, names sim.Names) *Chosen { return &Chosen{quorum: quorum, names: names} }

// Reset forgets everything, keeping the memory, for another run.
func (c *Chosen) Reset() {
	for i := range c.slots {
		sv := &c.slots[i]
		for j := range sv.ballots {
			sv.ballots[j].voters = sv.ballots[j].voters[:0]
		}
		sv.ballots = sv.ballots[:0]
		sv.chosen, sv.choice = false, choice{}
	}
	c.slots = c.slots[:0]
	c.base, c.chosenBelow = 0, 0
	c.err = nil
	c.stateOK = false
}

// Accepted records that acceptor accepted value v for slot at ballot b.
func (c *Chosen) Accepted(acceptor int, slot int64, b protocol.Ballot, v protocol.Value) {
	if slot <= c.base {
		return // forgotten: no acceptor votes there any more
	}
	c.stateOK = false
	for c.base+int64(len(c.slots)) < slot {
		if len(c.slots) < cap(c.slots) {
			c.slots = c.slots[:len(c.slots)+1] // reuse the slot's old arrays
			// ... but none of its old votes: past the length they may be
			// left from an earlier run or, after CloneInto, another state
			sv := &c.slots[len(c.slots)-1]
			sv.ballots, sv.chosen, sv.choice = sv.ballots[:0], false, choice{}
		} else {
			c.slots = append(c.slots, slotVotes{})
		}
	}
	sv := &c.slots[slot-1-c.base]
	var bv *ballotVotes
	for i := range sv.ballots {
		if sv.ballots[i].ballot == b {
			bv = &sv.ballots[i]
			break
		}
	}
	if bv == nil {
		if len(sv.ballots) < cap(sv.ballots) {
			sv.ballots = sv.ballots[:len(sv.ballots)+1]
		} else {
			sv.ballots = append(sv.ballots, ballotVotes{})
		}
		bv = &sv.ballots[len(sv.ballots)-1]
		bv.ballot, bv.val, bv.voters = b, v, bv.voters[:0]
	} else if !bv.val.Same(v) {
		// A ballot proposes one value per slot: two are a broken
		// proposer, and could let two values be chosen.
		if c.err == nil {
			c.err = fmt.Errorf("slot %d: ballot %v proposed two commands: %s and %s, the latter accepted by acceptor%d",
				slot, b, bv.val.Tagged(c.names), v.Tagged(c.names), acceptor+1)
		}
		return
	}
	for _, v := range bv.voters {
		if v == acceptor {
			return // a duplicate vote counts once
		}
	}
	bv.voters = append(bv.voters, acceptor)
	if len(bv.voters) != c.quorum {
		return
	}
	if !sv.chosen {
		sv.chosen, sv.choice = true, choice{b, v}
		return
	}
	if prev := sv.choice; !prev.val.Same(v) && c.err == nil {
		c.err = fmt.Errorf("slot %d: %s was chosen at ballot %v by %s, then %s at ballot %v by %s",
			slot, prev.val.Tagged(c.names), prev.ballot, voterNames(sv.votersOf(prev.ballot)), v.Tagged(c.names), b, voterNames(bv.voters))
	}
}

// votersOf is the acceptors that accepted the slot's command at ballot b.
func (sv *slotVotes) votersOf(b protocol.Ballot) []int {
	for i := range sv.ballots {
		if sv.ballots[i].ballot == b {
			return sv.ballots[i].voters
		}
	}
	return nil
}

// voterNames names acceptors by index, in order: "acceptor1 + acceptor3".
func voterNames(voters []int) string {
	vs := slices.Sorted(slices.Values(voters))
	var b strings.Builder
	for i, v := range vs {
		if i > 0 {
			b.WriteString(" + ")
		}
		b.WriteString("acceptor" + strconv.Itoa(v+1))
	}
	if len(vs) == 0 {
		return "no acceptor"
	}
	return b.String()
}

// Votes says what the acceptors accepted at slot, per ballot in order, for
// a failure's text: "the votes for slot 1: ballot (1,1) PUT "a" =
// "val_0" (client1 #1) by acceptor1 (a quorum is 2)".
func (c *Chosen) Votes(slot int64) string {
	i := slot - 1 - c.base
	if i < 0 || i >= int64(len(c.slots)) || len(c.slots[i].ballots) == 0 {
		return "no acceptor accepted anything at slot " + strconv.FormatInt(slot, 10)
	}
	sv := &c.slots[i]
	order := make([]int, len(sv.ballots))
	for j := range order {
		order[j] = j
	}
	slices.SortFunc(order, func(x, y int) int { return sv.ballots[x].ballot.Compare(sv.ballots[y].ballot) })
	var b strings.Builder
	b.WriteString("the votes for slot " + strconv.FormatInt(slot, 10) + ": ")
	for k, j := range order {
		if k > 0 {
			b.WriteString("; ")
		}
		bv := &sv.ballots[j]
		b.WriteString("ballot " + bv.ballot.String() + " " + bv.val.Tagged(c.names) + " by " + voterNames(bv.voters))
	}
	b.WriteString(" (a quorum is " + strconv.Itoa(c.quorum) + ")")
	return b.String()
}

// Err is the first violation seen, or nil.
func (c *Chosen) Err() error { return c.err }

// Slots is the number of slots chosen so far.
func (c *Chosen) Slots() int {
	n := c.chosenBelow
	for i := range c.slots {
		if c.slots[i].chosen {
			n++
		}
	}
	return n
}

// Choice is the value chosen at slot, if any; a slot forgotten reports
// nothing chosen.
func (c *Chosen) Choice(slot int64) (protocol.Value, bool) {
	i := slot - 1 - c.base
	if i < 0 || i >= int64(len(c.slots)) || !c.slots[i].chosen {
		return protocol.Value{}, false
	}
	return c.slots[i].choice.val, true
}

// Forget drops the votes of the slots up to floor: once every acceptor has
// compacted its log past a slot, nobody votes there again. The slots are
// kept, empty, for reuse.
func (c *Chosen) Forget(floor int64) {
	k := int(min(floor-c.base, int64(len(c.slots))))
	if k <= 0 {
		return
	}
	for i := range k {
		if c.slots[i].chosen {
			c.chosenBelow++
		}
	}
	// Rotate the forgotten slots to the end, so that their vote arrays are
	// reused and never shared.
	n := len(c.slots)
	for i := 0; i+k < n; i++ {
		c.slots[i], c.slots[i+k] = c.slots[i+k], c.slots[i]
	}
	c.slots = c.slots[:n-k]
	c.base += int64(k)
	c.stateOK = false
}

// CloneInto makes d a copy of c, reusing d's memory (d may be nil).
func (c *Chosen) CloneInto(d *Chosen) *Chosen {
	if d == nil {
		d = &Chosen{}
	}
	d.quorum, d.names, d.err, d.stateOK = c.quorum, c.names, c.err, false
	d.base, d.chosenBelow = c.base, c.chosenBelow
	old := d.slots[:cap(d.slots)]
	d.slots = d.slots[:0]
	for i := range c.slots {
		var sv slotVotes
		if i < len(old) {
			sv = old[i]
		}
		src := &c.slots[i]
		oldBallots := sv.ballots[:cap(sv.ballots)]
		sv.ballots = sv.ballots[:0]
		for j := range src.ballots {
			var bv ballotVotes
			if j < len(oldBallots) {
				bv = oldBallots[j]
			}
			bv.ballot, bv.val = src.ballots[j].ballot, src.ballots[j].val
			bv.voters = append(bv.voters[:0], src.ballots[j].voters...)
			sv.ballots = append(sv.ballots, bv)
		}
		sv.chosen, sv.choice = src.chosen, src.choice
		d.slots = append(d.slots, sv)
	}
	return d
}

// AppendState appends a canonical encoding of the votes seen: per slot, per
// ballot in ballot order, the command and the voters in order. The explorer
// folds it into its fingerprints, because whether a value can still be
// chosen depends on the votes of the past, not only on what acceptors hold
// now.
func (c *Chosen) AppendState(b []byte) []byte {
	if !c.stateOK {
		c.state, c.stateOK = c.appendState(c.state[:0]), true
	}
	return append(b, c.state...)
}

func (c *Chosen) appendState(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(c.base))
	b = binary.AppendUvarint(b, uint64(len(c.slots)))
	for i := range c.slots {
		sv := &c.slots[i]
		order := make([]int, len(sv.ballots))
		for j := range order {
			order[j] = j
		}
		slices.SortFunc(order, func(x, y int) int { return sv.ballots[x].ballot.Compare(sv.ballots[y].ballot) })
		b = binary.AppendUvarint(b, uint64(len(order)))
		for _, j := range order {
			bv := &sv.ballots[j]
			b = bv.ballot.AppendState(b)
			b = bv.val.AppendState(b)
			voters := slices.Clone(bv.voters)
			slices.Sort(voters)
			b = binary.AppendUvarint(b, uint64(len(voters)))
			for _, v := range voters {
				b = binary.AppendUvarint(b, uint64(v))
			}
		}
	}
	return b
}
