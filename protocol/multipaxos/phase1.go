package multipaxos

import (
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
	for _, e := range m.Entries {
		l.recover(e)
	}
	if env.Tracing() { // formatting boxes its arguments: only when tracing
		env.Stepf("Promise from %s with %d accepted entries (%d/%d)", env.Name(from), len(m.Entries), l.promises.count(), l.Quorum())
	}
	if l.promises.count() >= l.Quorum() {
		l.win(env)
	}
}

// recover keeps e if it has the highest ballot reported for its slot so far
// (Paxos Made Simple, 2.2: the value of the highest-numbered proposal
// accepted by the acceptors of the quorum).
func (l *Leader) recover(e protocol.Entry) {
	if e.Slot < 1 {
		return
	}
	for int64(len(l.recovered)) < e.Slot {
		l.recovered = append(l.recovered, protocol.Entry{Slot: int64(len(l.recovered)) + 1})
	}
	cur := &l.recovered[e.Slot-1]
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

// win ends Phase 1: the node leads. Every slot up to the highest one the
// promises reported goes through Phase 2 again in the new ballot, with its
// recovered value or Noop for a hole; the state machine is rebuilt from
// them, in order, before any new request is served.
func (l *Leader) win(env *kv.Env) {
	l.role = leading
	l.backoff = 0
	l.cancelRetry(env)
	if env.Tracing() { // formatting boxes its arguments: only when tracing
		env.Stepf("Phase 1 complete: %d promises received (need %d)", l.promises.count(), l.Quorum())
	}
	l.machine.Reset()
	l.clearSlots()
	l.applied = 0
	l.recovering = int64(len(l.recovered))
	if l.recovering == 0 {
		env.Step("Phase 1 complete — leader established")
	} else {
		env.Note(protocol.NoteRecovery)
		env.Stepf("Phase 1 recovery: the promises report slots up to %d; re-proposing all of them in ballot %v", l.recovering, l.ballot)
		for _, e := range l.recovered {
			cmd := e.Cmd
			if e.Ballot == (protocol.Ballot{}) {
				cmd = protocol.Command{Op: protocol.Noop}
				env.Note(protocol.NoteNoopFill)
				env.Stepf("slot %d: a hole (no acceptor of the quorum accepted anything): filling it with NOOP", e.Slot)
			} else {
				env.Note(protocol.NoteRecoveredValue)
				env.Stepf("slot %d: recovering %s (%s #%d), accepted at ballot %v, the highest reported", e.Slot, cmd.Text(env), env.Name(cmd.Client), cmd.Seq, e.Ballot)
			}
			l.propose(env, cmd, sim.NoNode)
		}
	}
	// Tell the standby leaders now; the replicas hear at the next period.
	for _, p := range l.Peers {
		env.Send(p, protocol.Msg{Kind: protocol.Heartbeat, Ballot: l.ballot, Slot: l.applied})
	}
	env.CancelTimer(protocol.TimerElection)
	env.SetTimer(protocol.TimerHeartbeat, l.Timeouts.Heartbeat, 0)
	l.answered.clear()
	env.SetTimer(protocol.TimerCheck, l.Timeouts.Election, 0)
	l.serve(env)
}
