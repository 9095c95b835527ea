package multipaxos

import (
	"fmt"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// campaign runs Phase 1 with a round above every ballot seen: Prepare to
// every acceptor.
func (l *Leader) campaign(env *kv.Env) {
	l.resends = 0
	l.backoff = min(l.backoff+1, maxBackoff)
	env.Note(protocol.NotePhase1)
	l.round = max(l.round, l.seen.Round) + 1
	l.role = candidate
	l.ballot = protocol.Ballot{Round: l.round, LeaderID: l.ID}
	if l.Bugs.Has(protocol.BugSameBallot) {
		l.ballot.LeaderID = 0
	}
	l.see(l.ballot)
	l.promises.clear()
	l.recovered, l.recSnap = l.recovered[:0], nil
	if env.Tracing() { // formatting boxes its arguments: only when tracing
		env.Stepf("Phase 1: sending Prepare%v to %d acceptors", l.ballot, len(l.Acceptors))
		kv.Explain(env, protocol.RulePhase1)
	}
	for _, a := range l.Acceptors {
		env.Send(a, protocol.Msg{Kind: protocol.Prepare, Ballot: l.ballot})
	}
	l.armRetry(env)
}

// standBy gives up proposing and watches for heartbeats; why is the trace
// line that says why ("" when untraced: callers build it only when
// tracing), and rule the rule it explains.
func (l *Leader) standBy(env *kv.Env, why string, rule uint8) {
	if why != "" {
		env.Step(why)
		kv.Explain(env, rule)
	}
	l.role = standby
	l.inflight = 0
	for _, p := range l.queue[l.head:] {
		l.waits.remove(p.cmd)
	}
	l.queue, l.head = l.queue[:0], 0
	l.cancelRetry(env)
	env.CancelTimer(protocol.TimerHeartbeat)
	env.CancelTimer(protocol.TimerCheck)
	l.armElection(env)
}

// preempted stands by because another node's ballot is above this one's.
func (l *Leader) preempted(env *kv.Env, why string) {
	env.Note(protocol.NotePreempted)
	l.standBy(env, why, protocol.RulePreempted)
}

// maxBackoff caps the doubling of the election timeout (16 times).
const maxBackoff = 4

// electionTimeout is how long a standby node waits without a heartbeat
// before it campaigns: Election, doubled for every campaign since this node
// last won. When heartbeats are slower than the timeout (latency above
// Election), standby nodes would otherwise depose working leaders forever;
// backing off exponentially ends such duels.
func (l *Leader) electionTimeout() sim.Time { return l.Timeouts.Election << l.backoff }

// armElection (re)sets the election timer to a random time in [T, 2T] where
// T is the election timeout, so that standby nodes do not all campaign at
// once and duelling candidates fall out of step. Every heartbeat from the
// leader sets it again: when it fires, no heartbeat came for at least T.
func (l *Leader) armElection(env *kv.Env) {
	t := l.electionTimeout()
	env.SetTimer(protocol.TimerElection, t, t)
}

// heartbeat notes that a node with ballot b leads. A standby node keeps
// waiting; a node with a lower ballot of its own stands by.
func (l *Leader) heartbeat(env *kv.Env, from sim.NodeID, b protocol.Ballot) {
	if b.Less(l.seen) {
		return // from a deposed leader
	}
	above := l.see(b)
	switch {
	case l.role == standby:
		if env.TracingRoutine() {
			env.Step("heartbeat from " + env.Name(from) + " at ballot " + b.String() + ": it leads; waiting again for at least " + l.electionTimeout().String())
		}
		l.armElection(env)
	case above:
		why := ""
		if env.Tracing() {
			why = env.Name(from) + " leads with ballot " + b.String() + " > " + l.ballot.String() + "; standing by"
		}
		l.preempted(env, why)
	}
}

// rejected handles PrepareRejected and AcceptRejected: an acceptor promised
// a higher ballot, so this node's ballot can no longer win. It stands by; if
// no leader shows up, its election timer makes it campaign above that ballot.
func (l *Leader) rejected(env *kv.Env, from sim.NodeID, m protocol.Msg) {
	if !l.see(m.Ballot) {
		return
	}
	why := ""
	if env.Tracing() {
		what := "PREPARE"
		if m.Kind == protocol.AcceptRejected {
			what = fmt.Sprintf("ACCEPT for slot %d", m.Slot)
		}
		why = what + " rejected by " + env.Name(from) + ": it promised " + m.Ballot.String() + " > " + l.ballot.String() + "; preempted, standing by"
	}
	l.preempted(env, why)
}

// heartbeatAck notes an acceptor's answer to a heartbeat; a promise above
// this node's ballot means another node has run Phase 1 since: stand by.
func (l *Leader) heartbeatAck(env *kv.Env, from sim.NodeID, m protocol.Msg) {
	if l.see(m.Ballot) && l.role == leading {
		why := ""
		if env.Tracing() {
			why = env.Name(from) + " promised " + m.Ballot.String() + " > " + l.ballot.String() + "; preempted, standing by"
		}
		l.preempted(env, why)
		return
	}
	if l.role == leading && l.snap != nil && m.Slot < l.snap.Slot {
		// The acceptor missed a snapshot (lost, or it was down): send the
		// newest, so that it too can forget what it covers.
		env.Send(from, protocol.Msg{Kind: protocol.Snapshot, Payload: &protocol.Payload{Snap: l.snap}})
	}
}

// checkMajority runs every election period while the node leads: a node
// that no longer hears from a majority of acceptors stands by. It cannot
// choose anything, and its heartbeats would keep the other leaders from
// taking over.
func (l *Leader) checkMajority(env *kv.Env) {
	if n := l.answered.count(); n < l.Quorum() {
		why := ""
		if env.Tracing() {
			why = fmt.Sprintf("heard from only %d of %d acceptors in the last %v: lost the majority, standing by so that another leader can take over", n, len(l.Acceptors), l.Timeouts.Election)
		}
		l.standBy(env, why, protocol.RuleLostMajority)
		return
	}
	l.answered.clear()
	env.SetTimer(protocol.TimerCheck, l.Timeouts.Election, 0)
}

// redirect answers a client's request to a standby node: point the client at
// the node whose ballot it has seen, or stay silent if there is none (the
// client's timeout moves it on).
func (l *Leader) redirect(env *kv.Env, from sim.NodeID, cmd protocol.Command) {
	if hint := l.seen.LeaderID; hint != 0 && hint != l.ID {
		env.Note(protocol.NoteRedirect)
		if env.Tracing() {
			env.Stepf("not leading: redirecting %s to leader%d", cmd.Request(env), hint)
			kv.Explain(env, protocol.RuleRedirect)
		}
		env.Send(from, protocol.Msg{Kind: protocol.Redirect, Ballot: l.seen, Cmd: cmd})
		return
	}
	env.Stepf("not leading and no leader heard from: ignoring %s (the client will try another leader)", cmd.Request(env))
}

// maxRetryBackoff caps the doubling of the re-send interval (8 times).
const maxRetryBackoff = 3

// armRetry sets the re-send timer: Retry, doubled for every re-send without
// an answer since, so that a leader cut off from its acceptors does not
// flood the network (or the trace) at a fixed rate.
func (l *Leader) armRetry(env *kv.Env) {
	if !l.retryArmed {
		env.SetTimer(protocol.TimerRetry, l.Timeouts.Retry<<min(l.resends, maxRetryBackoff), 0)
		l.retryArmed = true
	}
}

func (l *Leader) cancelRetry(env *kv.Env) {
	if l.retryArmed {
		env.CancelTimer(protocol.TimerRetry)
		l.retryArmed = false
	}
}
