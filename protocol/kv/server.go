package kv

import (
	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// Env is the simulator environment of every node in this project.
type Env = sim.Env[protocol.Msg]

// Server is the unreplicated kv_store: one node that applies each request
// as it arrives and answers it. It keeps nothing durable: a crash loses
// the store. Like the replicated machine, it answers a retried request with
// its first answer instead of applying it twice.
type Server struct {
	// SnapshotEvery is how often, in commands applied, the server drops the
	// commands it applied (0: never): it needs none of them.
	SnapshotEvery int64

	m     Machine
	boots int
}

// Start announces the server; after a crash its store starts empty.
func (s *Server) Start(env *Env) {
	if s.boots++; s.boots > 1 {
		env.Step("Restarting with an empty store: the kvstore keeps nothing durable")
		RecordInstalled(env, nil)
		return
	}
	env.Step("Starting")
}

// Receive applies a client request and answers it.
func (s *Server) Receive(env *Env, from sim.NodeID, m protocol.Msg) {
	if m.Kind != protocol.Request {
		return
	}
	out := s.m.Apply(protocol.One(m.Cmd))
	RecordApplied(env, s.m.Len(), protocol.One(m.Cmd), out)
	r, dup := out[0].Result, out[0].Dup
	if s.SnapshotEvery > 0 && s.m.Len()%s.SnapshotEvery == 0 {
		s.m.Compact()
	}
	if env.Tracing() {
		if dup {
			env.Step(Retried(env, m.Cmd))
			Explain(env, protocol.RuleSession)
		} else {
			env.Step(Describe(env, m.Cmd, r))
		}
	}
	env.Send(from, protocol.Msg{Kind: protocol.Reply, Cmd: m.Cmd, Result: r})
}

// Timer is unused: the server sets no timers.
func (s *Server) Timer(*Env, sim.TimerKind) {}

// Clone implements sim.Node.
func (s *Server) Clone(into sim.Node[protocol.Msg]) sim.Node[protocol.Msg] {
	d, _ := into.(*Server)
	if d == nil {
		d = &Server{}
	}
	s.m.CloneInto(&d.m)
	d.SnapshotEvery, d.boots = s.SnapshotEvery, s.boots
	return d
}

// AppendState implements sim.Node: the machine.
// (Whether it restarted changes only the text of its next start.)
func (s *Server) AppendState(b []byte) []byte { return s.m.AppendState(b) }

// Crash loses the whole store, which was only in memory.
func (s *Server) Crash() { s.m.Reset() }

// Machine is the server's state machine, for the checkers.
func (s *Server) Machine() *Machine { return &s.m }

// Reset empties the server for another run.
func (s *Server) Reset() {
	s.Crash()
	s.boots = 0
}
