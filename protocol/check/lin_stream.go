package check

import (
	"fmt"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// DefaultLinRetain is how many completed operations a LinStream keeps, when
// not told, for a fallback search and for the picture: 2^20, which holds a
// whole 1M-operation run, at 88 bytes a record (and as much again in the
// LinResult, which owns a copy).
const DefaultLinRetain = 1 << 20

// LinStream checks linearizability online, as a run goes: it is fed the
// client history (Invoke, Return, in time order) and the reference log
// (Apply, in slot order), interleaved in any order consistent with the
// run, and judges at Result. It is the one implementation of the check;
// Linearizable feeds it a recorded history.
//
// The log's order is a candidate witness, verified as it arrives, key by
// key (linearizability is local: Herlihy and Wing, 1990, section 3.3): each
// placed operation's answer is the model's in log order (kv.Store.Apply on
// the one key); no operation is placed after one that returned before it
// was invoked (real time, by the history's order of events); every
// answered operation is placed. An operation without an answer may be
// placed (it took effect there) or not (it never did). Everything relied
// on is checked, so a verified witness is a proof; the log is only a hint.
// Only keys whose witness fails are searched, at Result (linSearch).
//
// Work is O(1) amortised per event on integer-indexed tables (clients by
// node id, keys by symbol), with no allocation in steady state. An
// operation's record is dropped once nothing can depend on it, that is once
// it is answered (or abandoned by a restarted client) and the log has
// placed or passed over it; the last retain of those are kept, for the
// search and the picture. Memory is O(operations in flight + retain).
// Where a key to search was only partly kept, it is searched from its cut
// (see linKey.mark) if it has one after what was dropped: a pass is a
// proof, anything else inconclusive.
//
// A LinStream is not safe for concurrent use.
type LinStream struct {
	names  sim.Names
	budget int
	retain int

	bad    error    // the first malformed event: the verdict
	events int64    // history events so far
	lastT  sim.Time // the time of the last one
	slots  int64    // log slots so far
	ops    int64    // operations invoked
	done   int64    // operations answered

	recs []linRec // the records, live or free
	free []int32  // free records
	live int      // records in use: in flight, or kept

	ring           []int32 // the completed records kept, oldest first from ringHead
	ringHead, kept int

	clients   []linClient
	clientOf  []int32 // by node id: index in clients + 1; 0: none
	clientMap map[sim.NodeID]int32
	keys      []linKey  // by key symbol
	touched   []sim.Sym // the keys with state, for Result and Reset
}

// linClientDense bounds the node ids that clientOf indexes directly; others
// (negative or huge) go through clientMap.
const linClientDense = 1 << 20

// linRec is one operation: its request, its answer, where the log put it.
type linRec struct {
	callIdx, retIdx int64 // history events of the invoke and the return; retIdx -1: none
	callT, retT     sim.Time
	seq             uint64
	// placedAt is the key's count of log passes (linKey.serial) when the log
	// placed the operation or passed over it (superseded); 0 before.
	placedAt   int64
	client     int32 // index in LinStream.clients; in a LinResult, porcupine's ClientId
	key, value sim.Sym
	next       int32  // the client's next record waiting for the log; -1: none
	gen        uint32 // bumped when the record is freed
	ans        linAns // the answer, when answered
	want       linAns // the model's answer, when placed before answered
	op         protocol.Op
	flags      uint8
}

const (
	recLive      uint8 = 1 << iota // in use
	recAnswered                    // returned
	recAbandoned                   // its client invoked its next request first: never returns
	recLogDone                     // the log placed it or passed over it
	recWitness                     // placed by the witness: want is the model's answer
)

func (r *linRec) has(f uint8) bool { return r.flags&f != 0 }

// settled reports whether nothing can happen to the operation any more.
func (r *linRec) settled() bool {
	return r.has(recAnswered|recAbandoned) && r.has(recLogDone)
}

// limbo reports whether the operation keeps its key from having a cut (see
// linKey.mark): placed but still waiting for its answer, or answered but not
// yet placed.
func (r *linRec) limbo() bool {
	if r.has(recLogDone) {
		return !r.has(recAnswered | recAbandoned)
	}
	return r.has(recAnswered)
}

// linAns is an answer as the stream compares it: ok with a get's value
// (0 for none), or not ok with an error code and the key its text names.
type linAns struct {
	sym  sim.Sym
	ok   bool
	code protocol.ErrCode
}

// answerOf is r as a linAns.
func answerOf(r kv.Ret) linAns {
	if !r.OK {
		return linAns{code: r.Err, sym: r.Key}
	}
	if !r.HasValue {
		return linAns{ok: true}
	}
	return linAns{ok: true, sym: r.Value}
}

// linClient is what the stream knows of a client.
type linClient struct {
	id         sim.NodeID
	invoked    bool
	lastInv    uint64 // the last request invoked
	applied    uint64 // the last request the log applied; 0: none (requests count from 1)
	cur        int32  // the request outstanding; -1: none
	head, tail int32  // the records waiting for the log, oldest first; -1: none
}

// NewLinStream returns an empty stream. n names clients and resolves
// symbols (nil: "node<id>"); budget bounds the fallback search in steps
// (below 1: DefaultLinBudget); retain is how many completed operations
// may be kept for the search and the picture (negative: DefaultLinRetain).
func NewLinStream(n sim.Names, budget int, retain int) *LinStream {
	if n == nil {
		n = &sim.Table{}
	}
	if budget < 1 {
		budget = DefaultLinBudget
	}
	if retain < 0 {
		retain = DefaultLinRetain
	}
	return &LinStream{names: n, budget: budget, retain: retain}
}

// Reset empties the stream for another run, keeping its names, budget,
// retain and memory.
func (s *LinStream) Reset() {
	for _, k := range s.touched {
		s.keys[k] = linKey{}
	}
	s.touched = s.touched[:0]
	for _, c := range s.clients {
		if c.id >= 0 && c.id < linClientDense {
			s.clientOf[c.id] = 0
		}
	}
	clear(s.clientMap)
	s.clients = s.clients[:0]
	s.recs, s.free, s.live = s.recs[:0], s.free[:0], 0
	s.ringHead, s.kept = 0, 0
	s.bad, s.events, s.lastT, s.slots, s.ops, s.done = nil, 0, 0, 0, 0, 0
}

// Invoke records that client invoked op at time t. A client's requests
// are numbered upwards; a new one while the last is unanswered means the
// client restarted and abandoned that one, which stays indeterminate.
func (s *LinStream) Invoke(t sim.Time, client sim.NodeID, op kv.Op) {
	i := s.event(t, client)
	if s.bad != nil {
		return
	}
	ci := s.clientIndex(client, true)
	c := &s.clients[ci]
	if c.invoked && op.ID <= c.lastInv {
		if op.ID == c.lastInv {
			s.malformed(i, t, client, "invokes #%d a second time", op.ID)
		} else {
			s.malformed(i, t, client, "invokes #%d after #%d (request numbers must increase)", op.ID, c.lastInv)
		}
		return
	}
	switch op.Op {
	case protocol.Put, protocol.Get, protocol.Delete:
	default:
		s.malformed(i, t, client, "invokes #%d with unknown op %q (want put, get or delete)", op.ID, op.Op.String())
		return
	}
	if c.cur >= 0 {
		// A restarted client moves on: its request in flight stays
		// unanswered for good, and may still take effect.
		prev := c.cur
		c.cur = -1
		s.update(prev, recAbandoned)
	}
	c.invoked, c.lastInv = true, op.ID
	r := s.alloc()
	rec := &s.recs[r]
	value := op.Value
	if op.Op != protocol.Put {
		value = 0
	}
	*rec = linRec{
		callIdx: i, retIdx: -1, callT: t, retT: 0, seq: op.ID,
		client: ci, key: op.Key, value: value, next: -1, gen: rec.gen,
		op: op.Op, flags: recLive,
	}
	c = &s.clients[ci]
	c.cur = r
	if c.tail >= 0 {
		s.recs[c.tail].next = r
	} else {
		c.head = r
	}
	c.tail = r
	s.key(op.Key).ops++
	s.ops++
}

// Return records that client got the answer r at time t, to its request
// outstanding: once a client invoked its next request, the previous one
// can no longer be answered.
func (s *LinStream) Return(t sim.Time, client sim.NodeID, r kv.Ret) {
	i := s.event(t, client)
	if s.bad != nil {
		return
	}
	ci := s.clientIndex(client, false)
	if ci < 0 || s.clients[ci].cur < 0 || s.recs[s.clients[ci].cur].seq != r.ID {
		s.malformed(i, t, client, "returns #%d, which is not outstanding", r.ID)
		return
	}
	c := &s.clients[ci]
	idx := c.cur
	c.cur = -1
	rec := &s.recs[idx]
	rec.retIdx, rec.retT, rec.ans = i, t, answerOf(r)
	s.done++
	s.update(idx, recAnswered)
}

// Apply records the command of the next slot of the reference log: the
// first application of each slot, in slot order. A request's Apply never
// comes before its Invoke.
func (s *LinStream) Apply(cmd protocol.Command) {
	s.slots++
	slot := s.slots
	if s.bad != nil || cmd.Op == protocol.Noop {
		return
	}
	n := s.names
	if !cmd.HasClient() {
		s.fail(cmd.Key, fmt.Errorf("slot %d holds %s #%d %s, which was never invoked", slot, "", cmd.Seq, cmd.Text(n)))
		return
	}
	ci := s.clientIndex(cmd.Client, false)
	if ci < 0 {
		s.fail(cmd.Key, fmt.Errorf("slot %d holds %s #%d %s, which was never invoked", slot, n.Name(cmd.Client), cmd.Seq, cmd.Text(n)))
		return
	}
	c := &s.clients[ci]
	if cmd.Seq <= c.applied {
		return // a retry, or an old request arriving late: no effect
	}
	c.applied = cmd.Seq
	for c.head >= 0 && s.recs[c.head].seq < cmd.Seq {
		s.supersede(s.pop(ci))
		c = &s.clients[ci]
	}
	if c.head < 0 || s.recs[c.head].seq != cmd.Seq {
		s.fail(cmd.Key, fmt.Errorf("slot %d holds %s #%d %s, which was never invoked", slot, n.Name(cmd.Client), cmd.Seq, cmd.Text(n)))
		return
	}
	s.place(s.pop(ci), cmd, slot)
}

// event counts a history event and checks its time, returning its index.
func (s *LinStream) event(t sim.Time, client sim.NodeID) int64 {
	i := s.events
	s.events++
	if s.bad != nil {
		return i
	}
	prev := s.lastT
	if i == 0 {
		prev = t
	}
	if t < 0 || t < prev {
		s.malformed(i, t, client, "is out of time order (after %v)", prev)
	}
	s.lastT = t
	return i
}

func (s *LinStream) malformed(i int64, t sim.Time, client sim.NodeID, format string, args ...any) {
	s.bad = fmt.Errorf("malformed history: event %d at %v: %s %s", i, t, s.names.Name(client), fmt.Sprintf(format, args...))
}

// clientIndex is client's index in s.clients; -1 for one never seen,
// unless add.
func (s *LinStream) clientIndex(client sim.NodeID, add bool) int32 {
	if client >= 0 && client < linClientDense {
		if int(client) < len(s.clientOf) && s.clientOf[client] > 0 {
			return s.clientOf[client] - 1
		}
		if !add {
			return -1
		}
		if int(client) >= len(s.clientOf) {
			s.clientOf = append(s.clientOf, make([]int32, int(client)+1-len(s.clientOf))...)
		}
		s.clientOf[client] = int32(len(s.clients)) + 1
	} else {
		if ci, ok := s.clientMap[client]; ok {
			return ci
		}
		if !add {
			return -1
		}
		if s.clientMap == nil {
			s.clientMap = make(map[sim.NodeID]int32)
		}
		s.clientMap[client] = int32(len(s.clients))
	}
	s.clients = append(s.clients, linClient{id: client, cur: -1, head: -1, tail: -1})
	return int32(len(s.clients) - 1)
}

// key is the state of key k, created on first use.
func (s *LinStream) key(k sim.Sym) *linKey {
	if int(k) >= len(s.keys) {
		s.keys = append(s.keys, make([]linKey, int(k)+1-len(s.keys))...)
	}
	ks := &s.keys[k]
	if !ks.touched {
		*ks = linKey{touched: true, maxCall: -1, maxRec: -1}
		s.touched = append(s.touched, k)
	}
	return ks
}

func (s *LinStream) alloc() int32 {
	s.live++
	if n := len(s.free); n > 0 {
		r := s.free[n-1]
		s.free = s.free[:n-1]
		return r
	}
	s.recs = append(s.recs, linRec{})
	return int32(len(s.recs) - 1)
}

// pop takes the oldest record of client ci waiting for the log.
func (s *LinStream) pop(ci int32) int32 {
	c := &s.clients[ci]
	r := c.head
	c.head = s.recs[r].next
	if c.head < 0 {
		c.tail = -1
	}
	s.recs[r].next = -1
	return r
}

// update sets flag f on record r and does what follows from it: the key's
// count of operations in limbo, its cut, and keeping or dropping the record
// once it is settled.
func (s *LinStream) update(r int32, f uint8) {
	rec := &s.recs[r]
	before := rec.limbo()
	rec.flags |= f
	k := &s.keys[rec.key]
	if f == recAnswered && rec.has(recWitness) && !k.failed && !s.same(rec.want, rec.ans) {
		s.fail(rec.key, fmt.Errorf("in log order, %s gets %s", s.describe(rec), s.resOf(rec.want).text(rec.op)))
	}
	if f == recAnswered && rec.has(recLogDone) && !rec.has(recWitness) && !k.failed {
		// The log passed over it (a later request of its client was
		// applied) before its answer came: only a stream that applies a
		// request before its invoke gets here.
		s.fail(rec.key, fmt.Errorf("%s was answered but is not in the log", s.describe(rec)))
	}
	if after := rec.limbo(); after != before {
		if after {
			k.limbo++
		} else {
			k.limbo--
		}
	}
	k.mark()
	if rec.settled() {
		s.keep(r)
	}
}

// supersede marks a record the log passed over: its client's later request
// was applied first, so it never takes effect.
func (s *LinStream) supersede(r int32) {
	rec := &s.recs[r]
	k := &s.keys[rec.key]
	k.serial++
	rec.placedAt = k.serial
	if rec.has(recAnswered) && !k.failed {
		s.fail(rec.key, fmt.Errorf("%s was answered but is not in the log", s.describe(rec)))
	}
	s.update(r, recLogDone)
}

// keep puts a settled record among those kept, dropping the oldest kept
// one when retain are.
func (s *LinStream) keep(r int32) {
	if s.retain == 0 {
		s.drop(r)
		return
	}
	if s.kept == len(s.ring) && len(s.ring) < s.retain {
		ring := make([]int32, min(max(64, 2*len(s.ring)), s.retain))
		n := copy(ring, s.ring[s.ringHead:])
		copy(ring[n:], s.ring[:s.ringHead])
		s.ring, s.ringHead = ring, 0
	}
	if s.kept == len(s.ring) {
		s.drop(s.ring[s.ringHead])
		s.ring[s.ringHead] = r
		s.ringHead++
		if s.ringHead == len(s.ring) {
			s.ringHead = 0
		}
		return
	}
	j := s.ringHead + s.kept
	if j >= len(s.ring) {
		j -= len(s.ring)
	}
	s.ring[j] = r
	s.kept++
}

// drop forgets a settled record, noting on its key that its history is no
// longer whole.
func (s *LinStream) drop(r int32) {
	rec := &s.recs[r]
	k := &s.keys[rec.key]
	k.dropped++
	k.droppedMax = max(k.droppedMax, rec.placedAt)
	rec.flags = 0
	rec.gen++
	s.free = append(s.free, r)
	s.live--
}

// describe renders a record as failures show it (describeOp).
func (s *LinStream) describe(rec *linRec) string {
	return describeOp(linOp(rec, s.text, s.names.Name(s.clients[rec.client].id), 0, linClock{}))
}

// text is the text of symbol y; the zero symbol is "".
func (s *LinStream) text(y sim.Sym) string {
	if y == 0 {
		return ""
	}
	return s.names.Symbol(y)
}

// same reports whether two answers read the same (by symbol, or failing
// that by their texts, as the history shows them).
func (s *LinStream) same(a, b linAns) bool {
	if a == b {
		return true
	}
	if a.ok != b.ok {
		return false
	}
	if a.ok {
		return s.text(a.sym) == s.text(b.sym)
	}
	return a.code.Text(s.text(a.sym)) == b.code.Text(s.text(b.sym))
}

// resOf is answer a in the history's text.
func (s *LinStream) resOf(a linAns) linRes {
	return linResOf(a, s.text)
}

// linResOf is answer a as the model compares it, texts from text.
func linResOf(a linAns, text func(sim.Sym) string) linRes {
	if !a.ok {
		return linRes{err: a.code.Text(text(a.sym))}
	}
	return linRes{ok: true, value: text(a.sym)}
}
