package check

import (
	"fmt"
	"slices"

	"github.com/anishathalye/porcupine"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
)

// linSearch decides whether one key's operations (a partition, in
// invocation order) are linearizable, by the Wing-Gong search with Lowe's
// memoisation (the algorithm porcupine implements), spending at most budget
// steps. It is written here rather than taken from porcupine because
// porcupine can only be bounded by wall-clock time, and a verdict must not
// depend on the machine: the same operations and budget always give the
// same outcome, best and steps.
//
// A step is one move of the search (try the next operation, or take one
// back), charged one unit per 64 operations of the key, since that is what
// each move costs in hashing the set of operations linearized so far; the
// memo holds at most one set per step, so the budget bounds memory too.
//
// The outcome is porcupine.Ok, porcupine.Illegal (every order was refuted;
// best is then the longest order of operations, by index in ops, that the
// model accepted, the lexicographically smallest of those found), or
// porcupine.Unknown (the budget ran out first). An operation that was never
// answered returns at +infinity and fits any state, as in linModel. The
// search starts from the key's state init (linState{}: absent).
func linSearch(ops []porcupine.Operation, init linState, budget int) (outcome porcupine.CheckResult, best []int, steps int) {
	n := len(ops)
	if n == 0 {
		return porcupine.Ok, nil, 0
	}
	s := newLinSearcher(ops)
	w := len(s.bits)
	var stack []linFrame
	bestSet := false
	record := func() {
		if !bestSet || len(stack) > len(best) || len(stack) == len(best) && s.less(stack, best) {
			best = best[:0]
			for _, f := range stack {
				best = append(best, int(s.es[f.call].op))
			}
			bestSet = true
		}
	}
	head, tail := int32(0), int32(2*n+1)
	state := linAbsent
	if init.present {
		state = s.valueID(init.value)
	}
	cur := s.es[head].next
	for s.es[head].next != tail {
		if steps >= budget {
			return porcupine.Unknown, best, steps
		}
		steps += w
		if cur == tail {
			panic(fmt.Sprintf("check: linearizability search ran off the end of %d operations with %d linearized", n, len(stack)))
		}
		e := s.es[cur]
		if !e.ret {
			ok, next := s.step(state, int(e.op))
			if ok {
				s.set(int(e.op))
				if s.cache.insert(s.bits, next) {
					stack = append(stack, linFrame{call: cur, state: state})
					state = next
					s.lift(cur)
					cur = s.es[head].next
					continue
				}
				s.clear(int(e.op))
			}
			cur = e.next
			continue
		}
		// The first return still listed: its operation has to be
		// linearized before it and is not, so take the last choice back.
		record()
		if len(stack) == 0 {
			return porcupine.Illegal, best, steps
		}
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		state = top.state
		s.clear(int(s.es[top.call].op))
		s.unlift(top.call)
		cur = s.es[top.call].next
	}
	best = best[:0]
	for _, f := range stack {
		best = append(best, int(s.es[f.call].op))
	}
	return porcupine.Ok, best, steps
}

// less reports whether the operations of stack come before best, of the
// same length, in lexicographic order.
func (s *linSearcher) less(stack []linFrame, best []int) bool {
	for i, f := range stack {
		if op := int(s.es[f.call].op); op != best[i] {
			return op < best[i]
		}
	}
	return false
}

// linFrame is one choice of the search: the call entry linearized and the
// state before it.
type linFrame struct {
	call  int32
	state int32
}

// linAbsent is the state of a key that holds no value; a state s >= 0 is
// the key holding the value linSearcher.vals[s].
const linAbsent = int32(-1)

// linEntry is a call or a return of an operation in the search's doubly
// linked list of entries in time order.
type linEntry struct {
	op         int32
	ret        bool
	prev, next int32
	match      int32 // the other entry of the same operation
}

// linSearcher is the search's state for one key.
type linSearcher struct {
	key   string
	ins   []linInput
	outs  []linOutput
	putID []int32  // the value id a put writes; -1 for others
	vals  []string // the values put (and the initial one), by id
	ids   map[string]int32
	es    []linEntry
	bits  []uint64 // the operations linearized
	cache linCache
}

func newLinSearcher(ops []porcupine.Operation) *linSearcher {
	n := len(ops)
	s := &linSearcher{
		ins:   make([]linInput, n),
		outs:  make([]linOutput, n),
		putID: make([]int32, n),
		es:    make([]linEntry, 2*n+2),
		bits:  make([]uint64, (n+63)/64),
	}
	s.cache.w = len(s.bits)
	s.ids = make(map[string]int32)
	type event struct {
		t   int64
		op  int32
		ret bool
	}
	evs := make([]event, 0, 2*n)
	for i, op := range ops {
		s.ins[i] = op.Input.(linInput)
		s.outs[i] = op.Output.(linOutput)
		s.putID[i] = -1
		if in := s.ins[i]; in.op == protocol.Put {
			s.putID[i] = s.valueID(in.value)
		}
		evs = append(evs, event{op.Call, int32(i), false}, event{op.Return, int32(i), true})
	}
	s.key = s.ins[0].key
	// Timestamps are distinct (see linClock) except linNever, the return
	// of every unanswered operation, where the index breaks the tie.
	slices.SortFunc(evs, func(a, b event) int {
		if a.t != b.t {
			if a.t < b.t {
				return -1
			}
			return 1
		}
		return int(a.op) - int(b.op)
	})
	callAt := make([]int32, n)
	for k, ev := range evs {
		idx := int32(k + 1)
		s.es[idx] = linEntry{op: ev.op, ret: ev.ret, prev: idx - 1, next: idx + 1}
		if !ev.ret {
			callAt[ev.op] = idx
		} else {
			c := callAt[ev.op]
			s.es[idx].match, s.es[c].match = c, idx
		}
	}
	s.es[0] = linEntry{op: -1, prev: -1, next: 1}
	s.es[2*n+1] = linEntry{op: -1, prev: int32(2 * n), next: -1}
	return s
}

// valueID is the state of the key holding v.
func (s *linSearcher) valueID(v string) int32 {
	id, ok := s.ids[v]
	if !ok {
		id = int32(len(s.vals))
		s.ids[v] = id
		s.vals = append(s.vals, v)
	}
	return id
}

// step applies operation i to state with linApply, the model: it reports
// whether the operation's answer is the model's (any answer fits an
// unanswered one) and the state after it.
func (s *linSearcher) step(state int32, i int) (bool, int32) {
	st := linState{}
	if state != linAbsent {
		st = linState{key: s.key, value: s.vals[state], present: true}
	}
	next, res := linApply(st, s.ins[i])
	if out := s.outs[i]; out.answered && out.res != res {
		return false, state
	}
	switch {
	case !next.present:
		return true, linAbsent
	case st.present:
		return true, state // a get, or a put that found the key
	}
	return true, s.putID[i]
}

func (s *linSearcher) set(i int)   { s.bits[i/64] |= 1 << (i % 64) }
func (s *linSearcher) clear(i int) { s.bits[i/64] &^= 1 << (i % 64) }

// lift takes an operation's call entry c and its return out of the list.
func (s *linSearcher) lift(c int32) {
	e := &s.es[c]
	s.es[e.prev].next, s.es[e.next].prev = e.next, e.prev
	r := &s.es[e.match]
	s.es[r.prev].next, s.es[r.next].prev = r.next, r.prev
}

// unlift puts back what lift took out, the last lifted first.
func (s *linSearcher) unlift(c int32) {
	e := &s.es[c]
	r := &s.es[e.match]
	s.es[r.prev].next, s.es[r.next].prev = e.match, e.match
	s.es[e.prev].next, s.es[e.next].prev = c, c
}

// linCache is the search's memo: the set of (operations linearized, state)
// pairs already reached, in an open-addressing table over one flat arena,
// so that an entry costs w+1 words and no pointer.
type linCache struct {
	w     int      // words per set
	arena []uint64 // entry k is arena[k*(w+1):(k+1)*(w+1)]: the set, then the state
	slots []int32  // 0: empty; else an entry's index + 1
	n     int      // entries
}

// insert adds (bits, state) and reports whether it was new.
func (c *linCache) insert(bits []uint64, state int32) bool {
	if 2*(c.n+1) > len(c.slots) {
		c.grow()
	}
	h := linHash(bits, state)
	mask := uint64(len(c.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		k := c.slots[i]
		if k == 0 {
			c.arena = append(c.arena, bits...)
			c.arena = append(c.arena, uint64(uint32(state)))
			c.n++
			c.slots[i] = int32(c.n)
			return true
		}
		if c.equal(int(k-1), bits, state) {
			return false
		}
	}
}

func (c *linCache) equal(k int, bits []uint64, state int32) bool {
	e := c.arena[k*(c.w+1) : (k+1)*(c.w+1)]
	return e[c.w] == uint64(uint32(state)) && slices.Equal(e[:c.w], bits)
}

func (c *linCache) grow() {
	size := max(64, 2*len(c.slots))
	c.slots = make([]int32, size)
	mask := uint64(size - 1)
	for k := range c.n {
		e := c.arena[k*(c.w+1) : (k+1)*(c.w+1)]
		i := linHash(e[:c.w], int32(uint32(e[c.w]))) & mask
		for c.slots[i] != 0 {
			i = (i + 1) & mask
		}
		c.slots[i] = int32(k + 1)
	}
}

// linHash mixes a set and a state into 64 bits (any fixed function works:
// equal entries are compared in full).
func linHash(bits []uint64, state int32) uint64 {
	h := uint64(uint32(state)) ^ 0x9e3779b97f4a7c15
	for _, b := range bits {
		h ^= b
		h *= 0xbf58476d1ce4e5b9
		h ^= h >> 31
	}
	h *= 0x94d049bb133111eb
	return h ^ h>>29
}
