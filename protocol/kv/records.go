package kv

import "github.com/multipaxos-kv/multipaxos-kv/protocol"

// RecordApplied tells the checkers (Env.Record: the cluster's log watch)
// that the node applied value v as its slot-th slot, and what each of its
// commands did (out, Machine.Apply's answer): one record per command, the
// value's and Part its index, with whether it took effect (Result.OK).
// Every node that applies the log does, for every slot, so that the checks
// follow the logs as they grow instead of keeping them.
func RecordApplied(env *Env, slot int64, v protocol.Value, out []Outcome) {
	for i, o := range out {
		env.Record(protocol.Msg{Kind: protocol.Commit, Slot: slot, Part: uint16(i), Result: protocol.Result{OK: o.Effect(v.At(i))}}.With(v))
	}
}

// RecordAccepted tells the checkers (the cluster's chosen-value watch) that
// the acceptor voted at ballot b for value v in slot: it now holds v there,
// and answers Accepted.
func RecordAccepted(env *Env, slot int64, b protocol.Ballot, v protocol.Value) {
	env.Record(protocol.Msg{Kind: protocol.Accepted, Slot: slot, Ballot: b}.With(v))
}

// RecordInstalled tells the checkers that the node's machine starts again:
// from snapshot s, or empty (s nil).
func RecordInstalled(env *Env, s *protocol.Snap) {
	if s == nil {
		env.Record(protocol.Msg{Kind: protocol.Snapshot})
		return
	}
	env.Record(protocol.Msg{Kind: protocol.Snapshot, Slot: s.Slot, Payload: &protocol.Payload{Snap: s}})
}
