package multipaxos

import (
	"strconv"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// promise counts a Phase 1b answer for the current ballot and merges the
// entries it reports: per slot, the one with the highest ballot.
func (l *Leader) promise(env *kv.Env, from sim.NodeID, m protocol.Msg) {
	if m.Ballot != l.ballot && !l.Bugs.Has(protocol.BugCountStalePromises) {
		return // late: for an earlier campaign
	}
	if !l.promises.add(l.acceptorIndex(from)) {
		return // a duplicate
	}
	l.resends = 0
	if s := m.Snap(); s != nil && s.Slot > l.recBase() {
		l.forgetRecovered(s.Slot)
		l.recSnap = s
	}
	for _, e := range m.Entries() {
		l.recover(e)
	}
	if env.Tracing() { // formatting boxes its arguments: only when tracing
		if s := m.Snap(); s != nil {
			env.Stepf("Promise from %s with a snapshot of slots 1..%d and %s above it%s (%d/%d)", env.Name(from), s.Slot, entries(len(m.Entries())), listEntries(env, m.Entries()), l.promises.count(), l.Quorum())
		} else {
			env.Stepf("Promise from %s with %s%s (%d/%d)", env.Name(from), entries(len(m.Entries())), listEntries(env, m.Entries()), l.promises.count(), l.Quorum())
		}
	}
	if l.promises.count() >= l.Quorum() {
		l.win(env)
	}
}

// entries is "n accepted entries" in trace text, "1 accepted entry" for one.
func entries(n int) string {
	if n == 1 {
		return "1 accepted entry"
	}
	return strconv.Itoa(n) + " accepted entries"
}

// recover keeps e if it has the highest ballot reported for its slot so far
// (Paxos Made Simple, 2.2: the value of the highest-numbered proposal
// accepted by the acceptors of the quorum).
func (l *Leader) recover(e protocol.Entry) {
	base := l.recBase()
	if e.Slot <= base {
		return // a snapshot reported holds it
	}
	for base+int64(len(l.recovered)) < e.Slot {
		l.recovered = append(l.recovered, protocol.Entry{Slot: base + int64(len(l.recovered)) + 1})
	}
	cur := &l.recovered[e.Slot-1-base]
	if l.Bugs.Has(protocol.BugRecoverFirstValue) {
		if cur.Ballot == (protocol.Ballot{}) {
			*cur = e
		}
		return
	}
	if cur.Ballot.Less(e.Ballot) {
		*cur = e
	}
}

// forgetRecovered drops the recovered entries up to slot, which a snapshot
// reported holds (the snapshot is what the slots chose); recSnap becomes
// that snapshot next.
func (l *Leader) forgetRecovered(slot int64) {
	k := min(slot-l.recBase(), int64(len(l.recovered)))
	n := copy(l.recovered, l.recovered[k:])
	l.recovered = l.recovered[:n]
}

// recBase is the slot of the newest snapshot the promises reported (0:
// none): recovered[0] is slot recBase()+1.
func (l *Leader) recBase() int64 {
	if l.recSnap == nil {
		return 0
	}
	return l.recSnap.Slot
}

// win ends Phase 1: the node leads. Every slot up to the highest one the
// promises reported goes through Phase 2 again in the new ballot, with its
// recovered value or Noop for a hole; the state machine is rebuilt from
// them, in order, before any new request is served.
func (l *Leader) win(env *kv.Env) {
	l.role = leading
	l.backoff = 0
	l.cancelRetry(env)
	l.machine.Reset()
	l.clearSlots()
	l.applied, l.snap = 0, nil
	if s := l.recSnap; s != nil {
		// The slots a snapshot covers were chosen and applied by a leader
		// before: the snapshot is their outcome.
		l.machine.Install(s)
		l.applied, l.snap = s.Slot, s
	}
	kv.RecordInstalled(env, l.snap)
	l.recovering = l.recBase() + int64(len(l.recovered))
	if env.Tracing() { // formatting boxes its arguments: only when tracing
		won := "Phase 1 complete: promises from " + l.tally(env, &l.promises) + " — leader established at ballot " + l.ballot.String()
		if l.base() > 0 {
			won += ", starting from the snapshot of slots 1.." + strconv.FormatInt(l.base(), 10)
		}
		env.Step(won)
		kv.Explain(env, protocol.RulePhase1Quorum)
	}
	if l.recovering > l.base() {
		env.Note(protocol.NoteRecovery)
		if env.Tracing() {
			if l.base() > 0 {
				env.Stepf("Phase 1 recovery: the promises report a snapshot of slots 1..%d and slots up to %d; re-proposing slots %d..%d in ballot %v", l.base(), l.recovering, l.base()+1, l.recovering, l.ballot)
			} else {
				env.Stepf("Phase 1 recovery: the promises report slots up to %d; re-proposing all of them in ballot %v", l.recovering, l.ballot)
			}
		}
		for _, e := range l.recovered {
			v := e.Value
			if e.Ballot == (protocol.Ballot{}) {
				v = protocol.One(protocol.Command{Op: protocol.Noop})
				env.Note(protocol.NoteNoopFill)
				if env.Tracing() {
					env.Step("slot " + strconv.FormatInt(e.Slot, 10) + ": a hole (no acceptor of the quorum accepted anything): filling it with NOOP" + l.sendsAccept())
					kv.Explain(env, protocol.RuleNoop)
				}
			} else {
				env.Note(protocol.NoteRecoveredValue)
				if env.Tracing() {
					env.Stepf("slot %d: recovering %s, accepted at ballot %v, the highest reported%s", e.Slot, v.Tagged(env), e.Ballot, l.sendsAccept())
					kv.Explain(env, protocol.RuleHighestBallot)
				}
			}
			l.propose(env, v)
		}
	}
	// Tell the standby leaders now; the replicas hear at the next period.
	if len(l.Peers) > 0 && env.TracingRoutine() {
		env.Step("sending Heartbeat (ballot " + l.ballot.String() + ", applied " + strconv.FormatInt(l.applied, 10) + ") to " + nodeNames(env, l.Peers))
	}
	for _, p := range l.Peers {
		env.Send(p, protocol.Msg{Kind: protocol.Heartbeat, Ballot: l.ballot, Slot: l.applied})
	}
	env.CancelTimer(protocol.TimerElection)
	env.SetTimer(protocol.TimerHeartbeat, l.Timeouts.Heartbeat, 0)
	l.answered.clear()
	env.SetTimer(protocol.TimerCheck, l.Timeouts.Election, 0)
	l.serve(env)
}

// listEntries names, for the trace, the first entries a Promise reports:
// ": slot 1 PUT "a" = "val_0" (client1 #1) at (1,1), ...", so that a reader
// sees every value the quorum reports, not only the one recovery keeps.
func listEntries(env *kv.Env, es []protocol.Entry) string {
	const shown = 3
	if len(es) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(": ")
	for i, e := range es {
		if i == shown {
			b.WriteString(", and " + strconv.Itoa(len(es)-shown) + " more")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("slot " + strconv.FormatInt(e.Slot, 10) + " " + e.Value.Tagged(env) + " at " + e.Ballot.String())
	}
	return b.String()
}
