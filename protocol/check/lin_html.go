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
// here, only when a picture is asked for, with linPictureTimeout.
func (r LinResult) WriteHTML(w io.Writer, annotations []Annotation) error {
	var info porcupine.LinearizationInfo
	if len(r.ops) > 0 {
		_, info = porcupine.CheckOperationsVerbose(linModel, r.ops, linPictureTimeout)
		sortPartials(info)
	}
	anns := make([]porcupine.Annotation, 0, len(annotations))
	for _, a := range annotations {
		t := r.clock.at(a.T)
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
