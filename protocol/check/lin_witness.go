package check

import (
	"fmt"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// linKey is the witness of one key: the model's state after the operations
// the log placed so far, what the real-time check needs, the first failure,
// and the last cut (see mark).
type linKey struct {
	ops     int64 // operations invoked on the key
	limbo   int32 // operations in limbo (linRec.limbo)
	touched bool  // in LinStream.touched
	failed  bool  // the witness failed: err says why
	present bool  // the model's state: present with value, or absent
	value   sim.Sym
	err     error
	serial  int64 // log passes over the key's operations: placements and supersessions

	// maxCall is the latest invoke (history event) among the operations
	// placed; maxRec, if its generation is still maxGen, is that record, and
	// maxCopy a copy of it taken when it was placed, for the message.
	maxCall int64
	maxRec  int32
	maxGen  uint32
	maxCopy linRec

	// The cut: the last point where the witness had proven every operation
	// the log had placed or passed over (serial cutSerial), leaving the
	// model in the state cutPresent, cutValue.
	cutSerial  int64
	cutPresent bool
	cutValue   sim.Sym

	dropped    int64 // records of the key dropped
	droppedMax int64 // the latest placedAt among them
	pos        int32 // scratch for Result
}

// mark moves the key's cut to now if it may be one: the witness has not
// failed, and no operation is in limbo (placed but unanswered, or answered
// but unplaced).
//
// Why that is a sound place to resume a search from: let P be the
// operations the log placed or passed over up to the cut and Q all the
// others, those invoked later and those in flight, unplaced and unanswered.
// P in log order is a verified sequential execution: every answer in P is
// known (nothing is in limbo) and is the model's, ending in the cut's state
// S; what the log passed over is unanswered and may be left out. If Q has a
// linearization from S, then P's order followed by it is a linearization of
// the key: real time within P was checked as it was placed, within Q by the
// search, and across, an operation of Q is answered (if ever) after the
// cut, after every operation of P was invoked, so none has to come before
// one of P. The converse does not hold: another order of P may leave
// another state, from which Q would fit; so from a cut other than the very
// start a failed search proves nothing (inconclusive).
func (k *linKey) mark() {
	if !k.failed && k.limbo == 0 {
		k.cutSerial, k.cutPresent, k.cutValue = k.serial, k.present, k.value
	}
}

// fail records the first failure of key's witness; the key is then
// searched at Result, from the history alone.
func (s *LinStream) fail(key sim.Sym, err error) {
	k := s.key(key)
	if !k.failed {
		k.failed, k.err = true, err
	}
}

// place applies the log's command cmd, in slot slot, as request r, which
// its client invoked: it checks that cmd is that request, that real time
// allows it here, and that its answer, if already known, is the model's
// (else the model's answer waits for it in want).
func (s *LinStream) place(r int32, cmd protocol.Command, slot int64) {
	rec := &s.recs[r]
	k := &s.keys[rec.key]
	k.serial++
	rec.placedAt = k.serial
	switch {
	case k.failed:
	case cmd.Op != rec.op || !s.sameText(cmd.Key, rec.key) || !s.sameText(cmd.Value, rec.value):
		err := fmt.Errorf("slot %d holds %s #%d %s, but %s was invoked", slot, s.names.Name(cmd.Client), cmd.Seq, cmd.Text(s.names), s.describe(rec))
		s.fail(cmd.Key, err)
		s.fail(rec.key, err)
	case rec.has(recAnswered) && k.maxCall > rec.retIdx:
		// Some operation placed before it was invoked after it returned.
		first := &k.maxCopy
		if s.recs[k.maxRec].gen == k.maxGen && s.recs[k.maxRec].has(recLive) {
			first = &s.recs[k.maxRec]
		}
		s.fail(rec.key, fmt.Errorf("%s is placed before %s, which returned before it was invoked", s.describe(first), s.describe(rec)))
	default:
		present, value, want := linStep(k.present, k.value, rec)
		if rec.has(recAnswered) && !s.same(want, rec.ans) {
			s.fail(rec.key, fmt.Errorf("in log order, %s gets %s", s.describe(rec), s.resOf(want).text(rec.op)))
			break
		}
		k.present, k.value = present, value
		rec.want = want
		rec.flags |= recWitness
		if rec.callIdx > k.maxCall {
			k.maxCall, k.maxRec, k.maxGen, k.maxCopy = rec.callIdx, r, rec.gen, *rec
		}
	}
	s.update(r, recLogDone)
}

// sameText reports whether two symbols read the same.
func (s *LinStream) sameText(a, b sim.Sym) bool {
	return a == b || s.text(a) == s.text(b)
}

// linStep is linApply on symbols: the key's state after rec's request on
// the state present, value, and the answer.
func linStep(present bool, value sim.Sym, rec *linRec) (bool, sim.Sym, linAns) {
	switch rec.op {
	case protocol.Put:
		if present {
			return present, value, linAns{code: protocol.ErrExists, sym: rec.key}
		}
		return true, rec.value, linAns{ok: true}
	case protocol.Get:
		if present {
			return present, value, linAns{ok: true, sym: value}
		}
		return present, value, linAns{code: protocol.ErrNotFound, sym: rec.key}
	case protocol.Delete:
		if present {
			return false, 0, linAns{ok: true}
		}
		return present, value, linAns{code: protocol.ErrNotFound, sym: rec.key}
	}
	panic(fmt.Sprintf("check: linearizability model given op %v", rec.op))
}
