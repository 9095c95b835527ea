package sim

import (
	"fmt"
)

// NodeID identifies a node of a run: its index in the order nodes were added.
type NodeID int32

// NoNode is the NodeID of no node.
const NoNode NodeID = -1

// Message is what the engine needs of a protocol's message type: a name for
// the trace and schedule, its JSON form, and a canonical binary form for the
// explorer's fingerprints.
type Message interface {
	// Type names the message kind, e.g. "Accept".
	Type() string
	// AppendJSON appends the message as a JSON object with a "type" member,
	// resolving node ids and symbols with n.
	AppendJSON(b []byte, n Names) []byte
	// AppendState appends a canonical binary encoding of the message: equal
	// messages encode to equal bytes.
	AppendState(b []byte) []byte
}

// TimerKind names one of a node's timers. A node has at most one pending
// timer of each kind: setting it again replaces it, so that a node needs no
// timer ids and the explorer can name a timer by (node, kind).
type TimerKind uint8

// MaxTimerKinds bounds the timer kinds of one node.
const MaxTimerKinds = 8

// Node is a protocol participant: a synchronous state machine driven by the
// engine. Its handlers append effects (sends, timers, trace steps, client
// history) to the Env they are handed; the engine applies them when the
// handler returns. A node holds no engine ids, absolute times or random
// sources: what it does is a function of its state and its input alone,
// which is what lets the explorer copy and compare nodes.
type Node[M Message] interface {
	// Start runs when the run begins and again when the node restarts after a
	// crash.
	Start(env *Env[M])
	// Receive handles one delivered message.
	Receive(env *Env[M], from NodeID, msg M)
	// Timer handles a timer of the given kind set with Env.SetTimer.
	Timer(env *Env[M], kind TimerKind)
	// Crash discards everything the node does not hold in durable storage;
	// Start follows on restart. The engine forgets the node's timers.
	Crash()
	// Clone returns an independent copy of the node, configuration and state,
	// reusing into's memory when into is a node of the same type (or
	// allocating when it is nil).
	Clone(into Node[M]) Node[M]
	// AppendState appends a canonical encoding of the node's state (not its
	// configuration, not counters): two nodes that will behave the same from
	// now on encode the same. Maps are written in sorted order.
	AppendState(b []byte) []byte
}

// effectKind says what an effect does.
type effectKind uint8

const (
	effSend effectKind = iota
	effSetTimer
	effCancelTimer
	effStep
	effRecord
	effNote
)

// effect is one entry of a node's outbox: small, as every send copies one.
// A step's text lives in a side slice of the Env, named by idx.
type effect[M Message] struct {
	kind  effectKind
	timer TimerKind
	note  uint8
	to    NodeID
	idx   int32 // into Env.texts (step)
	after Time  // timer delay
	// jitter: the timer fires after a delay in [after, after+jitter]
	jitter Time
	msg    M
}

// Env is a node's window on the simulation for the duration of one handler
// call: an outbox of effects that the engine applies, in order, once the
// handler returns.
type Env[M Message] struct {
	e     *Engine[M]
	self  NodeID
	out   []effect[M]
	texts []string
}

// Now is the current virtual time. Protocol nodes do not base decisions on
// it (see Node); it is there for test probes and trace text.
func (v *Env[M]) Now() Time { return v.e.now }

// Self is the node's own id.
func (v *Env[M]) Self() NodeID { return v.self }

// Name returns the name of node id, e.g. "acceptor2".
func (v *Env[M]) Name(id NodeID) string { return v.e.Name(id) }

// Send hands msg to the network for delivery to node to.
func (v *Env[M]) Send(to NodeID, msg M) {
	f := v.next()
	f.kind, f.to, f.msg = effSend, to, msg
}

// next is a new entry at the end of the outbox, to be filled in place
// rather than built and copied: its fields other than those its kind
// uses are left from an earlier handler, and nothing reads them.
func (v *Env[M]) next() *effect[M] {
	n := len(v.out)
	if n == cap(v.out) {
		v.out = append(v.out, effect[M]{})
	} else {
		v.out = v.out[:n+1]
	}
	return &v.out[n]
}

// SetTimer arranges for Timer(kind) to run after a delay in [after,
// after+jitter], the engine's decider choosing where, replacing any pending
// timer of that kind, unless it is cancelled or the node crashes first.
func (v *Env[M]) SetTimer(kind TimerKind, after, jitter Time) {
	if kind >= MaxTimerKinds {
		panic(fmt.Sprintf("sim: timer kind %d out of range (at most %d kinds)", kind, MaxTimerKinds))
	}
	f := v.next()
	f.kind, f.timer, f.after, f.jitter = effSetTimer, kind, max(after, 0), max(jitter, 0)
}

// CancelTimer cancels the pending timer of the given kind, if any.
func (v *Env[M]) CancelTimer(kind TimerKind) {
	f := v.next()
	f.kind, f.timer = effCancelTimer, kind
}

// Tracing reports whether trace text is being written. Nodes check it before
// formatting a step so that untraced runs do not pay for the formatting.
func (v *Env[M]) Tracing() bool { return v.e.tracer != nil }

// TracingRoutine reports whether the trace asks for routine steps too
// (Tracer.Routine), such as heartbeats: nodes trace them only then.
func (v *Env[M]) TracingRoutine() bool { return v.e.tracer != nil && v.e.tracer.Routine }

// Explain reports whether the node is to say now why rule holds, in a step
// it adds: the trace asks for explanations (Tracer.Explain) and no node has
// explained rule yet in this run. It marks rule explained, so that each rule
// is explained once, at its first occurrence. Rules are the protocol's own
// numbers, below MaxRules. The marks live in the tracer, not in the node:
// they change trace text only, so an untraced run, a run without
// explanations and the explorer's copies behave the same.
func (v *Env[M]) Explain(rule uint8) bool {
	return v.e.tracer != nil && v.e.tracer.explain(rule)
}

// Step records one step of the node in the trace.
func (v *Env[M]) Step(text string) {
	if v.e.tracer != nil {
		v.texts = append(v.texts, text)
		f := v.next()
		f.kind, f.idx = effStep, int32(len(v.texts)-1)
	}
}

// Stepf formats and records a step, only when tracing.
func (v *Env[M]) Stepf(format string, args ...any) {
	if v.e.tracer != nil {
		v.texts = append(v.texts, fmt.Sprintf(format, args...))
		f := v.next()
		f.kind, f.idx = effStep, int32(len(v.texts)-1)
	}
}

// Note tells the engine's observers that the node took protocol path n (a
// counter kept outside the node, for reports and the explorer's "sometimes"
// counts).
func (v *Env[M]) Note(n uint8) {
	if v.e.onNote != nil {
		f := v.next()
		f.kind, f.note = effNote, n
	}
}

// Record hands m to the engine's record observer (OnRecord), in order with
// the node's other effects: how a protocol's clients report their history
// (an invocation, an answer) without the engine knowing what a history is.
func (v *Env[M]) Record(m M) {
	f := v.next()
	f.kind, f.msg = effRecord, m
}
