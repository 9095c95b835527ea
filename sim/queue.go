package sim

import "math/bits"

// eventKind says what an event does when it is run.
type eventKind uint8

const (
	evFree    eventKind = iota // slab slot not in use
	evStart                    // start a node at the beginning of the run
	evDeliver                  // deliver a message to a node
	evTimer                    // fire a node's timer
	evFault                    // apply a scheduled fault
	evCancel                   // a cancelled timer: popped and skipped
)

// event is one pending action, stored by value in the slab of the queue.
type event[M any] struct {
	kind  eventKind
	dup   bool      // a network duplicate of an earlier send
	timer TimerKind // timer kind (timer)
	from  NodeID    // sender (deliver)
	to    NodeID    // receiver (deliver), owner (timer, start)
	n     uint32    // the sender's number for the message: its identity with from
	arg   int32     // fault index
	at    Time      // when it is due
	seq   uint64    // the push sequence number: ties in time run in push order
	mid   uint64    // the message's number in the trace, shared by a duplicate
	h     uint64    // in steered mode, the hash of (from, to, message) for state fingerprints
	msg   M
}

// item is what the heap orders: small, so sifting moves 24 bytes, not a
// whole message.
type item struct {
	at   Time
	seq  uint64
	slot int32
}

func (a item) less(b item) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

// before is 1 when a is due before b, else 0: less without a branch, for
// pop's choice between two children, which no branch predictor guesses
// well. (at, seq) compares as one 128-bit unsigned number, at with its sign
// bit flipped so that it compares as unsigned; the borrow out of a - b says
// a < b.
func (a item) before(b item) int {
	_, borrow := bits.Sub64(a.seq, b.seq, 0)
	_, borrow = bits.Sub64(uint64(a.at)^(1<<63), uint64(b.at)^(1<<63), borrow)
	return int(borrow)
}

// queue is a slab of pending events with a free list and, in ordered mode, a
// binary min-heap of (time, seq) keys over it, which also holds cancelled
// timers until they are popped or purged. container/heap is not used
// because it boxes every element in an interface; this is the engine's hot
// path and allocates nothing once the slab and heap have grown to the run's
// working size. In steered mode (replay, exploration) the heap is not kept:
// whoever steers picks any pending event by its slot.
type queue[M any] struct {
	heap    []item
	slab    []event[M]
	free    []int32
	seq     uint64
	live    int  // events in the slab, cancelled timers not counted
	steered bool // no heap: events are picked by slot
}

// Len is the number of pending events (cancelled timers do not count).
func (q *queue[M]) Len() int { return q.live }

// push stores ev to happen at time at and returns its slab slot. Ties in
// time are ordered by sequence number, so the order is total and independent
// of the heap's internal layout.
func (q *queue[M]) push(at Time, ev event[M]) int32 {
	slot, p := q.alloc(at)
	ev.seq, ev.at = p.seq, at
	*p = ev
	return slot
}

// alloc queues a new event at time at and returns its slot and a pointer
// into the slab, where the caller writes the event's fields (kind and the
// rest; seq and at are set): the hot path builds a delivery in place rather
// than copy it twice.
func (q *queue[M]) alloc(at Time) (int32, *event[M]) {
	q.seq++
	var slot int32
	if n := len(q.free); n > 0 {
		slot = q.free[n-1]
		q.free = q.free[:n-1]
	} else {
		slot = int32(len(q.slab))
		q.slab = append(q.slab, event[M]{})
	}
	p := &q.slab[slot]
	p.seq, p.at = q.seq, at
	q.live++
	if !q.steered {
		q.heap = append(q.heap, item{at: at, seq: q.seq, slot: slot})
		q.up(len(q.heap) - 1)
	}
	return slot, p
}

// peek returns the time of the earliest event; ok is false when empty.
func (q *queue[M]) peek() (Time, bool) {
	if len(q.heap) == 0 {
		return 0, false
	}
	return q.heap[0].at, true
}

// pop removes the earliest event from the heap and returns its slot; the
// caller takes the event out of the slab with take.
//
// It sifts bottom-up (Floyd): the hole the root leaves moves down to a leaf
// along the smaller children, one comparison a level and that one without
// a branch (before), and the heap's last item, which belongs near the
// bottom, moves up from there into it, mostly a level or none. A top-down
// sift of the last item makes two comparisons a level, one of them a branch
// taken at random, all the way down.
func (q *queue[M]) pop() int32 {
	h := q.heap
	top := h[0].slot
	last := len(h) - 1
	x := h[last]
	h = h[:last]
	q.heap = h
	if last == 0 {
		return top
	}
	i := 0
	for {
		c := 2*i + 1
		if c >= last {
			break
		}
		if c+1 < last {
			c += h[c+1].before(h[c])
		}
		h[i] = h[c]
		i = c
	}
	for i > 0 {
		p := (i - 1) / 2
		if !x.less(h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = x
	return top
}

// take removes the event in slot from the slab and returns it. In ordered
// mode the slot must have been popped from the heap first.
func (q *queue[M]) take(slot int32) event[M] {
	ev := q.slab[slot]
	if ev.kind != evCancel {
		q.live--
	}
	q.release(slot)
	return ev
}

// release frees slot in the slab for a later push.
func (q *queue[M]) release(slot int32) {
	q.slab[slot] = event[M]{} // release references held by the message
	q.free = append(q.free, slot)
}

// cancel marks the timer in slot as cancelled: in ordered mode it stays in
// the heap and is skipped when popped, until cancelled timers outnumber the
// live events and purge drops them; in steered mode it is freed at once.
// limit is the run's time limit, which purge needs to keep the run's end
// unchanged.
func (q *queue[M]) cancel(slot int32, limit Time) {
	if q.steered {
		q.take(slot)
		return
	}
	q.slab[slot].kind = evCancel
	q.live--
	// In ordered mode every event in the slab is in the heap, so the heap
	// holds len(q.heap)-q.live cancelled timers.
	if dead := len(q.heap) - q.live; dead > q.live && dead >= purgeMin {
		q.purge(limit)
	}
}

// purgeMin is the least number of cancelled timers that purge drops at
// once: a purge costs a pass over the heap, so it waits until the heap is
// at least half cancelled and the pass frees a few entries.
const purgeMin = 8

// purge drops cancelled timers from the heap and frees their slots, then
// restores the heap order; events pop in (time, seq) order, a total order,
// so the heap's new layout changes no event's turn. Slots are freed sooner
// than a pop would free them, which changes which slot a later push takes:
// in ordered mode nothing reads slot numbers but the timers' own handles.
//
// Two cancelled timers stay: the latest one due by the time limit and the
// latest one due after it. While a live event is pending, cancelled timers
// change nothing in how a run goes or ends (next skips them; a cancelled
// timer beyond the limit ahead of every live event means that every live
// event is beyond it too). Once only cancelled timers are left, next ends
// the run by them: at the event limit, with an event-limit stop if one due
// by the time limit is still pending, else a time-limit stop if one due
// after it is; short of the event limit, it skips those due by the time
// limit and stops at it if one due after it is pending, else the run is
// quiescent. What counts is whether a cancelled timer due by the limit is
// still pending and whether one due after it is. The latest due by the
// limit is the last of those to be popped, so keeping it keeps the first
// answer; one due after the limit is never popped, so keeping one keeps
// the second.
func (q *queue[M]) purge(limit Time) {
	var in, out item // the latest cancelled timers due by and after limit
	hasIn, hasOut := false, false
	h := q.heap
	j := 0
	for _, it := range h {
		if q.slab[it.slot].kind != evCancel {
			h[j] = it
			j++
			continue
		}
		keep := &in
		has := &hasIn
		if it.at > limit {
			keep, has = &out, &hasOut
		}
		if !*has || keep.less(it) {
			if *has {
				q.release(keep.slot)
			}
			*keep, *has = it, true
			continue
		}
		q.release(it.slot)
	}
	if hasIn {
		h[j] = in
		j++
	}
	if hasOut {
		h[j] = out
		j++
	}
	q.heap = h[:j]
	for i := j/2 - 1; i >= 0; i-- {
		q.down(i)
	}
}

// reset empties the queue but keeps its memory for the next run.
func (q *queue[M]) reset() {
	clear(q.slab)
	q.heap = q.heap[:0]
	q.slab = q.slab[:0]
	q.free = q.free[:0]
	q.live = 0
}

// steer switches the queue to steered mode, dropping the heap.
func (q *queue[M]) steer() {
	q.steered = true
	q.heap = q.heap[:0]
}

// cloneInto copies q into d, reusing d's arrays.
func (q *queue[M]) cloneInto(d *queue[M]) {
	d.heap = append(d.heap[:0], q.heap...)
	d.slab = append(d.slab[:0], q.slab...)
	d.free = append(d.free[:0], q.free...)
	d.seq, d.live, d.steered = q.seq, q.live, q.steered
}

func (q *queue[M]) up(i int) {
	h := q.heap
	x := h[i]
	for i > 0 {
		p := (i - 1) / 2
		if !x.less(h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = x
}

func (q *queue[M]) down(i int) {
	h := q.heap
	n := len(h)
	x := h[i]
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && h[r].less(h[c]) {
			c = r
		}
		if !h[c].less(x) {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = x
}
