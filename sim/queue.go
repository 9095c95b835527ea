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

// item is what the heaps and the wheel's buckets order: small, so sifting
// moves 24 bytes, not a whole message. next links an item in a bucket of the
// wheel to the bucket's next one (its slot + 1; 0 ends the bucket); in a
// heap it means nothing.
type item struct {
	at   Time
	seq  uint64
	slot int32
	next int32
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
// priority queue of their (time, seq) keys, which also holds cancelled
// timers until they are popped or purged. Events pop in (time, seq) order, a
// total order, so the order does not depend on how the keys are kept.
//
// The keys are kept in three tiers by their bucket, their time divided by
// the bucket width (wheelShift): the near heap (heap), a binary min-heap,
// holds every key of the current bucket and of any earlier one; the wheel
// (w) holds the keys of the next wheelSize-1 buckets, unordered, one list a
// bucket; its far heap holds the keys beyond. Most events are due within a
// few milliseconds, so they land in the wheel for O(1), and the near heap
// that pop sifts holds one bucket's keys, a handful, not every pending
// event's. When the near heap runs empty, refill moves the next non-empty
// bucket into it (a bitmap finds it) and the far keys the wheel now spans
// into the wheel. Until the run's first peek (spread) every key is in the
// near heap, which is then the plain heap it was: a steered run never
// spreads, so its queue, and the capacity Engine.Footprint counts, is what
// it was before the wheel.
//
// container/heap is not used because it boxes every element in an
// interface; this is the engine's hot path and allocates nothing once the
// slab, heaps and wheel have grown to the run's working size. In steered
// mode (replay, exploration) no keys are kept: whoever steers picks any
// pending event by its slot.
type queue[M any] struct {
	heap []item // the near heap: see above
	slab []event[M]
	free []int32
	seq  uint64
	// w is the wheel and the far heap, allocated at the first spread and
	// kept for later runs; nil or off (w.on false) while the near heap holds
	// every key.
	w *wheel
	// live is the number of events in the slab, cancelled timers not
	// counted: an int32, as slots are, which keeps the queue (and so
	// Engine.Footprint, an explorer's memory bound) the size it was before
	// the wheel.
	live    int32
	steered bool // no keys: events are picked by slot
}

// The wheel's buckets are 2^wheelShift ns wide (about 16µs) and it spans
// wheelSize of them (about 134ms): message latencies, heartbeats and the
// 50-100ms timeouts fall inside it, and a bucket holds few keys even with
// thousands of events pending. (Measured against 32µs x 4096 and 8µs x
// 16384: within a few percent either way, this one the best balance of the
// default scenario and 1000 or 10000 clients.)
const (
	wheelShift = 14
	wheelSize  = 8192
	wheelMask  = wheelSize - 1
)

// wheel is the part of an ordered queue beyond the current bucket (see
// queue): the keys of buckets cur+1 to cur+wheelSize-1, each bucket's in a
// list through node linked by next, and those of later buckets in the far
// heap. Bucket k is kept in head[k&wheelMask].
type wheel struct {
	head [wheelSize]int32       // per bucket, its first key's slot + 1; 0 when empty
	bits [wheelSize / 64]uint64 // bit b is set when bucket b is not empty
	node []item                 // by slot, the key of an event in a bucket
	far  []item                 // min-heap of the keys of bucket cur+wheelSize on
	cur  int64                  // the current bucket, whose keys are in the near heap
	n    int                    // keys in buckets
	on   bool                   // spread: the near heap holds only buckets up to cur
}

// bucket is the number of the bucket that time at falls in.
func bucket(at Time) int64 { return int64(at) >> wheelShift }

// Len is the number of pending events (cancelled timers do not count).
func (q *queue[M]) Len() int { return int(q.live) }

// queued is the number of keys kept in ordered mode, cancelled timers'
// included.
func (q *queue[M]) queued() int {
	n := len(q.heap)
	if w := q.w; w != nil && w.on {
		n += w.n + len(w.far)
	}
	return n
}

// push stores ev to happen at time at and returns its slab slot. Ties in
// time are ordered by sequence number, so the order is total and independent
// of where the keys are kept.
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
		// The key goes to the near heap, a bucket of the wheel or the far
		// heap (see queue): add's work, inline on this hot path.
		it := item{at: at, seq: q.seq, slot: slot}
		w := q.w
		switch k := bucket(at); {
		case w == nil || !w.on || k <= w.cur:
			q.heap = append(q.heap, it)
			up(q.heap, len(q.heap)-1)
		case k-w.cur < wheelSize:
			w.link(k, it)
		default:
			w.far = append(w.far, it)
			up(w.far, len(w.far)-1)
		}
	}
	return slot, p
}

// add keeps the key it of a bucket after the current one: in the wheel if
// it spans the bucket, else in the far heap. (alloc does the same inline.)
func (w *wheel) add(it item) {
	if k := bucket(it.at); k-w.cur < wheelSize {
		w.link(k, it)
		return
	}
	w.far = append(w.far, it)
	up(w.far, len(w.far)-1)
}

// link puts key it into bucket k of the wheel.
func (w *wheel) link(k int64, it item) {
	b := k & wheelMask
	for int(it.slot) >= len(w.node) {
		w.node = append(w.node, item{})
	}
	it.next = w.head[b]
	w.node[it.slot] = it
	w.head[b] = it.slot + 1
	w.bits[b>>6] |= 1 << (b & 63)
	w.n++
}

// peek returns the time of the earliest event; ok is false when empty.
func (q *queue[M]) peek() (Time, bool) {
	if len(q.heap) == 0 {
		if !q.refill() {
			return 0, false
		}
	} else if w := q.w; w == nil || !w.on {
		q.spread()
	}
	return q.heap[0].at, true
}

// spread moves the keys beyond the earliest one's bucket from the near heap,
// which holds every key before the run's first peek, into the wheel and the
// far heap. The near heap is not empty.
func (q *queue[M]) spread() {
	w := q.w
	if w == nil {
		w = new(wheel)
		q.w = w
	}
	w.on = true
	w.cur = bucket(q.heap[0].at)
	h := q.heap
	j := 0
	for _, it := range h {
		if bucket(it.at) <= w.cur {
			h[j] = it
			j++
			continue
		}
		w.add(it)
	}
	q.heap = h[:j]
	heapify(q.heap)
}

// refill makes the next bucket with keys the current one and moves its keys
// into the near heap, which is empty, and the far keys that the wheel then
// spans from the far heap into the wheel. It reports false when no key is
// left.
func (q *queue[M]) refill() bool {
	w := q.w
	if w == nil || !w.on {
		return false // the near heap holds every key, and it is empty
	}
	var k int64
	h := q.heap[:0]
	switch {
	case w.n > 0:
		k = w.cur + w.scan()
		b := k & wheelMask
		for s := w.head[b]; s != 0; {
			it := w.node[s-1]
			h = append(h, it)
			s = it.next
		}
		w.n -= len(h)
		w.head[b] = 0
		w.bits[b>>6] &^= 1 << (b & 63)
	case len(w.far) > 0:
		k = bucket(w.far[0].at)
	default:
		return false
	}
	w.cur = k
	for len(w.far) > 0 && bucket(w.far[0].at)-k < wheelSize {
		var it item
		w.far, it = popMin(w.far)
		if kf := bucket(it.at); kf == k {
			h = append(h, it)
		} else {
			w.link(kf, it)
		}
	}
	q.heap = h
	if len(h) > 1 {
		heapify(h)
	}
	return true
}

// scan returns how many buckets after the current one the next bucket with
// keys is; some bucket has keys. The current bucket's own entry is empty:
// its keys are in the near heap.
func (w *wheel) scan() int64 {
	c := w.cur & wheelMask
	i := (c + 1) & wheelMask
	wi := i >> 6
	m := w.bits[wi] &^ (1<<(i&63) - 1)
	for m == 0 {
		wi = (wi + 1) & (wheelSize/64 - 1)
		m = w.bits[wi]
	}
	b := wi<<6 | int64(bits.TrailingZeros64(m))
	return (b - c) & wheelMask
}

// pop removes the earliest event's key and returns its slot; the caller
// takes the event out of the slab with take.
func (q *queue[M]) pop() int32 {
	if len(q.heap) == 0 {
		q.refill()
	}
	if h := q.heap; len(h) == 1 { // the current bucket's last key, mostly its only one
		q.heap = h[:0]
		return h[0].slot
	}
	var it item
	q.heap, it = popMin(q.heap)
	return it.slot
}

// popMin removes the least key from heap h, which is not empty, and returns
// the heap and the key.
//
// It sifts bottom-up (Floyd): the hole the root leaves moves down to a leaf
// along the smaller children, one comparison a level and that one without
// a branch (before), and the heap's last item, which belongs near the
// bottom, moves up from there into it, mostly a level or none. A top-down
// sift of the last item makes two comparisons a level, one of them a branch
// taken at random, all the way down.
func popMin(h []item) ([]item, item) {
	top := h[0]
	last := len(h) - 1
	x := h[last]
	h = h[:last]
	if last == 0 {
		return h, top
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
	h[i] = x
	up(h, i)
	return h, top
}

// take removes the event in slot from the slab and returns it. In ordered
// mode the slot must have been popped first.
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

// cancel marks the timer in slot as cancelled: in ordered mode its key stays
// and is skipped when popped, until cancelled timers outnumber the live
// events and purge drops them; in steered mode it is freed at once. limit
// is the run's time limit, which purge needs to keep the run's end
// unchanged.
func (q *queue[M]) cancel(slot int32, limit Time) {
	if q.steered {
		q.take(slot)
		return
	}
	q.slab[slot].kind = evCancel
	q.live--
	// In ordered mode every event in the slab has a key, so
	// queued()-q.live keys are cancelled timers'.
	if dead := q.queued() - int(q.live); dead > int(q.live) && dead >= purgeMin {
		q.purge(limit)
	}
}

// purgeMin is the least number of cancelled timers that purge drops at
// once: a purge costs a pass over every key, so it waits until the keys are
// at least half cancelled and the pass frees a few entries.
const purgeMin = 8

// purge drops cancelled timers' keys and frees their slots; events pop in
// (time, seq) order, a total order, so where the remaining keys are kept
// changes no event's turn. Slots are freed sooner than a pop would free
// them, which changes which slot a later push takes: in ordered mode
// nothing reads slot numbers but the timers' own handles.
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
	k := keeper[M]{q: q, limit: limit}
	q.heap = k.sieve(q.heap)
	w := q.w
	on := w != nil && w.on
	if on {
		w.far = k.sieve(w.far)
		for i, m := range w.bits {
			for ; m != 0; m &= m - 1 {
				// Relink the bucket's live keys; their order in it does
				// not matter.
				b := i<<6 | bits.TrailingZeros64(m)
				s := w.head[b]
				w.head[b] = 0
				for s != 0 {
					it := w.node[s-1]
					s = it.next
					if k.cancelled(it) {
						w.n--
						continue
					}
					it.next = w.head[b]
					w.node[it.slot] = it
					w.head[b] = it.slot + 1
				}
				if w.head[b] == 0 {
					w.bits[i] &^= 1 << (b & 63)
				}
			}
		}
	}
	for _, it := range [2]item{k.in, k.out} {
		if it.seq == 0 {
			continue // none kept: a key's seq is positive
		}
		switch kb := bucket(it.at); {
		case !on || kb <= w.cur:
			q.heap = append(q.heap, it)
		case kb-w.cur < wheelSize:
			w.link(kb, it)
		default:
			w.far = append(w.far, it)
		}
	}
	heapify(q.heap)
	if on {
		heapify(w.far)
	}
}

// keeper is purge's choice of the cancelled timers to keep: in and out are
// the latest cancelled timers due by and after limit so far (zero: none).
type keeper[M any] struct {
	q       *queue[M]
	limit   Time
	in, out item
}

// cancelled reports whether key it is a cancelled timer's and, if so, takes
// it out: it keeps it in place of an earlier one of its side of the limit,
// freeing that one's slot, or frees its slot.
func (k *keeper[M]) cancelled(it item) bool {
	if k.q.slab[it.slot].kind != evCancel {
		return false
	}
	keep := &k.in
	if it.at > k.limit {
		keep = &k.out
	}
	if keep.seq == 0 || keep.less(it) {
		if keep.seq != 0 {
			k.q.release(keep.slot)
		}
		*keep = it
		return true
	}
	k.q.release(it.slot)
	return true
}

// sieve drops the cancelled timers' keys from h, in place.
func (k *keeper[M]) sieve(h []item) []item {
	j := 0
	for _, it := range h {
		if !k.cancelled(it) {
			h[j] = it
			j++
		}
	}
	return h[:j]
}

// reset empties the queue but keeps its memory for the next run.
func (q *queue[M]) reset() {
	clear(q.slab)
	q.heap = q.heap[:0]
	q.slab = q.slab[:0]
	q.free = q.free[:0]
	q.live = 0
	if q.w != nil {
		q.w.reset()
	}
}

// reset empties the wheel and the far heap and switches them off.
func (w *wheel) reset() {
	if w.n > 0 {
		for i, m := range w.bits {
			for m != 0 {
				w.head[i<<6|bits.TrailingZeros64(m)] = 0
				m &= m - 1
			}
		}
		clear(w.bits[:])
		w.n = 0
	}
	w.far = w.far[:0]
	w.cur, w.on = 0, false
}

// steer switches the queue to steered mode, dropping the keys.
func (q *queue[M]) steer() {
	q.steered = true
	q.heap = q.heap[:0]
	if q.w != nil {
		q.w.reset()
	}
}

// cloneInto copies q into d, reusing d's arrays.
func (q *queue[M]) cloneInto(d *queue[M]) {
	d.heap = append(d.heap[:0], q.heap...)
	d.slab = append(d.slab[:0], q.slab...)
	d.free = append(d.free[:0], q.free...)
	d.seq, d.live, d.steered = q.seq, q.live, q.steered
	switch w := q.w; {
	case w != nil && w.on:
		if d.w == nil {
			d.w = new(wheel)
		}
		dw := d.w
		dw.head, dw.bits = w.head, w.bits
		dw.node = append(dw.node[:0], w.node...)
		dw.far = append(dw.far[:0], w.far...)
		dw.cur, dw.n, dw.on = w.cur, w.n, true
	case d.w != nil:
		d.w.reset()
	}
}

// up moves h[i] up to its place in heap h.
func up(h []item, i int) {
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

// down moves h[i] down to its place in heap h.
func down(h []item, i int) {
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

// heapify makes h a heap.
func heapify(h []item) {
	for i := len(h)/2 - 1; i >= 0; i-- {
		down(h, i)
	}
}
