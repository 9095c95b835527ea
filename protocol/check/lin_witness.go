package check

import (
	"fmt"

	"github.com/anishathalye/porcupine"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// linWitnesses reads a candidate linearization of every key out of the
// applied log: for each partition of parts (one key's operations, as
// partitionByKey gives them), the indices of its operations in log order.
// A command takes effect as kv.Machine decides: not a Noop, and newer than
// the client's last applied request (a retry, or an old request that
// arrives late, changes nothing). The log is only a hint, so what does not
// fit the history (a command nobody invoked, or another command than the
// one invoked) makes its key's witness fail, with the reason in errs;
// linVerifyWitness checks the rest.
func linWitnesses(parts [][]porcupine.Operation, log []protocol.Command, n sim.Names) (orders [][]int, errs []error) {
	type request struct {
		client int // index in clients
		seq    uint64
	}
	type place struct{ part, i int }
	byKey := make(map[string]int, len(parts))
	clients := make(map[string]int)
	where := make(map[request]place)
	for p, ops := range parts {
		byKey[ops[0].Input.(linInput).key] = p
		for i, op := range ops {
			m := op.Metadata.(linMeta)
			c, ok := clients[m.client]
			if !ok {
				c = len(clients)
				clients[m.client] = c
			}
			where[request{c, m.seq}] = place{p, i}
		}
	}
	orders = make([][]int, len(parts))
	errs = make([]error, len(parts))
	fail := func(key string, err error) {
		if p, ok := byKey[key]; ok && errs[p] == nil {
			errs[p] = err
		}
	}
	last := make([]uint64, len(clients)) // the last request applied; 0: none yet (requests count from 1)
	lastID, lastClient := sim.NoNode, -1
	for slot, cmd := range log {
		if cmd.Op == protocol.Noop {
			continue
		}
		key := n.Symbol(cmd.Key)
		if !cmd.HasClient() {
			fail(key, fmt.Errorf("slot %d holds %s #%d %s, which was never invoked", slot+1, "", cmd.Seq, cmd.Text(n)))
			continue
		}
		if cmd.Client != lastID || lastClient < 0 {
			c, ok := clients[n.Name(cmd.Client)]
			if !ok {
				c = -1
			}
			lastID, lastClient = cmd.Client, c
		}
		c := lastClient
		if c < 0 {
			fail(key, fmt.Errorf("slot %d holds %s #%d %s, which was never invoked", slot+1, n.Name(cmd.Client), cmd.Seq, cmd.Text(n)))
			continue
		}
		if cmd.Seq <= last[c] {
			continue
		}
		last[c] = cmd.Seq
		at, ok := where[request{c, cmd.Seq}]
		if !ok {
			fail(key, fmt.Errorf("slot %d holds %s #%d %s, which was never invoked", slot+1, n.Name(cmd.Client), cmd.Seq, cmd.Text(n)))
			continue
		}
		op := parts[at.part][at.i]
		in := op.Input.(linInput)
		if in.op != cmd.Op || in.key != key || in.value != n.Symbol(cmd.Value) {
			err := fmt.Errorf("slot %d holds %s #%d %s, but %s was invoked", slot+1, n.Name(cmd.Client), cmd.Seq, cmd.Text(n), describeOp(op))
			fail(key, err)
			fail(in.key, err)
			continue
		}
		orders[at.part] = append(orders[at.part], at.i)
	}
	return orders, errs
}

// linVerifyWitness checks that order, indices into one key's operations,
// is a linearization of them: each operation at most once; no operation
// after one that returned before it was invoked (real time, as the
// timestamps of linClock give it: the history's order); every answer the
// one linApply gives in that order; every answered operation placed. An
// unanswered operation may be placed (it took effect there) or left out
// (it never took effect). nil is a proof that the key is linearizable.
func linVerifyWitness(ops []porcupine.Operation, order []int) error {
	placed := make([]bool, len(ops))
	for _, i := range order {
		if placed[i] {
			return fmt.Errorf("%s is placed twice", describeOp(ops[i]))
		}
		placed[i] = true
	}
	for i, op := range ops {
		if !placed[i] && op.Output.(linOutput).answered {
			return fmt.Errorf("%s was answered but is not in the log", describeOp(op))
		}
	}
	// Real time: walking back, first keeps the operation placed later that
	// returned first.
	first := -1
	for k := len(order) - 1; k >= 0; k-- {
		op := ops[order[k]]
		if first >= 0 && ops[first].Return < op.Call {
			return fmt.Errorf("%s is placed before %s, which returned before it was invoked", describeOp(op), describeOp(ops[first]))
		}
		if first < 0 || op.Return < ops[first].Return {
			first = order[k]
		}
	}
	state := linState{}
	for _, i := range order {
		in, out := ops[i].Input.(linInput), ops[i].Output.(linOutput)
		next, res := linApply(state, in)
		if out.answered && out.res != res {
			return fmt.Errorf("in log order, %s gets %s", describeOp(ops[i]), res.text(in.op))
		}
		state = next
	}
	return nil
}
