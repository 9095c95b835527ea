package kv

import (
	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// Env is the simulator environment of every node in this project.
type Env = sim.Env[protocol.Msg]

// Server is the unreplicated kv_store: one node that applies each request
// as it arrives and answers it. It keeps nothing durable: a crash loses
// the store.
type Server struct {
	store   Store
	applied []protocol.Command
}

// Start announces the server.
func (s *Server) Start(env *Env) { env.Step("Starting") }

// Receive applies a client request and answers it.
func (s *Server) Receive(env *Env, from sim.NodeID, m protocol.Msg) {
	if m.Kind != protocol.Request {
		return
	}
	r := s.store.Apply(m.Cmd)
	s.applied = append(s.applied, m.Cmd)
	if env.Tracing() {
		env.Step(Describe(m.Cmd, r))
	}
	env.Send(from, protocol.Msg{Kind: protocol.Reply, Cmd: m.Cmd, Result: r})
}

// Timer is unused: the server sets no timers.
func (s *Server) Timer(*Env, string, int64) {}

// Crash loses the whole store, which was only in memory.
func (s *Server) Crash() {
	s.store.Reset()
	s.applied = s.applied[:0]
}

// Store is the server's state machine, for the checkers.
func (s *Server) Store() *Store { return &s.store }

// Applied is the sequence of commands applied, in order.
func (s *Server) Applied() []protocol.Command { return s.applied }

// Reset empties the server for another run.
func (s *Server) Reset() { s.Crash() }
