package check

import (
	"fmt"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// LogWatch checks the learners' logs as they are applied, one slot at a
// time, instead of comparing whole logs at the end: agreement (every
// learner applies the same value at the same slot), that what a learner
// applies is what was chosen there (with a Chosen watch), and exactly-once
// (no request takes effect twice on a learner). A slot's value is one
// command, or a batch of them. It keeps, per slot, the
// first value applied there and the log's hash chain up to it, only until
// every learner has passed the slot and no learner can apply it again (the
// floor, which log compaction raises: below it a learner installs a
// snapshot instead of re-applying); per learner, its place in the log and
// one bit per request of every client. So its memory is bounded by the
// learners' lag and the compaction interval, not by the length of the run.
//
// A learner's own log restarts when its machine does (a crash, a Phase 1
// win that rebuilds it) or jumps when it installs a snapshot (Restart): what
// it then applies is checked again against the slots kept.
type LogWatch struct {
	names  sim.Names
	single bool // one learner whose log restarts with its store (the kvstore): no agreement
	// onFirst receives every command the first time its slot is applied,
	// in log order (slot order, a batch's commands in order), for the
	// linearizability check.
	onFirst func(protocol.Command)

	ls   []learnerWatch
	base int64     // the slots forgotten: ref[0] is slot base+1
	ref  []refSlot // the first application of each slot kept
	errs [3]error  // agreement, applied-not-chosen, exactly-once: the first of each
}

// refSlot is the first application of a slot: what, by whom, and the hash
// chain of the log up to it.
type refSlot struct {
	val    protocol.Value
	who    int32
	digest uint64
}

// learnerWatch is what the watch knows of one learner.
type learnerWatch struct {
	name    string
	pos     int64      // the slots it applied
	digest  uint64     // the hash chain of its log
	effects [][]uint64 // per client id, a bit per request: it took effect on this learner
}

const (
	errAgreement = iota
	errNotChosen
	errTwice
)

// NewLogWatch watches learners with the given names (indices are the
// learners' in Applied). single is for one
// learner that keeps no durable log (the kvstore server): its log restarts
// with its store after a crash, so there is nothing to agree on; every
// command it applies is in log order for onFirst. onFirst may be nil.
func NewLogWatch(names sim.Names, learners []string, single bool, onFirst func(protocol.Command)) *LogWatch {
	w := &LogWatch{names: names, single: single, onFirst: onFirst}
	for _, n := range learners {
		w.ls = append(w.ls, learnerWatch{name: n})
	}
	return w
}

// Applied records that learner l applied command part of value v: with
// part 0 the value is its next slot's. effect says whether the command
// took effect (not a Noop, not a retry of a request applied). chosen is
// what the acceptors chose so far (nil: nothing to check against, the
// kvstore): the first value applied at a slot must be its choice.
func (w *LogWatch) Applied(l int, v protocol.Value, part int, effect bool, chosen *Chosen) {
	lw := &w.ls[l]
	if part == 0 {
		lw.pos++
		lw.digest = v.Chain(lw.digest)
		w.slot(l, lw, v, chosen)
	}
	if cmd := v.At(part); effect && cmd.HasClient() && cmd.Client >= 0 {
		w.effect(lw, cmd, lw.pos)
	}
}

// slot checks learner l's next slot, value v.
func (w *LogWatch) slot(l int, lw *learnerWatch, v protocol.Value, chosen *Chosen) {
	slot := lw.pos
	if w.single {
		w.first(v)
		return
	}
	switch {
	case slot > w.top():
		w.ref = append(w.ref, refSlot{val: v, who: int32(l), digest: lw.digest})
		w.first(v)
		w.checkChosen(chosen, lw, slot, v)
	case slot > w.base:
		r := &w.ref[slot-w.base-1]
		if (!r.val.Same(v) || r.digest != lw.digest) && w.errs[errAgreement] == nil {
			w.errs[errAgreement] = fmt.Errorf("slot %d: %s applied %s but %s applied %s",
				slot, w.ls[r.who].name, r.val.Tagged(w.names), lw.name, v.Tagged(w.names))
		}
	default:
		if w.errs[errAgreement] == nil {
			w.errs[errAgreement] = fmt.Errorf("slot %d: %s applied %s again, below slot %d, from which every node recovers by snapshot",
				slot, lw.name, v.Tagged(w.names), w.base+1)
		}
	}
}

// first hands a slot's commands, applied there for the first time, to
// onFirst.
func (w *LogWatch) first(v protocol.Value) {
	if w.onFirst == nil {
		return
	}
	for i := range v.Len() {
		w.onFirst(v.At(i))
	}
}

// Restart records that learner l's log starts again after its first pos
// slots, whose hash chain is digest: 0, 0 for an emptied machine, or a
// snapshot's slot and digest once it installs one.
func (w *LogWatch) Restart(l int, pos int64, digest uint64) {
	lw := &w.ls[l]
	lw.pos, lw.digest = pos, digest
	for _, e := range lw.effects {
		clear(e)
	}
	if w.single || pos == 0 {
		return
	}
	switch {
	case pos > w.top():
		if w.errs[errAgreement] == nil {
			w.errs[errAgreement] = fmt.Errorf("%s installed a snapshot of slots 1..%d, beyond the slots any node applied (%d)", lw.name, pos, w.top())
		}
	case pos > w.base:
		if r := w.ref[pos-w.base-1]; r.digest != digest && w.errs[errAgreement] == nil {
			w.errs[errAgreement] = fmt.Errorf("%s installed a snapshot of slots 1..%d that differs from the log %s applied", lw.name, pos, w.ls[r.who].name)
		}
	}
}

// effect records that cmd took effect on lw at slot, and fails when its
// request already had.
func (w *LogWatch) effect(lw *learnerWatch, cmd protocol.Command, slot int64) {
	c := int(cmd.Client)
	for len(lw.effects) <= c {
		lw.effects = append(lw.effects, nil)
	}
	bits := lw.effects[c]
	word := int(cmd.Seq / 64)
	if word >= len(bits) {
		bits = append(bits, make([]uint64, word+1-len(bits))...)
		lw.effects[c] = bits
	}
	bit := uint64(1) << (cmd.Seq % 64)
	if bits[word]&bit != 0 {
		if w.errs[errTwice] == nil {
			w.errs[errTwice] = fmt.Errorf("%s #%d took effect twice on %s: again at slot %d (%s)",
				w.names.Name(cmd.Client), cmd.Seq, lw.name, slot, cmd.Text(w.names))
		}
		return
	}
	bits[word] |= bit
}

// checkChosen fails when the first value applied at slot is not the one
// chosen there.
func (w *LogWatch) checkChosen(chosen *Chosen, lw *learnerWatch, slot int64, v protocol.Value) {
	if chosen == nil || w.errs[errNotChosen] != nil {
		return
	}
	ch, ok := chosen.Choice(slot)
	switch {
	case !ok:
		w.errs[errNotChosen] = fmt.Errorf("%s applied %s at slot %d, where nothing was chosen: %s", lw.name, v.Text(w.names), slot, chosen.Votes(slot))
	case !ch.Same(v):
		w.errs[errNotChosen] = fmt.Errorf("%s applied %s at slot %d, where %s was chosen: %s", lw.name, v.Tagged(w.names), slot, ch.Tagged(w.names), chosen.Votes(slot))
	}
}

// top is the highest slot any learner applied: the slots kept end there.
func (w *LogWatch) top() int64 { return w.base + int64(len(w.ref)) }

// Forget drops what the watch keeps of the slots up to floor that every
// learner has passed: below floor no learner can apply a slot again.
func (w *LogWatch) Forget(floor int64) {
	low := floor
	for i := range w.ls {
		low = min(low, w.ls[i].pos)
	}
	if low <= w.base {
		return
	}
	n := copy(w.ref, w.ref[low-w.base:])
	w.ref = w.ref[:n]
	w.base = low
}

// Kept is the number of slots the watch keeps.
func (w *LogWatch) Kept() int { return len(w.ref) }

// Agreement is the first disagreement seen: of learners with each other,
// or of a learner with what was chosen.
func (w *LogWatch) Agreement() error {
	if w.errs[errAgreement] != nil {
		return w.errs[errAgreement]
	}
	return w.errs[errNotChosen]
}

// ExactlyOnce is the first request seen to take effect twice on a learner.
func (w *LogWatch) ExactlyOnce() error { return w.errs[errTwice] }

// Pos is how many slots learner l applied, as the watch saw it.
func (w *LogWatch) Pos(l int) int64 { return w.ls[l].pos }

// Reset forgets everything, keeping the memory, for another run.
func (w *LogWatch) Reset() {
	for i := range w.ls {
		lw := &w.ls[i]
		lw.pos, lw.digest = 0, 0
		for _, e := range lw.effects {
			clear(e)
		}
	}
	w.base, w.ref, w.errs = 0, w.ref[:0], [3]error{}
}

// CloneInto makes d a copy of w, reusing d's memory (d may be nil).
func (w *LogWatch) CloneInto(d *LogWatch) *LogWatch {
	if d == nil {
		d = &LogWatch{}
	}
	ls := d.ls
	d.names, d.single, d.onFirst = w.names, w.single, nil
	d.base, d.errs = w.base, w.errs
	d.ref = append(d.ref[:0], w.ref...)
	ls = ls[:min(len(ls), len(w.ls))]
	for len(ls) < len(w.ls) {
		ls = append(ls, learnerWatch{})
	}
	for i := range w.ls {
		src, dst := &w.ls[i], &ls[i]
		for j, e := range src.effects {
			if j < len(dst.effects) {
				dst.effects[j] = append(dst.effects[j][:0], e...)
			} else {
				dst.effects = append(dst.effects, append([]uint64(nil), e...))
			}
		}
		dst.effects = dst.effects[:len(src.effects)]
		dst.name, dst.pos, dst.digest = src.name, src.pos, src.digest
	}
	d.ls = ls
	return d
}

// OnFirst sets the receiver of each slot's first command (see NewLogWatch).
func (w *LogWatch) OnFirst(f func(protocol.Command)) { w.onFirst = f }
