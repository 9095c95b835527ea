package check

import (
	"fmt"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// Liveness checks that every client request got its answer: open is every
// client's last invocation that got none (clients in the order of their
// first invocation), of total invocations. When the scenario does not
// require it (liveness = false, for runs meant to stall), unanswered
// requests are reported in the note instead of failing.
func Liveness(open []kv.HistoryEvent, total int, n sim.Names, required bool, end string) (note string, err error) {
	var stuck []string
	for _, ev := range open {
		stuck = append(stuck, fmt.Sprintf("%s #%d (%s %s)", n.Name(ev.Client), ev.Op.ID, ev.Op.Op, n.Symbol(ev.Op.Key)))
	}
	if len(stuck) == 0 {
		return "", nil
	}
	list := strings.Join(stuck[:min(len(stuck), 5)], ", ")
	if len(stuck) > 5 {
		list += fmt.Sprintf(", and %d more", len(stuck)-5)
	}
	msg := fmt.Sprintf("%d of %d requests unanswered when the run ended (%s): %s", len(stuck), total, end, list)
	if !required {
		return "stalled as allowed (liveness = false): " + msg, nil
	}
	return "", fmt.Errorf("%s", msg)
}
