package sim

import "bytes"

// StateJSON is a node that can show its state to a reader: a small JSON
// object naming nodes and symbols (through n), for the trace's state
// records (Engine.TraceStates). It is not the canonical encoding
// (Node.AppendState), which is for machines to compare; a node without it
// is shown by the fingerprint of its canonical encoding.
type StateJSON interface {
	AppendStateJSON(b []byte, n Names) []byte
}

// stateTrace is what TraceStates keeps: the nodes the current event
// touched, and the state each node was last shown in.
type stateTrace struct {
	touched []NodeID
	last    [][]byte // by node: the readable state last written, nil before the first
	buf     []byte
	// injected names the fault being injected in steered mode (Do), for
	// its record.
	injected string
}

// TraceStates makes a traced run (SetTracer) write, after every event, a
// state record (EvState): the event's identity as a schedule names it, and
// the readable state (StateJSON) of every node the event touched (the node
// that handled it, one that crashed or restarted) whose state differs from
// the one last written, so that a reader who applies the records in order
// knows every node's state after every event. A node's first record has
// its state after its start. Off by default: it costs a rendering per
// event, and a trace without state records is the same as before.
func (e *Engine[M]) TraceStates(on bool) {
	if !on {
		e.states = nil
		return
	}
	if e.states == nil {
		e.states = &stateTrace{}
	}
}

// touch notes that node id's state may have changed in this event.
func (s *stateTrace) touch(id NodeID) {
	for _, t := range s.touched {
		if t == id {
			return
		}
	}
	s.touched = append(s.touched, id)
}

// traceStates writes the state record of the event just run, named what,
// and forgets the nodes it touched.
func (e *Engine[M]) traceStates(what string) {
	s := e.states
	if e.tracer == nil {
		s.touched = s.touched[:0]
		return
	}
	if len(s.last) != len(e.nodes) {
		s.last = append(s.last, make([][]byte, len(e.nodes)-len(s.last))...)
	}
	// The touched nodes in id order, so that a record lists its nodes in
	// the order they were added, whatever the handlers' order.
	for i := 1; i < len(s.touched); i++ {
		for j := i; j > 0 && s.touched[j] < s.touched[j-1]; j-- {
			s.touched[j], s.touched[j-1] = s.touched[j-1], s.touched[j]
		}
	}
	e.tracer.JSONRecord(e.now, EvState, func(b []byte) []byte {
		b = AppendJSONField(b, FieldEvent, what)
		b = append(b, `,"`+FieldNodes+`":{`...)
		first := true
		for _, id := range s.touched {
			n := &e.nodes[id]
			s.buf = e.appendStateJSON(s.buf[:0], n.node)
			if s.last[id] != nil && bytes.Equal(s.buf, s.last[id]) {
				continue
			}
			s.last[id] = append(s.last[id][:0], s.buf...)
			if !first {
				b = append(b, ',')
			}
			first = false
			b = AppendJSONString(b, n.name)
			b = append(b, ':')
			b = append(b, s.buf...)
		}
		return append(b, '}')
	})
	s.touched = s.touched[:0]
}

// appendStateJSON appends node's readable state, or for a node that has
// none the fingerprint of its canonical state.
func (e *Engine[M]) appendStateJSON(b []byte, node Node[M]) []byte {
	if v, ok := node.(StateJSON); ok {
		return v.AppendStateJSON(b, e)
	}
	start := len(b)
	b = node.AppendState(b)
	h := Fingerprint(b[start:])
	b = append(b[:start], `{"fingerprint":"`...)
	const hex = "0123456789abcdef"
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, hex[h>>uint(shift)&0xf])
	}
	return append(b, `"}`...)
}
