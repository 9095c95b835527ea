package multipaxos

import (
	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
)

// sendHeartbeats tells the other leaders that this node leads, the
// acceptors that it is alive (their answers show it still reaches a
// majority), and the replicas how far the log is applied, so that they can
// fetch what they miss.
func (l *Leader) sendHeartbeats(env *kv.Env) {
	hb := protocol.Msg{Kind: protocol.Heartbeat, Ballot: l.ballot, Slot: l.applied}
	for _, p := range l.Peers {
		env.Send(p, hb)
	}
	for _, a := range l.Acceptors {
		env.Send(a, hb)
	}
	for _, r := range l.Replicas {
		env.Send(r, hb)
	}
}
