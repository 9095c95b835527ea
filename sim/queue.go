package sim

// eventKind says what an event does when it is popped.
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
	kind eventKind
	dup  bool   // a network duplicate of an earlier send
	from NodeID // sender (deliver)
	to   NodeID // receiver (deliver), owner (timer, start)
	inc  uint32 // owner's incarnation when a timer was set
	name string // timer name
	arg  int64  // timer argument, or fault index
	seq  uint64 // the push sequence number, also a timer's identity
	msg  M
	mid  uint64 // the message's number, shared by a duplicate
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

// queue is a binary min-heap of (time, seq) keys over a slab of events with
// a free list. container/heap is not used because it boxes every element in
// an interface; this is the engine's hot path and allocates nothing once the
// slab and heap have grown to the run's working size.
type queue[M any] struct {
	heap []item
	slab []event[M]
	free []int32
	seq  uint64
}

// Len is the number of pending events, cancelled timers included.
func (q *queue[M]) Len() int { return len(q.heap) }

// push stores ev to happen at time at and returns its sequence number and
// slab slot. Ties in time are ordered by sequence number, so the order is
// total and independent of the heap's internal layout.
func (q *queue[M]) push(at Time, ev event[M]) (uint64, int32) {
	q.seq++
	ev.seq = q.seq
	var slot int32
	if n := len(q.free); n > 0 {
		slot = q.free[n-1]
		q.free = q.free[:n-1]
		q.slab[slot] = ev
	} else {
		slot = int32(len(q.slab))
		q.slab = append(q.slab, ev)
	}
	q.heap = append(q.heap, item{at: at, seq: ev.seq, slot: slot})
	q.up(len(q.heap) - 1)
	return ev.seq, slot
}

// peek returns the time of the earliest event; ok is false when empty.
func (q *queue[M]) peek() (Time, bool) {
	if len(q.heap) == 0 {
		return 0, false
	}
	return q.heap[0].at, true
}

// pop removes the earliest event and returns it with its time.
func (q *queue[M]) pop() (Time, event[M]) {
	top := q.heap[0]
	last := len(q.heap) - 1
	q.heap[0] = q.heap[last]
	q.heap = q.heap[:last]
	if last > 0 {
		q.down(0)
	}
	ev := q.slab[top.slot]
	q.slab[top.slot] = event[M]{} // release references held by the message
	q.free = append(q.free, top.slot)
	return top.at, ev
}

// cancel marks the timer pushed with sequence number seq into slot as
// cancelled, if it is still pending.
func (q *queue[M]) cancel(slot int32, seq uint64) bool {
	if slot < 0 || int(slot) >= len(q.slab) {
		return false
	}
	ev := &q.slab[slot]
	if ev.seq != seq || ev.kind != evTimer {
		return false
	}
	ev.kind = evCancel
	return true
}

// reset empties the queue but keeps its memory for the next run. The
// sequence counter goes on, so that a TimerID from before the reset can never
// match an event after it; order depends only on relative sequence numbers.
func (q *queue[M]) reset() {
	clear(q.slab)
	q.heap = q.heap[:0]
	q.slab = q.slab[:0]
	q.free = q.free[:0]
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
