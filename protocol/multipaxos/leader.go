package multipaxos

import (
	"strconv"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// leaderState is where the leader is in its life.
type leaderState uint8

const (
	electing  leaderState = iota // Phase 1 running: waiting for a quorum of promises
	leading                      // Phase 1 done: serving requests with Phase 2
	preempted                    // a higher ballot was seen: no longer proposing
)

// pending is a client request waiting for, or in, Phase 2.
type pending struct {
	from sim.NodeID
	cmd  protocol.Command
}

// Leader is the proposer, the learner and the KV state machine of the
// original design, and the client-facing server. It runs Phase 1 once at
// start, then Phase 2 for one client request at a time, in arrival order.
// All of its state is volatile.
type Leader struct {
	ID        int64        // leader id, the tie-breaker of its ballots
	Acceptors []sim.NodeID // every acceptor, in order
	Replicas  []sim.NodeID // every replica, to send commits to

	state    leaderState
	ballot   protocol.Ballot
	voted    []bool    // which acceptors answered the current phase (index as in Acceptors)
	votes    int       // promises (Phase 1) or accepts (Phase 2) counted
	queue    []pending // requests waiting, from queue[head] on
	head     int
	busy     bool    // a request is in Phase 2
	cur      pending // that request
	curSlot  int64   // and its slot
	nextSlot int64
	log      []protocol.Command // the chosen and applied commands, slot 1 first
	store    kv.Store
	seen     map[string]uint64 // highest request number queued, per client
}

// Quorum is the number of acceptors that form a majority.
func (l *Leader) Quorum() int { return len(l.Acceptors)/2 + 1 }

// Start begins Phase 1 with ballot (1, id): Prepare to every acceptor.
func (l *Leader) Start(env *kv.Env) {
	l.state = electing
	l.ballot = protocol.Ballot{Round: 1, LeaderID: l.ID}
	l.nextSlot = 1
	l.resetVotes()
	if env.Tracing() {
		env.Step("Starting with id " + strconv.FormatInt(l.ID, 10))
		env.Step("Phase 1: sending Prepare" + l.ballot.String() + " to " + strconv.Itoa(len(l.Acceptors)) + " acceptors")
	}
	for _, a := range l.Acceptors {
		env.Send(a, protocol.Msg{Kind: protocol.Prepare, Ballot: l.ballot})
	}
}

// Receive dispatches on the message type.
func (l *Leader) Receive(env *kv.Env, from sim.NodeID, m protocol.Msg) {
	switch m.Kind {
	case protocol.Request:
		l.request(env, from, m.Cmd)
	case protocol.Promise:
		l.promise(env, from, m)
	case protocol.PrepareRejected:
		l.rejected(env, from, m, "PREPARE")
	case protocol.Accepted:
		l.accepted(env, from, m)
	case protocol.AcceptRejected:
		l.rejected(env, from, m, "ACCEPT for slot "+strconv.FormatInt(m.Slot, 10))
	}
}

// request queues a client request, dropping a copy of one already queued
// (the network may duplicate), and serves the queue.
func (l *Leader) request(env *kv.Env, from sim.NodeID, cmd protocol.Command) {
	if l.seen == nil {
		l.seen = make(map[string]uint64)
	}
	if cmd.Seq <= l.seen[cmd.Client] {
		if env.Tracing() {
			env.Step("ignoring a copy of " + cmd.Client + "'s request " + strconv.FormatUint(cmd.Seq, 10))
		}
		return
	}
	l.seen[cmd.Client] = cmd.Seq
	l.queue = append(l.queue, pending{from: from, cmd: cmd})
	if (l.busy || l.state != leading) && env.Tracing() {
		env.Step("queued " + cmd.Client + "'s request " + strconv.FormatUint(cmd.Seq, 10) + " (" + strconv.Itoa(len(l.queue)-l.head) + " waiting)")
	}
	l.serve(env)
}

// promise counts a Phase 1b answer for the current ballot.
func (l *Leader) promise(env *kv.Env, from sim.NodeID, m protocol.Msg) {
	i := l.acceptorIndex(from)
	if l.state != electing || m.Ballot != l.ballot || i < 0 || l.voted[i] {
		return // late or duplicate: Phase 1 no longer needs it
	}
	l.voted[i] = true
	l.votes++
	if env.Tracing() {
		env.Step("Promise from " + env.Name(from) + " with " + strconv.Itoa(len(m.Entries)) + " accepted entries (" + strconv.Itoa(l.votes) + "/" + strconv.Itoa(l.Quorum()) + ")")
	}
	if l.votes < l.Quorum() {
		return
	}
	l.state = leading
	if env.Tracing() {
		env.Step("Phase 1 complete: " + strconv.Itoa(l.votes) + " promises received (need " + strconv.Itoa(l.Quorum()) + ")")
		env.Step("Phase 1 complete — leader established")
	}
	l.serve(env)
}

// accepted counts a Phase 2b answer; a quorum chooses the command.
func (l *Leader) accepted(env *kv.Env, from sim.NodeID, m protocol.Msg) {
	i := l.acceptorIndex(from)
	if !l.busy || m.Slot != l.curSlot || m.Ballot != l.ballot || i < 0 || l.voted[i] {
		if env.Tracing() && m.Slot < l.nextSlot && !(l.busy && m.Slot == l.curSlot) {
			env.Step("Accepted for slot " + strconv.FormatInt(m.Slot, 10) + " from " + env.Name(from) + " arrives after the slot was chosen")
		}
		return
	}
	l.voted[i] = true
	l.votes++
	if l.votes < l.Quorum() {
		return
	}
	if env.Tracing() {
		env.Step("Phase 2 for slot " + strconv.FormatInt(l.curSlot, 10) + ": " + strconv.Itoa(l.votes) + "/" + strconv.Itoa(l.Quorum()) + " accepted -> chosen")
	}
	l.choose(env)
}

// choose applies the chosen command, answers the client, tells the replicas,
// and serves the next request.
func (l *Leader) choose(env *kv.Env) {
	cmd, slot := l.cur.cmd, l.curSlot
	l.busy = false
	l.log = append(l.log, cmd)
	r := l.store.Apply(cmd)
	if env.Tracing() {
		env.Step(kv.Describe(cmd, r))
	}
	env.Send(l.cur.from, protocol.Msg{Kind: protocol.Reply, Cmd: cmd, Result: r})
	for _, rep := range l.Replicas {
		env.Send(rep, protocol.Msg{Kind: protocol.Commit, Slot: slot, Cmd: cmd})
	}
	l.serve(env)
}

// rejected handles PrepareRejected and AcceptRejected: a higher ballot
// exists, so this leader may no longer propose in its own. Recovering from
// that (a new Phase 1 with a higher round) is beyond the original design.
func (l *Leader) rejected(env *kv.Env, from sim.NodeID, m protocol.Msg, what string) {
	if l.state == preempted || !l.ballot.Less(m.Ballot) {
		return
	}
	l.state = preempted
	l.busy = false
	if env.Tracing() {
		env.Step(what + " rejected by " + env.Name(from) + ": it promised " + m.Ballot.String() + " > " + l.ballot.String() + "; preempted, no longer proposing")
	}
}

// serve starts Phase 2 for the next queued request when the leader is
// established and idle.
func (l *Leader) serve(env *kv.Env) {
	if l.state != leading || l.busy || l.head == len(l.queue) {
		return
	}
	l.cur = l.queue[l.head]
	l.head++
	if l.head == len(l.queue) { // drained: reuse the array from the start
		l.queue, l.head = l.queue[:0], 0
	}
	l.busy = true
	l.curSlot = l.nextSlot
	l.nextSlot++
	l.resetVotes()
	if env.Tracing() {
		env.Step("Assigning slot " + strconv.FormatInt(l.curSlot, 10) + " for " + l.cur.cmd.Client + "'s request " + strconv.FormatUint(l.cur.cmd.Seq, 10) + ": " + l.cur.cmd.String())
	}
	for _, a := range l.Acceptors {
		env.Send(a, protocol.Msg{Kind: protocol.Accept, Ballot: l.ballot, Slot: l.curSlot, Cmd: l.cur.cmd})
	}
}

func (l *Leader) resetVotes() {
	if len(l.voted) != len(l.Acceptors) {
		l.voted = make([]bool, len(l.Acceptors))
	}
	clear(l.voted)
	l.votes = 0
}

func (l *Leader) acceptorIndex(id sim.NodeID) int {
	for i, a := range l.Acceptors {
		if a == id {
			return i
		}
	}
	return -1
}

// Timer is unused: the original leader sets no timers.
func (l *Leader) Timer(*kv.Env, string, int64) {}

// Crash loses all of the leader's state, which is volatile.
func (l *Leader) Crash() {
	l.state, l.busy, l.queue, l.head, l.votes = electing, false, l.queue[:0], 0, 0
	l.log = l.log[:0]
	l.store.Reset()
	clear(l.seen)
}

// Store is the leader's state machine, for the checkers.
func (l *Leader) Store() *kv.Store { return &l.store }

// Applied is the applied log, slot 1 first.
func (l *Leader) Applied() []protocol.Command { return l.log }

// Reset returns the leader to its state before its first start, keeping its
// configuration and memory, for another run.
func (l *Leader) Reset() {
	l.Crash()
	l.ballot, l.curSlot, l.nextSlot = protocol.Ballot{}, 0, 0
}
