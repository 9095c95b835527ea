package cluster

import (
	"regexp"

	"github.com/multipaxos-kv/multipaxos-kv/protocol/check"
)

// Signature names a failure more closely than its check: the check, and
// the first slot, key or request its verdict names. Two failures with one
// signature are the same failure, for minimize: a smaller schedule that
// fails agreement at another slot shows another bug, or the same bug
// elsewhere, and is not kept.
type Signature struct {
	Check check.Name
	// Subject is the first of "slot N", `key "K"` or "NODE #N" (a client's
	// request) that the verdict's text names, or "" when it names none.
	Subject string
}

// String is "agreement at slot 2", `linearizability at key "d"`,
// "exactly-once at client1 #2", or the check's name alone.
func (s Signature) String() string {
	if s.Subject == "" {
		return string(s.Check)
	}
	return string(s.Check) + " at " + s.Subject
}

// subjectRE finds what a verdict names: a slot, a quoted key, a client's
// request (node name, " #", its number).
var subjectRE = regexp.MustCompile(`\bslot \d+\b|\bkey "(?:[^"\\]|\\.)*"|\b[a-z]+\d+ #\d+\b`)

// SignatureOf is the signature of a failed verdict: its check and the first
// slot, key or request its text names. Checks' texts name the slot first
// for agreement ("slot 2: ..."), the key for linearizability ("not
// linearizable: key "d": ..."), the request for exactly-once ("client1 #2
// took effect twice ..."); a text that names none gives the check alone.
func SignatureOf(v check.Verdict) Signature {
	return Signature{Check: v.Name, Subject: subjectRE.FindString(v.Text())}
}

// failureOf is the first safety check that failed in o (liveness is not a
// failure a schedule can be shrunk for: a shorter run always stalls), and
// its signature.
func failureOf(o Outcome) (Signature, bool) {
	for _, v := range o.Checks {
		if v.Err != nil && v.Name != check.NameLiveness {
			return SignatureOf(v), true
		}
	}
	return Signature{}, false
}

// failsAs reports whether o fails the check of sig with sig's signature
// (other checks may fail too).
func failsAs(o Outcome, sig Signature) bool {
	for _, v := range o.Checks {
		if v.Name == sig.Check {
			return v.Err != nil && SignatureOf(v) == sig
		}
	}
	return false
}
