package check

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/anishathalye/porcupine"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// DefaultLinBudget is the search budget, in steps (see linSearch), that a
// check gets when none is given: 2^22, which the hardest history of the
// tests (41 concurrent gets) spends in under a second on a 2-core machine
// with under 100 MB of memo. Only a key whose log order is not a
// linearization is searched at all.
const DefaultLinBudget = 1 << 22

// LinBudgetMax is the largest budget accepted from a user (flags).
const LinBudgetMax = 1 << 40

// LinResult is the outcome of checking the client history for
// linearizability against the kv_store semantics. Err says what it means;
// WriteHTML draws it.
type LinResult struct {
	// Outcome is porcupine.Ok (linearizable), porcupine.Illegal (not
	// linearizable, or a malformed history), or porcupine.Unknown (the
	// search budget ran out: inconclusive, which is never to be read as ok).
	Outcome porcupine.CheckResult
	// Ops counts the operations checked, Indeterminate included.
	Ops int
	// Indeterminate counts the operations that never got an answer (the run
	// ended or the client crashed first): each may or may not have taken
	// effect, and the check allows both.
	Indeterminate int
	// Keys counts the keys touched, each checked on its own.
	Keys int
	// Searched counts the keys whose log order was not a linearization,
	// which were searched; the others were proven by their witness.
	Searched int
	// Budget is the number of search steps the check could spend; Steps
	// those it spent.
	Budget, Steps int

	err     error                 // the explanation when Outcome is not Ok
	ops     []porcupine.Operation // the operations, for the picture
	clock   linClock              // how virtual times became porcupine's
	clients []string              // client names by porcupine ClientId
}

// Err is nil when the history is linearizable, otherwise it says why not
// ("not linearizable: key ...", "malformed history: ...") or that the check
// was "inconclusive". A zero LinResult was never checked and is not ok.
func (r LinResult) Err() error {
	switch r.Outcome {
	case porcupine.Ok:
		return nil
	case porcupine.Unknown, porcupine.Illegal:
		if r.err != nil {
			return r.err
		}
		return errors.New("not linearizable")
	}
	return errors.New("linearizability not checked")
}

// Linearizable checks that the client history h, in execution order, is
// linearizable against the kv_store semantics (see kv.Store.Apply), answers
// and error texts included. name gives the clients' names for messages
// (nil: "node<id>"). log is the applied log of the node that applied the
// most (see Longest), as a hint; budget bounds the search in steps (below 1:
// DefaultLinBudget). The verdict is a function of h, the names, log and
// budget alone: the same inputs always give the same result, on any machine
// under any load.
//
// Linearizability is local (Herlihy and Wing, 1990, section 3.3):
// operations on different keys never interact, so the history is split by
// key and each key is judged on its own.
//
// First the witness: the log's order is a candidate linearization, checked
// in linear time by linVerifyWitness, which relies on nothing but h (every
// operation it places is one of h's, real-time order is h's, the answers
// are the model's). A verified witness is a proof.
//
// Only a key whose witness fails is searched (linSearch: Wing and Gong's
// search with Lowe's memoisation, as porcupine does it, bounded by steps
// instead of wall-clock time), smallest key first, all sharing the budget.
// A key found not linearizable makes the history not linearizable; a key
// left undecided when the budget runs out makes it inconclusive, a failure.
//
// An operation without a return is indeterminate: it is checked as if it
// returned at +infinity with an answer the model accepts whatever the
// state, its effect still applied. That is sound and complete: if it took
// effect, it did so at some point after its invocation, which is one of the
// orders tried, and no answer constrains it; if it did not, linearizing it
// after every other operation is the same as leaving it out, since nothing
// observes the state after the last point. (The witness may leave it out.)
func Linearizable(h []kv.HistoryEvent, n sim.Names, log []protocol.Command, budget int) LinResult {
	if n == nil {
		n = &sim.Table{}
	}
	if budget < 1 {
		budget = DefaultLinBudget
	}
	r := LinResult{Budget: budget}
	ops, err := r.operations(h, n)
	r.Ops = len(ops)
	if err != nil {
		r.Outcome, r.err = porcupine.Illegal, err
		return r
	}
	r.ops = ops
	for _, op := range ops {
		if !op.Output.(linOutput).answered {
			r.Indeterminate++
		}
	}
	parts := partitionByKey(ops)
	r.Keys = len(parts)
	orders, werrs := linWitnesses(parts, log, n)
	var todo []int
	for p, ops := range parts {
		if werrs[p] == nil {
			werrs[p] = linVerifyWitness(ops, orders[p])
		}
		if werrs[p] != nil {
			todo = append(todo, p)
		}
	}
	r.Searched = len(todo)
	slices.SortStableFunc(todo, func(a, b int) int { return len(parts[a]) - len(parts[b]) })
	outcomes := make([]porcupine.CheckResult, len(parts))
	bests := make([][]int, len(parts))
	for _, p := range todo {
		var steps int
		outcomes[p], bests[p], steps = linSearch(parts[p], budget-r.Steps)
		r.Steps += steps
	}
	var failing, undecided []int
	for _, p := range slices.Sorted(slices.Values(todo)) {
		switch outcomes[p] {
		case porcupine.Illegal:
			failing = append(failing, p)
		case porcupine.Unknown:
			undecided = append(undecided, p)
		}
	}
	switch {
	case len(failing) > 0:
		r.Outcome, r.err = porcupine.Illegal, explainIllegal(parts, failing, bests[failing[0]])
	case len(undecided) > 0:
		r.Outcome, r.err = porcupine.Unknown, explainUnknown(parts, undecided, werrs, budget)
	default:
		r.Outcome = porcupine.Ok
	}
	return r
}

// linClock maps the history's virtual times to porcupine's timestamps so
// that real-time order is exactly the history's execution order.
//
// Porcupine reads [Call, Return] as a closed interval and, at equal
// timestamps, sorts calls before returns (checker.go, byTime), so two
// operations that touch at one instant count as concurrent. In this
// engine they may not be: a client invokes its next request at the virtual
// time of its previous return, and with latency_min = 0 a request can be
// invoked by one client at the very instant another's returns, after it.
// Then the second really did start after the first ended and must be
// linearized after it. So no two events share a timestamp: event i of the
// history at virtual time T becomes T*scale + i + 1, where scale is the
// smallest power of ten above the history's length. The order is the
// history's (times never decrease along it, and i breaks ties), and, scale
// being a power of ten, the timestamps porcupine shows in its picture read
// as the virtual nanoseconds followed by the event's index. The +1 leaves
// T*scale free for annotations at T, which are drawn before the events of
// that instant.
//
// If the times are too large for that to fit in an int64, timestamps are
// ordinal instead: event i is 2i+2 and an annotation sits at an odd number
// between the events before and from its time; the picture then loses its
// virtual times (the operations' descriptions still carry them) but not
// its order. math.MaxInt64 is never an event's timestamp: it is reserved
// for the returns of indeterminate operations (+infinity).
type linClock struct {
	scale int64      // 0: ordinal timestamps
	ts    []sim.Time // the history's times, to place annotations
}

// linNever is the return timestamp of an indeterminate operation.
const linNever = math.MaxInt64

func newLinClock(h []kv.HistoryEvent) linClock {
	c := linClock{ts: make([]sim.Time, len(h))}
	for i, e := range h {
		c.ts[i] = e.T
	}
	n := int64(len(h))
	scale := int64(10)
	for scale <= n {
		scale *= 10
	}
	if len(h) == 0 || int64(h[len(h)-1].T) <= (linNever-1-n)/scale {
		c.scale = scale
	}
	return c
}

// event is the timestamp of the history's i-th event.
func (c linClock) event(i int) int64 {
	if c.scale == 0 {
		return 2*int64(i) + 2
	}
	return int64(c.ts[i])*c.scale + int64(i) + 1
}

// at is the timestamp of an annotation at virtual time t: after the events
// before t, before those at t or later.
func (c linClock) at(t sim.Time) int64 {
	if c.scale == 0 {
		k := sort.Search(len(c.ts), func(i int) bool { return c.ts[i] >= t })
		return 2*int64(k) + 1
	}
	switch {
	case int64(t) > (linNever-1)/c.scale:
		return linNever - 1
	case int64(t) < math.MinInt64/c.scale:
		return math.MinInt64
	}
	return int64(t) * c.scale
}

// linInput is an operation's request.
type linInput struct {
	op         protocol.Op
	key, value string
}

// linOutput is an operation's answer; an unanswered one fits any state.
type linOutput struct {
	answered bool
	res      linRes // Value only for a get that succeeded
}

// linRes is an answer as the model compares it, in the history's text.
type linRes struct {
	ok         bool
	value, err string
}

// linState is one key's state: absent (the zero value), or present with a
// value. The key is kept only to describe the state.
type linState struct {
	key, value string
	present    bool
}

// linMeta says who issued an operation and when, for messages and the
// picture.
type linMeta struct {
	client   string
	seq      uint64
	call     sim.Time
	ret      sim.Time
	answered bool
}

// operations pairs the history's invokes and returns into porcupine
// operations, in invocation order, and sets r's clock and client names. A
// return is matched to its invoke by client and request number, so that a
// request abandoned by a crash stays unanswered while the restarted client
// goes on.
func (r *LinResult) operations(h []kv.HistoryEvent, n sim.Names) ([]porcupine.Operation, error) {
	r.clock = newLinClock(h)
	var ids []sim.NodeID
	for _, e := range h {
		if !slices.Contains(ids, e.Client) {
			ids = append(ids, e.Client)
		}
	}
	slices.Sort(ids)
	r.clients = make([]string, len(ids))
	for i, id := range ids {
		r.clients[i] = n.Name(id)
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
			op.Return = r.clock.event(i)
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
			Call:     r.clock.event(i),
			Output:   linOutput{},
			Return:   linNever,
			Metadata: linMeta{client: r.clients[client], seq: e.Op.ID, call: e.T},
		})
	}
	return ops, nil
}

// linModel is the kv_store's sequential specification, one key at a time.
var linModel = porcupine.Model{
	Partition: partitionByKey,
	Init:      func() any { return linState{} },
	Step: func(state, input, output any) (bool, any) {
		next, res := linApply(state.(linState), input.(linInput))
		out := output.(linOutput)
		return !out.answered || out.res == res, next
	},
	DescribeOperation: func(input, output any) string {
		return describeIO(input.(linInput), output.(linOutput))
	},
	DescribeState: func(state any) string {
		s := state.(linState)
		if !s.present {
			return "{}"
		}
		return "{" + s.key + "=" + s.value + "}"
	},
	DescribeOperationMetadata: func(meta any) string {
		m := meta.(linMeta)
		s := m.client + " #" + strconv.FormatUint(m.seq, 10) + ", invoked at " + m.call.String()
		if !m.answered {
			return s + ", no answer: may or may not have taken effect"
		}
		return s + ", returned at " + m.ret.String()
	},
}

// linApply is kv.Store.Apply for the one key in.key whose state is s: it
// returns the new state (s itself is never changed) and the answer.
func linApply(s linState, in linInput) (linState, linRes) {
	switch in.op {
	case protocol.Put:
		if s.present {
			return s, linRes{err: protocol.ErrExists.Text(in.key)}
		}
		return linState{key: in.key, value: in.value, present: true}, linRes{ok: true}
	case protocol.Get:
		if s.present {
			return s, linRes{ok: true, value: s.value}
		}
		return s, linRes{err: protocol.ErrNotFound.Text(in.key)}
	case protocol.Delete:
		if s.present {
			return linState{}, linRes{ok: true}
		}
		return s, linRes{err: protocol.ErrNotFound.Text(in.key)}
	}
	panic(fmt.Sprintf("check: linearizability model given op %v", in.op))
}

// partitionByKey splits a history by key, keys in sorted order, each part
// in the history's order.
func partitionByKey(ops []porcupine.Operation) [][]porcupine.Operation {
	byKey := make(map[string][]porcupine.Operation)
	var keys []string
	for _, op := range ops {
		k := op.Input.(linInput).key
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], op)
	}
	slices.Sort(keys)
	parts := make([][]porcupine.Operation, len(keys))
	for i, k := range keys {
		parts[i] = byKey[k]
	}
	return parts
}

// sortPartials orders each partition's partial linearizations longest
// first, then by their operations, in place: porcupine builds them from a
// map, so without this the picture would vary from run to run.
// (PartialLinearizations returns porcupine's own slices, which the picture
// reads too.)
func sortPartials(info porcupine.LinearizationInfo) {
	for _, ps := range info.PartialLinearizations() {
		slices.SortFunc(ps, func(a, b []int) int {
			if len(a) != len(b) {
				return len(b) - len(a)
			}
			return slices.Compare(a, b)
		})
	}
}

// explainUnknown says that the budget ran out, on which keys, and why their
// log order was no proof.
func explainUnknown(parts [][]porcupine.Operation, undecided []int, werrs []error, budget int) error {
	n := 0
	var keys []string
	for _, p := range undecided {
		n += len(parts[p])
		keys = append(keys, strconv.Quote(parts[p][0].Input.(linInput).key))
	}
	p := undecided[0]
	return fmt.Errorf("inconclusive: search budget of %d steps exhausted on %d operations (key %s; the log order of key %s is no linearization: %v)",
		budget, n, strings.Join(keys, ", "), keys[0], werrs[p])
}

// explainIllegal says why the first key of failing (indices in parts, in
// key order) has no linearization: best, the longest order of its
// operations that the model accepts, and the operations that could come
// next in real time but that the model refuses after it. The other failing
// keys are named.
func explainIllegal(parts [][]porcupine.Operation, failing []int, best []int) error {
	p := failing[0]
	ops := parts[p]
	var b strings.Builder
	fmt.Fprintf(&b, "not linearizable: key %q: no linearization of %d operations: ", ops[0].Input.(linInput).key, len(ops))
	done := make([]bool, len(ops))
	var state any = linState{}
	for _, j := range best {
		done[j] = true
		_, state = linModel.Step(state, ops[j].Input, ops[j].Output)
	}
	if len(best) == 0 {
		b.WriteString("from the initial state {}, ")
	} else {
		b.WriteString("after ")
		shown := best
		if len(best) > 3 {
			fmt.Fprintf(&b, "%d earlier operations then ", len(best)-3)
			shown = best[len(best)-3:]
		}
		for i, j := range shown {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(describeOp(ops[j]))
		}
		fmt.Fprintf(&b, " (leaving %s), ", linModel.DescribeState(state))
	}
	var next []int
	for i, op := range ops {
		if done[i] {
			continue
		}
		ready := true
		for j, o := range ops {
			if !done[j] && o.Return < op.Call {
				ready = false
				break
			}
		}
		if !ready {
			continue
		}
		if ok, _ := linModel.Step(state, op.Input, op.Output); !ok {
			next = append(next, i)
		}
	}
	b.WriteString("none of these can come next: ")
	for i, j := range next {
		if i == 4 {
			fmt.Fprintf(&b, "; and %d more", len(next)-4)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(describeOp(ops[j]))
	}
	if len(failing) > 1 {
		b.WriteString(" (also failing: key")
		if len(failing) > 2 {
			b.WriteString("s")
		}
		for i, q := range failing[1:] {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, " %q", parts[q][0].Input.(linInput).key)
		}
		b.WriteString(")")
	}
	return errors.New(b.String())
}

// describeIO renders a request and its answer as the trace does:
// GET "a" -> "val_3", PUT "a" = "v" -> key already exists: a, and
// DELETE "a" -> no answer for an indeterminate one.
func describeIO(in linInput, out linOutput) string {
	if !out.answered {
		return in.text() + " -> no answer"
	}
	return in.text() + " -> " + out.res.text(in.op)
}

// text renders the request as Command.Text does.
func (in linInput) text() string {
	var t sim.Table
	return protocol.Command{Op: in.op, Key: t.Intern(in.key), Value: t.Intern(in.value)}.Text(&t)
}

// text renders the answer to an op as kv.Answer does.
func (r linRes) text(op protocol.Op) string {
	switch {
	case !r.ok:
		return r.err
	case op == protocol.Get:
		return strconv.Quote(r.value)
	}
	return "OK"
}

// describeOp renders an operation for a message: client1 #2 GET "a" ->
// "val_3" [1ms, 3ms], with "-" for the return of an unanswered one.
func describeOp(op porcupine.Operation) string {
	m := op.Metadata.(linMeta)
	ret := "-"
	if m.answered {
		ret = m.ret.String()
	}
	return m.client + " #" + strconv.FormatUint(m.seq, 10) + " " +
		describeIO(op.Input.(linInput), op.Output.(linOutput)) + " [" + m.call.String() + ", " + ret + "]"
}
