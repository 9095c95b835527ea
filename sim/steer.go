package sim

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unsafe"
)

// ActionKind says what an Action does.
type ActionKind uint8

const (
	// ActRun runs a pending event: a node's start, a delivery, a timer, a
	// scheduled fault.
	ActRun ActionKind = iota
	// ActLose loses a message in flight.
	ActLose
	// ActDuplicate makes a second copy of a message in flight.
	ActDuplicate
	// ActCrash crashes a running node.
	ActCrash
	// ActRestart restarts a crashed node.
	ActRestart
)

// Action is one thing that can happen next in steered mode.
type Action struct {
	Kind ActionKind
	Slot int32  // the pending event (ActRun, ActLose, ActDuplicate)
	Node NodeID // the node (ActCrash, ActRestart)
}

// Enabled appends to dst every action that may happen next in steered mode:
// while nodes are still to start, only the next start; then every delivery,
// the next scheduled fault, and within the budget every timer firing, loss,
// duplicate and crash, and the restart of every crashed node. The order is
// deterministic: slab order, then nodes in id order.
func (e *Engine[M]) Enabled(dst []Action) []Action {
	if e.stopped {
		return dst
	}
	slab := e.q.slab
	first := int32(-1)
	for i := range slab {
		if ev := &slab[i]; ev.kind == evStart && (first < 0 || ev.seq < slab[first].seq) {
			first = int32(i)
		}
	}
	if first >= 0 {
		return append(dst, Action{Kind: ActRun, Slot: first})
	}
	fault := int32(-1)
	for i := range slab {
		ev := &slab[i]
		switch ev.kind {
		case evDeliver:
			dst = append(dst, Action{Kind: ActRun, Slot: int32(i)})
			if e.budget.Losses > 0 {
				dst = append(dst, Action{Kind: ActLose, Slot: int32(i)})
			}
			if e.budget.Duplicates > 0 && !ev.dup && !e.hasDup(ev) {
				dst = append(dst, Action{Kind: ActDuplicate, Slot: int32(i)})
			}
		case evTimer:
			if e.budget.Timers > 0 {
				dst = append(dst, Action{Kind: ActRun, Slot: int32(i)})
			}
		case evFault:
			if fault < 0 || ev.arg < slab[fault].arg {
				fault = int32(i)
			}
		}
	}
	if fault >= 0 {
		dst = append(dst, Action{Kind: ActRun, Slot: fault})
	}
	for i := range e.nodes {
		switch {
		case e.nodes[i].up && e.budget.Crashes > 0:
			dst = append(dst, Action{Kind: ActCrash, Node: NodeID(i)})
		case !e.nodes[i].up:
			dst = append(dst, Action{Kind: ActRestart, Node: NodeID(i)})
		}
	}
	return dst
}

// PendingEvents lists, sorted, the identities of the pending events (as a
// schedule names them, without times): every message in flight, every
// timer, every node still to start and every scheduled fault.
func (e *Engine[M]) PendingEvents() []string {
	var out []string
	for i := range e.q.slab {
		if ev := &e.q.slab[i]; ev.kind != evFree && ev.kind != evCancel {
			out = append(out, e.identity(ev))
		}
	}
	slices.Sort(out)
	return out
}

// TimerOf reports whether action a fires a timer, and whose and which.
func (e *Engine[M]) TimerOf(a Action) (NodeID, TimerKind, bool) {
	if a.Kind != ActRun {
		return NoNode, 0, false
	}
	if ev := &e.q.slab[a.Slot]; ev.kind == evTimer {
		return ev.to, ev.timer, true
	}
	return NoNode, 0, false
}

// hasDup reports whether a duplicate of ev's message is pending.
func (e *Engine[M]) hasDup(ev *event[M]) bool {
	for i := range e.q.slab {
		o := &e.q.slab[i]
		if o.kind == evDeliver && o.dup && o.from == ev.from && o.n == ev.n {
			return true
		}
	}
	return false
}

// Do carries out one action in steered mode: one event of the run, traced
// and recorded like any other.
func (e *Engine[M]) Do(a Action) {
	if !e.q.steered {
		panic("sim: Do needs steered mode (Steer)")
	}
	e.running = true
	if e.stopped {
		return
	}
	defer e.recoverNode()
	switch a.Kind {
	case ActRun:
		if ev := &e.q.slab[a.Slot]; ev.kind == evTimer && e.budget.Timers > 0 {
			e.budget.Timers--
		}
		e.run(a.Slot)
		return
	case ActLose:
		ev := e.q.take(a.Slot)
		e.injected(e.lossText(&ev))
		if e.budget.Losses > 0 {
			e.budget.Losses--
		}
		e.dropped(ev.mid, ev.from, ev.to, &ev.msg, DropLoss)
	case ActDuplicate:
		ev := e.q.slab[a.Slot]
		e.injected("duplicate " + e.msgIdentity(&ev))
		if e.budget.Duplicates > 0 {
			e.budget.Duplicates--
		}
		e.stats.Duplicated++
		ev.dup = true
		e.q.push(e.now+e.decideLatency(), ev)
	case ActCrash:
		e.injected("inject crash " + e.nodes[a.Node].name)
		if e.budget.Crashes > 0 {
			e.budget.Crashes--
		}
		clear(e.lossShown)
		e.crash(a.Node)
		e.traceFault(&fault{kind: faultCrash, node: a.Node}, "crash "+e.nodes[a.Node].name+" (injected)")
	case ActRestart:
		e.injected("inject restart " + e.nodes[a.Node].name)
		clear(e.lossShown)
		e.traceFault(&fault{kind: faultRestart, node: a.Node}, "restart "+e.nodes[a.Node].name+" (injected)")
		e.restart(a.Node)
	}
	if e.states != nil {
		e.traceStates(e.states.injected)
	}
	e.after()
}

func (e *Engine[M]) lossText(ev *event[M]) string {
	s := "lose " + e.msgIdentity(ev)
	if ev.dup {
		s += " dup"
	}
	return s
}

// injected counts, records and checks an injected fault as an event.
func (e *Engine[M]) injected(what string) {
	e.stats.Events++
	if e.states != nil {
		e.states.injected = what
	}
	if e.record == nil && e.replay == nil {
		return
	}
	text := strconv.FormatInt(int64(e.now), 10) + " " + what
	if e.record != nil {
		*e.record = append(*e.record, Record{Kind: RecEvent, Text: text})
	}
	if e.replay != nil {
		e.replay.event(text)
	}
}

// Describe names action a as a schedule names it (without the time).
func (e *Engine[M]) Describe(a Action) string {
	switch a.Kind {
	case ActRun:
		return e.identity(&e.q.slab[a.Slot])
	case ActLose:
		return e.lossText(&e.q.slab[a.Slot])
	case ActDuplicate:
		return "duplicate " + e.msgIdentity(&e.q.slab[a.Slot])
	case ActCrash:
		return "inject crash " + e.nodes[a.Node].name
	case ActRestart:
		return "inject restart " + e.nodes[a.Node].name
	}
	return "?"
}

// replayStep runs the event the schedule's next record names.
func (e *Engine[M]) replayStep() bool {
	r := e.replay
	if r.div != nil {
		return e.end(StopDivergence)
	}
	if r.pos >= len(r.recs) {
		if r.lenient {
			return e.end(StopCut)
		}
		return e.naturalEnd()
	}
	rec := r.recs[r.pos]
	if rec.Kind == RecStop {
		r.pos++
		return e.end(StopCut)
	}
	if rec.Kind != RecEvent && r.lenient {
		r.pos++ // a decision no event asked for: its event was left out
		return true
	}
	if rec.Kind != RecEvent {
		r.div = &Divergence{Line: rec.Line, Want: rec.String(), Got: "the next event (no decision is asked here)"}
		return e.end(StopDivergence)
	}
	_, what, _ := strings.Cut(rec.Text, " ")
	a, ok := Action{}, true
	if r.resolve != nil {
		what, ok = r.resolve(what)
	}
	if ok {
		a, ok = e.find(what)
	}
	if !ok && r.lenient {
		r.pos++
		r.skipped++
		return true
	}
	if !ok {
		r.div = &Divergence{Line: rec.Line, Want: rec.String(), Got: "no such event is pending"}
		return e.end(StopDivergence)
	}
	e.Do(a)
	return !e.stopped
}

// naturalEnd ends a replay whose schedule is used up: the run must end
// there by its own rules too (no events, a limit), or it has diverged.
func (e *Engine[M]) naturalEnd() bool {
	next := int32(-1)
	for i := range e.q.slab {
		ev := &e.q.slab[i]
		if ev.kind == evFree || ev.kind == evCancel {
			continue
		}
		if next < 0 || ev.at < e.q.slab[next].at || (ev.at == e.q.slab[next].at && ev.seq < e.q.slab[next].seq) {
			next = int32(i)
		}
	}
	switch {
	case next < 0:
		return e.end(StopQuiescent)
	case e.q.slab[next].at > e.cfg.TimeLimit:
		return e.end(StopTimeLimit)
	case e.stats.Events >= e.cfg.MaxEvents:
		return e.end(StopEventLimit)
	}
	ev := e.q.slab[next]
	saved := e.now
	e.now = max(e.now, ev.at)
	e.replay.div = &Divergence{Got: "e " + e.describe(&ev)}
	e.now = saved
	return e.end(StopDivergence)
}

// find resolves a schedule record's event (without its time) to an action.
func (e *Engine[M]) find(what string) (Action, bool) {
	if rest, ok := strings.CutPrefix(what, "inject "); ok {
		kind, name, _ := strings.Cut(rest, " ")
		id, found := e.Lookup(name)
		switch {
		case !found:
		case kind == "crash" && e.nodes[id].up:
			return Action{Kind: ActCrash, Node: id}, true
		case kind == "restart" && !e.nodes[id].up:
			return Action{Kind: ActRestart, Node: id}, true
		}
		return Action{}, false
	}
	kind := ActRun
	if rest, ok := strings.CutPrefix(what, "lose "); ok {
		kind, what = ActLose, "deliver "+rest
	} else if rest, ok := strings.CutPrefix(what, "duplicate "); ok {
		kind, what = ActDuplicate, "deliver "+rest
	}
	d, isDelivery := e.parseDelivery(what)
	// Only events of the kind the identity names can match it.
	want := evFault
	switch {
	case strings.HasPrefix(what, "deliver "):
		want = evDeliver
	case strings.HasPrefix(what, "timer "):
		want = evTimer
	case strings.HasPrefix(what, "start "):
		want = evStart
	}
	best := int32(-1)
	for i := range e.q.slab {
		ev := &e.q.slab[i]
		if ev.kind != want {
			continue
		}
		// A delivery is matched field by field, without rendering every
		// message in flight: a long replay asks once per event.
		if isDelivery && (ev.from != d.from || ev.n != d.n || ev.to != d.to || ev.dup != d.dup || ev.msg.Type() != d.typ) {
			continue
		}
		// Several pending events can share an identity (two heals, two
		// crashes of one node): take the one ordered mode would run first,
		// the earliest by (time, sequence), as a recorded run did.
		if (isDelivery || e.identity(ev) == what) && (best < 0 || ev.at < e.q.slab[best].at || ev.at == e.q.slab[best].at && ev.seq < e.q.slab[best].seq) {
			best = int32(i)
		}
	}
	if best < 0 {
		return Action{}, false
	}
	return Action{Kind: kind, Slot: best}, true
}

// delivery is a delivery's identity, parsed: "deliver FROM#N TO TYPE",
// with " dup" for the network's copy.
type delivery struct {
	from, to NodeID
	n        uint32
	typ      string
	dup      bool
}

// parseDelivery parses what as a delivery's identity (msgIdentity's form
// after "deliver "); ok is false for any other event, or a delivery that
// names no node of this run.
func (e *Engine[M]) parseDelivery(what string) (d delivery, ok bool) {
	rest, ok := strings.CutPrefix(what, "deliver ")
	if !ok {
		return d, false
	}
	sender, rest, ok1 := strings.Cut(rest, "#")
	num, rest, ok2 := strings.Cut(rest, " ")
	to, typ, ok3 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || !ok3 {
		return d, false
	}
	typ, d.dup = strings.CutSuffix(typ, " dup")
	n, err := strconv.ParseUint(num, 10, 32)
	if err != nil || strings.Contains(typ, " ") || num != strconv.FormatUint(n, 10) {
		return d, false
	}
	var okFrom, okTo bool
	d.from, okFrom = e.Lookup(sender)
	d.to, okTo = e.Lookup(to)
	d.n, d.typ = uint32(n), typ
	return d, okFrom && okTo
}

// CloneInto makes d an independent copy of e's run state, nodes included,
// reusing d's memory (d may be nil). Tracing, recording, replay and the
// observers (OnSend, OnNote, StopWhen) are not copied: the caller that owns
// the observers sets them on the copy. The copy shares e's configuration,
// scheduled faults and random sources, which steered runs do not draw from.
func (e *Engine[M]) CloneInto(d *Engine[M]) *Engine[M] {
	if d == nil {
		d = &Engine[M]{}
	}
	d.cfg, d.now, d.syms = e.cfg, e.now, e.syms
	e.q.cloneInto(&d.q)
	if cap(d.nodes) < len(e.nodes) {
		d.nodes = append(d.nodes[:cap(d.nodes)], make([]nodeSlot[M], len(e.nodes)-cap(d.nodes))...)
	}
	d.nodes = d.nodes[:len(e.nodes)]
	for i := range e.nodes {
		// Copy on write: both engines share the node until one changes it.
		e.nodes[i].shared = true
		d.nodes[i] = e.nodes[i]
	}
	d.faults, d.faultAt = e.faults, e.faultAt
	d.decider, d.network = e.decider, e.network
	if e.replay != nil {
		d.decider = FirstDecider{} // the schedule is the original's to use up
	}
	d.settledWhy = e.settledWhy
	d.tracer, d.record, d.replay, d.states = nil, nil, nil, nil
	d.stats = e.stats
	d.running, d.stop, d.stopped, d.invariant, d.budget = e.running, e.stop, e.stopped, e.invariant, e.budget
	d.env.e = d
	d.lossShown = nil
	d.handling = NoNode
	d.links = append(d.links[:0], e.links...)
	d.linkUntil, d.holdMax, d.cuts = e.linkUntil, e.holdMax, e.cuts
	return d
}

// AppendState appends a canonical encoding of the run's state: for every
// node its liveness, partition group, pending timer kinds and the hash of
// its own state; the messages in flight as a multiset (sorted hashes of
// sender, receiver and message, without their numbers or times); the nodes
// still to start and the scheduled faults still pending; what is left of the
// budget (a protocol's client history is its own: see Env.Record). Two runs with
// equal encodings behave the same from here on, whatever their times and
// numbering. Node hashes are cached until the node next handles an event.
func (e *Engine[M]) AppendState(b []byte, scratch *StateScratch) []byte {
	s := scratch
	for i := range e.nodes {
		n := &e.nodes[i]
		var timers byte
		for k, slot := range n.timers {
			if slot != 0 {
				timers |= 1 << k
			}
		}
		if !n.hashed {
			s.buf = n.node.AppendState(s.buf[:0])
			n.hash, n.hashed = Fingerprint(s.buf), true
		}
		b = append(b, boolByte(n.up), byte(n.group), timers)
		b = binary.LittleEndian.AppendUint64(b, n.hash)
	}
	if e.cuts > 0 { // cut links, only while there are any (explore refuses scheduled faults)
		b = binary.AppendUvarint(b, uint64(e.cuts))
		for i := range e.links {
			if e.links[i].cut {
				b = binary.AppendUvarint(b, uint64(i))
			}
		}
	}
	s.hashes = s.hashes[:0]
	var faults uint64
	starts := 0 // nodes start in order: how many are left says which
	for i := range e.q.slab {
		ev := &e.q.slab[i]
		switch ev.kind {
		case evDeliver:
			s.hashes = append(s.hashes, ev.h)
		case evFault:
			faults |= 1 << (uint(ev.arg) % 64)
		case evStart:
			starts++
		}
	}
	slices.Sort(s.hashes)
	b = binary.AppendUvarint(b, uint64(len(s.hashes)))
	for _, h := range s.hashes {
		b = binary.LittleEndian.AppendUint64(b, h)
	}
	b = binary.AppendUvarint(b, faults)
	b = binary.AppendUvarint(b, uint64(starts))
	for _, v := range [...]int{e.budget.Timers, e.budget.Losses, e.budget.Duplicates, e.budget.Crashes} {
		b = binary.AppendVarint(b, int64(v))
	}
	return b
}

// msgHash is the hash of a message in flight from one node to another.
func (e *Engine[M]) msgHash(from, to NodeID, msg *M) uint64 {
	b := binary.AppendUvarint(e.msgBuf[:0], uint64(from))
	b = binary.AppendUvarint(b, uint64(to))
	b = (*msg).AppendState(b)
	e.msgBuf = b
	return Fingerprint(b)
}

// Footprint estimates the bytes a copy of this run holds (its event slab,
// heap, history and per-node slots; nodes shared by copy on write are not
// counted): a deterministic measure, for bounding an explorer's frontier by
// memory without asking the garbage collector.
func (e *Engine[M]) Footprint() int {
	var ev event[M]
	var n nodeSlot[M]
	return int(unsafe.Sizeof(*e)) + cap(e.q.slab)*int(unsafe.Sizeof(ev)) + cap(e.q.heap)*24 + cap(e.q.free)*4 +
		cap(e.nodes)*int(unsafe.Sizeof(n))
}

// StateScratch is reusable memory for AppendState.
type StateScratch struct {
	buf    []byte
	hashes []uint64
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// AppendStateString appends s in the canonical encoding (its length, then
// its bytes), for nodes' and messages' AppendState.
func AppendStateString(b []byte, s string) []byte { return appendString(b, s) }

// Fingerprint hashes a canonical state encoding to 64 bits with fixed
// constants (never a randomly seeded hash), so that the same state has the
// same fingerprint in every run and on every machine: eight bytes at a time,
// each word mixed in by a multiply and a rotation, then a splitmix64 finaliser.
func Fingerprint(b []byte) uint64 {
	h := uint64(14695981039346656037) ^ uint64(len(b))
	for len(b) >= 8 {
		h = bits.RotateLeft64((h^binary.LittleEndian.Uint64(b))*0x9e3779b97f4a7c15, 27)
		b = b[8:]
	}
	for _, c := range b {
		h = (h ^ uint64(c)) * 1099511628211
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	return h ^ h>>31
}

// String renders a for messages: its kind and what it names.
func (a Action) String() string {
	return fmt.Sprintf("action{%d slot %d node %d}", a.Kind, a.Slot, a.Node)
}
