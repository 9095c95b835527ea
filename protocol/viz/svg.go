package viz

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/multipaxos-kv/multipaxos-kv/protocol/cluster"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// SVGOptions configures WriteSVG.
type SVGOptions struct {
	Title string // the heading; "" names the run from its summary
	// WidthMax, when above 0, narrows the lanes (down to laneWMin) so that
	// the diagram fits in this many pixels; the HTML page uses it.
	WidthMax int
}

// maxLabelled is the most messages drawn with labels: past it the labels
// smear into each other and the file grows large, so the heading says so
// and points to -window instead.
const maxLabelled = 2000

// The diagram's geometry, in pixels. Coordinates are integers so that the
// output never depends on floating-point formatting.
const (
	axisW      = 84    // the time axis, left of the first lane
	laneWMax   = 120   // one lane per node, as wide as this when there is room
	laneWMin   = 76    // and never narrower
	marginR    = 24    // right of the last lane
	minWidth   = 640   // room for the heading and the legend
	unitPx     = 56    // the median message latency is drawn this tall
	gapMinPx   = 7     // the least distance between two distinct times, when labelled
	breakPx    = 36    // an idle gap is compressed to this
	breakUnits = 2     // a gap longer than this many median latencies is idle
	tailPx     = 40    // below the last event: room for messages in flight
	maxHeight  = 40000 // past it the scale shrinks
	tickMinPx  = 56    // the least distance between two labelled ticks
	legendW    = 860   // the legend wraps here, to fit beside the HTML page's panel
)

// WriteSVG draws t as a space-time (Lamport) diagram: one lane per node,
// time flowing down, one arrow per message copy, with the client requests,
// faults and partitions on the lanes. The same trace gives the same bytes.
func WriteSVG(w io.Writer, t *Trace, opt SVGOptions) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	newLayout(t, opt.WidthMax).write(bw, opt.Title, true)
	return bw.Flush()
}

// layout places a trace: a lane x per node and a y per instant.
type layout struct {
	t      *Trace
	num    int64 // num/den pixels per unit of time, where not compressed
	den    int64
	laneW  int // the width of one lane
	laneX  map[string]int
	ts     []sim.Time // every instant something is drawn at, ascending
	ys     []int      // the y of each of ts
	brk    []bool     // brk[i]: the gap after ts[i] is idle and compressed
	unit   sim.Time   // the median latency of a delivered message
	top    int        // the y of ts[0]
	width  int
	height int
	labels bool
	tail   int // below the last instant: room for messages in flight (none when clipped)
	head   []headLine
	legend []legendItem

	// Labels, placed before anything is drawn (labels.go).
	placed   []labelBox      // every label placed so far
	msgLabel map[int]placed  // by index in t.Messages: the label drawn with that arrow
	burst    map[int][]int   // by index in t.Messages: every copy of the burst it belongs to
	markPos  map[int]placed  // by index in t.Marks
	crowds   []crowd         // labels that found no room, counted in a badge
	quorum   map[uint64]bool // the AtSeq of every Accepted copy that completed a quorum

	// Cuts and holds (links.go).
	linkDraws []linkDraw
	linkPos   map[int]placed     // by index in linkDraws: the label
	healed    map[uint64][]Fault // by a heal's seq: the cuts it ends
}

type headLine struct {
	y     int
	class string
	text  string
}

type legendItem struct {
	x, y  int
	kind  string // a message kind, or a mark: "drop", "dup", "inflight", "req", "crash", "restart", "partition"
	label string
}

// newLayout places t: lanes across, and every instant down the page to
// scale, with idle gaps compressed and, for long runs, the scale shrunk to
// keep the height under maxHeight.
func newLayout(t *Trace, widthMax int) *layout {
	l := &layout{t: t, laneX: map[string]int{}, labels: len(t.Messages) <= maxLabelled, laneW: laneWMax, tail: tailPx}
	if widthMax > 0 && len(t.Nodes) > 0 {
		l.laneW = min(max((widthMax-axisW-marginR)/len(t.Nodes), laneWMin), laneWMax)
	}
	l.width = max(axisW+len(t.Nodes)*l.laneW+marginR, minWidth)
	for i, n := range t.Nodes {
		l.laneX[n] = axisW + i*l.laneW + l.laneW/2
	}
	if t.Clip != nil {
		l.tail = 0
	}
	l.linkDraws = l.links()
	l.healed = healedCuts(append(slices.Clone(t.Prior), t.Faults...))
	y := l.heading(24)
	l.top = y + 56 // below the lane headers

	// Every instant something is drawn at; in a window, clamped to it, so
	// that nothing is drawn outside it.
	clamp := func(at sim.Time) sim.Time { return at }
	set := map[sim.Time]bool{t.End: true}
	if c := t.Clip; c != nil {
		clamp = func(at sim.Time) sim.Time { return min(max(at, c.From), c.To) }
		set[c.From], set[clamp(t.End)] = true, true
	}
	var lat []sim.Time
	for _, m := range t.Messages {
		set[clamp(m.Sent)], set[clamp(m.At)] = true, true
		if m.Fate == Delivered && m.At > m.Sent {
			lat = append(lat, m.At-m.Sent)
		}
	}
	for _, f := range t.Faults {
		set[clamp(f.T)] = true
	}
	for _, r := range t.Requests {
		set[clamp(r.Invoke)], set[clamp(r.Return)] = true, true
	}
	for _, m := range t.Marks {
		set[clamp(m.T)] = true
	}
	l.ts = slices.Sorted(maps.Keys(set))
	l.unit = sim.Millisecond
	if len(lat) > 0 {
		slices.Sort(lat)
		l.unit = lat[len(lat)/2]
	}
	l.unit = min(max(l.unit, sim.Microsecond), 10*sim.Second)
	gap := 2
	if l.labels {
		gap = gapMinPx
	}
	total := l.place(unitPx, 1, gap, breakPx)
	if total > maxHeight { // a long run: shrink the scale rather than the reader's browser
		total = l.place(unitPx*maxHeight, int64(total), 0, max(6, breakPx*maxHeight/total))
	}
	l.height = l.top + total + max(l.tail, 12) + 40
	l.setLinkYs()
	l.placeLabels()
	return l
}

// heading lays out the title lines and the legend from y on, and returns
// the y below them.
func (l *layout) heading(y int) int {
	l.head = append(l.head, headLine{y, "title", ""}, headLine{y + 20, "sub", l.subtitle()})
	y += 20
	if !l.labels {
		y += 18
		l.head = append(l.head, headLine{y, "note", fmt.Sprintf(
			"%d messages: drawn without labels (more than %d); hover for details, or narrow the run with -window FROM..TO",
			len(l.t.Messages), maxLabelled)})
	}
	y += 24
	x := axisW - 70
	add := func(kind, label string) {
		w := 34 + 6*len([]rune(label)) + 18
		if x+w > min(l.width-marginR, legendW) && x > axisW-70 {
			x, y = axisW-70, y+18
		}
		l.legend = append(l.legend, legendItem{x, y, kind, label})
		x += w
	}
	for _, k := range kinds[:len(kinds)-1] {
		add(k.class, k.label())
	}
	x, y = axisW-70, y+18
	add("drop", "dropped (reason)")
	add("dup", "duplicate copy")
	add("inflight", "in flight at the end")
	add("req", "client request: invoke to return")
	add("crash", "crash")
	add("restart", "restart")
	add("partition", "partition (shaded: the cut-off side)")
	if l.hasLinks(sim.EvCut) {
		add("linkcut", "cut link A → B: lost until a heal (striped)")
	}
	if l.hasLinks(sim.EvHold) {
		add("linkhold", "held link A → B: messages wait (striped)")
	}
	add("brk", "idle gap, drawn short")
	if l.t.Clip != nil {
		add("cut", "cut at the window's edge")
	}
	x, y = axisW-70, y+18
	for _, m := range markStyles {
		add("mark-"+string(m.kind), m.label)
	}
	add("crowd", "×3: copies sent at once, labelled once; +2: labels with no room (hover)")
	return y + 8
}

// subtitle counts what the diagram shows.
func (l *layout) subtitle() string {
	var del, drop, fly int
	for _, m := range l.t.Messages {
		switch m.Fate {
		case Delivered:
			del++
		case Dropped:
			drop++
		default:
			fly++
		}
	}
	from := sim.Time(0)
	switch {
	case l.t.Clip != nil:
		from = l.t.Clip.From
	case len(l.t.Messages) > 0:
		from = l.t.Messages[0].Sent
	}
	return fmt.Sprintf("%d nodes, %d message copies (%d delivered, %d dropped, %d in flight), %d client requests, %s to %s; time flows down",
		len(l.t.Nodes), len(l.t.Messages), del, drop, fly, len(l.t.Requests), roundUs(from), roundUs(l.t.End))
}

// place gives each instant its y: num/den pixels per unit of time, at
// least minGap between distinct instants, and idle gaps drawn brkPx tall.
// It returns the height from the first instant to the last.
func (l *layout) place(num, den int64, minGap, brkPx int) int {
	l.num, l.den = num, den
	l.ys = make([]int, len(l.ts))
	l.brk = make([]bool, len(l.ts))
	y := l.top
	for i := range l.ts {
		if i > 0 {
			dt := l.ts[i] - l.ts[i-1]
			var dy int
			if dt > breakUnits*l.unit {
				dy, l.brk[i-1] = brkPx, true
			} else {
				dy = max(int(int64(dt)*num/(int64(l.unit)*den)), minGap)
			}
			y += dy
		}
		l.ys[i] = y
	}
	return y - l.top
}

// y is the vertical position of time at, interpolated between instants.
func (l *layout) y(at sim.Time) int {
	i, found := slices.BinarySearch(l.ts, at)
	switch {
	case len(l.ts) == 0:
		return l.top
	case found:
		return l.ys[i]
	case i == 0:
		return l.ys[0]
	case i == len(l.ts):
		return l.ys[len(l.ys)-1]
	}
	t0, t1, y0, y1 := l.ts[i-1], l.ts[i], l.ys[i-1], l.ys[i]
	return y0 + int(int64(at-t0)*int64(y1-y0)/int64(t1-t0))
}

// bottom is the y of the last instant: the end of the run, or later when a
// windowed trace keeps a message that arrives after the window.
func (l *layout) bottom() int {
	if len(l.ys) == 0 {
		return l.top
	}
	return l.ys[len(l.ys)-1]
}

// svgCSS styles the diagram; it is inside the SVG so the file stands alone.
const svgCSS = `
.head .title{font-size:16px;font-weight:bold}
.head .sub{font-size:12px;fill:#444}
.head .note{font-size:12px;fill:#b00020;font-weight:bold}
.legend text,.axis text{font-size:11px;fill:#333}
.axis .grid{stroke:#eee}
.axis .tick{stroke:#888}
.brk rect{fill:#f3f3f3}
.brk polyline{fill:none;stroke:#aaa}
.brk text{font-size:11px;fill:#777;font-style:italic}
.lane .hdr{fill:#f4f6f8;stroke:#c8ced6}
.lane text{font-size:11px;font-weight:bold;fill:#222}
.lane .up{stroke:#b8bec6;stroke-width:1.5}
.lane .down{stroke:#d0d0d0;stroke-width:1.5;stroke-dasharray:4 4}
.req rect{fill:#37474f;fill-opacity:.85}
.req.open rect{fill:none;stroke:#37474f;stroke-dasharray:3 3}
.req text{font-size:10px;fill:#37474f}
.msg .a{stroke-width:1.3;fill:none}
.msg text{font-size:9.5px;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.msg .hit{stroke:#000;stroke-opacity:0;stroke-width:9;fill:none;pointer-events:stroke}
.msg:hover .a{stroke-width:2.6}
.msg.dup .a{stroke-dasharray:2 2}
.msg.inflight .a{stroke-dasharray:6 4}
.msg.k-hb{opacity:.4}
.cross{stroke:#d62728;stroke-width:2;fill:none}
.msg text.why{fill:#d62728}
.crash path{stroke:#d62728;stroke-width:3}
.crash text{fill:#d62728;font-size:11px;font-weight:bold}
.restart circle{fill:#2ca02c}
.restart text{fill:#2ca02c;font-size:11px;font-weight:bold}
.partition rect{fill:#ff9800;fill-opacity:.10;pointer-events:none}
.partition line{stroke:#ff9800;stroke-dasharray:6 3}
.partition text{fill:#b45f06;font-size:11px;font-weight:bold}
.marks text,.partition text,.brk text{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.msg.quorum .a{stroke-width:2.4}
.msg .cutend,.legend .cutend{stroke:#555;stroke-width:2}
.mark path{stroke:#fff;stroke-width:1}
.mark text{font-size:10px;font-weight:bold}
.crowd text,.crowdtxt{font-size:10px;font-weight:bold;fill:#444;cursor:help}
.milestones text,.crowd text{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.heal line{stroke:#2ca02c;stroke-dasharray:6 3}
.heal text{fill:#2ca02c;font-size:11px;font-weight:bold}
`

// write draws the diagram. A standalone SVG names its namespace; one
// inside an HTML page needs not.
func (l *layout) write(w *bufio.Writer, title string, standalone bool) {
	if title == "" {
		title = runTitle(l.t)
	}
	l.head[0].text = title
	ns := ""
	if standalone {
		ns = ` xmlns="http://www.w3.org/2000/svg"`
	}
	fmt.Fprintf(w, `<svg%s class="spacetime" width="%d" height="%d" viewBox="0 0 %d %d" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif">`+"\n",
		ns, l.width, l.height, l.width, l.height)
	css := svgCSS
	if len(l.linkDraws) > 0 {
		css += svgLinkCSS
	}
	fmt.Fprintf(w, "<title>%s</title>\n<style>%s</style>\n<defs>\n", esc(title), css)
	for _, k := range kinds {
		fmt.Fprintf(w, `<marker id="ah-%s" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="%s"/></marker>`+"\n", k.class, k.color)
	}
	fmt.Fprintf(w, "</defs>\n<rect class=\"bg\" width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", l.width, l.height)
	l.writeHead(w)
	l.writeBreaks(w)
	l.writeAxis(w)
	l.writeLanes(w)
	l.writeRequests(w)
	l.writeLinkStripes(w)
	w.WriteString("<g class=\"msgs\">\n")
	for _, hb := range []bool{true, false} { // heartbeats underneath
		for i, m := range l.t.Messages {
			if m.Routine() == hb {
				l.writeMessage(w, i)
			}
		}
	}
	w.WriteString("</g>\n")
	l.writePartitions(w)
	l.writeFaults(w)
	l.writeLinks(w)
	l.writeMilestones(w)
	l.writeCrowds(w)
	w.WriteString("</svg>\n")
}

// runTitle names the run from its summary record.
func runTitle(t *Trace) string {
	name, _ := t.Summary[cluster.SummaryScenario].(string)
	if name == "" {
		return "multipaxos-kv run"
	}
	return "multipaxos-kv " + name + ", seed " + jsonText(t.Summary[cluster.SummarySeed])
}

// writeHead draws the title, the subtitle and the legend.
func (l *layout) writeHead(w *bufio.Writer) {
	w.WriteString("<g class=\"head\">\n")
	for _, h := range l.head {
		fmt.Fprintf(w, "<text class=\"%s\" x=\"%d\" y=\"%d\">%s</text>\n", h.class, axisW-70, h.y, esc(h.text))
	}
	w.WriteString("<g class=\"legend\">\n")
	for _, it := range l.legend {
		x, y := it.x, it.y
		switch it.kind {
		case "drop":
			fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#555"/><path class="cross" d="%s"/>`, x, y-4, x+24, y-4, crossPath(x+24, y-4, 4))
		case "dup", "inflight":
			dash := map[string]string{"dup": "2 2", "inflight": "6 4"}[it.kind]
			fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#555" stroke-dasharray="%s" marker-end="url(#ah-ot)"/>`, x, y-4, x+28, y-4, dash)
		case "req":
			fmt.Fprintf(w, `<rect x="%d" y="%d" width="28" height="6" fill="#37474f"/>`, x, y-7)
		case "crash":
			fmt.Fprintf(w, `<path d="%s" stroke="#d62728" stroke-width="3"/>`, crossPath(x+14, y-4, 5))
		case "restart":
			fmt.Fprintf(w, `<circle cx="%d" cy="%d" r="5" fill="#2ca02c"/>`, x+14, y-4)
		case "brk":
			fmt.Fprintf(w, `<rect x="%d" y="%d" width="28" height="12" fill="#f3f3f3"/><polyline points="%d,%d %d,%d %d,%d %d,%d %d,%d" fill="none" stroke="#aaa"/>`,
				x, y-10, x, y-4, x+7, y-7, x+14, y-1, x+21, y-7, x+28, y-4)
		case "partition":
			fmt.Fprintf(w, `<rect x="%d" y="%d" width="28" height="12" fill="#ff9800" fill-opacity=".2"/>`, x, y-10)
		case "linkcut":
			fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="1.5" stroke-dasharray="5 3"/><path d="M%d,%d L%d,%d" stroke="%s" stroke-width="1.5"/>`,
				x, y-4, x+26, y-4, cutColor, x+26, y-10, x+26, y+2, cutColor)
		case "linkhold":
			fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="1.5" stroke-dasharray="5 3"/><circle cx="%d" cy="%d" r="4" fill="#fff" stroke="%s" stroke-width="1.5"/>`,
				x, y-4, x+22, y-4, holdColor, x+24, y-4, holdColor)
		case "cut":
			fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#555"/><path class="cutend" d="M%d,%d L%d,%d"/>`, x, y-4, x+24, y-4, x+24, y-8, x+24, y)
		case "crowd":
			fmt.Fprintf(w, `<text x="%d" y="%d" class="crowdtxt">+2</text>`, x+6, y)
		default:
			if k, isMark := strings.CutPrefix(it.kind, "mark-"); isMark {
				fmt.Fprintf(w, `<path d="%s" fill="%s"/>`, diamondPath(x+14, y-4, 5), markColor(MarkKind(k)))
				break
			}
			fmt.Fprintf(w, `<line class="k-%s" x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2" marker-end="url(#ah-%s)"/>`, it.kind, x, y-4, x+28, y-4, kindColor(it.kind), it.kind)
		}
		fmt.Fprintf(w, "<text x=\"%d\" y=\"%d\">%s</text>\n", x+34, y, esc(it.label))
	}
	w.WriteString("</g>\n</g>\n")
}

// band is a partition as drawn: from its start (or the window's) to the
// next partition or heal, shading the lanes of the side cut off.
type band struct {
	f            Fault
	until        sim.Time
	y0, y1       int
	cut          []string // the nodes of the side cut off, in lane order
	groups, text string   // every group; the words on the band
	x            int      // where the words start
}

// bands are the partitions in force during the picture.
func (l *layout) bands() []band {
	var out []band
	all := append(slices.Clone(l.t.Prior), l.t.Faults...)
	for i, f := range all {
		if f.Kind != sim.EvPartition {
			continue
		}
		b := band{f: f, until: l.t.End}
		for _, g := range all[i+1:] {
			if g.Kind == sim.EvPartition || g.Kind == sim.EvHeal {
				b.until = g.T
				break
			}
		}
		start := f.T
		if c := l.t.Clip; c != nil {
			if b.until < c.From {
				continue // over before the window
			}
			start = max(start, c.From)
		}
		b.y0, b.y1 = l.y(start), l.y(b.until)
		groups := make([]string, len(f.Groups))
		for j, g := range f.Groups {
			groups[j] = "{" + strings.Join(g, " ") + "}"
		}
		b.groups = "partition " + strings.Join(groups, " | ")
		cut := cutSide(f.Groups, l.t.Nodes)
		for _, n := range l.t.Nodes {
			if slices.Contains(cut, n) {
				b.cut = append(b.cut, n)
			}
		}
		b.text, b.x = "partition", axisW-2
		if len(b.cut) > 0 {
			b.text += ": " + strings.Join(b.cut, ", ") + " cut off"
			b.x = l.laneX[b.cut[0]] - l.laneW/2 + 4
		}
		out = append(out, b)
	}
	return out
}

// bandTextAt is where a band's words are: at the top of its first shaded
// lane.
func (b band) textAt() placed { return placed{b.text, b.x, b.y0 + 13, "start"} }

// writePartitions shades each partition band on the lanes of the side cut
// off (cutSide), over the arrows (it lets the pointer through to them) so
// that its groups stay legible; a line across the diagram marks its start.
func (l *layout) writePartitions(w *bufio.Writer) {
	x0, x1 := axisW-6, l.width-marginR+6
	for _, b := range l.bands() {
		f := b.f
		fmt.Fprintf(w, `<g class="fault partition" data-t="%d" data-cut="%s"><title>%s</title>`, f.T, esc(strings.Join(b.cut, " ")),
			esc(b.groups+"\nfrom "+f.T.String()+" to "+b.until.String()+"\nshaded: "+strings.Join(b.cut, ", ")+", the side without a majority of the acceptors"))
		for _, n := range b.cut {
			fmt.Fprintf(w, `<rect data-node="%s" x="%d" y="%d" width="%d" height="%d"/>`, esc(n), l.laneX[n]-l.laneW/2, b.y0, l.laneW, max(b.y1-b.y0, 1))
		}
		if l.t.Clip == nil || f.T >= l.t.Clip.From { // the window may open in the middle of it
			fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d"/>`, x0, b.y0, x1, b.y0)
		}
		p := b.textAt()
		fmt.Fprintf(w, `<text x="%d" y="%d">%s</text></g>`+"\n", p.x, p.y, esc(p.text))
	}
}

// cutSide is the side of a partition that is cut off: every group but the
// one holding a majority of the run's acceptors (among nodes), or, when no
// group does, every group but the largest (the first of the largest).
// Nodes in no group are not cut off.
func cutSide(groups [][]string, nodes []string) []string {
	acceptors := func(g []string) int {
		n := 0
		for _, name := range g {
			if strings.HasPrefix(name, cluster.KindAcceptor) {
				n++
			}
		}
		return n
	}
	total := acceptors(nodes)
	keep := -1
	for i, g := range groups {
		if total > 0 && 2*acceptors(g) > total {
			keep = i
		}
	}
	if keep < 0 {
		for i, g := range groups {
			if keep < 0 || len(g) > len(groups[keep]) {
				keep = i
			}
		}
	}
	var cut []string
	for i, g := range groups {
		if i != keep {
			cut = append(cut, g...)
		}
	}
	return cut
}

// writeBreaks draws the compressed idle gaps, behind everything else.
func (l *layout) writeBreaks(w *bufio.Writer) {
	x0, x1 := axisW-6, l.width-marginR+6
	for i, b := range l.brk {
		if !b {
			continue
		}
		y0, y1 := l.ys[i]+4, l.ys[i+1]-4
		mid := (y0 + y1) / 2
		var pts strings.Builder
		for x, up := x0, true; x <= x1; x, up = x+8, !up {
			dy := 3
			if up {
				dy = -3
			}
			fmt.Fprintf(&pts, "%d,%d ", x, mid+dy)
		}
		fmt.Fprintf(w, `<g class="brk"><title>%s</title><rect x="%d" y="%d" width="%d" height="%d"/><polyline points="%s"/><text x="%d" y="%d" text-anchor="end">≈ %s</text></g>`+"\n",
			esc("nothing happens for "+(l.ts[i+1]-l.ts[i]).String()+": drawn shorter"), x0, y0, x1-x0, max(y1-y0, 1), strings.TrimSpace(pts.String()), axisW-12, mid+4, approx(l.ts[i+1]-l.ts[i]))
	}
}

// roundUs rounds to the microsecond, for headings.
func roundUs(t sim.Time) string { return time.Duration(t).Round(time.Microsecond).String() }

// approx rounds an idle gap to two significant digits, for the break
// markers.
func approx(d sim.Time) string {
	r := time.Duration(d)
	for _, u := range []time.Duration{time.Second, 100 * time.Millisecond, 10 * time.Millisecond, time.Millisecond, 100 * time.Microsecond, 10 * time.Microsecond, time.Microsecond} {
		if r >= 10*u {
			return r.Round(u).String()
		}
	}
	return r.String()
}

// writeAxis draws the time axis with a label on round times, skipping
// compressed gaps and labels that would collide.
func (l *layout) writeAxis(w *bufio.Writer) {
	step := sim.Microsecond
	for i := 0; i < 40 && int64(step)*l.num/(int64(l.unit)*l.den) < tickMinPx; i++ {
		step *= sim.Time([]int64{2, 5, 10}[i%3]) // 1, 2, 5, 10, 20, 50, ...
		step /= sim.Time([]int64{1, 2, 5}[i%3])
	}
	w.WriteString("<g class=\"axis\">\n")
	fmt.Fprintf(w, `<line class="tick" x1="%d" y1="%d" x2="%d" y2="%d"/>`+"\n", axisW-8, l.top, axisW-8, l.bottom())
	last := -1 << 30
	for i := 0; i+1 < len(l.ts); i++ {
		if l.brk[i] {
			continue
		}
		for tk := (l.ts[i] + step - 1) / step * step; tk <= l.ts[i+1]; tk += step {
			y := l.y(tk)
			if y-last < 18 {
				continue
			}
			last = y
			fmt.Fprintf(w, `<line class="grid" x1="%d" y1="%d" x2="%d" y2="%d"/><line class="tick" x1="%d" y1="%d" x2="%d" y2="%d"/><text x="%d" y="%d" text-anchor="end">%s</text>`+"\n",
				axisW-4, y, l.width-marginR, y, axisW-12, y, axisW-8, y, axisW-14, y+4, time.Duration(tk).String())
		}
	}
	w.WriteString("</g>\n")
}

// writeLanes draws each node's lane: its name at both ends, solid while it
// runs, dashed while it is crashed (from the window's start if it crashed
// before).
func (l *layout) writeLanes(w *bufio.Writer) {
	w.WriteString("<g class=\"lanes\">\n")
	end := l.bottom() + l.tail
	for _, n := range l.t.Nodes {
		x := l.laneX[n]
		fmt.Fprintf(w, `<g class="lane" data-node="%s"><rect class="hdr" x="%d" y="%d" width="%d" height="24" rx="4"/><text x="%d" y="%d" text-anchor="middle">%s</text>`,
			esc(n), x-l.laneW/2+6, l.top-44, l.laneW-12, x, l.top-27, esc(n))
		// Up and down stretches: solid while running, dashed while crashed.
		from, down := l.top, false
		for _, f := range l.t.Prior {
			if f.Node == n && (f.Kind == sim.EvCrash || f.Kind == sim.EvRestart) {
				down = f.Kind == sim.EvCrash
			}
		}
		for _, f := range l.t.Faults {
			if f.Node != n || (f.Kind != sim.EvCrash && f.Kind != sim.EvRestart) {
				continue
			}
			y := l.y(f.T)
			if f.Kind == sim.EvCrash && !down {
				fmt.Fprintf(w, `<line class="up" x1="%d" y1="%d" x2="%d" y2="%d"/>`, x, from, x, y)
				from, down = y, true
			} else if f.Kind == sim.EvRestart {
				fmt.Fprintf(w, `<line class="down" x1="%d" y1="%d" x2="%d" y2="%d"/>`, x, from, x, y)
				from, down = y, false
			}
		}
		cls := map[bool]string{false: "up", true: "down"}[down]
		fmt.Fprintf(w, `<line class="%s" x1="%d" y1="%d" x2="%d" y2="%d"/><text x="%d" y="%d" text-anchor="middle">%s</text></g>`+"\n",
			cls, x, from, x, end, x, end+18, esc(n))
	}
	w.WriteString("</g>\n")
}

// writeRequests draws each client request as a bar on its client's lane,
// from invoke to return (to the end, open, when unanswered; cut at the
// window's edges).
func (l *layout) writeRequests(w *bufio.Writer) {
	w.WriteString("<g class=\"reqs\">\n")
	for _, r := range l.t.Requests {
		x, ok := l.laneX[r.Client]
		if !ok {
			continue
		}
		y0, y1 := l.y(r.Invoke), l.y(r.Return)
		label := requestLabel(r)
		info := fmt.Sprintf("%s #%d: %s\ninvoked at %s, ", r.Client, r.ID, label, r.Invoke)
		cls := "req"
		if r.Answered {
			info += fmt.Sprintf("answered at %s (after %s)", r.Return, r.Return-r.Invoke)
		} else {
			cls, info, y1 = "req open", info+"no answer by the end ("+r.Return.String()+")", y1+l.tail/2
		}
		fmt.Fprintf(w, `<g class="%s" data-client="%s" data-id="%d" data-invoke="%d" data-return="%d"><title>%s</title><rect x="%d" y="%d" width="6" height="%d"/>`,
			cls, esc(r.Client), r.ID, r.Invoke, r.Return, esc(info), x-3, y0, max(y1-y0, 2))
		if l.requestLabelled(r, y0) {
			lx, ly := requestLabelAt(x, y0)
			fmt.Fprintf(w, `<text x="%d" y="%d" transform="rotate(90 %d %d)">%s</text>`, lx, ly, lx, ly, esc(label))
		}
		w.WriteString("</g>\n")
	}
	w.WriteString("</g>\n")
}

// requestLabelAt is where a request's label starts: beside its bar,
// running down.
func requestLabelAt(x, y0 int) (int, int) { return x - 12, y0 + 2 }

// requestLabelled reports whether a request starting at y0 is labelled: in
// a window, only when the label ends inside it.
func (l *layout) requestLabelled(r Request, y0 int) bool {
	return l.labels && (l.t.Clip == nil || y0+2+textW(requestLabel(r), 10) <= l.bottom())
}

// requestLabel is "PUT c=val_35 → ok": the operation and its result.
func requestLabel(r Request) string {
	if !r.Answered {
		return r.Label() + " → no answer"
	}
	return r.Label() + " → " + r.Result
}

// writeMessage draws the i-th message copy: an arrow when delivered, a line
// ending in a cross near its receiver's lane when lost, a dashed arrow
// running off the end when still in flight; in a window, cut at its edges.
// Its label was placed beforehand (placeLabels).
func (l *layout) writeMessage(w *bufio.Writer, i int) {
	m := l.t.Messages[i]
	kind := kindOf(m.Type)
	fate := map[Fate]string{Delivered: "delivered", Dropped: "dropped", InFlight: "inflight"}[m.Fate]
	cls := "msg k-" + kind + " " + fate
	if m.Duplicate {
		cls += " dup"
	}
	if l.quorum[m.AtSeq] && m.Fate == Delivered {
		cls += " quorum"
	}
	a := l.arrow(m)
	if a.cutStart || a.cutEnd {
		cls += " cut"
	}
	slot := ""
	if m.Slot > 0 {
		slot = strconv.FormatInt(m.Slot, 10)
	}
	burst := ""
	info := messageInfo(m)
	if b := l.burst[i]; len(b) > 1 {
		burst = fmt.Sprintf(` data-burst="%d"`, len(b))
		var to []string
		for _, k := range b {
			if n := l.t.Messages[k].To; !slices.Contains(to, n) {
				to = append(to, n)
			}
		}
		info += fmt.Sprintf("\none of %d copies %s sent at once, to %s: labelled once, %s", len(b), m.From, strings.Join(to, ", "), l.burstLabel(b))
	}
	fmt.Fprintf(w, `<g class="%s" data-mid="%d" data-type="%s" data-slot="%s" data-from="%s" data-to="%s" data-fate="%s" data-sent="%d" data-at="%d"%s><title>%s</title>`,
		cls, m.ID, esc(m.Type), slot, esc(m.From), esc(m.To), fate, m.Sent, m.At, burst, esc(info))
	var d string
	if a.loop {
		d = fmt.Sprintf("M%d,%d C%d,%d %d,%d %d,%d", a.x1, a.y1, a.x1+40, a.y1, a.x2+40, a.y2, a.x2, a.y2)
	} else {
		d = fmt.Sprintf("M%d,%d L%d,%d", a.x1, a.y1, a.x2, a.y2)
	}
	marker := ""
	if a.head {
		marker = ` marker-end="url(#ah-` + kind + `)"`
	}
	fmt.Fprintf(w, `<path class="hit" d="%s"/><path class="a" d="%s" stroke="%s"%s/>`, d, d, kindColor(kind), marker)
	if a.cross {
		fmt.Fprintf(w, `<path class="cross" d="%s"/>`, crossPath(a.x2, a.y2, 4))
	}
	if a.cutEnd {
		fmt.Fprintf(w, `<path class="cutend" d="M%d,%d L%d,%d"/>`, a.x2-4, a.y2, a.x2+4, a.y2)
	}
	if a.cutStart {
		fmt.Fprintf(w, `<path class="cutend" d="M%d,%d L%d,%d"/>`, a.x1-4, a.y1, a.x1+4, a.y1)
	}
	if p, ok := l.msgLabel[i]; ok {
		fill := ` fill="` + kindColor(kind) + `"`
		if m.Fate == Dropped {
			fill = ` class="why"`
		}
		fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="%s"%s>%s</text>`, p.x, p.y, p.anchor, fill, esc(p.text))
	}
	w.WriteString("</g>\n")
}

// arrowGeom is where a message copy is drawn.
type arrowGeom struct {
	x1, y1, x2, y2   int
	head             bool // ends in an arrowhead: delivered inside the picture
	cross            bool // ends in a cross: lost inside the picture
	loop             bool // to itself: a curve to the right
	cutStart, cutEnd bool // cut at the window's top or bottom edge
}

// lostShortPx is how far short of its receiver's lane a copy lost as it
// was sent ends: past every other lane between, so that the cross is
// plainly the receiver's.
const lostShortPx = 22

// arrow places a message copy. A delivered copy runs from its sender's
// lane at its send to its receiver's at its arrival; one lost on the way
// (a receiver crashed) ends in a cross on the receiver's lane at the loss;
// one lost as it was sent (to chance, a partition, a cut) runs most of the
// way toward its receiver, lostShortPx short of its lane, at a typical
// slope, and ends in a cross there; one in flight at the end runs off
// below. In a window, the part outside it is cut off.
func (l *layout) arrow(m Message) arrowGeom {
	xf, xt := l.laneX[m.From], l.laneX[m.To]
	a := arrowGeom{x1: xf, y1: l.y(m.Sent), x2: xt, y2: l.y(m.At), loop: m.From == m.To}
	c := l.t.Clip
	// at is the point of the straight line from send to arrival at time t.
	at := func(t sim.Time) (int, int) {
		if m.At <= m.Sent {
			return xf, l.y(t)
		}
		return xf + int(int64(xt-xf)*int64(t-m.Sent)/int64(m.At-m.Sent)), l.y(t)
	}
	if c != nil && m.Sent < c.From {
		a.x1, a.y1 = at(c.From)
		a.cutStart = true
	}
	switch {
	case m.Fate == InFlight:
		a.x2, a.y2 = xf+(xt-xf)*6/10, l.bottom()+l.tail-10
		if c != nil {
			a.y2, a.cutEnd = l.bottom(), true
		}
	case m.Fate == Dropped && a.y2-a.y1 < 12 && !a.cutStart: // lost as it was sent
		dir := 1
		if xt < xf {
			dir = -1
		}
		a.x2 = xt - dir*lostShortPx
		if a.loop || (xt-xf)*dir < 2*lostShortPx { // to itself or to a lane next door
			a.x2, a.loop = xf+dir*max((xt-xf)*dir*7/10, lostShortPx), false
		}
		a.y2, a.cross = a.y1+max(unitPx/2, 14), true
		if c != nil {
			a.y2 = min(a.y2, l.bottom())
		}
	case c != nil && m.At > c.To:
		a.x2, a.y2 = at(c.To)
		a.cutEnd = true
	default:
		a.head, a.cross = m.Fate == Delivered, m.Fate == Dropped
	}
	return a
}

// messageLabel is "Accept s6 (1,1)": the type, slot and ballot, and what
// befell the copy if it was not delivered.
func messageLabel(m Message) string {
	s := m.Label()
	if m.Duplicate {
		s += " dup"
	}
	switch m.Fate {
	case Dropped:
		s += " ✕ " + m.Reason
	case InFlight:
		s += " (in flight)"
	}
	return s
}

// messageInfo is the full description of a copy, for its tooltip.
func messageInfo(m Message) string {
	s := fmt.Sprintf("%s #%d: %s → %s\nsent at %s, ", m.Type, m.ID, m.From, m.To, m.Sent)
	switch m.Fate {
	case Delivered:
		s += fmt.Sprintf("delivered at %s (after %s)", m.At, m.At-m.Sent)
	case Dropped:
		s += fmt.Sprintf("dropped at %s (%s)", m.At, m.Reason)
	default:
		s += fmt.Sprintf("still in flight at the end (%s)", m.At)
	}
	if m.Duplicate {
		s += "\nthe network's duplicate copy"
	}
	return s + "\n" + m.Body
}

// writeFaults draws crashes, restarts and heals on top of the arrows.
func (l *layout) writeFaults(w *bufio.Writer) {
	w.WriteString("<g class=\"marks\">\n")
	for _, f := range l.t.Faults {
		y := l.y(f.T)
		title := string(f.Kind) + " " + f.Node + " at " + f.T.String()
		switch f.Kind {
		case sim.EvCrash, sim.EvRestart:
			x, ok := l.laneX[f.Node]
			if !ok {
				continue
			}
			fmt.Fprintf(w, `<g class="fault %s" data-node="%s" data-t="%d"><title>%s</title>`, f.Kind, esc(f.Node), f.T, esc(title))
			if f.Kind == sim.EvCrash {
				fmt.Fprintf(w, `<path d="%s"/>`, crossPath(x, y, 7))
			} else {
				fmt.Fprintf(w, `<circle cx="%d" cy="%d" r="6"/>`, x, y)
			}
			fmt.Fprintf(w, `<text x="%d" y="%d">%s</text></g>`+"\n", x+10, y-6, f.Kind)
		case sim.EvHeal:
			title := "heal at " + f.T.String()
			if cuts := l.healed[f.Seq]; len(cuts) > 0 {
				names := make([]string, len(cuts))
				for i, c := range cuts {
					names[i] = linkName(c)
				}
				title += "\nends every partition and every cut: " + strings.Join(names, ", ") + " (not the holds: each ends at its own time)"
			}
			fmt.Fprintf(w, `<g class="fault heal" data-t="%d"><title>%s</title><line x1="%d" y1="%d" x2="%d" y2="%d"/><text x="%d" y="%d">%s</text></g>`+"\n",
				f.T, esc(title), axisW-6, y, l.width-marginR+6, y, axisW-2, y-4, esc(l.healLabel(f)))
		}
	}
	w.WriteString("</g>\n")
}

// writeMilestones draws the protocol's milestones (marks.go) on their
// lanes: a diamond in the mark's colour, and its label beside it.
func (l *layout) writeMilestones(w *bufio.Writer) {
	w.WriteString("<g class=\"milestones\">\n")
	for i, m := range l.t.Marks {
		x, ok := l.laneX[m.Node]
		if !ok {
			continue
		}
		y := l.y(m.T)
		extra := ""
		if m.Kind == MarkChosen {
			extra = fmt.Sprintf(` data-slot="%d" data-quorum="%s"`, m.Slot, esc(strings.Join(m.Quorum, " ")))
		}
		fmt.Fprintf(w, `<g class="mark %s" data-node="%s" data-t="%d"%s><title>%s</title><path d="%s" fill="%s"/>`,
			m.Kind, esc(m.Node), m.T, extra, esc(m.Info()), diamondPath(x, y, 5), markColor(m.Kind))
		if p, ok := l.markPos[i]; ok {
			fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="%s" fill="%s">%s</text>`, p.x, p.y, p.anchor, markColor(m.Kind), esc(p.text))
		}
		w.WriteString("</g>\n")
	}
	w.WriteString("</g>\n")
}

// writeCrowds draws the badges of the labels that found no room: "+2",
// whose tooltip lists them.
func (l *layout) writeCrowds(w *bufio.Writer) {
	w.WriteString("<g class=\"crowds\">\n")
	for _, c := range l.crowds {
		fmt.Fprintf(w, `<g class="crowd" data-n="%d"><title>%s</title><text x="%d" y="%d" text-anchor="%s">%s</text></g>`+"\n",
			len(c.items), esc(c.info()), c.at.x, c.at.y, c.at.anchor, esc(c.text()))
	}
	w.WriteString("</g>\n")
}

// diamondPath is a diamond of half-size r centred on x, y.
func diamondPath(x, y, r int) string {
	return fmt.Sprintf("M%d,%d L%d,%d L%d,%d L%d,%d z", x, y-r, x+r, y, x, y+r, x-r, y)
}

// crossPath is an ✕ of half-size r centred on x, y.
func crossPath(x, y, r int) string {
	return fmt.Sprintf("M%d,%d L%d,%d M%d,%d L%d,%d", x-r, y-r, x+r, y+r, x+r, y-r, x-r, y+r)
}

// esc escapes text for XML (and HTML): markup characters, quotes and
// newlines, and replaces what XML cannot hold.
func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// jsonText renders a decoded JSON value from the summary: numbers without
// exponents, strings as they are.
func jsonText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number: // exact, should the summary be decoded with UseNumber
		return v.String()
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return fmt.Sprint(v)
}
