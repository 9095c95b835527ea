package protocol

import (
	"fmt"
	"strings"
)

// Bug is one catalogued protocol mistake, of the kind people really make
// when they write Paxos, that a node can be switched into for teaching and
// for testing the checks: `-bug NAME`. Every bug is off by default and costs
// nothing when off (one bit test where it would act).
type Bug uint8

// Bugs is a set of switched-on bugs.
type Bugs uint32

// Has reports whether b is switched on.
func (s Bugs) Has(b Bug) bool { return s&(1<<b) != 0 }

// With returns s with b switched on.
func (s Bugs) With(b Bug) Bugs { return s | 1<<b }

// The catalogue.
const (
	BugAcceptBelowPromise Bug = iota
	BugPromiseWithoutAccepted
	BugAcceptorAmnesia
	BugRecoverFirstValue
	BugForgetRound
	BugSameBallot
	BugMinorityQuorum
	BugCountDuplicateVotes
	BugCountStaleVotes
	BugCountStalePromises
	BugReplicaUnordered
	BugNoSessions
	BugReplyBeforeChosen
	bugCount
)

// BugInfo describes a catalogued bug.
type BugInfo struct {
	Name  string
	Where string // the node and rule it breaks
	What  string // one sentence: what the code does wrong, and why it matters
}

// Catalogue lists every bug, in order.
var Catalogue = [bugCount]BugInfo{
	BugAcceptBelowPromise:     {"accept-below-promise", "acceptor, Phase 2b", "the acceptor accepts an Accept whose ballot is below the one it promised, so a deposed leader can still get a value chosen after a newer leader recovered the slot"},
	BugPromiseWithoutAccepted: {"promise-without-accepted", "acceptor, Phase 1b", "the acceptor's Promise leaves out what it has accepted, so a new leader cannot recover a value that may already be chosen"},
	BugAcceptorAmnesia:        {"acceptor-amnesia", "acceptor, durability", "the acceptor keeps its promise and accepted values in memory only, so a crash and restart forgets what it voted for"},
	BugRecoverFirstValue:      {"recover-first-value", "leader, Phase 1 recovery", "recovery takes the first value a promise reports for a slot instead of the one accepted at the highest ballot"},
	BugForgetRound:            {"forget-round", "leader, ballots and restarts", "the leader does not keep its highest round across a crash, so after a restart it reuses a ballot it already proposed in"},
	BugSameBallot:             {"same-ballot", "leader, ballots", "ballots carry no leader id, so two leaders campaigning in the same round both win Phase 1 with the same ballot"},
	BugMinorityQuorum:         {"minority-quorum", "leader, quorums", "the quorum is half the acceptors instead of a majority, so two quorums need not share an acceptor"},
	BugCountDuplicateVotes:    {"count-duplicate-votes", "leader, vote counting", "a duplicated Accepted from one acceptor is counted again, so one vote can make a quorum"},
	BugCountStaleVotes:        {"count-stale-votes", "leader, vote counting", "an Accepted for an older ballot is counted towards the current one, although that acceptor never accepted the current proposal"},
	BugCountStalePromises:     {"count-stale-promises", "leader, vote counting", "a Promise for an older ballot is counted in Phase 1 of the current one, although that acceptor may since have accepted values it did not report"},
	BugReplicaUnordered:       {"replica-unordered", "replica, applying the log", "the replica applies commits in the order they arrive instead of slot order"},
	BugNoSessions:             {"no-sessions", "state machine, client sessions", "the state machine keeps no client sessions, so a retried request that reaches the log twice takes effect twice"},
	BugReplyBeforeChosen:      {"reply-before-chosen", "leader, client front end", "the leader answers the client as soon as it proposes, before a quorum has accepted, so an answered request can be lost in a failover"},
}

// LookupBug returns the bug with the given name.
func LookupBug(name string) (Bug, error) {
	for i, b := range Catalogue {
		if b.Name == name {
			return Bug(i), nil
		}
	}
	names := make([]string, len(Catalogue))
	for i, b := range Catalogue {
		names[i] = b.Name
	}
	return 0, fmt.Errorf("unknown bug %q (expected one of: %s; `multipaxos-kv bugs` describes them)", name, strings.Join(names, ", "))
}

// String is the bug's name.
func (b Bug) String() string {
	if int(b) < len(Catalogue) {
		return Catalogue[b].Name
	}
	return fmt.Sprintf("bug%d", b)
}

// Names lists the switched-on bugs' names, in catalogue order.
func (s Bugs) Names() []string {
	var out []string
	for i := range Catalogue {
		if s.Has(Bug(i)) {
			out = append(out, Catalogue[i].Name)
		}
	}
	return out
}
