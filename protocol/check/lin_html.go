package check

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"slices"
	"strconv"
	"strings"
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

// LinPage says which run a linearizability picture shows, for its heading,
// and what to mark on it.
type LinPage struct {
	Scenario    string // "" leaves the run unnamed
	Seed        uint64
	Annotations []Annotation
}

// linPictureTimeout bounds porcupine's search for the picture. The picture
// is an output, not a verdict: if porcupine gives up, it shows the partial
// linearizations found so far, and the verdict (Err) stays the checker's.
// (A variable so that a test of a hard history need not wait for it.)
var linPictureTimeout = 10 * time.Second

// WriteHTML is WritePage for a run without a name.
func (r LinResult) WriteHTML(w io.Writer, annotations []Annotation) error {
	return r.WritePage(w, LinPage{Annotations: annotations})
}

// WritePage writes porcupine's picture of the checked history to w: a
// self-contained HTML page with one row per client, named (hovering over an
// operation shows its virtual times), and the linearization found, or, when
// there is none, the longest partial ones and where they fail. Above it, a
// heading names the scenario and seed and gives the verdict; below it, an
// axis gives the virtual time of the calls and returns (porcupine spaces
// them evenly, not to scale). The annotations are drawn at their virtual
// times, on their client's row or on a row named after their node.
//
// Porcupine's visualisation needs its own search's findings, so it is run
// here, only when a picture is asked for, with linPictureTimeout. It shows
// the operations kept (see LinStream): all of them unless the history was
// longer than the stream's retain. Its page numbers the clients and has no
// axis: WritePage edits it (linPatches), and says so in an error should a
// new porcupine change what it edits.
func (r LinResult) WritePage(w io.Writer, p LinPage) error {
	var info porcupine.LinearizationInfo
	if ops := r.operations(); len(ops) > 0 {
		_, info = porcupine.CheckOperationsVerbose(linModel, ops, linPictureTimeout)
		sortPartials(info)
	}
	clock := r.clock
	if clock.scale == 0 && len(p.Annotations) > 0 {
		clock.idx, clock.ts = r.eventTimes()
	}
	anns := make([]porcupine.Annotation, 0, len(p.Annotations))
	for _, a := range p.Annotations {
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
	var b bytes.Buffer
	if err := porcupine.Visualize(linModel, info, &b); err != nil {
		return err
	}
	page := b.String()
	for _, edit := range r.linPatches(p) {
		if n := strings.Count(page, edit.old); n != 1 {
			return fmt.Errorf("linearizability picture: porcupine's page has %d of %q, expected one: check/lin_html.go no longer matches this porcupine", n, edit.old)
		}
		page = strings.Replace(page, edit.old, edit.new, 1)
	}
	_, err := io.WriteString(w, page)
	return err
}

// linPatch replaces one piece of porcupine's page.
type linPatch struct{ old, new string }

// linPatches are the edits to porcupine's page: the clients' names instead
// of their numbers (where the row labels are measured and where they are
// drawn), the heading, and the time axis, drawn by linAxisJS from the
// layout porcupine computed (exposed to it) and the virtual times of the
// calls and returns (linTimes).
func (r LinResult) linPatches(p LinPage) []linPatch {
	names, _ := json.Marshal(r.clients)
	times, _ := json.Marshal(r.linTimes())
	return []linPatch{
		{"const tag = i < realClients ? i.toString() : sortedTags[i - realClients]",
			"const tag = i < realClients ? linClients[i] : sortedTags[i - realClients]"},
		{"text.textContent = i < realClients ? i : sortedTags[i - realClients]",
			"text.textContent = i < realClients ? linClients[i] : sortedTags[i - realClients]"},
		{"const t0x = PADDING + maxTagWidth // X-pos of line at t=0",
			"const t0x = PADDING + maxTagWidth // X-pos of line at t=0\n  linLayout = {xPos, t0x, PADDING}"},
		{`<div id="canvas"></div>`, r.linHeading(p) + `<div id="canvas"></div>`},
		{"</style>", linCSS + "</style>"},
		{"\n      render(data)\n",
			"\n      const linClients = " + string(names) + "\n      const linTimes = " + string(times) +
				"\n      let linLayout = null\n      const linEvents = linCollect(data)\n      render(data)\n      linAxis(linEvents)\n" + linAxisJS},
	}
}

// linTimes maps porcupine's timestamp of every call and return (as the
// page's data writes them, in decimal) to its virtual time, to the
// microsecond.
func (r LinResult) linTimes() map[string]string {
	ops := r.operations()
	out := make(map[string]string, 2*len(ops))
	for _, op := range ops {
		m := op.Metadata.(linMeta)
		out[strconv.FormatInt(op.Call, 10)] = roundUs(m.call)
		if m.answered {
			out[strconv.FormatInt(op.Return, 10)] = roundUs(m.ret)
		}
	}
	return out
}

// roundUs is a virtual time to the microsecond, for the axis.
func roundUs(t sim.Time) string { return time.Duration(t).Round(time.Microsecond).String() }

// linHeading is the page's heading: the run, the verdict, and what the
// picture shows.
func (r LinResult) linHeading(p LinPage) string {
	title := "linearizability"
	if p.Scenario != "" {
		title += ": " + p.Scenario + ", seed " + strconv.FormatUint(p.Seed, 10)
	}
	verdict, cls := "linearizable", "ok"
	if err := r.Err(); err != nil {
		verdict, cls = err.Error(), "fail"
	}
	var s strings.Builder
	fmt.Fprintf(&s, "<header id=\"linhead\"><h1>%s</h1><p class=\"verdict %s\">%s</p>", html.EscapeString(title), cls, html.EscapeString(verdict))
	fmt.Fprintf(&s, "<p>%d operations (%d unanswered) on %d keys by %s. One row per client; a box runs from a request's call to its return, and the time axis below gives their virtual times (evenly spaced, not to scale).</p></header>\n",
		r.Ops, r.Indeterminate, r.Keys, html.EscapeString(strings.Join(r.clients, ", ")))
	return s.String()
}

// linCSS styles the heading and the axis.
const linCSS = `
#linhead { margin: 45px 0 0; }
#canvas { margin-top: 8px; }
#linhead h1 { font-size: 18px; margin: 0 0 4px; }
#linhead p { margin: 2px 0; font-size: 13px; color: #444; }
#linhead .verdict { font-weight: bold; }
#linhead .verdict.ok { color: #1b5e20; }
#linhead .verdict.fail { color: #b71c1c; }
.lin-axis line { stroke: #888; }
.lin-axis text { font-size: 11px; fill: #333; }
`

// linAxisJS draws the time axis under porcupine's picture. linCollect runs
// before porcupine's render, which moves some end times by a small epsilon:
// it keeps each call's and return's timestamp as laid out and its
// original. linAxis then puts a tick at each, labelled with its virtual
// time, skipping a label that repeats the one before or would touch it.
const linAxisJS = `
      function linCollect(data) {
        const out = []
        for (const p of data.Partitions) {
          for (const e of p.History) {
            out.push([e.Start, e.OriginalStart], [e.End, e.OriginalEnd])
          }
        }
        return out
      }
      function linAxis(events) {
        const svg = document.querySelector('#canvas svg')
        if (!svg || !linLayout) return
        const NS = 'http://www.w3.org/2000/svg'
        const h = Number(svg.getAttribute('height'))
        const w = Number(svg.getAttribute('width'))
        svg.setAttribute('height', h + 44)
        const g = document.createElementNS(NS, 'g')
        g.setAttribute('class', 'lin-axis')
        svg.appendChild(g)
        function add(tag, attrs, text) {
          const el = document.createElementNS(NS, tag)
          for (const k in attrs) el.setAttribute(k, attrs[k])
          if (text !== undefined) el.textContent = text
          g.appendChild(el)
          return el
        }
        const y = h + 4
        add('line', {x1: linLayout.t0x, y1: y, x2: w - linLayout.PADDING, y2: y})
        add('text', {x: linLayout.t0x, y: y + 32, class: 'title'}, 'virtual time of the calls and returns (evenly spaced, not to scale)')
        const ticks = events
          .filter(([at, orig]) => linTimes[orig] !== undefined && linLayout.xPos[at] !== undefined)
          .map(([at, orig]) => [linLayout.t0x + linLayout.xPos[at], linTimes[orig]])
          .sort((a, b) => a[0] - b[0])
        let last = -Infinity, lastHalf = 0, lastLabel = ''
        for (const [x, label] of ticks) {
          add('line', {x1: x, y1: y, x2: x, y2: y + 4})
          const half = 3.4 * label.length
          if (label === lastLabel || x - last < lastHalf + half + 8) continue // the same time, or it would touch the label before
          add('text', {x: x, y: y + 16, 'text-anchor': 'middle', class: 'tick'}, label)
          last = x
          lastHalf = half
          lastLabel = label
        }
      }
`

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
