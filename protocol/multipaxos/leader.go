package multipaxos

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// role is what a leader node is doing; each has its step function.
type role uint8

const (
	standby   role = iota // watching the leader's heartbeats
	candidate             // running Phase 1 with its own ballot
	leading               // Phase 1 won: recovering the log, then serving requests
)

var roleNames = [...]string{"standby", "candidate", "leading"}

// stepFunc handles one message in a role.
type stepFunc func(l *Leader, env *kv.Env, from sim.NodeID, m protocol.Msg)

// steps holds the role's step function, as etcd raft's stepLeader,
// stepCandidate, stepFollower: a role is the function that handles messages,
// not a flag tested in many places.
var steps = [...]stepFunc{standby: stepStandby, candidate: stepCandidate, leading: stepLeading}

// Timeouts are a leader's timers, in virtual time.
type Timeouts struct {
	Heartbeat sim.Time // period of the heartbeats a leading node sends
	Election  sim.Time // a standby campaigns after [Election, 2*Election] without a heartbeat
	Retry     sim.Time // Prepare and Accept are re-sent to silent acceptors after this
}

// pending is a client request waiting for Phase 2.
type pending struct {
	from sim.NodeID
	cmd  protocol.Command
}

// proposal is the leader's Phase 2 for one slot in its ballot.
type proposal struct {
	val    protocol.Value
	from   []sim.NodeID // per command of val, the client to answer; empty for a recovered slot
	votes  quorum       // which acceptors accepted it
	chosen bool
}

// clients reports whether the slot answers clients (it is not recovered).
func (p *proposal) clients() bool { return len(p.from) > 0 }

// Leader is the proposer, the learner and the KV state machine of the
// original design, and the client-facing server, made fault tolerant:
//
//   - leader1 runs Phase 1 at start; every other leader stands by, watching
//     the leading node's heartbeats, and runs Phase 1 itself with a higher
//     round when its randomised election timer fires without them
//     (election.go);
//   - Phase 1 recovers the log: for every slot the promises report, the
//     value accepted with the highest ballot; every hole below the highest
//     reported slot is filled with Noop; all of them go through Phase 2
//     again in the new ballot and are applied in order, rebuilding the state
//     machine, before any new request is served (phase1.go);
//   - then, like the original, one new request at a time goes through
//     Phase 2 in arrival order (or Pipeline slots at once, each holding up
//     to Batch requests); the chosen value is applied, each client
//     answered and the replicas sent a Commit (phase2.go, frontend.go);
//   - Prepare and Accept are re-sent to acceptors that have not answered;
//     a rejection carrying a higher ballot makes the node stand by;
//   - a leading node heartbeats peers, acceptors and replicas
//     (heartbeat.go), and stands by when fewer than a majority of acceptors
//     answered anything in an election period;
//   - the state machine keeps every client's last request and answer, so a
//     retried request takes effect once and gets its first answer.
//
// Only the highest round used survives a crash, as a proposer must remember
// the ballots it issued so as never to reuse one (Lamport, "Paxos Made
// Simple", section 2.3); everything else is volatile and rebuilt by Phase 1.
// The node holds no times and no timer ids: its timers are named by kind
// (protocol.TimerRetry, ...), and what it does depends on its state and
// input alone.
type Leader struct {
	ID        int32        // leader id, the tie-breaker of its ballots
	Acceptors []sim.NodeID // every acceptor, in order
	Replicas  []sim.NodeID // every replica, to send commits and heartbeats to
	Peers     []sim.NodeID // the other leaders, to send heartbeats to
	Timeouts  Timeouts
	// Pipeline is how many slots of new requests may be in Phase 2 at
	// once; 1 (or less) is the original's one at a time. With more, slots
	// are chosen out of order, applied in order, and a crash can leave
	// holes.
	Pipeline int
	// Batch is how many queued requests one slot may carry (1 or less: one
	// per slot): when a slot of the pipeline is free, the requests waiting
	// go through Phase 2 together, up to Batch of them.
	Batch int
	// Bugs switches on catalogued mistakes, for teaching (protocol.Bugs).
	Bugs protocol.Bugs
	// SnapshotEvery is how often, in slots applied, a leading node compacts
	// its log into a snapshot and sends it to the acceptors (0: never).
	SnapshotEvery int64

	// Durable.
	round int32 // the highest round this node has used in a ballot
	boots int   // how many times it started

	// Volatile.
	role       role
	ballot     protocol.Ballot  // its own ballot, when candidate or leading
	seen       protocol.Ballot  // the highest ballot it has seen anywhere
	promises   quorum           // Phase 1: which acceptors promised
	recovered  []protocol.Entry // Phase 1: per slot, the entry with the highest ballot reported
	slots      []proposal       // slot s at index s-1-base()
	snap       *protocol.Snap   // the machine after slots 1..base(): compacted or installed (nil: none)
	recSnap    *protocol.Snap   // Phase 1: the newest snapshot the promises reported
	applied    int64            // slots applied to the machine
	recovering int64            // recovered slots 1..recovering come before new requests
	inflight   int              // new requests in Phase 2
	queue      []pending        // new requests waiting, from queue[head] on
	head       int
	waits      waits // per client, the requests queued or in an unapplied slot
	machine    kv.Machine
	answered   quorum             // acceptors that answered anything since the last majority check
	backoff    uint               // campaigns since this node last won: each doubles its election timeout
	resends    uint               // re-sends since an acceptor last answered: each doubles the retry interval
	retryArmed bool               // the retry timer is pending
	cmds       []protocol.Command // serve's batch being gathered, reused
	from       []sim.NodeID       // and the client of each of its requests
}

// base is the slot of the node's snapshot (0: none): slots[0] is slot
// base()+1.
func (l *Leader) base() int64 {
	if l.snap == nil {
		return 0
	}
	return l.snap.Slot
}

// Quorum is the number of acceptors that form a majority.
func (l *Leader) Quorum() int {
	if l.Bugs.Has(protocol.BugMinorityQuorum) {
		return max(len(l.Acceptors)/2, 1)
	}
	return len(l.Acceptors)/2 + 1
}

// Start begins leader1's Phase 1 at the start of a run; any other start
// (another leader, or a restart) stands by and waits for heartbeats.
func (l *Leader) Start(env *kv.Env) {
	l.boots++
	l.promises.size(len(l.Acceptors))
	l.answered.size(len(l.Acceptors))
	switch {
	case l.boots > 1:
		env.Stepf("Restarting: log and store lost, rebuilt by Phase 1 if this node leads again; highest round used so far: %d", l.round)
		l.standBy(env, "", 0)
	case l.ID == 1:
		env.Stepf("Starting with id %d", l.ID)
		l.campaign(env)
	default:
		why := ""
		if env.Tracing() {
			why = "Starting with id " + strconv.Itoa(int(l.ID)) + ": standing by while leader1 leads"
		}
		l.standBy(env, why, protocol.RuleStandby)
	}
}

// Receive notes that an acceptor answered, then hands the message to the
// role's step function.
func (l *Leader) Receive(env *kv.Env, from sim.NodeID, m protocol.Msg) {
	if i := l.acceptorIndex(from); i >= 0 {
		l.answered.add(i) // any answer shows the acceptor is reachable
	}
	steps[l.role](l, env, from, m)
}

// stepStandby: a standby node redirects clients, follows heartbeats,
// answers nothing else.
func stepStandby(l *Leader, env *kv.Env, from sim.NodeID, m protocol.Msg) {
	switch m.Kind {
	case protocol.Request:
		l.redirect(env, from, m.Cmd)
	case protocol.Heartbeat:
		l.heartbeat(env, from, m.Ballot)
	case protocol.PrepareRejected, protocol.AcceptRejected, protocol.HeartbeatAck:
		l.see(m.Ballot)
	}
}

// stepCandidate: a candidate counts promises; a higher ballot anywhere
// makes it stand by; requests wait in the queue.
func stepCandidate(l *Leader, env *kv.Env, from sim.NodeID, m protocol.Msg) {
	switch m.Kind {
	case protocol.Request:
		l.request(env, from, m.Cmd)
	case protocol.Promise:
		l.promise(env, from, m)
	case protocol.PrepareRejected, protocol.AcceptRejected:
		l.rejected(env, from, m)
	case protocol.Heartbeat:
		l.heartbeat(env, from, m.Ballot)
	case protocol.HeartbeatAck:
		l.heartbeatAck(env, from, m)
	}
}

// stepLeading: the leading node runs Phase 2, serves clients and replicas.
func stepLeading(l *Leader, env *kv.Env, from sim.NodeID, m protocol.Msg) {
	switch m.Kind {
	case protocol.Request:
		l.request(env, from, m.Cmd)
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
	case protocol.Snapshot:
		l.install(env, from, m.Snap())
	}
}

// Timer handles the role's timers.
func (l *Leader) Timer(env *kv.Env, kind sim.TimerKind) {
	switch kind {
	case protocol.TimerRetry:
		l.retryArmed = false
		l.resend(env)
	case protocol.TimerHeartbeat:
		if l.role == leading {
			l.sendHeartbeats(env)
			env.SetTimer(protocol.TimerHeartbeat, l.Timeouts.Heartbeat, 0)
		}
	case protocol.TimerCheck:
		if l.role == leading {
			l.checkMajority(env)
		}
	case protocol.TimerElection:
		if l.role == standby {
			env.Stepf("no heartbeat from a leader within the election timeout (at least %v): starting Phase 1", l.electionTimeout())
			l.campaign(env)
		}
	}
}

func (l *Leader) acceptorIndex(id sim.NodeID) int {
	for i, a := range l.Acceptors {
		if a == id {
			return i
		}
	}
	return -1
}

// Crash loses everything volatile; the highest round used is durable.
func (l *Leader) Crash() {
	l.role, l.ballot, l.seen = standby, protocol.Ballot{}, protocol.Ballot{}
	l.promises.clear()
	l.recovered, l.recSnap = l.recovered[:0], nil
	l.clearSlots()
	l.applied, l.recovering, l.snap = 0, 0, nil
	l.queue, l.head = l.queue[:0], 0
	l.waits.reset()
	l.machine.Reset()
	l.retryArmed, l.backoff, l.resends = false, 0, 0
	l.answered.clear()
	if l.Bugs.Has(protocol.BugForgetRound) {
		l.round = 0
	}
}

// Reset returns the node to its state before its first start, keeping its
// configuration and memory, for another run.
func (l *Leader) Reset() {
	l.Crash()
	l.round, l.boots = 0, 0
}

// Machine is the node's state machine, for the checkers.
func (l *Leader) Machine() *kv.Machine { return &l.machine }

// Leading reports whether the node leads, and how many of its slots are not
// yet chosen, for the cluster's end-of-run test.
func (l *Leader) Leading() (bool, int) {
	return l.role == leading, int(l.base() + int64(len(l.slots)) - l.applied)
}

// Ballot is the node's own ballot (zero before its first campaign).
func (l *Leader) Ballot() protocol.Ballot { return l.ballot }

// Seen is the highest ballot the node has seen anywhere: above its own, it
// names the ballot that superseded it.
func (l *Leader) Seen() protocol.Ballot { return l.seen }

// Round is the highest round the node has used, the one thing it keeps
// across a crash.
func (l *Leader) Round() int32 { return l.round }

// Promises is how many acceptors promised the node's current ballot (what
// a candidate has gathered so far).
func (l *Leader) Promises() int { return l.promises.count() }

// Log is how far the node's log goes, for summaries: the last slot a
// snapshot holds (0: none), the last slot proposed or recovered, and the
// last slot applied.
func (l *Leader) Log() (snapshot, last, applied int64) {
	if l.snap != nil {
		snapshot = l.snap.Slot
	}
	return snapshot, l.base() + int64(len(l.slots)), l.applied
}

// Role names the node's role: standby, candidate or leading.
func (l *Leader) Role() string { return roleNames[l.role] }

// Clone implements sim.Node: a deep copy of the state; the configuration's
// slices are shared (they never change).
func (l *Leader) Clone(into sim.Node[protocol.Msg]) sim.Node[protocol.Msg] {
	d, _ := into.(*Leader)
	if d == nil {
		d = &Leader{}
	}
	slots, recovered, queue, machine, cmds, from := d.slots, d.recovered, d.queue, d.machine, d.cmds, d.from
	promises, answered, waits := d.promises, d.answered, d.waits
	*d = *l
	d.waits = waits
	l.waits.cloneInto(&d.waits)
	d.recovered = append(recovered[:0], l.recovered...)
	d.queue = append(queue[:0], l.queue...)
	d.promises = l.promises.cloneInto(promises)
	d.answered = l.answered.cloneInto(answered)
	slots = slots[:cap(slots)]
	for len(slots) < len(l.slots) {
		slots = append(slots, proposal{})
	}
	slots = slots[:len(l.slots)]
	for i := range l.slots {
		v, from := slots[i].votes, slots[i].from
		slots[i] = l.slots[i]
		slots[i].votes = l.slots[i].votes.cloneInto(v)
		slots[i].from = append(from[:0], l.slots[i].from...)
	}
	d.slots = slots
	d.machine, d.cmds, d.from = machine, cmds, from
	l.machine.CloneInto(&d.machine)
	return d
}

// AppendState implements sim.Node: the durable round and the volatile
// state; of the start count only whether the node started more than once,
// which decides what its next Start does.
func (l *Leader) AppendState(b []byte) []byte {
	b = binary.AppendVarint(b, int64(l.round))
	b = append(b, byte(l.role), byte(min(l.boots, 2)), byte(l.backoff), byte(l.resends))
	if l.retryArmed {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = l.ballot.AppendState(b)
	b = l.seen.AppendState(b)
	b = l.promises.appendState(b)
	b = l.answered.appendState(b)
	b = binary.AppendUvarint(b, uint64(len(l.recovered)))
	for _, e := range l.recovered {
		b = e.AppendState(b)
	}
	b = binary.AppendUvarint(b, uint64(len(l.slots)))
	for i := range l.slots {
		p := &l.slots[i]
		b = p.val.AppendState(b)
		b = binary.AppendUvarint(b, uint64(len(p.from)))
		for _, f := range p.from {
			b = binary.AppendVarint(b, int64(f))
		}
		b = p.votes.appendState(b)
		if p.chosen {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	b = binary.AppendVarint(b, l.applied)
	b = binary.AppendVarint(b, l.recovering)
	b = l.snap.AppendState(b)
	b = l.recSnap.AppendState(b)
	b = binary.AppendUvarint(b, uint64(l.inflight))
	b = binary.AppendUvarint(b, uint64(len(l.queue)-l.head))
	for _, p := range l.queue[l.head:] {
		b = binary.AppendVarint(b, int64(p.from))
		b = p.cmd.AppendState(b)
	}
	return l.machine.AppendState(b)
}

// broken panics with the node's state: an invariant does not hold, a bug,
// which the engine reports as a failed check. Callers test the invariant
// first, so that the arguments are only built when it fails.
func (l *Leader) broken(format string, args ...any) {
	panic(fmt.Sprintf("leader%d (%s, ballot %v, applied %d, %d slots): ", l.ID, roleNames[l.role], l.ballot, l.applied, len(l.slots)) + fmt.Sprintf(format, args...))
}
