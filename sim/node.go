package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// NodeID identifies a node of a run: its index in the order nodes were added.
type NodeID int32

// NoNode is the NodeID of no node.
const NoNode NodeID = -1

// Message is what the engine needs of a protocol's message type: a name for
// the trace and schedule, and its JSON form.
type Message interface {
	// Type names the message kind, e.g. "Accept".
	Type() string
	// AppendJSON appends the message as a JSON object with a "type" member.
	AppendJSON(b []byte) []byte
}

// Node is a protocol participant: a synchronous state machine driven by the
// engine. It must not keep the Env between calls' results in any way that
// bypasses it: all effects go through the Env it is handed.
type Node[M Message] interface {
	// Start runs when the run begins and again when the node restarts after a
	// crash.
	Start(env *Env[M])
	// Receive handles one delivered message.
	Receive(env *Env[M], from NodeID, msg M)
	// Timer handles a timer set with Env.SetTimer.
	Timer(env *Env[M], name string, arg int64)
	// Crash discards everything the node does not hold in durable storage;
	// Start follows on restart.
	Crash()
}

// TimerID identifies a pending timer so that it can be cancelled.
type TimerID struct {
	slot int32
	seq  uint64
}

// Env is a node's window on the simulation.
type Env[M Message] struct {
	e   *Engine[M]
	id  NodeID
	rng stream
}

// Now is the current virtual time.
func (v *Env[M]) Now() Time { return v.e.now }

// Self is the node's own id.
func (v *Env[M]) Self() NodeID { return v.id }

// Name returns the name of node id, e.g. "acceptor2".
func (v *Env[M]) Name(id NodeID) string { return v.e.Name(id) }

// Rand is the node's own random stream, derived from the root seed and the
// node's name.
func (v *Env[M]) Rand() *rand.Rand { return v.rng.r }

// Send hands msg to the network for delivery to node to.
func (v *Env[M]) Send(to NodeID, msg M) { v.e.send(v.id, to, msg) }

// SetTimer arranges for Timer(name, arg) to run after the given delay,
// unless it is cancelled or the node crashes first.
func (v *Env[M]) SetTimer(name string, arg int64, after Time) TimerID {
	if after < 0 {
		after = 0
	}
	at := v.e.now + after
	if at < v.e.now {
		at = math.MaxInt64 // the sum overflowed: a delay too long to reach is "never", not the past
	}
	n := &v.e.nodes[v.id]
	seq, slot := v.e.q.push(at, event[M]{kind: evTimer, to: v.id, inc: n.inc, name: name, arg: arg})
	return TimerID{slot: slot, seq: seq}
}

// CancelTimer cancels a pending timer; cancelling a fired or unknown timer
// does nothing.
func (v *Env[M]) CancelTimer(id TimerID) { v.e.q.cancel(id.slot, id.seq) }

// Tracing reports whether trace text is being written. Nodes check it before
// formatting a step so that untraced runs do not pay for the formatting.
func (v *Env[M]) Tracing() bool { return v.e.tracer != nil }

// Step records one step of the node in the trace.
func (v *Env[M]) Step(text string) { v.e.step(v.id, text) }

// Stepf formats and records a step, only when tracing.
func (v *Env[M]) Stepf(format string, args ...any) {
	if v.e.tracer != nil {
		v.e.step(v.id, fmt.Sprintf(format, args...))
	}
}

// Invoke records that this client issued an operation.
func (v *Env[M]) Invoke(op Op) { v.e.invoke(v.id, op) }

// Return records that this client got the answer to an operation.
func (v *Env[M]) Return(r Ret) { v.e.ret(v.id, r) }

// Op is a client operation as recorded in the history.
type Op struct {
	ID    uint64 // the client's sequence number for the request
	Op    string // "put", "get" or "delete"
	Key   string
	Value string // put only
}

// Ret is the answer to a client operation.
type Ret struct {
	ID       uint64
	OK       bool
	Value    string // get's value, when OK
	HasValue bool   // whether Value is part of the answer (get)
	Err      string // the error text, when not OK
}

// HistoryEvent is one invoke or return of the client history, with the
// virtual time at which it happened.
type HistoryEvent struct {
	T      Time
	Client NodeID
	Invoke bool
	Op     Op  // when Invoke
	Ret    Ret // when not Invoke
}
