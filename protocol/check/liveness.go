package check

import (
	"fmt"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// Liveness checks that every client request in the history got its answer.
// When the scenario does not require it (liveness = false, for runs meant to
// stall), unanswered requests are reported in the note instead of failing.
func Liveness(h []kv.HistoryEvent, n sim.Names, required bool, end string) (err error, note string) {
	open := map[sim.NodeID]kv.Op{}
	var order []sim.NodeID // clients in order of their first invoke
	total := 0
	for _, ev := range h {
		if ev.Invoke {
			if _, known := open[ev.Client]; !known {
				order = append(order, ev.Client)
			}
			open[ev.Client] = ev.Op
			total++
		} else if op, ok := open[ev.Client]; ok && op.ID == ev.Ret.ID {
			open[ev.Client] = kv.Op{}
		}
	}
	var stuck []string
	for _, c := range order {
		if op := open[c]; op.ID != 0 {
			stuck = append(stuck, fmt.Sprintf("%s #%d (%s %s)", n.Name(c), op.ID, op.Op, n.Symbol(op.Key)))
		}
	}
	if len(stuck) == 0 {
		return nil, ""
	}
	list := strings.Join(stuck[:min(len(stuck), 5)], ", ")
	if len(stuck) > 5 {
		list += fmt.Sprintf(", and %d more", len(stuck)-5)
	}
	msg := fmt.Sprintf("%d of %d requests unanswered when the run ended (%s): %s", len(stuck), total, end, list)
	if !required {
		return nil, "stalled as allowed (liveness = false): " + msg
	}
	return fmt.Errorf("%s", msg), ""
}
