package check

import (
	"fmt"
	"slices"

	"github.com/anishathalye/porcupine"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// The reference side of the tests: a recorded history as porcupine's
// operations, paired the plain way (a map of every request), for
// porcupine.CheckOperations to judge. It is what the checker did before it
// streamed, kept to check the stream against.

// newLinClock is the clock of history h, every event's time known.
func newLinClock(h []kv.HistoryEvent) linClock {
	var last sim.Time
	if len(h) > 0 {
		last = h[len(h)-1].T
	}
	c := linClockFor(int64(len(h)), last)
	c.ts = make([]sim.Time, len(h))
	for i, e := range h {
		c.ts[i] = e.T
	}
	return c
}

// event is the timestamp of the history's i-th event (c from newLinClock).
func (c linClock) event(i int) int64 { return c.stamp(int64(i), c.ts[i]) }

// linOperations pairs the history's invokes and returns into porcupine
// operations, in invocation order. A return is matched to its invoke by
// client and request number, so that a request abandoned by a crash stays
// unanswered while the restarted client goes on.
func linOperations(h []kv.HistoryEvent, n sim.Names) ([]porcupine.Operation, error) {
	clock := newLinClock(h)
	var ids []sim.NodeID
	for _, e := range h {
		if !slices.Contains(ids, e.Client) {
			ids = append(ids, e.Client)
		}
	}
	slices.Sort(ids)
	clients := make([]string, len(ids))
	for i, id := range ids {
		clients[i] = n.Name(id)
	}

	type request struct {
		client sim.NodeID
		seq    uint64
	}
	seen := make(map[request]int, len(h)/2+1) // index in ops, or -1 once answered
	ops := make([]porcupine.Operation, 0, len(h)/2+1)
	for i, e := range h {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("malformed history: event %d at %v: %s %s", i, e.T, n.Name(e.Client), fmt.Sprintf(format, args...))
		}
		if e.T < 0 || i > 0 && e.T < h[i-1].T {
			return nil, bad("is out of time order (after %v)", h[max(i-1, 0)].T)
		}
		client, _ := slices.BinarySearch(ids, e.Client)
		if !e.Invoke {
			req := request{e.Client, e.Ret.ID}
			j, ok := seen[req]
			if !ok || j < 0 {
				return nil, bad("returns #%d, which is not outstanding", e.Ret.ID)
			}
			seen[req] = -1
			op := &ops[j]
			res := linRes{ok: e.Ret.OK}
			if e.Ret.OK && e.Ret.HasValue {
				res.value = n.Symbol(e.Ret.Value)
			}
			if !e.Ret.OK {
				res.err = e.Ret.ErrText(n)
			}
			op.Output = linOutput{answered: true, res: res}
			op.Return = clock.event(i)
			m := op.Metadata.(linMeta)
			m.ret, m.answered = e.T, true
			op.Metadata = m
			continue
		}
		req := request{e.Client, e.Op.ID}
		if _, ok := seen[req]; ok {
			return nil, bad("invokes #%d a second time", e.Op.ID)
		}
		op := e.Op.Op
		switch op {
		case protocol.Put, protocol.Get, protocol.Delete:
		default:
			return nil, bad("invokes #%d with unknown op %q (want put, get or delete)", e.Op.ID, op.String())
		}
		in := linInput{op: op, key: n.Symbol(e.Op.Key)}
		if op == protocol.Put {
			in.value = n.Symbol(e.Op.Value)
		}
		seen[req] = len(ops)
		ops = append(ops, porcupine.Operation{
			ClientId: client,
			Input:    in,
			Call:     clock.event(i),
			Output:   linOutput{},
			Return:   linNever,
			Metadata: linMeta{client: clients[client], seq: e.Op.ID, call: e.T},
		})
	}
	return ops, nil
}
