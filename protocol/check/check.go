package check

import (
	"fmt"
	"maps"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// Learner is what a checker sees of a node that applies the log: its name,
// the commands it applied, those that took effect, and its final store.
type Learner struct {
	Name    string
	Applied []protocol.Command // every command applied, slot 1 first
	Effects []protocol.Command // the applied commands that took effect (not Noops, not retries)
	Store   map[string]string
}

// Name names a check, in summaries, sweep reports and reproducers.
type Name string

// The checks of every run, in the order summaries list them.
const (
	NameAgreement       Name = "agreement"
	NameConvergence     Name = "convergence"
	NameLinearizability Name = "linearizability"
	NameExactlyOnce     Name = "exactly-once"
	NameInvariants      Name = "invariants"
	NameLiveness        Name = "liveness"
)

// Verdict is the outcome of one named check: Err is nil when it held. Note
// reports something that is not a failure (a stall the scenario allows).
type Verdict struct {
	Name Name
	Err  error
	Note string
}

// Text is "ok", the note, or the failure.
func (v Verdict) Text() string {
	switch {
	case v.Err != nil:
		return v.Err.Error()
	case v.Note != "":
		return v.Note
	}
	return "ok"
}

// Agreement checks that every learner that applied slot N applied the same
// command there: no two nodes ever disagree on the log.
func Agreement(ls []Learner, n sim.Names) error {
	var longest []protocol.Command
	var who string
	for _, l := range ls {
		for i, cmd := range l.Applied {
			if i >= len(longest) {
				break
			}
			if !cmd.Same(longest[i]) {
				return fmt.Errorf("slot %d: %s applied %s but %s applied %s",
					i+1, who, longest[i].Tagged(n), l.Name, cmd.Tagged(n))
			}
		}
		if len(l.Applied) > len(longest) {
			longest, who = l.Applied, l.Name
			// the new longest agrees with the old on its prefix (checked
			// above), and every earlier learner agreed with the old one
		}
	}
	return nil
}

// Convergence checks that learners that applied the same number of slots
// hold the same store. With Agreement, equal lengths mean equal prefixes.
func Convergence(ls []Learner) error {
	for i, a := range ls {
		for _, b := range ls[i+1:] {
			if len(a.Applied) == len(b.Applied) && !maps.Equal(a.Store, b.Store) {
				return fmt.Errorf("%s and %s both applied %d slots but hold different stores: %v vs %v",
					a.Name, b.Name, len(a.Applied), kv.FormatMap(a.Store), kv.FormatMap(b.Store))
			}
		}
	}
	return nil
}
