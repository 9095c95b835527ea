package kv

import (
	"encoding/binary"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// Machine is the replicated state machine: the kv Store plus, per client,
// the last request applied and its result (the client's session). A retried
// request, which may reach the log twice, takes effect once and gets its
// original answer: that is what makes retries exactly-once. Every node that
// applies the log (leaders, replicas, the kvstore server) applies it through
// a Machine, so they all reach the same state.
//
// The machine applies the log a slot at a time: a slot's value is one
// command, or a batch of them applied in order. It keeps the values it
// applied since its base: Compact makes them a snapshot (the store and the
// sessions are all that is needed to go on), and Install starts from
// someone else's snapshot. The hash chain of every value applied (Digest)
// survives both, so that two machines that applied the same log have the
// same digest however they got there.
type Machine struct {
	// NoSessions switches on the catalogued bug protocol.BugNoSessions: the
	// machine forgets nothing less than its sessions, so retries take effect
	// again. Configuration: Reset keeps it.
	NoSessions bool

	store    Store
	sessions []protocol.Session // by client node id
	log      []protocol.Value   // the slots applied after base, in order
	base     int64              // the slots applied before log (a snapshot holds them)
	digest   uint64             // the hash chain of every value applied
	out      []Outcome          // Apply's answer, reused
}

// Outcome is what applying one command did: its result, and whether it was
// a retry of a request already applied (Dup), which changed nothing.
type Outcome struct {
	Result protocol.Result
	Dup    bool
}

// Effect reports whether the command changed the machine's sessions: it
// was a client's request applied for the first time (not a Noop, not a
// retry), which the exactly-once check counts.
func (o Outcome) Effect(c protocol.Command) bool { return !o.Dup && c.Op != protocol.Noop }

// Apply applies the value of the next slot, its commands in order, and
// returns what each did (at index i for v.At(i); the slice is the
// machine's, valid until its next Apply). Per command: a new request takes
// effect and its result is remembered; a request already applied (a retry)
// changes nothing and gets the remembered result; a Noop changes nothing.
func (m *Machine) Apply(v protocol.Value) []Outcome {
	m.log = append(m.log, v)
	m.digest = v.Chain(m.digest)
	m.out = m.out[:0]
	for i := range v.Len() {
		r, dup := m.apply(v.At(i))
		m.out = append(m.out, Outcome{Result: r, Dup: dup})
	}
	return m.out
}

// apply applies one command of a slot.
func (m *Machine) apply(cmd protocol.Command) (r protocol.Result, dup bool) {
	if cmd.Op == protocol.Noop {
		return protocol.Result{OK: true}, false
	}
	if prev, ok := m.Answered(cmd.Client, cmd.Seq); ok {
		return prev, true
	}
	r = m.store.Apply(cmd)
	if cmd.HasClient() && cmd.Client >= 0 {
		if int(cmd.Client) >= len(m.sessions) {
			m.sessions = append(m.sessions, make([]protocol.Session, int(cmd.Client)+1-len(m.sessions))...)
		}
		m.sessions[cmd.Client] = protocol.Session{Seq: cmd.Seq, Result: r}
	}
	return r, false
}

// Answered reports whether request seq of client was already applied, and
// its result. A client has one request outstanding at a time, so only its
// latest request can be retried; an older one gets an empty result.
func (m *Machine) Answered(client sim.NodeID, seq uint64) (protocol.Result, bool) {
	if m.NoSessions || seq == 0 || client < 0 || int(client) >= len(m.sessions) {
		return protocol.Result{}, false
	}
	s := m.sessions[client]
	if seq > s.Seq {
		return protocol.Result{}, false
	}
	if seq < s.Seq {
		return protocol.Result{Err: protocol.ErrSuperseded}, true
	}
	return s.Result, true
}

// Store is the key/value state.
func (m *Machine) Store() *Store { return &m.store }

// Log is the values applied after the first base slots (which a snapshot
// holds), in slot order: slot base+i+1 is vals[i].
func (m *Machine) Log() (base int64, vals []protocol.Value) { return m.base, m.log }

// Commands is the commands of the values applied after base, in order
// (the log flattened: a batch's commands one by one), in a new slice.
func (m *Machine) Commands() []protocol.Command {
	var cmds []protocol.Command
	for _, v := range m.log {
		for i := range v.Len() {
			cmds = append(cmds, v.At(i))
		}
	}
	return cmds
}

// Len is the number of slots applied.
func (m *Machine) Len() int64 { return m.base + int64(len(m.log)) }

// Digest is the hash chain of the values applied (protocol.Value.Chain).
func (m *Machine) Digest() uint64 { return m.digest }

// Snapshot is the machine's state after its Len() slots. The snapshot
// shares nothing with the machine.
func (m *Machine) Snapshot() *protocol.Snap {
	return &protocol.Snap{
		Slot:     m.Len(),
		Digest:   m.digest,
		Vals:     append([]sim.Sym(nil), m.store.vals...),
		Keys:     m.store.n,
		Sessions: append([]protocol.Session(nil), m.sessions...),
	}
}

// Compact forgets the values applied so far (a snapshot of them is kept
// elsewhere, or nobody needs them): the log starts again after them.
func (m *Machine) Compact() {
	m.base += int64(len(m.log))
	m.log = m.log[:0]
}

// Install makes the machine the state s holds, as if it had applied s's
// commands: its log starts after them.
func (m *Machine) Install(s *protocol.Snap) {
	m.store.vals = append(m.store.vals[:0], s.Vals...)
	m.store.n = s.Keys
	m.sessions = append(m.sessions[:0], s.Sessions...)
	m.log = m.log[:0]
	m.base, m.digest = s.Slot, s.Digest
}

// Reset empties the machine, keeping its memory.
func (m *Machine) Reset() {
	m.store.Reset()
	clear(m.sessions)
	m.log = m.log[:0]
	m.base, m.digest = 0, 0
}

// CloneInto makes d a copy of m, reusing d's memory.
func (m *Machine) CloneInto(d *Machine) {
	d.NoSessions = m.NoSessions
	d.store.cloneFrom(&m.store)
	d.sessions = append(d.sessions[:0], m.sessions...)
	d.log = append(d.log[:0], m.log...)
	d.base, d.digest = m.base, m.digest
}

// AppendState appends the machine's canonical encoding: its log since its
// base, then the base and, past a snapshot, the digest, of which (with the
// log) the store and the sessions are functions.
func (m *Machine) AppendState(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(m.log)))
	for _, v := range m.log {
		b = v.AppendState(b)
	}
	b = binary.AppendUvarint(b, uint64(m.base))
	if m.base > 0 {
		b = binary.AppendUvarint(b, m.digest)
	}
	return b
}
