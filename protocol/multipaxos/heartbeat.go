package multipaxos

import (
	"strconv"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// sendHeartbeats tells the other leaders that this node leads, the
// acceptors that it is alive (their answers show it still reaches a
// majority), and the replicas how far the log is applied, so that they can
// fetch what they miss.
func (l *Leader) sendHeartbeats(env *kv.Env) {
	hb := protocol.Msg{Kind: protocol.Heartbeat, Ballot: l.ballot, Slot: l.applied}
	if env.TracingRoutine() {
		to := nodeNames(env, l.Peers)
		for _, group := range [][]sim.NodeID{l.Acceptors, l.Replicas} {
			if len(group) > 0 && to != "" {
				to += ", "
			}
			to += nodeNames(env, group)
		}
		env.Step("sending Heartbeat (ballot " + l.ballot.String() + ", applied " + strconv.FormatInt(l.applied, 10) + ") to " + to)
	}
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
