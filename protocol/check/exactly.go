package check

import (
	"fmt"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// requestID names one client request across retries.
type requestID struct {
	client sim.NodeID
	seq    uint64
}

// ExactlyOnce checks that no client request takes effect twice: among the
// commands that took effect on each learner, each (client, request number)
// appears at most once. A request may reach the log twice (a client's retry
// to a new leader); the state machine must then apply it once.
func ExactlyOnce(ls []Learner, n sim.Names) error {
	for _, l := range ls {
		if len(l.Effects) <= 16 {
			// Short logs (the explorer checks one at every state): compare
			// pairs rather than build a map.
			for i, cmd := range l.Effects {
				for j := range i {
					if o := l.Effects[j]; cmd.Op != protocol.Noop && o.Client == cmd.Client && o.Seq == cmd.Seq {
						return fmt.Errorf("%s #%d took effect twice on %s: effects %d and %d (%s)",
							n.Name(cmd.Client), cmd.Seq, l.Name, j+1, i+1, cmd.Text(n))
					}
				}
			}
		}
	}
	seen := make(map[requestID]int)
	for _, l := range ls {
		if len(l.Effects) <= 16 {
			continue
		}
		clear(seen)
		for i, cmd := range l.Effects {
			if cmd.Op == protocol.Noop {
				continue
			}
			id := requestID{cmd.Client, cmd.Seq}
			if first, dup := seen[id]; dup {
				return fmt.Errorf("%s #%d took effect twice on %s: effects %d and %d (%s)",
					n.Name(cmd.Client), cmd.Seq, l.Name, first, i+1, cmd.Text(n))
			}
			seen[id] = i + 1
		}
	}
	return nil
}
