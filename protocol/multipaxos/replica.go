package multipaxos

import (
	"encoding/binary"
	"strconv"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// Replica is a passive learner: it receives the chosen value of each slot
// in a Commit and applies the values strictly in slot order, buffering any that
// arrive ahead of a gap. A leader's heartbeat says how far the log is
// applied; a replica that is behind (a lost Commit, or a restart) fetches
// the slots it misses from that leader. Its state is volatile: a crash loses
// it all, and it catches up again from the heartbeats.
type Replica struct {
	// SnapshotEvery is how often, in slots applied, the replica compacts
	// its log (0: never): it keeps no command it has applied.
	SnapshotEvery int64

	log     []protocol.Value // slot s at index s-1-base
	have    []bool           // whether log[i] has arrived
	base    int64            // the slots before log[0], all applied
	applied int64            // the last slot applied
	machine kv.Machine
	boots   int // starts so far (a restart says so)
	// hbApplied is how far the log was applied by the sender of the last
	// heartbeat.
	hbApplied int64
	// Bugs switches on catalogued mistakes, for teaching (protocol.Bugs).
	Bugs protocol.Bugs
}

// Start announces the replica.
func (r *Replica) Start(env *kv.Env) {
	if r.boots++; r.boots > 1 {
		env.Step("Restarting with an empty log: catching up from the leader's heartbeats")
		kv.RecordInstalled(env, nil) // the machine starts again, empty
		return
	}
	env.Step("Starting")
}

// Receive records a commit and applies every slot it makes contiguous, or
// fetches what it misses when a heartbeat shows it is behind.
func (r *Replica) Receive(env *kv.Env, from sim.NodeID, m protocol.Msg) {
	if m.Kind == protocol.Heartbeat {
		// Commits for the newest slots may still be on their way, so only
		// a lag that outlasts a heartbeat period counts: the replica is
		// behind what the leader had applied at its previous heartbeat.
		if env.TracingRoutine() {
			env.Step("heartbeat from " + env.Name(from) + ": it applied " + strconv.FormatInt(m.Slot, 10) + " slots, this replica " + strconv.FormatInt(r.applied, 10))
		}
		if prev := r.hbApplied; prev > r.applied {
			if env.Tracing() {
				env.Stepf("behind %s (applied %d of at least %d slots): fetching from slot %d", env.Name(from), r.applied, prev, r.applied+1)
				kv.Explain(env, protocol.RuleCatchUp)
			}
			env.Send(from, protocol.Msg{Kind: protocol.Fetch, Slot: r.applied + 1})
		}
		r.hbApplied = m.Slot
		return
	}
	if m.Kind == protocol.Snapshot {
		r.install(env, from, m.Snap())
		return
	}
	if m.Kind != protocol.Commit || m.Slot <= r.base {
		return
	}
	for r.base+int64(len(r.log)) < m.Slot {
		r.log = append(r.log, protocol.Value{})
		r.have = append(r.have, false)
	}
	i := m.Slot - 1 - r.base
	if r.have[i] { // every slot up to applied has arrived (with BugReplicaUnordered, applied counts arrivals, not slots)
		return // a duplicate commit: already known
	}
	v := m.Value()
	r.log[i], r.have[i] = v, true
	if r.Bugs.Has(protocol.BugReplicaUnordered) {
		r.applied++
		kv.RecordApplied(env, r.applied, v, r.machine.Apply(v))
		if env.Tracing() {
			env.Step("slot " + strconv.FormatInt(m.Slot, 10) + ": " + v.Text(env) + " (applied on arrival)")
		}
		return
	}
	if m.Slot > r.applied+1 {
		if env.Tracing() {
			env.Step("slot " + strconv.FormatInt(m.Slot, 10) + " buffered: waiting for slot " + strconv.FormatInt(r.applied+1, 10))
			kv.Explain(env, protocol.RuleInOrder)
		}
		return
	}
	r.applyReady(env)
}

// applyReady applies every slot that has arrived after the applied prefix,
// and compacts the log every SnapshotEvery slots.
func (r *Replica) applyReady(env *kv.Env) {
	for r.applied < r.base+int64(len(r.log)) && r.have[r.applied-r.base] {
		v := r.log[r.applied-r.base]
		r.applied++
		out := r.machine.Apply(v)
		kv.RecordApplied(env, r.applied, v, out)
		if env.Tracing() {
			text, dups := "slot "+strconv.FormatInt(r.applied, 10)+": "+v.Text(env), false
			for i, o := range out {
				if o.Dup {
					text += " (a retry of " + v.At(i).Request(env) + ": no effect)"
					dups = true
				}
			}
			env.Step(text)
			if dups {
				kv.Explain(env, protocol.RuleSession)
			}
		}
		if r.SnapshotEvery > 0 && r.applied%r.SnapshotEvery == 0 {
			r.machine.Compact()
			r.forget(r.applied)
		}
	}
}

// install takes a leader's snapshot when the replica is behind it: the
// leader has compacted the slots the replica misses.
func (r *Replica) install(env *kv.Env, from sim.NodeID, s *protocol.Snap) {
	if s == nil || s.Slot <= r.applied {
		return
	}
	if env.Tracing() {
		env.Step("installing " + env.Name(from) + "'s snapshot of slots 1.." + strconv.FormatInt(s.Slot, 10) + " (applied " + strconv.FormatInt(r.applied, 10) + "): the leader compacted the slots it misses")
	}
	r.machine.Install(s)
	kv.RecordInstalled(env, s)
	r.applied = s.Slot
	r.forget(s.Slot)
	r.applyReady(env)
}

// forget drops the buffered slots up to slot (all applied or covered).
func (r *Replica) forget(slot int64) {
	k := min(slot-r.base, int64(len(r.log)))
	n := copy(r.log, r.log[k:])
	copy(r.have, r.have[k:])
	clear(r.have[n:])
	r.log, r.have = r.log[:n], r.have[:n]
	r.base = slot
}

// Timer is unused.
func (r *Replica) Timer(*kv.Env, sim.TimerKind) {}

// Clone implements sim.Node.
func (r *Replica) Clone(into sim.Node[protocol.Msg]) sim.Node[protocol.Msg] {
	d, _ := into.(*Replica)
	if d == nil {
		d = &Replica{}
	}
	d.log = append(d.log[:0], r.log...)
	d.have = append(d.have[:0], r.have...)
	d.applied, d.boots, d.hbApplied, d.Bugs = r.applied, r.boots, r.hbApplied, r.Bugs
	d.base, d.SnapshotEvery = r.base, r.SnapshotEvery
	r.machine.CloneInto(&d.machine)
	return d
}

// AppendState implements sim.Node: the slots received, how far applied, and
// the last heartbeat's applied index (the store is a function of the log).
func (r *Replica) AppendState(b []byte) []byte {
	b = binary.AppendVarint(b, r.applied)
	b = binary.AppendVarint(b, r.hbApplied)
	b = binary.AppendUvarint(b, uint64(len(r.log)))
	for i, v := range r.log {
		if r.have[i] {
			b = append(b, 1)
			b = v.AppendState(b)
		} else {
			b = append(b, 0)
		}
	}
	b = append(b, byte(min(r.boots, 2)))
	b = binary.AppendVarint(b, r.base)
	return r.machine.AppendState(b)
}

// Crash loses the log and the store: a replica keeps nothing durable.
func (r *Replica) Crash() {
	r.log, r.have, r.base, r.applied, r.hbApplied = r.log[:0], r.have[:0], 0, 0, 0
	r.machine.Reset()
}

// Log is how far the replica's log goes, for summaries: the slots its
// compaction dropped (0: none), the last slot received (past a gap,
// buffered), and the last slot applied.
func (r *Replica) Log() (compacted, last, applied int64) {
	return r.base, r.base + int64(len(r.log)), r.applied
}

// Machine is the replica's state machine, for the checkers.
func (r *Replica) Machine() *kv.Machine { return &r.machine }

// Reset empties the replica for another run.
func (r *Replica) Reset() {
	r.Crash()
	r.boots = 0
}
