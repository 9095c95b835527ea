package sim

import (
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
				seq, slot := q.push(at, event[int]{kind: evDeliver, msg: next})
				require.Equal(t, next+1, int(seq), "seed %d: push sequence numbers count from 1", seed)
				require.GreaterOrEqual(t, slot, int32(0))
				ref = append(ref, refEvent{at: at, seq: seq, v: next})
				next++
			} else {
				want := refPop(&ref)
				pt, ok := q.peek()
				require.True(t, ok)
				require.Equal(t, want.at, pt, "seed %d step %d: peek", seed, step)
				at, ev := q.pop()
				require.Equal(t, want.at, at, "seed %d step %d: time", seed, step)
				require.Equal(t, want.v, ev.msg, "seed %d step %d: value", seed, step)
				require.Equal(t, want.seq, ev.seq, "seed %d step %d: seq", seed, step)
			}
			require.Equal(t, len(ref), q.Len(), "seed %d step %d: Len", seed, step)
		}
		for len(ref) > 0 {
			want := refPop(&ref)
			at, ev := q.pop()
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
		at, ev := q.pop()
		got = append(got, ev.msg)
		gotT = append(gotT, at)
	}
	assert.Equal(t, []int{3, 6, 0, 2, 4, 5, 8, 1, 7}, got)
	assert.Equal(t, []Time{1, 3, 7, 7, 7, 7, 7, 9, 9}, gotT)
}

func TestQueueCancel(t *testing.T) {
	var q queue[int]
	seqA, slotA := q.push(5, event[int]{kind: evTimer, name: "a"})
	seqB, slotB := q.push(3, event[int]{kind: evTimer, name: "b"})
	seqD, slotD := q.push(4, event[int]{kind: evDeliver, msg: 1})

	assert.True(t, q.cancel(slotA, seqA), "a pending timer is cancelled")
	assert.False(t, q.cancel(slotA, seqA), "a cancelled timer cannot be cancelled again")
	assert.False(t, q.cancel(slotD, seqD), "only timers can be cancelled")
	assert.False(t, q.cancel(slotB, seqB+100), "wrong sequence number")
	assert.False(t, q.cancel(-1, seqB), "negative slot")
	assert.False(t, q.cancel(int32(len(q.slab)), seqB), "slot past the slab")
	assert.Equal(t, 3, q.Len(), "a cancelled timer stays queued until popped")

	at, ev := q.pop()
	assert.Equal(t, Time(3), at)
	assert.Equal(t, evTimer, ev.kind)
	assert.Equal(t, "b", ev.name)
	at, ev = q.pop()
	assert.Equal(t, Time(4), at)
	assert.Equal(t, evDeliver, ev.kind)
	at, ev = q.pop()
	assert.Equal(t, Time(5), at)
	assert.Equal(t, evCancel, ev.kind, "the cancelled timer pops marked as skipped")
	assert.Equal(t, "a", ev.name)
}

func TestQueueCancelStaleTimerID(t *testing.T) {
	var q queue[int]
	seqA, slotA := q.push(1, event[int]{kind: evTimer, name: "a"})
	_, ev := q.pop()
	require.Equal(t, "a", ev.name)
	assert.False(t, q.cancel(slotA, seqA), "a fired timer cannot be cancelled")

	// The slot is reused by the next push.
	seqB, slotB := q.push(2, event[int]{kind: evTimer, name: "b"})
	require.Equal(t, slotA, slotB, "the freed slot is reused")
	require.NotEqual(t, seqA, seqB)
	assert.False(t, q.cancel(slotA, seqA), "a stale TimerID must not cancel the slot's new timer")
	_, ev = q.pop()
	assert.Equal(t, evTimer, ev.kind, "the new timer still fires")
	assert.Equal(t, "b", ev.name)
}

func TestQueuePopReleasesMessage(t *testing.T) {
	var q queue[*int]
	x := 1
	_, slot := q.push(1, event[*int]{kind: evDeliver, msg: &x})
	_, ev := q.pop()
	assert.Same(t, &x, ev.msg)
	assert.Nil(t, q.slab[slot].msg, "a popped slot must not keep the message alive")
	assert.Equal(t, evFree, q.slab[slot].kind)
}

func TestQueueReset(t *testing.T) {
	var q queue[*int]
	vals := make([]int, 50)
	for i := range vals {
		q.push(Time(i%7), event[*int]{kind: evDeliver, msg: &vals[i]})
	}
	for range 10 {
		q.pop()
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

	// The queue works as new, order holds; sequence numbers go on, so that
	// a TimerID from before the reset cannot cancel a new timer.
	seqBefore := q.seq
	seq, slot := q.push(5, event[*int]{kind: evDeliver, msg: &vals[0]})
	assert.Equal(t, seqBefore+1, seq)
	assert.Equal(t, int32(0), slot)
	q.push(2, event[*int]{kind: evDeliver, msg: &vals[1]})
	q.push(5, event[*int]{kind: evDeliver, msg: &vals[2]})
	seqT, slotT := q.push(1, event[*int]{kind: evTimer})
	assert.True(t, q.cancel(slotT, seqT))
	var got []*int
	var kinds []eventKind
	for q.Len() > 0 {
		_, ev := q.pop()
		got = append(got, ev.msg)
		kinds = append(kinds, ev.kind)
	}
	assert.Equal(t, []*int{nil, &vals[1], &vals[0], &vals[2]}, got)
	assert.Equal(t, []eventKind{evCancel, evDeliver, evDeliver, evDeliver}, kinds)
}
