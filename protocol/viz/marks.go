package viz

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// MarkKind is a kind of protocol milestone that the diagram marks on a lane.
type MarkKind string

// The milestones. Each is read from a node's step text (markRules in
// style.go says which words), with its details from the messages around it.
const (
	MarkPhase1    MarkKind = "phase1"    // a leader won Phase 1: a quorum of promises for its ballot
	MarkChosen    MarkKind = "chosen"    // a leader saw a quorum accept a slot
	MarkNoop      MarkKind = "noop"      // a leader filled a hole in the log with a NOOP
	MarkRecovered MarkKind = "recovered" // a new leader re-chose the slots it recovered and serves again
	MarkStandby   MarkKind = "standby"   // a leader stands by: it defers to another or lost its majority
)

// Mark is one milestone on a node's lane.
type Mark struct {
	T      sim.Time
	Seq    uint64 // the step's trace seq
	Node   string
	Kind   MarkKind
	Slot   int64    // chosen, noop: the slot
	Ballot string   // phase1: the ballot won; chosen: the ballot of the quorum's votes
	Quorum []string // chosen: the acceptors whose Accepted made the quorum, in arrival order
	Votes  []uint64 // chosen: the trace seqs at which those Accepted copies arrived
	Text   string   // the step's text
}

// Label is the mark's words on the diagram: "Phase 1 won (2,2)",
// "s6 chosen", "NOOP s4", "recovery complete", "stand-by".
func (m Mark) Label() string {
	slot := " s" + strconv.FormatInt(m.Slot, 10)
	switch m.Kind {
	case MarkPhase1:
		return strings.TrimSpace("Phase 1 won " + m.Ballot)
	case MarkChosen:
		return strings.TrimSpace(slot) + " chosen"
	case MarkNoop:
		return "NOOP" + slot
	case MarkRecovered:
		return "recovery complete"
	case MarkStandby:
		return "stand-by"
	}
	return string(m.Kind)
}

// Info is the mark's tooltip: what happened, the quorum, and the step.
func (m Mark) Info() string {
	s := m.Node + " at " + m.T.String() + ": " + m.Label()
	if m.Kind == MarkChosen {
		s += " in ballot " + m.Ballot + "\nquorum: " + strings.Join(m.Quorum, ", ")
	}
	return s + "\n" + m.Text
}

// marks reads the milestones from t's steps. A step's kind comes from its
// words (markRules); a chosen slot's quorum is the senders of the Accepted
// copies for that slot and ballot that reached the node before the step;
// a Phase 1 ballot is that of the node's last Prepare before it. A second
// step of the same kind, node and time gives no second mark.
func marks(t *Trace) []Mark {
	type slotOf struct {
		node string
		slot int64
	}
	votes := map[slotOf][]Message{} // the Accepted copies delivered, by receiver and slot
	var prepares []Message          // every Prepare sent, in send order
	for _, m := range t.Messages {
		switch m.Type {
		case protocol.Accepted.String():
			if m.Fate == Delivered {
				k := slotOf{m.To, m.Slot}
				votes[k] = append(votes[k], m)
			}
		case protocol.Prepare.String():
			if !m.Duplicate {
				prepares = append(prepares, m)
			}
		}
	}
	for _, v := range votes {
		slices.SortFunc(v, func(a, b Message) int { return cmp.Compare(a.AtSeq, b.AtSeq) })
	}
	var out []Mark
	for _, s := range t.Steps {
		kind, ok := markKind(s.Text)
		if !ok {
			continue
		}
		m := Mark{T: s.T, Seq: s.Seq, Node: s.Node, Kind: kind, Text: s.Text}
		if n := len(out); n > 0 && out[n-1].Kind == kind && out[n-1].Node == s.Node && out[n-1].T == s.T {
			continue
		}
		switch kind {
		case MarkChosen, MarkNoop:
			m.Slot = stepSlot(s.Text)
		}
		switch kind {
		case MarkPhase1:
			for _, p := range prepares {
				if p.From == s.Node && p.SendSeq < s.Seq {
					m.Ballot = p.Ballot
				}
			}
		case MarkChosen:
			m.Ballot, m.Quorum, m.Votes = quorum(votes[slotOf{s.Node, m.Slot}], s.Seq)
		}
		out = append(out, m)
	}
	return out
}

// quorum is the ballot of the last vote before seq, and the distinct
// senders of the votes in that ballot before seq, with their arrivals'
// seqs.
func quorum(votes []Message, seq uint64) (string, []string, []uint64) {
	var last *Message
	for i := range votes {
		if votes[i].AtSeq < seq {
			last = &votes[i]
		}
	}
	if last == nil {
		return "", nil, nil
	}
	var who []string
	var ids []uint64
	for _, v := range votes {
		if v.AtSeq < seq && v.Ballot == last.Ballot && !slices.Contains(who, v.From) {
			who, ids = append(who, v.From), append(ids, v.AtSeq)
		}
	}
	return last.Ballot, who, ids
}

// markKind is the kind of milestone a step's text reports, if any: the
// first rule whose words the text contains.
func markKind(text string) (MarkKind, bool) {
	if strings.HasPrefix(text, protocol.WhyPrefix) {
		return "", false
	}
	for _, r := range markRules {
		if strings.Contains(text, r.words) {
			return r.kind, true
		}
	}
	return "", false
}

// stepSlot is the number after the first "slot " in a step's text, 0 when
// there is none.
func stepSlot(text string) int64 {
	_, rest, found := strings.Cut(text, "slot ")
	if !found {
		return 0
	}
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(rest)
	}
	n, _ := strconv.ParseInt(rest[:end], 10, 64)
	return n
}
