package check

import (
	"fmt"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
)

// requestID names one client request across retries.
type requestID struct {
	client string
	seq    uint64
}

// ExactlyOnce checks that no client request takes effect twice: in every
// learner's applied log, each (client, request number) appears at most once.
// Noops are not requests.
func ExactlyOnce(ls []Learner) error {
	seen := make(map[requestID]int)
	for _, l := range ls {
		clear(seen)
		for i, cmd := range l.Applied {
			if cmd.Op == protocol.Noop {
				continue
			}
			id := requestID{cmd.Client, cmd.Seq}
			if first, dup := seen[id]; dup {
				return fmt.Errorf("%s #%d took effect twice in %s's log: slots %d and %d (%v)",
					cmd.Client, cmd.Seq, l.Name, first, i+1, cmd)
			}
			seen[id] = i + 1
		}
	}
	return nil
}
