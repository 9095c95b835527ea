package check

import (
	"io"
	"slices"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// Annotation is an event of the run to mark on the linearizability picture,
// typically an injected fault: a crash, a restart, a partition, a heal.
type Annotation struct {
	T    sim.Time // when it happened
	Node string   // the row it goes on: a client's name puts it on that client's row; "" means "run"
	Text string   // what happened, e.g. "crash"
}

// linPictureTimeout bounds porcupine's search for the picture. The picture
// is an output, not a verdict: if porcupine gives up, it shows the partial
// linearizations found so far, and the verdict (Err) stays the checker's.
// (A variable so that a test of a hard history need not wait for it.)
var linPictureTimeout = 10 * time.Second

// WriteHTML writes porcupine's picture of the checked history to w: a
// self-contained HTML page with one row per client (numbered from 0 in
// node order; hovering over an operation shows its client name and virtual
// times) and the linearization found, or, when there is none, the longest
// partial ones and where they fail. annotations are drawn at their virtual
// times, on their client's row or on a row named after their node.
//
// Porcupine's visualisation needs its own search's findings, so it is run
// here, only when a picture is asked for, with linPictureTimeout. It shows
// the operations kept (see LinStream): all of them unless the history was
// longer than the stream's retain.
func (r LinResult) WriteHTML(w io.Writer, annotations []Annotation) error {
	var info porcupine.LinearizationInfo
	if ops := r.operations(); len(ops) > 0 {
		_, info = porcupine.CheckOperationsVerbose(linModel, ops, linPictureTimeout)
		sortPartials(info)
	}
	clock := r.clock
	if clock.scale == 0 && len(annotations) > 0 {
		clock.idx, clock.ts = r.eventTimes()
	}
	anns := make([]porcupine.Annotation, 0, len(annotations))
	for _, a := range annotations {
		t := clock.at(a.T)
		pa := porcupine.Annotation{
			Start:       t,
			End:         t,
			Description: a.Text,
			Details:     a.T.String() + " " + a.Node + ": " + a.Text,
		}
		if id := slices.Index(r.clients, a.Node); id >= 0 && a.Node != "" {
			pa.ClientId = id
		} else {
			pa.Tag = a.Node
			if pa.Tag == "" {
				pa.Tag = "run"
				pa.Details = a.T.String() + ": " + a.Text
			}
		}
		anns = append(anns, pa)
	}
	info.AddAnnotations(anns)
	return porcupine.Visualize(linModel, info, w)
}

// eventTimes is the history events of r's records, in order, and their
// times: where ordinal timestamps put annotations.
func (r LinResult) eventTimes() ([]int64, []sim.Time) {
	type event struct {
		i int64
		t sim.Time
	}
	evs := make([]event, 0, 2*len(r.recs))
	for i := range r.recs {
		rec := &r.recs[i]
		evs = append(evs, event{rec.callIdx, rec.callT})
		if rec.has(recAnswered) {
			evs = append(evs, event{rec.retIdx, rec.retT})
		}
	}
	slices.SortFunc(evs, func(a, b event) int { return cmpInt64(a.i, b.i) })
	idx := make([]int64, len(evs))
	ts := make([]sim.Time, len(evs))
	for j, e := range evs {
		idx[j], ts[j] = e.i, e.t
	}
	return idx, ts
}
