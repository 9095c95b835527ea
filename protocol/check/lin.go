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
	// search budget ran out, or a key to search was only partly retained:
	// inconclusive, which is never to be read as ok).
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
	// which were searched (or, too little of them retained, could not
	// be); the others were proven by their witness.
	Searched int
	// Budget is the number of search steps the check could spend; Steps
	// those it spent.
	Budget, Steps int

	err     error    // the explanation when Outcome is not Ok
	recs    []linRec // the operations kept, for the picture; client is porcupine's ClientId
	texts   []string // the texts of the symbols recs use, by symbol
	clients []string // client names by porcupine ClientId
	clock   linClock // how virtual times become porcupine's
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
// (nil: "node<id>"). log is the log order (each slot's first command, as
// the cluster's log watch gives it), as a hint; budget bounds the search in steps (below 1:
// DefaultLinBudget). The verdict is a function of h, the names, log and
// budget alone: the same inputs always give the same result, on any machine
// under any load.
//
// It feeds a LinStream, which is the check (see there): the history first,
// then the log, keeping every operation, since h holds them all anyway.
//
// Linearizability is local (Herlihy and Wing, 1990, section 3.3):
// operations on different keys never interact, so the history is split by
// key and each key is judged on its own.
//
// First the witness: the log's order is a candidate linearization, checked
// in linear time, relying on nothing but h (every operation it places is
// one of h's, real-time order is h's, the answers are the model's). A
// verified witness is a proof.
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
	s := NewLinStream(n, budget, max(DefaultLinRetain, len(h)))
	s.feed(h, log)
	return s.Result()
}

// feed gives s the history h, then the log order log.
func (s *LinStream) feed(h []kv.HistoryEvent, log []protocol.Command) {
	for _, e := range h {
		if e.Invoke {
			s.Invoke(e.T, e.Client, e.Op)
		} else {
			s.Return(e.T, e.Client, e.Ret)
		}
	}
	for _, cmd := range log {
		s.Apply(cmd)
	}
}

// Result judges the history and the log fed so far. It changes nothing in
// the stream, so it may be asked during a run as well as at its end, and
// the result owns its data: later events and Reset leave it as it is.
//
// Each key whose witness failed is searched: from the initial state with
// all its operations if none was dropped, which decides it; otherwise from
// its cut (linKey.mark), the last point its witness had proven, with the
// operations after it, if all of those were kept. A pass from the cut is a
// proof; a failure from it is inconclusive, and so is a key with operations
// dropped after its cut.
func (s *LinStream) Result() LinResult {
	r := LinResult{Budget: s.budget}
	if s.bad != nil {
		r.Outcome, r.err = porcupine.Illegal, s.bad
		return r
	}
	r.Ops, r.Indeterminate = int(s.ops), int(s.ops-s.done)
	s.snapshot(&r)
	keys := s.keysByText()
	r.Keys = len(keys)
	werrs := s.witnessErrs(keys)
	var todo []int // positions in keys
	for p, err := range werrs {
		if err != nil {
			todo = append(todo, p)
		}
	}
	r.Searched = len(todo)
	if len(todo) == 0 {
		r.Outcome = porcupine.Ok
		return r
	}

	// The operations of each key to search, from the records kept.
	for _, k := range s.touched {
		s.keys[k].pos = -1
	}
	for t, p := range todo {
		s.keys[keys[p]].pos = int32(t)
	}
	byKey := make([][]int, len(todo)) // indices in r.recs
	for i := range r.recs {
		if t := s.keys[r.recs[i].key].pos; t >= 0 {
			byKey[t] = append(byKey[t], i)
		}
	}
	type search struct {
		ops    []porcupine.Operation // all the key's operations, or those after its cut
		init   linState
		cut    bool // from the cut: only a pass decides
		noCut  bool // operations after the cut were dropped: nothing to search
		result porcupine.CheckResult
		best   []int
	}
	ss := make([]search, len(todo))
	for t, p := range todo {
		k := &s.keys[keys[p]]
		idx := byKey[t]
		slices.SortFunc(idx, func(a, b int) int { return cmpInt64(r.recs[a].callIdx, r.recs[b].callIdx) })
		sr := &ss[t]
		switch {
		case k.dropped == 0:
		case k.droppedMax <= k.cutSerial:
			sr.cut = true
			if k.cutPresent {
				sr.init = linState{key: s.text(keys[p]), value: s.text(k.cutValue), present: true}
			}
			idx = slices.DeleteFunc(idx, func(i int) bool {
				at := r.recs[i].placedAt
				return at != 0 && at <= k.cutSerial
			})
		default:
			sr.noCut = true
			continue
		}
		sr.ops = make([]porcupine.Operation, len(idx))
		for j, i := range idx {
			sr.ops[j] = r.operation(&r.recs[i])
		}
	}
	order := make([]int, 0, len(todo))
	for t := range ss {
		if !ss[t].noCut {
			order = append(order, t)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(ss[a].ops) - len(ss[b].ops) })
	for _, t := range order {
		var steps int
		ss[t].result, ss[t].best, steps = linSearch(ss[t].ops, ss[t].init, s.budget-r.Steps)
		r.Steps += steps
	}

	var failing, undecided, partial []int // indices in ss, in key order
	for t, sr := range ss {
		switch {
		case sr.noCut, sr.cut && sr.result == porcupine.Illegal:
			partial = append(partial, t)
		case sr.result == porcupine.Illegal:
			failing = append(failing, t)
		case sr.result == porcupine.Unknown:
			undecided = append(undecided, t)
		}
	}
	parts := make([][]porcupine.Operation, len(ss))
	tw := make([]error, len(ss))
	for t, sr := range ss {
		parts[t], tw[t] = sr.ops, werrs[todo[t]]
	}
	switch {
	case len(failing) > 0:
		r.Outcome, r.err = porcupine.Illegal, explainIllegal(parts, failing, ss[failing[0]].best)
	case len(undecided) > 0:
		r.Outcome, r.err = porcupine.Unknown, explainUnknown(parts, undecided, tw, s.budget)
	case len(partial) > 0:
		t := partial[0]
		p := todo[t]
		var others []string
		for _, q := range partial[1:] {
			others = append(others, strconv.Quote(s.text(keys[todo[q]])))
		}
		why := "some were dropped after the last point its log order proved, so there is nothing sound to search from"
		if !ss[t].noCut {
			why = fmt.Sprintf("its %d operations after the last point its log order proved have no linearization from the state there, %s, which proves nothing: another order of the operations before may leave another state",
				len(ss[t].ops), linModel.DescribeState(ss[t].init))
		}
		r.Outcome, r.err = porcupine.Unknown, explainPartial(s.text(keys[p]), &s.keys[keys[p]], s.retain, werrs[p], why, others)
	default:
		r.Outcome = porcupine.Ok
	}
	return r
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// keysByText is the keys with operations, in the order of their texts.
func (s *LinStream) keysByText() []sim.Sym {
	var keys []sim.Sym
	for _, k := range s.touched {
		if s.keys[k].ops > 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b sim.Sym) int { return strings.Compare(s.text(a), s.text(b)) })
	return keys
}

// witnessErrs is, for each of keys, why its witness failed, nil if it did
// not: the first failure seen, or else the first answered operation (in
// invocation order) that the log has not placed.
func (s *LinStream) witnessErrs(keys []sim.Sym) []error {
	for _, k := range s.touched {
		s.keys[k].pos = -1
	}
	for p, k := range keys {
		s.keys[k].pos = int32(p)
	}
	errs := make([]error, len(keys))
	unplaced := make([]int32, len(keys))
	for p, k := range keys {
		errs[p] = s.keys[k].err
		unplaced[p] = -1
	}
	for ci := range s.clients {
		for r := s.clients[ci].head; r >= 0; r = s.recs[r].next {
			rec := &s.recs[r]
			p := s.keys[rec.key].pos
			if !rec.has(recAnswered) || errs[p] != nil {
				continue
			}
			if u := unplaced[p]; u < 0 || rec.callIdx < s.recs[u].callIdx {
				unplaced[p] = r
			}
		}
	}
	for p, u := range unplaced {
		if u >= 0 && errs[p] == nil {
			errs[p] = fmt.Errorf("%s was answered but is not in the log", s.describe(&s.recs[u]))
		}
	}
	return errs
}

// snapshot copies into r what the picture and the search need of the
// records kept and in flight, texts resolved now: a sweep may reuse the
// names' symbols for its next run.
func (s *LinStream) snapshot(r *LinResult) {
	byID := make([]int32, len(s.clients))
	for i := range byID {
		byID[i] = int32(i)
	}
	slices.SortFunc(byID, func(a, b int32) int { return int(s.clients[a].id) - int(s.clients[b].id) })
	rank := make([]int32, len(s.clients))
	r.clients = make([]string, len(s.clients))
	for j, ci := range byID {
		rank[ci] = int32(j)
		r.clients[j] = s.names.Name(s.clients[ci].id)
	}
	r.recs = make([]linRec, 0, s.live)
	var top sim.Sym
	for i := range s.recs {
		rec := s.recs[i]
		if !rec.has(recLive) {
			continue
		}
		rec.client = rank[rec.client]
		r.recs = append(r.recs, rec)
		top = max(top, rec.key, rec.value, rec.ans.sym)
	}
	r.texts = make([]string, int(top)+1)
	for i := range r.recs {
		rec := &r.recs[i]
		for _, y := range [...]sim.Sym{rec.key, rec.value, rec.ans.sym} {
			if y != 0 && r.texts[y] == "" {
				r.texts[y] = s.names.Symbol(y)
			}
		}
	}
	r.clock = linClockFor(s.events, s.lastT)
}

// text is the text of symbol y of r's records.
func (r *LinResult) text(y sim.Sym) string { return r.texts[y] }

// operation is record rec of r as porcupine's operation.
func (r *LinResult) operation(rec *linRec) porcupine.Operation {
	return linOp(rec, r.text, r.clients[rec.client], int(rec.client), r.clock)
}

// operations is every record of r as porcupine's operations, in
// invocation order.
func (r *LinResult) operations() []porcupine.Operation {
	idx := make([]int, len(r.recs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmpInt64(r.recs[a].callIdx, r.recs[b].callIdx) })
	ops := make([]porcupine.Operation, len(idx))
	for j, i := range idx {
		ops[j] = r.operation(&r.recs[i])
	}
	return ops
}

// linOp is the porcupine operation of rec, with texts from text, its
// client named client with porcupine id id, and timestamps from c.
func linOp(rec *linRec, text func(sim.Sym) string, client string, id int, c linClock) porcupine.Operation {
	in := linInput{op: rec.op, key: text(rec.key)}
	if rec.op == protocol.Put {
		in.value = text(rec.value)
	}
	op := porcupine.Operation{
		ClientId: id,
		Input:    in,
		Call:     c.stamp(rec.callIdx, rec.callT),
		Output:   linOutput{},
		Return:   linNever,
	}
	m := linMeta{client: client, seq: rec.seq, call: rec.callT}
	if rec.has(recAnswered) {
		op.Output = linOutput{answered: true, res: linResOf(rec.ans, text)}
		op.Return = c.stamp(rec.retIdx, rec.retT)
		m.ret, m.answered = rec.retT, true
	}
	op.Metadata = m
	return op
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
	n     int64      // the history's events
	idx   []int64    // for at, ordinal: the events known, in order (nil: all of them)
	ts    []sim.Time // and their times
}

// linNever is the return timestamp of an indeterminate operation.
const linNever = math.MaxInt64

// linClockFor is the clock of a history of n events, the last at time
// last.
func linClockFor(n int64, last sim.Time) linClock {
	scale := int64(10)
	for scale <= n {
		scale *= 10
	}
	c := linClock{n: n}
	if n == 0 || int64(last) <= (linNever-1-n)/scale {
		c.scale = scale
	}
	return c
}

// stamp is the timestamp of the history's i-th event, at time t.
func (c linClock) stamp(i int64, t sim.Time) int64 {
	if c.scale == 0 {
		return 2*i + 2
	}
	return int64(t)*c.scale + i + 1
}

// at is the timestamp of an annotation at virtual time t: after the events
// before t, before those at t or later (of those in ts, when ordinal).
func (c linClock) at(t sim.Time) int64 {
	if c.scale == 0 {
		k := sort.Search(len(c.ts), func(i int) bool { return c.ts[i] >= t })
		i := int64(k)
		switch {
		case k == len(c.ts) && c.idx != nil:
			i = c.n
		case c.idx != nil:
			i = c.idx[k]
		}
		return 2*i + 1
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

// explainPartial says that key k, named key, could not be decided because
// it was only partly retained, and why (why); others are the other keys
// left so, quoted.
func explainPartial(key string, k *linKey, retain int, werr error, why string, others []string) error {
	var also string
	if len(others) > 0 {
		also = " (also key " + strings.Join(others, ", ") + ")"
	}
	return fmt.Errorf("inconclusive: key %q was only partly retained (%d of its %d operations dropped, retain %d) and its log order is no linearization: %v; %s%s",
		key, k.dropped, k.ops, retain, werr, why, also)
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
	if core := linCore(ops); core != nil {
		fmt.Fprintf(&b, "; the writes and the fewest other operations that cannot be ordered (%d): ", len(core))
		for i, j := range core {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(describeOp(ops[j]))
		}
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

// linCoreMax and linCoreBudget bound linCore: it shrinks keys of at most
// linCoreMax operations, each candidate searched with linCoreBudget steps.
const (
	linCoreMax    = 64
	linCoreBudget = 1 << 16
)

// linCore is a smallest set of ops (indices, in order) that has no
// linearization, for a failure's text: every operation that may have
// changed the key (a put or a delete that succeeded, or whose answer never
// came), and of the others the fewest that still cannot be ordered with
// them: reads and failed writes are taken out one at a time while the rest
// still has none, until each one left is needed. Only operations that
// change nothing are taken out, so the set never fails for want of a write
// that the history has. A part of a history that cannot be ordered is a
// proof that the history cannot be: a linearization of the whole,
// restricted to the part, would order it. nil when ops are too many, or
// nothing could be taken out. It depends on ops alone.
func linCore(ops []porcupine.Operation) []int {
	if len(ops) > linCoreMax {
		return nil
	}
	keep := make([]int, len(ops))
	for i := range keep {
		keep[i] = i
	}
	sub := make([]porcupine.Operation, 0, len(ops))
	for i := 0; i < len(keep); {
		if op := ops[keep[i]]; linMayWrite(op) {
			i++
			continue
		}
		sub = sub[:0]
		for k, j := range keep {
			if k != i {
				sub = append(sub, ops[j])
			}
		}
		if res, _, _ := linSearch(sub, linState{}, linCoreBudget); res == porcupine.Illegal {
			keep = append(keep[:i], keep[i+1:]...)
			continue
		}
		i++
	}
	if len(keep) == len(ops) {
		return nil
	}
	return keep
}

// linMayWrite reports whether op may have changed its key: a put or a
// delete that succeeded or got no answer.
func linMayWrite(op porcupine.Operation) bool {
	in, out := op.Input.(linInput), op.Output.(linOutput)
	return in.op != protocol.Get && (!out.answered || out.res.ok)
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
