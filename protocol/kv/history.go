package kv

import (
	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// Op is a client operation as recorded in the history.
type Op struct {
	ID    uint64      // the client's sequence number for the request
	Op    protocol.Op // put, get or delete
	Key   sim.Sym
	Value sim.Sym // put only
}

// Ret is the answer to a client operation.
type Ret struct {
	ID       uint64
	Value    sim.Sym // get's value, when OK
	OK       bool
	HasValue bool             // whether Value is part of the answer (get)
	Err      protocol.ErrCode // the error, when not OK (its text names Key)
	Key      sim.Sym          // the operation's key
}

// ErrText is the answer's error text ("" when OK).
func (r Ret) ErrText(n sim.Names) string {
	if r.OK {
		return ""
	}
	return r.Err.Text(n.Symbol(r.Key))
}

// HistoryEvent is one invoke or return of the client history, with the
// virtual time at which it happened. The engine knows no history: clients
// hand their invocations and answers to it as records (Env.Record), and
// the cluster turns them into these.
type HistoryEvent struct {
	T      sim.Time
	Client sim.NodeID
	Invoke bool
	Op     Op  // when Invoke
	Ret    Ret // when not Invoke
}

// History turns a client's record (a Request it invoked, a Reply it took
// as the answer) into a history event at time t; ok is false for any other
// message.
func History(t sim.Time, client sim.NodeID, m protocol.Msg) (h HistoryEvent, ok bool) {
	h = HistoryEvent{T: t, Client: client}
	switch m.Kind {
	case protocol.Request:
		h.Invoke = true
		h.Op = Op{ID: m.Cmd.Seq, Op: m.Cmd.Op, Key: m.Cmd.Key, Value: m.Cmd.Value}
	case protocol.Reply:
		h.Ret = Ret{ID: m.Cmd.Seq, OK: m.Result.OK, Value: m.Result.Value, HasValue: m.Cmd.Op == protocol.Get, Err: m.Result.Err, Key: m.Cmd.Key}
	default:
		return h, false
	}
	return h, true
}
