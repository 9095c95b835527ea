package kv

import "github.com/multipaxos-kv/multipaxos-kv/protocol"

// RecordApplied tells the checkers (Env.Record: the cluster's log watch)
// that the node applied cmd as its slot-th command, and whether it took
// effect (Result.OK): every node that applies the log does, for every
// command, so that the checks follow the logs as they grow instead of
// keeping them.
func RecordApplied(env *Env, slot int64, cmd protocol.Command, dup bool) {
	env.Record(protocol.Msg{Kind: protocol.Commit, Slot: slot, Cmd: cmd, Result: protocol.Result{OK: !dup && cmd.Op != protocol.Noop}})
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
