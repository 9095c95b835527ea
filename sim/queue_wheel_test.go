package sim

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// heapRef is the ordered queue as it was before the wheel: one binary
// min-heap of every key, cancelled timers' included until popped or purged,
// with the same purge rule (purge when cancelled timers outnumber live
// events and are at least purgeMin; keep the latest cancelled timer due by
// the time limit and the latest due after it). The differential test
// requires the queue to pop exactly what it pops.
type heapRef struct {
	h    []refKey
	live int
}

type refKey struct {
	at        Time
	seq       uint64
	cancelled bool
}

func (a refKey) less(b refKey) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

func (r *heapRef) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !r.h[i].less(r.h[p]) {
			return
		}
		r.h[i], r.h[p] = r.h[p], r.h[i]
		i = p
	}
}

func (r *heapRef) down(i int) {
	for {
		c := 2*i + 1
		if c >= len(r.h) {
			return
		}
		if c+1 < len(r.h) && r.h[c+1].less(r.h[c]) {
			c++
		}
		if !r.h[c].less(r.h[i]) {
			return
		}
		r.h[i], r.h[c] = r.h[c], r.h[i]
		i = c
	}
}

func (r *heapRef) push(at Time, seq uint64) {
	r.h = append(r.h, refKey{at: at, seq: seq})
	r.up(len(r.h) - 1)
	r.live++
}

func (r *heapRef) peek() (Time, bool) {
	if len(r.h) == 0 {
		return 0, false
	}
	return r.h[0].at, true
}

func (r *heapRef) pop() refKey {
	top := r.h[0]
	last := len(r.h) - 1
	r.h[0] = r.h[last]
	r.h = r.h[:last]
	if last > 0 {
		r.down(0)
	}
	if !top.cancelled {
		r.live--
	}
	return top
}

func (r *heapRef) cancel(seq uint64, limit Time) {
	for i := range r.h {
		if r.h[i].seq == seq {
			r.h[i].cancelled = true
		}
	}
	r.live--
	if dead := len(r.h) - r.live; dead > r.live && dead >= purgeMin {
		var in, out *refKey
		var kept []refKey
		for i := range r.h {
			k := &r.h[i]
			if !k.cancelled {
				kept = append(kept, *k)
				continue
			}
			keep := &in
			if k.at > limit {
				keep = &out
			}
			if *keep == nil || (*keep).less(*k) {
				*keep = k
			}
		}
		for _, k := range []*refKey{in, out} {
			if k != nil {
				kept = append(kept, *k)
			}
		}
		r.h = kept
		for i := len(r.h)/2 - 1; i >= 0; i-- {
			r.down(i)
		}
	}
}

func (r *heapRef) clone() *heapRef {
	return &heapRef{h: append([]refKey(nil), r.h...), live: r.live}
}

// checkTiers checks where the queue keeps its keys (see queue): the near
// heap is a heap of keys of buckets up to the current one, every bucket of
// the wheel holds keys of its own bucket within the wheel's span, the far
// heap is a heap of keys beyond it, and the counts agree.
func checkTiers[M any](t *testing.T, q *queue[M], ctx string) {
	t.Helper()
	isHeap := func(h []item) bool {
		for i := 1; i < len(h); i++ {
			if h[i].less(h[(i-1)/2]) {
				return false
			}
		}
		return true
	}
	if !isHeap(q.heap) {
		t.Fatalf("%s: the near heap is not a heap", ctx)
	}
	w := q.w
	if w == nil || !w.on {
		return
	}
	for _, it := range q.heap {
		if bucket(it.at) > w.cur {
			t.Fatalf("%s: near key %+v beyond the current bucket %d", ctx, it, w.cur)
		}
	}
	if !isHeap(w.far) {
		t.Fatalf("%s: the far heap is not a heap", ctx)
	}
	for _, it := range w.far {
		if bucket(it.at)-w.cur < wheelSize {
			t.Fatalf("%s: far key %+v within the wheel's span from %d", ctx, it, w.cur)
		}
	}
	n := 0
	for b := range w.head {
		if set := w.bits[b>>6]&(1<<(b&63)) != 0; set != (w.head[b] != 0) {
			t.Fatalf("%s: bucket %d's bit is %v", ctx, b, set)
		}
		for s := w.head[b]; s != 0; s = w.node[s-1].next {
			it := w.node[s-1]
			k := bucket(it.at)
			if it.slot != s-1 || k&wheelMask != int64(b) || k <= w.cur || k-w.cur >= wheelSize {
				t.Fatalf("%s: key %+v in bucket %d, the current one %d", ctx, it, b, w.cur)
			}
			n++
		}
	}
	if n != w.n {
		t.Fatalf("%s: %d keys in buckets, counted %d", ctx, n, w.n)
	}
}

// wheelCase draws the time of a new event from now: mostly within the
// wheel's span, some at now or in the bucket of now, on bucket and span
// boundaries, far beyond the span, in the past, at the extremes of time, and
// tied with a pending event.
func wheelCase(r *rand.Rand, now Time, pending []Time) Time {
	add := func(d int64) Time {
		if d > 0 && int64(now) > math.MaxInt64-d {
			return math.MaxInt64
		}
		return now + Time(d)
	}
	const width = 1 << wheelShift
	switch r.IntN(14) {
	case 0:
		return now
	case 1:
		return add(r.Int64N(width))
	case 2, 3, 4:
		return add(int64(Millisecond) + r.Int64N(int64(4*Millisecond)))
	case 5:
		return add(int64(10 * Millisecond))
	case 6:
		return add(int64(50*Millisecond) + r.Int64N(int64(50*Millisecond)))
	case 7: // a bucket or span boundary, or next to one
		d := []int64{0, 1, 2, wheelSize - 2, wheelSize - 1, wheelSize, wheelSize + 1, 2 * wheelSize}[r.IntN(8)]
		return add((d+1)*width - int64(now)%width + r.Int64N(3) - 1)
	case 8:
		return add(r.Int64N(int64(10 * Second)))
	case 9:
		return add(int64(3600*Second) + r.Int64N(int64(3600*Second)))
	case 10:
		if len(pending) > 0 {
			return pending[r.IntN(len(pending))]
		}
		return now
	case 11: // in the past, before the current bucket too
		return now - Time(r.Int64N(3*width))
	case 12:
		return []Time{math.MaxInt64, math.MaxInt64 - 1, math.MinInt64 / 2, -1}[r.IntN(4)]
	default:
		return add(r.Int64N(int64(200 * Millisecond)))
	}
}

// TestQueueMatchesHeap is the differential test of the wheel: random
// pushes, cancellations, peeks and pops, with purges, clones mid-run and
// resets, through the queue and heapRef, must pop the same keys (time, seq,
// cancelled or not) in the same order, peek the same times and count the
// same live events and keys.
func TestQueueMatchesHeap(t *testing.T) {
	purges, clones, resets, spread, tiers := 0, 0, 0, 0, 0
	for seed := uint64(1); seed <= 200; seed++ {
		r := rand.New(rand.NewPCG(seed, 99))
		limit := Time(r.Int64N(int64(300 * Millisecond)))
		if seed%5 == 0 {
			limit = math.MaxInt64
		}
		var q, spare queue[int]
		ref := &heapRef{}
		slots := map[uint64]int32{} // live timers' slots by seq
		var timers []uint64         // live timers' seqs, in push order
		var pendingAt []Time
		now := Time(0)
		if seed%3 == 0 {
			now = Time(r.Int64N(int64(3600 * Second)))
		}
		// popped forgets a timer that fired and advances the clock.
		popped := func(ev event[int]) {
			if ev.kind == evTimer {
				delete(slots, ev.seq)
				for i, s := range timers {
					if s == ev.seq {
						timers[i] = timers[len(timers)-1]
						timers = timers[:len(timers)-1]
						break
					}
				}
			}
			now = max(now, ev.at)
		}
		// Some seeds push a lot and drain slowly (many keys a bucket),
		// others keep few pending.
		pushP := 4 + int(seed%5)
		steps := 1500 + r.IntN(1500)
		for step := 0; step < steps; step++ {
			ctx := func(what string) string {
				return what + " (seed " + strconv.FormatUint(seed, 10) + ", step " + strconv.Itoa(step) + ")"
			}
			switch op := r.IntN(12); {
			case op < pushP: // push an event or a timer
				at := wheelCase(r, now, pendingAt)
				kind := evDeliver
				if r.IntN(2) == 0 {
					kind = evTimer
				}
				slot := q.push(at, event[int]{kind: kind, msg: step})
				seq := q.slab[slot].seq
				ref.push(at, seq)
				if kind == evTimer {
					slots[seq] = slot
					timers = append(timers, seq)
				}
				if len(pendingAt) < 64 {
					pendingAt = append(pendingAt, at)
				} else {
					pendingAt[r.IntN(len(pendingAt))] = at
				}
			case op < 9: // cancel a live timer
				if len(timers) == 0 {
					continue
				}
				i := r.IntN(len(timers))
				seq := timers[i]
				timers[i] = timers[len(timers)-1]
				timers = timers[:len(timers)-1]
				before := q.queued()
				q.cancel(slots[seq], limit)
				delete(slots, seq)
				ref.cancel(seq, limit)
				if q.queued() < before {
					purges++
				}
			case op < 11: // peek and pop, as Engine.next does; now follows
				at, ok := q.peek()
				wantAt, wantOK := ref.peek()
				require.Equal(t, wantOK, ok, ctx("peek"))
				if !ok {
					continue
				}
				require.Equal(t, wantAt, at, ctx("peek time"))
				want := ref.pop()
				slot := q.pop()
				ev := q.take(slot)
				require.Equal(t, want.at, ev.at, ctx("pop time"))
				require.Equal(t, want.seq, ev.seq, ctx("pop seq"))
				require.Equal(t, want.cancelled, ev.kind == evCancel, ctx("pop cancelled"))
				popped(ev)
			default: // clone, drain the clone and check it; go on with either
				if r.IntN(8) != 0 {
					// pop without peek: pop must refill by itself
					if len(ref.h) == 0 {
						continue
					}
					want := ref.pop()
					ev := q.take(q.pop())
					require.Equal(t, want.seq, ev.seq, ctx("pop without peek"))
					popped(ev)
					continue
				}
				clones++
				q.cloneInto(&spare)
				require.Equal(t, q.queued(), spare.queued(), ctx("clone keys"))
				rc := ref.clone()
				if r.IntN(2) == 0 {
					// Drain the clone against the reference's copy: the
					// original must be untouched by it.
					for {
						at, ok := spare.peek()
						wantAt, wantOK := rc.peek()
						require.Equal(t, wantOK, ok, ctx("clone peek"))
						if !ok {
							break
						}
						require.Equal(t, wantAt, at, ctx("clone peek time"))
						want := rc.pop()
						ev := spare.take(spare.pop())
						require.Equal(t, want.seq, ev.seq, ctx("clone pop"))
					}
				} else {
					// Go on with the clone; the original is the spare.
					q, spare = spare, q
				}
			}
			if step == steps/2 && seed%4 == 0 {
				resets++
				q.reset()
				ref = &heapRef{}
				clear(slots)
				timers = timers[:0]
				pendingAt = pendingAt[:0]
			}
			if w := q.w; w != nil && w.on {
				spread++
				if w.n > 0 && len(w.far) > 0 {
					tiers++
				}
			}
			if seed <= 30 || step%32 == 0 {
				checkTiers(t, &q, "seed "+strconv.FormatUint(seed, 10)+", step "+strconv.Itoa(step))
			}
			require.Equal(t, ref.live, q.Len(), "seed %d step %d: Len", seed, step)
			require.Equal(t, len(ref.h), q.queued(), "seed %d step %d: keys", seed, step)
			require.Equal(t, len(q.slab), len(q.free)+q.queued(), "seed %d step %d: every slot is free or keyed", seed, step)
		}
		// Drain what is left.
		for {
			at, ok := q.peek()
			wantAt, wantOK := ref.peek()
			require.Equal(t, wantOK, ok, "seed %d drain", seed)
			if !ok {
				break
			}
			require.Equal(t, wantAt, at, "seed %d drain", seed)
			want := ref.pop()
			ev := q.take(q.pop())
			require.Equal(t, want.seq, ev.seq, "seed %d drain", seed)
		}
	}
	t.Logf("%d purges, %d clones, %d resets; %d steps spread, %d with keys in the wheel and the far heap", purges, clones, resets, spread, tiers)
	require.Positive(t, tiers)
	require.Positive(t, purges)
	require.Positive(t, clones)
	require.Positive(t, resets)
}
