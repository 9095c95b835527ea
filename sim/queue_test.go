package sim

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refEvent is an entry of the dumb reference queue.
type refEvent struct {
	at  Time
	seq uint64
	v   int
}

// refPop removes and returns the least (time, seq) entry: the reference
// that the heap must agree with.
func refPop(ref *[]refEvent) refEvent {
	slices.SortFunc(*ref, func(a, b refEvent) int {
		if a.at != b.at {
			return int(a.at - b.at)
		}
		return int(a.seq) - int(b.seq)
	})
	e := (*ref)[0]
	*ref = (*ref)[1:]
	return e
}

// popTake pops the earliest event and takes it out of the slab.
func popTake[M any](q *queue[M]) (Time, event[M]) {
	ev := q.take(q.pop())
	return ev.at, ev
}

func TestQueueMatchesReference(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		r := rand.New(rand.NewPCG(seed, 42))
		var q queue[int]
		var ref []refEvent
		next := 0
		for step := 0; step < 3000; step++ {
			// Pushes outnumber pops early on, then the queue drains; times
			// come from a narrow range so that ties are common.
			push := len(ref) == 0 || (step < 2000 && r.IntN(3) != 0) || (step >= 2000 && r.IntN(4) == 0)
			if push {
				at := Time(r.Int64N(16))
				slot := q.push(at, event[int]{kind: evDeliver, msg: next})
				require.GreaterOrEqual(t, slot, int32(0))
				seq := q.slab[slot].seq
				require.Equal(t, next+1, int(seq), "seed %d: push sequence numbers count from 1", seed)
				require.Equal(t, at, q.slab[slot].at)
				ref = append(ref, refEvent{at: at, seq: seq, v: next})
				next++
			} else {
				want := refPop(&ref)
				pt, ok := q.peek()
				require.True(t, ok)
				require.Equal(t, want.at, pt, "seed %d step %d: peek", seed, step)
				at, ev := popTake(&q)
				require.Equal(t, want.at, at, "seed %d step %d: time", seed, step)
				require.Equal(t, want.v, ev.msg, "seed %d step %d: value", seed, step)
				require.Equal(t, want.seq, ev.seq, "seed %d step %d: seq", seed, step)
			}
			require.Equal(t, len(ref), q.Len(), "seed %d step %d: Len", seed, step)
		}
		for len(ref) > 0 {
			want := refPop(&ref)
			at, ev := popTake(&q)
			require.Equal(t, want.at, at)
			require.Equal(t, want.v, ev.msg)
		}
		_, ok := q.peek()
		require.False(t, ok, "seed %d: the queue must be empty", seed)
		// Every slot came back to the free list.
		assert.Len(t, q.free, len(q.slab), "seed %d", seed)
	}
}

func TestQueueTiesPopInPushOrder(t *testing.T) {
	var q queue[int]
	// Interleave five events at time 7 with others before and after.
	times := []Time{7, 9, 7, 1, 7, 7, 3, 9, 7}
	for i, at := range times {
		q.push(at, event[int]{kind: evDeliver, msg: i})
	}
	var got []int
	var gotT []Time
	for q.Len() > 0 {
		at, ev := popTake(&q)
		got = append(got, ev.msg)
		gotT = append(gotT, at)
	}
	assert.Equal(t, []int{3, 6, 0, 2, 4, 5, 8, 1, 7}, got)
	assert.Equal(t, []Time{1, 3, 7, 7, 7, 7, 7, 9, 9}, gotT)
}

func TestQueueCancel(t *testing.T) {
	var q queue[int]
	slotA := q.push(5, event[int]{kind: evTimer, timer: 1})
	q.push(3, event[int]{kind: evTimer, timer: 2})
	q.push(4, event[int]{kind: evDeliver, msg: 1})

	q.cancel(slotA, math.MaxInt64)
	assert.Equal(t, 2, q.Len(), "a cancelled timer is no longer pending (its key stays until popped)")
	assert.Equal(t, 3, q.queued(), "ordered mode skips it when popped")

	at, ev := popTake(&q)
	assert.Equal(t, Time(3), at)
	assert.Equal(t, evTimer, ev.kind)
	assert.Equal(t, TimerKind(2), ev.timer)
	at, ev = popTake(&q)
	assert.Equal(t, Time(4), at)
	assert.Equal(t, evDeliver, ev.kind)
	slot := q.pop()
	assert.Equal(t, slotA, slot)
	assert.Equal(t, evCancel, q.slab[slot].kind, "the cancelled timer pops marked as skipped")
	ev = q.take(slot)
	assert.Equal(t, TimerKind(1), ev.timer)
	assert.Equal(t, 0, q.Len())
	_, ok := q.peek()
	assert.False(t, ok)
}

// TestQueueSlotReuse: a freed slot is the next push's, last freed first.
func TestQueueSlotReuse(t *testing.T) {
	var q queue[int]
	a := q.push(1, event[int]{kind: evTimer})
	b := q.push(2, event[int]{kind: evTimer})
	require.NotEqual(t, a, b)
	require.Equal(t, a, q.pop())
	q.take(a)
	c := q.push(3, event[int]{kind: evTimer, timer: 3})
	assert.Equal(t, a, c, "the freed slot is reused")
	assert.Equal(t, uint64(3), q.slab[c].seq, "sequence numbers go on")
	assert.Len(t, q.slab, 2, "the slab did not grow")
}

func TestQueueTakeReleasesMessage(t *testing.T) {
	var q queue[*int]
	x := 1
	slot := q.push(1, event[*int]{kind: evDeliver, msg: &x})
	require.Equal(t, slot, q.pop())
	ev := q.take(slot)
	assert.Same(t, &x, ev.msg)
	assert.Nil(t, q.slab[slot].msg, "a taken slot must not keep the message alive")
	assert.Equal(t, evFree, q.slab[slot].kind)
}

func TestQueueReset(t *testing.T) {
	var q queue[*int]
	vals := make([]int, 50)
	for i := range vals {
		q.push(Time(i%7), event[*int]{kind: evDeliver, msg: &vals[i]})
	}
	for range 10 {
		popTake(&q)
	}
	slabCap, heapCap := cap(q.slab), cap(q.heap)
	q.reset()
	assert.Equal(t, 0, q.Len())
	_, ok := q.peek()
	assert.False(t, ok)
	assert.Equal(t, slabCap, cap(q.slab), "reset keeps the slab's memory")
	assert.Equal(t, heapCap, cap(q.heap), "reset keeps the heap's memory")
	for i, ev := range q.slab[:cap(q.slab)] {
		assert.Nil(t, ev.msg, "slot %d still holds a message after reset", i)
	}

	// The queue works as new and order holds; sequence numbers go on.
	seqBefore := q.seq
	slot := q.push(5, event[*int]{kind: evDeliver, msg: &vals[0]})
	assert.Equal(t, seqBefore+1, q.slab[slot].seq)
	assert.Equal(t, int32(0), slot)
	q.push(2, event[*int]{kind: evDeliver, msg: &vals[1]})
	q.push(5, event[*int]{kind: evDeliver, msg: &vals[2]})
	slotT := q.push(1, event[*int]{kind: evTimer})
	q.cancel(slotT, math.MaxInt64)
	var got []*int
	var kinds []eventKind
	for q.Len() > 0 {
		slot := q.pop()
		kinds = append(kinds, q.slab[slot].kind)
		got = append(got, q.take(slot).msg)
	}
	assert.Equal(t, []*int{nil, &vals[1], &vals[0], &vals[2]}, got)
	assert.Equal(t, []eventKind{evCancel, evDeliver, evDeliver, evDeliver}, kinds)
}

// TestQueueSteered: in steered mode there is no heap; any slot can be
// taken, and a cancelled timer is freed at once.
func TestQueueSteered(t *testing.T) {
	var q queue[int]
	q.push(1, event[int]{kind: evDeliver, msg: 1})
	q.steer()
	assert.Empty(t, q.heap, "steer drops the heap")
	_, ok := q.peek()
	assert.False(t, ok, "there is no earliest event in steered mode")
	a := q.push(9, event[int]{kind: evDeliver, msg: 2})
	b := q.push(3, event[int]{kind: evTimer})
	c := q.push(5, event[int]{kind: evDeliver, msg: 3})
	assert.Empty(t, q.heap, "push keeps no heap in steered mode")
	assert.Equal(t, 4, q.Len())

	q.cancel(b, math.MaxInt64)
	assert.Equal(t, 3, q.Len(), "a cancelled timer is freed at once")
	assert.Equal(t, evFree, q.slab[b].kind)
	ev := q.take(a) // not the earliest: any slot
	assert.Equal(t, 2, ev.msg)
	assert.Equal(t, Time(9), ev.at)
	assert.Equal(t, 3, q.take(c).msg)
	assert.Equal(t, 1, q.take(0).msg)
	assert.Equal(t, 0, q.Len())
	assert.Len(t, q.free, len(q.slab))
}

// TestQueueCloneInto: a clone is an independent copy that reuses the
// destination's arrays.
func TestQueueCloneInto(t *testing.T) {
	var q, d queue[int]
	for i := range 5 {
		q.push(Time(5-i), event[int]{kind: evDeliver, msg: i})
	}
	popTake(&q)
	q.cloneInto(&d)
	assert.Equal(t, q, d)
	// Draining the clone changes nothing in the original.
	var fromClone []int
	for d.Len() > 0 {
		_, ev := popTake(&d)
		fromClone = append(fromClone, ev.msg)
	}
	assert.Equal(t, []int{3, 2, 1, 0}, fromClone)
	assert.Equal(t, 4, q.Len())
	var fromOrig []int
	for q.Len() > 0 {
		_, ev := popTake(&q)
		fromOrig = append(fromOrig, ev.msg)
	}
	assert.Equal(t, fromClone, fromOrig)

	// Cloning again reuses d's memory.
	q.push(1, event[int]{kind: evDeliver})
	slab := &d.slab[:1][0]
	q.cloneInto(&d)
	assert.Same(t, slab, &d.slab[0], "cloneInto reuses the destination's slab")
}

// nextLive is Engine.next's loop over the queue: the slot of the next live
// event to run, or why the run stops (ok false). Cancelled timers are popped
// and skipped.
func nextLive[M any](q *queue[M], limit Time, events, maxEvents int) (slot int32, stop StopReason, ok bool) {
	for {
		at, more := q.peek()
		switch {
		case !more:
			return 0, StopQuiescent, false
		case at > limit:
			return 0, StopTimeLimit, false
		case events >= maxEvents:
			return 0, StopEventLimit, false
		}
		slot := q.pop()
		if q.slab[slot].kind == evCancel {
			q.take(slot)
			continue
		}
		return slot, 0, true
	}
}

// refTimer is an entry of the reference for TestQueuePurgeKeepsRun: a queue
// that keeps every cancelled timer until it is due, as the queue did before
// it purged them.
type refTimer struct {
	at        Time
	seq       uint64
	v         int
	cancelled bool
}

// refNextLive is nextLive over the reference.
func refNextLive(ref *[]refTimer, limit Time, events, maxEvents int) (v int, stop StopReason, ok bool) {
	for {
		if len(*ref) == 0 {
			return 0, StopQuiescent, false
		}
		slices.SortFunc(*ref, func(a, b refTimer) int {
			if a.at != b.at {
				return int(a.at - b.at)
			}
			return int(a.seq) - int(b.seq)
		})
		top := (*ref)[0]
		switch {
		case top.at > limit:
			return 0, StopTimeLimit, false
		case events >= maxEvents:
			return 0, StopEventLimit, false
		}
		*ref = (*ref)[1:]
		if top.cancelled {
			continue
		}
		return top.v, 0, true
	}
}

// TestQueuePurgeKeepsRun: purging cancelled timers changes neither the
// order in which live events run nor why a run ends, against a reference
// that keeps every cancelled timer until it is popped. Runs end every way:
// with live events left, and with only cancelled timers left, some due after
// the time limit, some at the event limit.
func TestQueuePurgeKeepsRun(t *testing.T) {
	stops := map[StopReason]int{}
	purged := 0
	for seed := uint64(1); seed <= 400; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		limit := Time(20 + r.Int64N(30))
		maxEvents := 20 + r.IntN(200)
		var q queue[int]
		var ref []refTimer
		var timers []int32 // live timers' slots, by value v (-1: none)
		var timerV []int   // and their values
		events, next := 0, 0
		drainAt := 50 + r.IntN(300) // from here on, no pushes: cancel and run
		for step := 0; ; step++ {
			op := r.IntN(10)
			if step >= drainAt {
				op = 5 + r.IntN(5) // cancel or run
			}
			switch {
			case op < 3: // a timer
				at := Time(r.Int64N(60))
				slot := q.push(at, event[int]{kind: evTimer, msg: next})
				ref = append(ref, refTimer{at: at, seq: q.slab[slot].seq, v: next})
				timers, timerV = append(timers, slot), append(timerV, next)
				next++
			case op < 5: // a delivery
				at := Time(r.Int64N(60))
				if seed%2 == 0 {
					// None after the limit, so that a run may end with
					// only cancelled timers left, some due after it.
					at = Time(r.Int64N(int64(limit) + 1))
				}
				slot := q.push(at, event[int]{kind: evDeliver, msg: next})
				ref = append(ref, refTimer{at: at, seq: q.slab[slot].seq, v: next})
				next++
			case op < 8: // cancel a live timer
				if len(timers) == 0 {
					break
				}
				i := r.IntN(len(timers))
				keysBefore := q.queued()
				q.cancel(timers[i], limit)
				if q.queued() < keysBefore {
					purged++
				}
				for j := range ref {
					if ref[j].v == timerV[i] {
						ref[j].cancelled = true
					}
				}
				timers = slices.Delete(timers, i, i+1)
				timerV = slices.Delete(timerV, i, i+1)
			default: // run the next event
				slot, stop, ok := nextLive(&q, limit, events, maxEvents)
				v, wantStop, wantOK := refNextLive(&ref, limit, events, maxEvents)
				require.Equal(t, wantOK, ok, "seed %d step %d: an event to run", seed, step)
				if !ok {
					require.Equal(t, wantStop, stop, "seed %d step %d: why the run ends", seed, step)
					stops[stop]++
					goto done
				}
				ev := q.take(slot)
				require.Equal(t, v, ev.msg, "seed %d step %d: the event run", seed, step)
				if i := slices.Index(timerV, v); i >= 0 {
					timers = slices.Delete(timers, i, i+1)
					timerV = slices.Delete(timerV, i, i+1)
				}
				events++
				if step >= drainAt && q.Len() == 0 && seed%3 == 0 {
					// Only cancelled timers may be left: stop at the
					// event limit now.
					maxEvents = events
				}
			}
			live := 0
			for _, e := range ref {
				if !e.cancelled {
					live++
				}
			}
			require.Equal(t, live, q.Len(), "seed %d step %d: Len", seed, step)
			require.Equal(t, len(q.slab), len(q.free)+q.queued(), "seed %d step %d: every slot is free or keyed", seed, step)
		}
	done:
	}
	t.Logf("stops %v, %d purges", stops, purged)
	assert.Positive(t, purged, "the test must purge")
	for _, s := range []StopReason{StopQuiescent, StopTimeLimit, StopEventLimit} {
		assert.Positive(t, stops[s], "the test must end runs with %v", s)
	}
}

// TestItemBeforeIsLess: the branch-free comparison agrees with less,
// negative and extreme times and sequence numbers included.
func TestItemBeforeIsLess(t *testing.T) {
	ats := []Time{math.MinInt64, -5, -1, 0, 1, 7, math.MaxInt64 - 1, math.MaxInt64}
	seqs := []uint64{0, 1, 2, 1 << 63, math.MaxUint64}
	var items []item
	for _, at := range ats {
		for _, seq := range seqs {
			items = append(items, item{at: at, seq: seq})
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		items = append(items, item{at: Time(r.Int64N(9) - 4), seq: r.Uint64N(4)})
	}
	for _, a := range items {
		for _, b := range items {
			want := 0
			if a.less(b) {
				want = 1
			}
			if got := a.before(b); got != want {
				t.Fatalf("%+v before %+v = %d, less says %d", a, b, got, want)
			}
		}
	}
}
