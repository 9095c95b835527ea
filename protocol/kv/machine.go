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
type Machine struct {
	// NoSessions switches on the catalogued bug protocol.BugNoSessions: the
	// machine forgets nothing less than its sessions, so retries take effect
	// again. Configuration: Reset keeps it.
	NoSessions bool

	store    Store
	sessions []session          // by client node id
	log      []protocol.Command // every command applied, in order
	effects  []protocol.Command // the ones that took effect (not Noop, not a retry)
}

// session is what the machine remembers of a client.
type session struct {
	seq    uint64
	result protocol.Result
}

// Apply applies cmd: a new request takes effect and its result is
// remembered; a request already applied (a retry) changes nothing and gets
// the remembered result; a Noop changes nothing. dup reports a retry.
func (m *Machine) Apply(cmd protocol.Command) (r protocol.Result, dup bool) {
	m.log = append(m.log, cmd)
	if cmd.Op == protocol.Noop {
		return protocol.Result{OK: true}, false
	}
	if prev, ok := m.Answered(cmd.Client, cmd.Seq); ok {
		return prev, true
	}
	r = m.store.Apply(cmd)
	if cmd.HasClient() && cmd.Client >= 0 {
		if int(cmd.Client) >= len(m.sessions) {
			m.sessions = append(m.sessions, make([]session, int(cmd.Client)+1-len(m.sessions))...)
		}
		m.sessions[cmd.Client] = session{seq: cmd.Seq, result: r}
	}
	m.effects = append(m.effects, cmd)
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
	if seq > s.seq {
		return protocol.Result{}, false
	}
	if seq < s.seq {
		return protocol.Result{Err: protocol.ErrSuperseded}, true
	}
	return s.result, true
}

// Store is the key/value state.
func (m *Machine) Store() *Store { return &m.store }

// Applied is every command applied, in order (slot order for a replicated
// log).
func (m *Machine) Applied() []protocol.Command { return m.log }

// Effects are the applied commands that took effect: not Noops, not retries.
func (m *Machine) Effects() []protocol.Command { return m.effects }

// Len is the number of commands applied.
func (m *Machine) Len() int { return len(m.log) }

// Reset empties the machine, keeping its memory.
func (m *Machine) Reset() {
	m.store.Reset()
	clear(m.sessions)
	m.log, m.effects = m.log[:0], m.effects[:0]
}

// CloneInto makes d a copy of m, reusing d's memory.
func (m *Machine) CloneInto(d *Machine) {
	d.NoSessions = m.NoSessions
	d.store.cloneFrom(&m.store)
	d.sessions = append(d.sessions[:0], m.sessions...)
	d.log = append(d.log[:0], m.log...)
	d.effects = append(d.effects[:0], m.effects...)
}

// AppendState appends the machine's canonical encoding: its applied log,
// of which the store, the sessions and the effects are functions.
func (m *Machine) AppendState(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(m.log)))
	for _, c := range m.log {
		b = c.AppendState(b)
	}
	return b
}
