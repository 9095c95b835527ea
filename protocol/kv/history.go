package kv

import (
	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

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
		h.Op = Op{ID: m.Cmd.Seq, Op: m.Cmd.Op.String(), Key: m.Cmd.Key, Value: m.Cmd.Value}
	case protocol.Reply:
		h.Ret = Ret{ID: m.Cmd.Seq, OK: m.Result.OK, Value: m.Result.Value, HasValue: m.Cmd.Op == protocol.Get, Err: m.Result.Err}
	default:
		return h, false
	}
	return h, true
}
