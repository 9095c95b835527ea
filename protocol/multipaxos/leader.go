package multipaxos

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// role is what a leader node is doing.
type role uint8

const (
	standby   role = iota // watching the leader's heartbeats
	candidate             // running Phase 1 with its own ballot
	leading               // Phase 1 won: recovering the log, then serving requests
)

// Timeouts are a leader's timers, in virtual time.
type Timeouts struct {
	Heartbeat sim.Time // period of the heartbeats a leading node sends
	Election  sim.Time // a standby campaigns after [Election, 2*Election] without a heartbeat
	Retry     sim.Time // Prepare and Accept are re-sent to silent acceptors after this
}

// Timer names.
const (
	timerRetry     = "retry"     // re-send Prepare or Accept to acceptors that have not answered
	timerHeartbeat = "heartbeat" // send heartbeats
	timerElection  = "election"  // no heartbeat for too long: campaign
)

// pending is a client request waiting for Phase 2.
type pending struct {
	from sim.NodeID
	cmd  protocol.Command
}

// proposal is the leader's Phase 2 for one slot in its ballot.
type proposal struct {
	cmd    protocol.Command
	from   sim.NodeID // the client to answer, or sim.NoNode (a recovered slot)
	voted  []bool     // which acceptors accepted it (index as in Acceptors)
	votes  int
	chosen bool
}

// Leader is the proposer, the learner and the KV state machine of the
// original design, and the client-facing server, made fault tolerant:
//
//   - leader1 runs Phase 1 at start; every other leader stands by, watching
//     the leading node's heartbeats, and runs Phase 1 itself with a higher
//     round after a randomised timeout without them;
//   - Phase 1 recovers the log: for every slot the promises report, the
//     value accepted with the highest ballot; every hole below the highest
//     reported slot is filled with Noop; all of them go through Phase 2
//     again in the new ballot and are applied in order, rebuilding the state
//     machine, before any new request is served;
//   - then, like the original, one new request at a time goes through
//     Phase 2 in arrival order; the chosen command is applied, the client
//     answered and the replicas sent a Commit;
//   - Prepare and Accept are re-sent to acceptors that have not answered;
//     a rejection carrying a higher ballot makes the node stand by;
//   - the state machine keeps every client's last request and answer, so a
//     retried request takes effect once and gets its first answer.
//
// Only the highest round used survives a crash, as a proposer must remember
// the ballots it issued so as never to reuse one (Lamport, "Paxos Made
// Simple", section 2.3); everything else is volatile and rebuilt by Phase 1.
type Leader struct {
	ID        int64        // leader id, the tie-breaker of its ballots
	Acceptors []sim.NodeID // every acceptor, in order
	Replicas  []sim.NodeID // every replica, to send commits and heartbeats to
	Peers     []sim.NodeID // the other leaders, to send heartbeats to
	Timeouts  Timeouts
	// Pipeline is how many new requests may be in Phase 2 at once; 1 (or
	// less) is the original's one at a time. With more, slots are chosen out
	// of order, applied in order, and a crash can leave holes.
	Pipeline int

	// Durable.
	round int64 // the highest round this node has used in a ballot
	boots int   // how many times it started

	// Volatile.
	role       role
	ballot     protocol.Ballot  // its own ballot, when candidate or leading
	seen       protocol.Ballot  // the highest ballot it has seen anywhere
	voted      []bool           // Phase 1: which acceptors promised
	votes      int              // Phase 1: promises counted
	recovered  []protocol.Entry // Phase 1: per slot, the entry with the highest ballot reported
	slots      []proposal       // slot s at index s-1
	applied    int64            // slots applied to the machine
	recovering int64            // recovered slots 1..recovering come before new requests
	inflight   int              // new requests in Phase 2
	queue      []pending        // new requests waiting, from queue[head] on
	head       int
	machine    kv.Machine
	heard      sim.Time   // when a heartbeat from a leading node last arrived
	heardAcc   []sim.Time // when each acceptor last answered anything
	leadSince  sim.Time   // when this node won Phase 1
	backoff    uint       // campaigns since this node last won: each doubles its election timeout
	resends    uint       // re-sends since an acceptor last answered: each doubles the retry interval
	retry      sim.TimerID
	retrySet   bool
	// The heartbeat and election timers: at most one of each is pending,
	// so that leading, standing by and leading again does not stack them.
	beat, election sim.TimerID

	// Paths counts how often each protocol path ran, for sweep reports. It
	// is instrumentation, not protocol state: a crash keeps it.
	Paths Paths
}

// Paths counts the protocol paths a leader took in a run.
type Paths struct {
	Phase1      int // Phase 1 runs (campaigns)
	Preemptions int // times a higher ballot made it stand by
	Recoveries  int // Phase 1 wins that recovered slots
	NoopFills   int // holes filled with Noop
	Resends     int // Prepare or Accept re-sent to silent acceptors
	Redirects   int // client requests redirected to the leader
	Fetches     int // replica fetches answered
}

// Add accumulates o into p.
func (p *Paths) Add(o Paths) {
	p.Phase1 += o.Phase1
	p.Preemptions += o.Preemptions
	p.Recoveries += o.Recoveries
	p.NoopFills += o.NoopFills
	p.Resends += o.Resends
	p.Redirects += o.Redirects
	p.Fetches += o.Fetches
}

// Quorum is the number of acceptors that form a majority.
func (l *Leader) Quorum() int { return len(l.Acceptors)/2 + 1 }

// Start begins leader1's Phase 1 at the start of a run; any other start
// (another leader, or a restart) stands by and waits for heartbeats.
func (l *Leader) Start(env *kv.Env) {
	l.boots++
	l.resetVotes() // sizes the per-acceptor arrays
	switch {
	case l.boots > 1:
		env.Stepf("Restarting: log and store lost, rebuilt by Phase 1 if this node leads again; highest round used so far: %d", l.round)
		l.standBy(env, "")
	case l.ID == 1:
		env.Stepf("Starting with id %d", l.ID)
		l.campaign(env)
	default:
		env.Stepf("Starting with id %d: standing by while leader1 leads", l.ID)
		l.standBy(env, "")
	}
}

// Receive dispatches on the message type.
func (l *Leader) Receive(env *kv.Env, from sim.NodeID, m protocol.Msg) {
	if i := l.acceptorIndex(from); i >= 0 && i < len(l.heardAcc) {
		l.heardAcc[i] = env.Now() // any answer shows the acceptor is reachable
	}
	switch m.Kind {
	case protocol.Request:
		l.request(env, from, m.Cmd)
	case protocol.Promise:
		l.promise(env, from, m)
	case protocol.Accepted:
		l.accepted(env, from, m)
	case protocol.PrepareRejected, protocol.AcceptRejected:
		l.rejected(env, from, m)
	case protocol.Heartbeat:
		l.heartbeat(env, from, m.Ballot)
	case protocol.HeartbeatAck:
		l.heartbeatAck(env, from, m)
	case protocol.Fetch:
		l.fetch(env, from, m.Slot)
	}
}

// Timer handles the role's timers.
func (l *Leader) Timer(env *kv.Env, name string, _ int64) {
	switch name {
	case timerRetry:
		l.retrySet = false
		l.resend(env)
	case timerHeartbeat:
		if l.role != leading {
			return
		}
		if n := l.reachable(env.Now()); n < l.Quorum() && env.Now()-l.leadSince >= l.Timeouts.Election {
			l.standBy(env, fmt.Sprintf("heard from only %d of %d acceptors in the last %v: lost the majority, standing by so that another leader can take over", n, len(l.Acceptors), l.Timeouts.Election))
			return
		}
		l.sendHeartbeats(env)
		l.beat = env.SetTimer(timerHeartbeat, 0, l.Timeouts.Heartbeat)
	case timerElection:
		if l.role != standby {
			return
		}
		if quiet := env.Now() - l.heard; quiet < l.electionTimeout() {
			l.armElection(env) // a heartbeat came since: keep watching
			return
		}
		env.Stepf("no heartbeat from a leader for %v: starting Phase 1", env.Now()-l.heard)
		l.campaign(env)
	}
}

// campaign runs Phase 1 with a round above every ballot seen: Prepare to
// every acceptor.
func (l *Leader) campaign(env *kv.Env) {
	l.resends = 0
	l.backoff = min(l.backoff+1, maxBackoff)
	l.Paths.Phase1++
	l.round = max(l.round, l.seen.Round) + 1
	l.role = candidate
	l.ballot = protocol.Ballot{Round: l.round, LeaderID: l.ID}
	l.seen = max2(l.seen, l.ballot)
	l.resetVotes()
	l.recovered = l.recovered[:0]
	env.Stepf("Phase 1: sending Prepare%v to %d acceptors", l.ballot, len(l.Acceptors))
	for _, a := range l.Acceptors {
		env.Send(a, protocol.Msg{Kind: protocol.Prepare, Ballot: l.ballot})
	}
	l.armRetry(env)
}

// standBy gives up proposing and watches for heartbeats.
func (l *Leader) standBy(env *kv.Env, why string) {
	if why != "" {
		env.Step(why)
	}
	l.role = standby
	l.inflight = 0
	l.queue, l.head = l.queue[:0], 0
	l.cancelRetry(env)
	l.heard = env.Now()
	l.armElection(env)
}

// maxBackoff caps the doubling of the election timeout (16 times).
const maxBackoff = 4

// electionTimeout is how long a standby node waits without a heartbeat
// before it campaigns: Election, doubled for every campaign since this node
// last won. When heartbeats are slower than the timeout (latency above
// Election), standby nodes would otherwise depose working leaders forever;
// backing off exponentially ends such duels.
func (l *Leader) electionTimeout() sim.Time { return l.Timeouts.Election << l.backoff }

// armElection sets the election timer to a random time in [T, 2T] where T
// is the election timeout, so that standby nodes do not all campaign at once
// and duelling candidates fall out of step.
func (l *Leader) armElection(env *kv.Env) {
	t := l.electionTimeout()
	env.CancelTimer(l.election)
	l.election = env.SetTimer(timerElection, 0, t+sim.Time(env.Rand().Int64N(int64(t)+1)))
}

// maxRetryBackoff caps the doubling of the re-send interval (8 times).
const maxRetryBackoff = 3

// armRetry sets the re-send timer: Retry, doubled for every re-send without
// an answer since, so that a leader cut off from its acceptors does not
// flood the network (or the trace) at a fixed rate.
func (l *Leader) armRetry(env *kv.Env) {
	if !l.retrySet {
		l.retry = env.SetTimer(timerRetry, 0, l.Timeouts.Retry<<min(l.resends, maxRetryBackoff))
		l.retrySet = true
	}
}

func (l *Leader) cancelRetry(env *kv.Env) {
	if l.retrySet {
		env.CancelTimer(l.retry)
		l.retrySet = false
	}
}

// promise counts a Phase 1b answer for the current ballot and merges the
// entries it reports: per slot, the one with the highest ballot.
func (l *Leader) promise(env *kv.Env, from sim.NodeID, m protocol.Msg) {
	i := l.acceptorIndex(from)
	if l.role != candidate || m.Ballot != l.ballot || i < 0 || l.voted[i] {
		return // late or duplicate: Phase 1 no longer needs it
	}
	l.voted[i] = true
	l.votes++
	l.resends = 0
	for _, e := range m.Entries {
		l.recover(e)
	}
	env.Stepf("Promise from %s with %d accepted entries (%d/%d)", env.Name(from), len(m.Entries), l.votes, l.Quorum())
	if l.votes >= l.Quorum() {
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
	if cur := &l.recovered[e.Slot-1]; cur.Ballot.Less(e.Ballot) {
		*cur = e
	}
}

// win ends Phase 1: the node leads. Every slot up to the highest one the
// promises reported goes through Phase 2 again in the new ballot, with its
// recovered value or Noop for a hole; the state machine is rebuilt from
// them, in order, before any new request is served.
func (l *Leader) win(env *kv.Env) {
	l.role = leading
	l.leadSince = env.Now()
	l.backoff = 0
	l.cancelRetry(env)
	env.Stepf("Phase 1 complete: %d promises received (need %d)", l.votes, l.Quorum())
	l.machine.Reset()
	l.applied = 0
	l.clearSlots()
	l.recovering = int64(len(l.recovered))
	if l.recovering > 0 {
		l.Paths.Recoveries++
	}
	if l.recovering == 0 {
		env.Step("Phase 1 complete — leader established")
	} else {
		env.Stepf("Phase 1 recovery: the promises report slots up to %d; re-proposing all of them in ballot %v", l.recovering, l.ballot)
		for _, e := range l.recovered {
			cmd := e.Cmd
			if e.Ballot == (protocol.Ballot{}) {
				cmd = protocol.Command{Op: protocol.Noop}
				l.Paths.NoopFills++
				env.Stepf("slot %d: a hole (no acceptor of the quorum accepted anything): filling it with NOOP", e.Slot)
			} else {
				env.Stepf("slot %d: recovering %v (%s #%d), accepted at ballot %v, the highest reported", e.Slot, cmd, cmd.Client, cmd.Seq, e.Ballot)
			}
			l.propose(env, cmd, sim.NoNode)
		}
	}
	// Tell the standby leaders now; the replicas hear at the next period.
	for _, p := range l.Peers {
		env.Send(p, protocol.Msg{Kind: protocol.Heartbeat, Ballot: l.ballot, Slot: l.applied})
	}
	env.CancelTimer(l.beat)
	l.beat = env.SetTimer(timerHeartbeat, 0, l.Timeouts.Heartbeat)
	l.serve(env)
}

// propose starts Phase 2 for cmd in the next slot.
func (l *Leader) propose(env *kv.Env, cmd protocol.Command, from sim.NodeID) {
	n := len(l.slots)
	if n < cap(l.slots) {
		l.slots = l.slots[:n+1] // reuse the old proposal's vote array
	} else {
		l.slots = append(l.slots, proposal{})
	}
	p := &l.slots[n]
	if len(p.voted) != len(l.Acceptors) {
		p.voted = make([]bool, len(l.Acceptors))
	}
	clear(p.voted)
	p.cmd, p.from, p.votes, p.chosen = cmd, from, 0, false
	for _, a := range l.Acceptors {
		env.Send(a, protocol.Msg{Kind: protocol.Accept, Ballot: l.ballot, Slot: int64(n + 1), Cmd: cmd})
	}
	l.armRetry(env)
}

// request queues a client request, answers a retry of an applied request
// from the state machine, and serves the queue. A standby node redirects the
// client to the leader it hears, or stays silent if it hears none.
func (l *Leader) request(env *kv.Env, from sim.NodeID, cmd protocol.Command) {
	if l.role == standby {
		// Point the client at the node whose heartbeats this one hears;
		// with no such node, stay silent: the client's timeout moves it on.
		if hint := l.seen.LeaderID; hint != 0 && hint != l.ID && env.Now()-l.heard < l.electionTimeout() {
			l.Paths.Redirects++
			env.Stepf("not leading: redirecting %s's request %d to leader%d", cmd.Client, cmd.Seq, hint)
			env.Send(from, protocol.Msg{Kind: protocol.Redirect, Ballot: l.seen, Cmd: cmd})
			return
		}
		env.Stepf("not leading and no leader heard from: ignoring %s's request %d (the client will try another leader)", cmd.Client, cmd.Seq)
		return
	}
	if r, ok := l.machine.Answered(cmd.Client, cmd.Seq); ok && l.recovering <= l.applied {
		env.Step(kv.Retried(cmd))
		env.Send(from, protocol.Msg{Kind: protocol.Reply, Cmd: cmd, Result: r})
		return
	}
	if l.proposed(cmd) {
		if env.Tracing() {
			env.Step("ignoring a copy of " + cmd.Client + "'s request " + strconv.FormatUint(cmd.Seq, 10) + ": already queued or in Phase 2")
		}
		return
	}
	l.queue = append(l.queue, pending{from: from, cmd: cmd})
	if (l.inflight >= max(l.Pipeline, 1) || l.role != leading || l.recovering > l.applied) && env.Tracing() {
		env.Step("queued " + cmd.Client + "'s request " + strconv.FormatUint(cmd.Seq, 10) + " (" + strconv.Itoa(len(l.queue)-l.head) + " waiting)")
	}
	l.serve(env)
}

// proposed reports whether cmd's request is already queued, or in a slot
// not yet applied that will answer its client.
func (l *Leader) proposed(cmd protocol.Command) bool {
	for _, p := range l.queue[l.head:] {
		if p.cmd.Client == cmd.Client && p.cmd.Seq == cmd.Seq {
			return true
		}
	}
	for _, p := range l.slots[l.applied:] {
		// A recovered slot answers no client: a copy of its request waits
		// in the queue and is answered from the session once it is applied.
		if p.from != sim.NoNode && p.cmd.Client == cmd.Client && p.cmd.Seq == cmd.Seq {
			return true
		}
	}
	return false
}

// serve starts Phase 2 for the next queued requests when the node leads,
// has applied the recovered log, and has fewer than Pipeline requests in
// Phase 2.
func (l *Leader) serve(env *kv.Env) {
	for l.role == leading && l.inflight < max(l.Pipeline, 1) && l.recovering <= l.applied && l.head < len(l.queue) {
		p := l.queue[l.head]
		l.head++
		if l.head == len(l.queue) { // drained: reuse the array from the start
			l.queue, l.head = l.queue[:0], 0
		}
		if r, ok := l.machine.Answered(p.cmd.Client, p.cmd.Seq); ok {
			env.Step(kv.Retried(p.cmd))
			env.Send(p.from, protocol.Msg{Kind: protocol.Reply, Cmd: p.cmd, Result: r})
			continue
		}
		l.inflight++
		if env.Tracing() {
			env.Step("Assigning slot " + strconv.Itoa(len(l.slots)+1) + " for " + p.cmd.Client + "'s request " + strconv.FormatUint(p.cmd.Seq, 10) + ": " + p.cmd.String())
		}
		l.propose(env, p.cmd, p.from)
	}
}

// accepted counts a Phase 2b answer; a quorum chooses the slot's command.
func (l *Leader) accepted(env *kv.Env, from sim.NodeID, m protocol.Msg) {
	i := l.acceptorIndex(from)
	if l.role != leading || m.Ballot != l.ballot || i < 0 || m.Slot < 1 || m.Slot > int64(len(l.slots)) {
		return
	}
	p := &l.slots[m.Slot-1]
	if p.chosen {
		if !p.voted[i] && env.Tracing() {
			env.Step("Accepted for slot " + strconv.FormatInt(m.Slot, 10) + " from " + env.Name(from) + " arrives after the slot was chosen")
		}
		p.voted[i] = true
		return
	}
	if p.voted[i] {
		return // a duplicate
	}
	p.voted[i] = true
	p.votes++
	l.resends = 0
	if p.votes < l.Quorum() {
		return
	}
	p.chosen = true
	if env.Tracing() {
		env.Step("Phase 2 for slot " + strconv.FormatInt(m.Slot, 10) + ": " + strconv.Itoa(p.votes) + "/" + strconv.Itoa(l.Quorum()) + " accepted -> chosen")
	}
	l.applyChosen(env)
}

// applyChosen applies every chosen slot that follows the applied prefix:
// the machine applies it, the client (if any) gets its answer, and the
// replicas a Commit. Then the next request is served.
func (l *Leader) applyChosen(env *kv.Env) {
	for l.applied < int64(len(l.slots)) && l.slots[l.applied].chosen {
		p := &l.slots[l.applied]
		l.applied++
		r, dup := l.machine.Apply(p.cmd)
		if env.Tracing() {
			switch {
			case dup:
				env.Step(kv.Retried(p.cmd))
			case p.cmd.Op != protocol.Noop || l.applied <= l.recovering:
				env.Step(kv.Describe(p.cmd, r))
			}
		}
		if p.from != sim.NoNode {
			env.Send(p.from, protocol.Msg{Kind: protocol.Reply, Cmd: p.cmd, Result: r})
			l.inflight--
		}
		for _, rep := range l.Replicas {
			env.Send(rep, protocol.Msg{Kind: protocol.Commit, Slot: l.applied, Cmd: p.cmd})
		}
		if l.applied == l.recovering {
			env.Stepf("recovery complete: slots 1..%d chosen again in ballot %v and applied; serving new requests", l.recovering, l.ballot)
		}
	}
	if l.applied == int64(len(l.slots)) {
		l.cancelRetry(env)
	}
	l.serve(env)
}

// resend re-sends Prepare (candidate) or the unchosen slots' Accepts
// (leading) to the acceptors that have not answered: messages may be lost.
func (l *Leader) resend(env *kv.Env) {
	l.Paths.Resends++
	l.resends++
	switch l.role {
	case candidate:
		var silent []string
		for i, a := range l.Acceptors {
			if !l.voted[i] {
				silent = append(silent, env.Name(a))
				env.Send(a, protocol.Msg{Kind: protocol.Prepare, Ballot: l.ballot})
			}
		}
		env.Stepf("Phase 1: no promise yet from %s: re-sending Prepare%v", strings.Join(silent, ", "), l.ballot)
		l.armRetry(env)
	case leading:
		for s := l.applied; s < int64(len(l.slots)); s++ {
			p := &l.slots[s]
			if p.chosen {
				continue
			}
			var silent []string
			for i, a := range l.Acceptors {
				if !p.voted[i] {
					silent = append(silent, env.Name(a))
					env.Send(a, protocol.Msg{Kind: protocol.Accept, Ballot: l.ballot, Slot: s + 1, Cmd: p.cmd})
				}
			}
			env.Stepf("slot %d: no Accepted yet from %s: re-sending Accept", s+1, strings.Join(silent, ", "))
		}
		if l.applied < int64(len(l.slots)) {
			l.armRetry(env)
		}
	}
}

// rejected handles PrepareRejected and AcceptRejected: an acceptor promised
// a higher ballot, so this node's ballot can no longer win. It stands by; if
// no leader shows up, its election timer makes it campaign above that ballot.
func (l *Leader) rejected(env *kv.Env, from sim.NodeID, m protocol.Msg) {
	l.seen = max2(l.seen, m.Ballot)
	if l.role == standby || !l.ballot.Less(m.Ballot) {
		return
	}
	what := "PREPARE"
	if m.Kind == protocol.AcceptRejected {
		what = "ACCEPT for slot " + strconv.FormatInt(m.Slot, 10)
	}
	l.Paths.Preemptions++
	l.standBy(env, what+" rejected by "+env.Name(from)+": it promised "+m.Ballot.String()+" > "+l.ballot.String()+"; preempted, standing by")
}

// heartbeat notes that a node with ballot b leads. A standby node keeps
// waiting; a node with a lower ballot of its own stands by.
func (l *Leader) heartbeat(env *kv.Env, from sim.NodeID, b protocol.Ballot) {
	if b.Less(l.seen) {
		return // from a deposed leader
	}
	l.seen = b
	l.heard = env.Now()
	if l.role != standby && l.ballot.Less(b) {
		l.Paths.Preemptions++
		l.standBy(env, env.Name(from)+" leads with ballot "+b.String()+" > "+l.ballot.String()+"; standing by")
	}
}

// sendHeartbeats tells the other leaders that this node leads, the
// acceptors that it is alive (their answers show it still reaches a
// majority), and the replicas how far the log is applied, so that they can
// fetch what they miss.
func (l *Leader) sendHeartbeats(env *kv.Env) {
	hb := protocol.Msg{Kind: protocol.Heartbeat, Ballot: l.ballot, Slot: l.applied}
	for _, p := range l.Peers {
		env.Send(p, hb)
	}
	for _, a := range l.Acceptors {
		env.Send(a, hb)
	}
	for _, r := range l.Replicas {
		env.Send(r, hb)
	}
}

// heartbeatAck notes an acceptor's answer to a heartbeat; a promise above
// this node's ballot means another node has run Phase 1 since: stand by.
func (l *Leader) heartbeatAck(env *kv.Env, from sim.NodeID, m protocol.Msg) {
	l.seen = max2(l.seen, m.Ballot)
	if l.role == leading && l.ballot.Less(m.Ballot) {
		l.Paths.Preemptions++
		l.standBy(env, env.Name(from)+" promised "+m.Ballot.String()+" > "+l.ballot.String()+"; preempted, standing by")
	}
}

// reachable counts the acceptors that answered anything within the last
// election timeout. A leading node that no longer reaches a majority stands
// by: it cannot choose anything, and its heartbeats would keep the other
// leaders from taking over.
func (l *Leader) reachable(now sim.Time) int {
	n := 0
	for _, t := range l.heardAcc {
		if now-t < l.Timeouts.Election {
			n++
		}
	}
	return n
}

// fetchBatch bounds the commits sent for one Fetch.
const fetchBatch = 64

// fetch answers a replica that misses slots from first on with their
// commits, at most fetchBatch of them.
func (l *Leader) fetch(env *kv.Env, from sim.NodeID, first int64) {
	if l.role != leading || first < 1 || first > l.applied {
		return
	}
	last := min(l.applied, first+fetchBatch-1)
	l.Paths.Fetches++
	env.Stepf("%s fetches slots %d..%d", env.Name(from), first, last)
	log := l.machine.Applied()
	for s := first; s <= last; s++ {
		env.Send(from, protocol.Msg{Kind: protocol.Commit, Slot: s, Cmd: log[s-1]})
	}
}

func (l *Leader) resetVotes() {
	if len(l.voted) != len(l.Acceptors) {
		l.voted = make([]bool, len(l.Acceptors))
		l.heardAcc = make([]sim.Time, len(l.Acceptors))
	}
	clear(l.voted)
	l.votes = 0
}

func (l *Leader) clearSlots() {
	l.slots = l.slots[:0]
	l.inflight = 0
}

func (l *Leader) acceptorIndex(id sim.NodeID) int {
	for i, a := range l.Acceptors {
		if a == id {
			return i
		}
	}
	return -1
}

func max2(a, b protocol.Ballot) protocol.Ballot {
	if a.Less(b) {
		return b
	}
	return a
}

// Crash loses everything volatile; the highest round used is durable.
func (l *Leader) Crash() {
	l.role, l.ballot, l.seen = standby, protocol.Ballot{}, protocol.Ballot{}
	l.votes, l.recovered = 0, l.recovered[:0]
	l.clearSlots()
	l.applied, l.recovering = 0, 0
	l.queue, l.head = l.queue[:0], 0
	l.machine.Reset()
	l.heard, l.retrySet, l.backoff, l.resends = 0, false, 0, 0
	clear(l.heardAcc)
}

// Reset returns the node to its state before its first start, keeping its
// configuration and memory, for another run.
func (l *Leader) Reset() {
	l.Crash()
	l.round, l.boots, l.Paths = 0, 0, Paths{}
}

// Machine is the node's state machine, for the checkers.
func (l *Leader) Machine() *kv.Machine { return &l.machine }

// Leading reports whether the node leads, and how many of its slots are not
// yet chosen, for the cluster's end-of-run test.
func (l *Leader) Leading() (bool, int) {
	return l.role == leading, len(l.slots) - int(l.applied)
}
