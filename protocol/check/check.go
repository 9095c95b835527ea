package check

import (
	"fmt"
	"maps"

	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
)

// Learner is what the convergence check sees of a node that applies the
// log: its name, how many commands it applied, and its final store.
type Learner struct {
	Name  string
	Len   int64
	Store map[string]string
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

// Convergence checks that learners that applied the same number of slots
// hold the same store. With agreement (LogWatch), equal lengths mean equal
// logs.
func Convergence(ls []Learner) error {
	for i, a := range ls {
		for _, b := range ls[i+1:] {
			if a.Len == b.Len && !maps.Equal(a.Store, b.Store) {
				return fmt.Errorf("%s and %s both applied %d slots but hold different stores: %v vs %v",
					a.Name, b.Name, a.Len, kv.FormatMap(a.Store), kv.FormatMap(b.Store))
			}
		}
	}
	return nil
}
