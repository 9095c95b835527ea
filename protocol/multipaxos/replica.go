package multipaxos

import (
	"strconv"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// Replica is a passive learner: it receives the chosen command of each slot
// in a Commit and applies commands strictly in slot order, buffering any that
// arrive ahead of a gap. Its state is volatile: a crash loses it all.
type Replica struct {
	log     []protocol.Command // slot s at index s-1
	have    []bool             // whether log[i] has arrived
	applied int64              // the last slot applied
	store   kv.Store
}

// Start announces the replica.
func (r *Replica) Start(env *kv.Env) { env.Step("Starting") }

// Receive records a commit and applies every slot it makes contiguous.
func (r *Replica) Receive(env *kv.Env, from sim.NodeID, m protocol.Msg) {
	if m.Kind != protocol.Commit || m.Slot < 1 {
		return
	}
	for int64(len(r.log)) < m.Slot {
		r.log = append(r.log, protocol.Command{})
		r.have = append(r.have, false)
	}
	i := m.Slot - 1
	if r.have[i] || m.Slot <= r.applied {
		return // a duplicate commit: already known
	}
	r.log[i], r.have[i] = m.Cmd, true
	if m.Slot > r.applied+1 {
		if env.Tracing() {
			env.Step("slot " + strconv.FormatInt(m.Slot, 10) + " buffered: waiting for slot " + strconv.FormatInt(r.applied+1, 10))
		}
		return
	}
	for r.applied < int64(len(r.log)) && r.have[r.applied] {
		cmd := r.log[r.applied]
		r.applied++
		r.store.Apply(cmd)
		if env.Tracing() {
			env.Step("slot " + strconv.FormatInt(r.applied, 10) + ": " + cmd.String())
		}
	}
}

// Timer is unused.
func (r *Replica) Timer(*kv.Env, string, int64) {}

// Crash loses the log and the store: a replica keeps nothing durable.
func (r *Replica) Crash() {
	r.log, r.have, r.applied = r.log[:0], r.have[:0], 0
	r.store.Reset()
}

// Store is the replica's state machine, for the checkers.
func (r *Replica) Store() *kv.Store { return &r.store }

// Applied is the applied prefix of the log, slot 1 first.
func (r *Replica) Applied() []protocol.Command { return r.log[:r.applied] }

// Reset empties the replica for another run.
func (r *Replica) Reset() { r.Crash() }
