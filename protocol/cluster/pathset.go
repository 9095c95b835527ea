package cluster

import "strings"

// PathSet is a set of protocol paths, one bit per field of Paths: the
// combination of paths a run took, which guided sweeps steer by (as AFL
// steers by the edges an input covers).
type PathSet uint16

// PathNames names the bits of PathSet, lowest first, in Paths' field order.
var PathNames = [...]string{
	"phase1", "preempted", "recovery", "recovered-value", "noop-fill", "resend",
	"redirect", "fetch", "session-answer", "client-retry", "gave-up", "batch",
}

// Set is the combination of paths p took: the bit of every field above 0.
func (p Paths) Set() PathSet {
	var s PathSet
	for i, n := range [...]int{
		p.Phase1, p.Preemptions, p.Recoveries, p.RecoveredValues, p.NoopFills, p.Resends,
		p.Redirects, p.Fetches, p.SessionAnswers, p.ClientRetries, p.GaveUp, p.Batches,
	} {
		if n > 0 {
			s |= 1 << i
		}
	}
	return s
}

// Names lists s's paths in PathNames order.
func (s PathSet) Names() []string {
	var names []string
	for i, name := range PathNames {
		if s&(1<<i) != 0 {
			names = append(names, name)
		}
	}
	return names
}

// String is the paths joined by "+", or "none".
func (s PathSet) String() string {
	if s == 0 {
		return "none"
	}
	return strings.Join(s.Names(), "+")
}
