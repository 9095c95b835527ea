package viz

import (
	"bufio"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// A cut or a hold is of one one-way link, from its From to its To. A cut
// lasts until the next heal (which ends every partition and every cut), or
// to the end of the run; a hold lasts its For, whatever heals: what From
// sends to To meanwhile waits at the link until it ends. The pictures draw
// both on the two lanes, and a heal names the cuts it ends.

// linkSpan is a cut or a hold as it lasts.
type linkSpan struct {
	f      Fault
	until  sim.Time // the heal that ends a cut, the end of a hold, or end
	healed bool     // a cut that a heal ends (at until)
	heal   uint64   // the seq of that heal
}

// linkSpans are the cuts and holds of faults (in trace order), each with
// its end; end is the end of the run, for a cut that no heal follows.
func linkSpans(faults []Fault, end sim.Time) []linkSpan {
	var out []linkSpan
	for i, f := range faults {
		switch f.Kind {
		case sim.EvCut:
			s := linkSpan{f: f, until: end}
			for _, g := range faults[i+1:] {
				if g.Kind == sim.EvHeal {
					s.until, s.healed, s.heal = g.T, true, g.Seq
					break
				}
			}
			out = append(out, s)
		case sim.EvHold:
			until := f.T + f.For
			if until < f.T {
				until = math.MaxInt64
			}
			out = append(out, linkSpan{f: f, until: until})
		}
	}
	return out
}

// healedCuts are the cuts each heal ends, by the heal's seq, in trace
// order.
func healedCuts(faults []Fault) map[uint64][]Fault {
	out := map[uint64][]Fault{}
	for _, s := range linkSpans(faults, 0) {
		if s.healed {
			out[s.heal] = append(out[s.heal], s.f)
		}
	}
	return out
}

// linkName is a cut's or a hold's link: "leader1 → acceptor2".
func linkName(f Fault) string { return f.From + " → " + f.To }

// linkText names a cut or a hold: "cut leader1 → acceptor2", "hold client2
// → leader2 for 300ms".
func linkText(f Fault) string {
	s := string(f.Kind) + " " + linkName(f)
	if f.Kind == sim.EvHold {
		s += " for " + f.For.String()
	}
	return s
}

// healText is a heal as the pictures name it: "heal", and the cuts it
// ends, "heal: ends the cuts leader1 → acceptor2, leader1 → acceptor3".
func healText(ended []Fault) string {
	if len(ended) == 0 {
		return "heal"
	}
	names := make([]string, len(ended))
	for i, f := range ended {
		names[i] = linkName(f)
	}
	if len(ended) == 1 {
		return "heal: ends the cut " + names[0]
	}
	return "heal: ends the cuts " + strings.Join(names, ", ")
}

// The colours of cuts and holds in the diagram.
const (
	cutColor  = "#c2185b"
	holdColor = "#00838f"
)

// svgLinkCSS styles the cuts and holds; it is added to svgCSS only in a
// diagram that has some, so that the others keep their bytes.
const svgLinkCSS = `.linkspan rect{fill-opacity:.35}
.fault.cut line,.fault.cut path{stroke:` + cutColor + `;stroke-width:1.5}
.fault.hold line,.fault.hold path{stroke:` + holdColor + `;stroke-width:1.5}
.fault.cut line.link,.fault.hold line.link{stroke-dasharray:5 3;stroke-width:1.2}
.fault.hold circle{fill:#fff;stroke:` + holdColor + `;stroke-width:1.5}
.fault.cut text,.fault.hold text{font-size:10px;font-weight:bold;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.fault.cut text{fill:` + cutColor + `}
.fault.hold text{fill:` + holdColor + `}
`

// linkFont is the font size of a cut's or a hold's label (svgLinkCSS).
const linkFont = 10

// linkDraw is a cut or a hold as drawn: a stripe beside both of its lanes
// for as long as it lasts in the picture, and where it starts (when that
// is in the picture), a dashed line from the sender's lane to the
// receiver's, ending in a bar (cut) or a ring (hold), with its label.
type linkDraw struct {
	s      linkSpan
	start  bool     // it starts in the picture, not before the window
	from   sim.Time // where the picture shows it from: its start, or the window's
	y0, y1 int      // set once the instants are placed (setLinkYs)
	text   string
}

// links are the cuts and holds in force during the picture, in trace
// order.
func (l *layout) links() []linkDraw {
	var out []linkDraw
	for _, s := range linkSpans(append(slices.Clone(l.t.Prior), l.t.Faults...), l.t.End) {
		_, okf := l.laneX[s.f.From]
		_, okt := l.laneX[s.f.To]
		if !okf || !okt {
			continue
		}
		d := linkDraw{s: s, start: true, text: linkText(s.f)}
		from := s.f.T
		if c := l.t.Clip; c != nil && s.f.T < c.From {
			if s.until < c.From {
				continue // over before the window
			}
			from, d.start = c.From, false
			d.text += " (since " + s.f.T.String() + ")"
		}
		d.from = from
		out = append(out, d)
	}
	return out
}

// setLinkYs places the cuts and holds down the page, once the instants
// are.
func (l *layout) setLinkYs() {
	for i := range l.linkDraws {
		d := &l.linkDraws[i]
		d.y0, d.y1 = l.y(d.from), l.y(min(d.s.until, l.t.End))
	}
}

// hasLinks reports whether the picture draws a cut or a hold; kind picks
// one of them (sim.EvCut or sim.EvHold), "" either.
func (l *layout) hasLinks(kind sim.TraceEv) bool {
	for _, d := range l.linkDraws {
		if kind == "" || d.s.f.Kind == kind {
			return true
		}
	}
	return false
}

// linkColor is the colour of a cut or a hold.
func linkColor(kind sim.TraceEv) string {
	if kind == sim.EvHold {
		return holdColor
	}
	return cutColor
}

// placeLinkLabels places the labels of the cuts and holds, and of the heals
// that end cuts, before any other label: they are drawn whatever the
// diagram's size, near their line (or, when no place there is free, on
// its first place all the same).
func (l *layout) placeLinkLabels() {
	l.linkPos = map[int]placed{}
	for i, d := range l.linkDraws {
		xf, xt := l.laneX[d.s.f.From], l.laneX[d.s.f.To]
		mid, dir := (xf+xt)/2, 1
		if xt < xf {
			dir = -1
		}
		// Above the line or below it, never across the lines of the cuts
		// and holds of the same instant; then beside the sender's lane.
		c := candidate{text: d.text, size: linkFont}
		for _, y := range []int{d.y0 - 5, d.y0 + 13, d.y0 - 16, d.y0 + 24, d.y0 - 27, d.y0 + 35} {
			c.at = append(c.at, placed{d.text, mid, y, "middle"})
		}
		for _, y := range []int{d.y0 - 5, d.y0 + 13, d.y0 - 16, d.y0 + 24} {
			c.at = append(c.at, placed{d.text, xf - dir*10, y, map[int]string{1: "end", -1: "start"}[dir]})
		}
		p := c.at[0]
		for _, q := range c.at {
			b := q.box(c.size)
			if l.inside(b) && !slices.ContainsFunc(l.placed, b.overlaps) {
				p = q
				break
			}
		}
		l.placed = append(l.placed, p.box(c.size))
		l.linkPos[i] = p
	}
	for _, f := range l.t.Faults {
		if text := l.healLabel(f); f.Kind == sim.EvHeal && text != "heal" {
			l.placed = append(l.placed, placed{text, axisW - 2, l.y(f.T) - 4, "start"}.box(11))
		}
	}
}

// healLabel is the words on a heal's line: "heal", or "heal (ends 3 cuts)"
// when it ends cuts.
func (l *layout) healLabel(f Fault) string {
	switch n := len(l.healed[f.Seq]); n {
	case 0:
		return "heal"
	case 1:
		return "heal (ends 1 cut)"
	default:
		return "heal (ends " + strconv.Itoa(n) + " cuts)"
	}
}

// linkInfo is a cut's or a hold's tooltip.
func linkInfo(s linkSpan) string {
	f := s.f
	if f.Kind == sim.EvHold {
		return fmt.Sprintf("hold %s at %s for %s\nevery message %s sends to %s until %s waits at the link and travels then (a heal does not end a hold)\nthe other direction is not held",
			linkName(f), f.T, f.For, f.From, f.To, s.until)
	}
	until := "no heal follows: cut to the end"
	if s.healed {
		until = "until the heal at " + s.until.String()
	}
	return fmt.Sprintf("cut %s at %s\nevery message from %s to %s is lost (✕ cut), in flight or sent, %s\nthe other direction is not cut", linkName(f), f.T, f.From, f.To, until)
}

// stripeDx is where a cut's or a hold's stripe starts, right of its lane
// (a request's bar and label are on the lane and left of it): a hold's
// beside a cut's, so that both show on a lane that has both.
func stripeDx(kind sim.TraceEv) int {
	if kind == sim.EvHold {
		return 10
	}
	return 4
}

// writeLinkStripes draws, under the arrows, a stripe beside both lanes of
// each cut and hold for as long as it lasts (a hold's to its own end, even
// past a heal). Its group is a "fault" too, so that the HTML page gives it
// the faults' tooltip.
func (l *layout) writeLinkStripes(w *bufio.Writer) {
	if len(l.linkDraws) == 0 {
		return
	}
	w.WriteString("<g class=\"links\">\n")
	for _, d := range l.linkDraws {
		f := d.s.f
		fmt.Fprintf(w, `<g class="fault linkspan" data-kind="%s" data-from="%s" data-to="%s" data-t="%d" data-until="%d"><title>%s</title>`,
			f.Kind, esc(f.From), esc(f.To), f.T, d.s.until, esc(linkInfo(d.s)))
		for _, n := range []string{f.From, f.To} {
			fmt.Fprintf(w, `<rect data-node="%s" x="%d" y="%d" width="4" height="%d" fill="%s"/>`, esc(n), l.laneX[n]+stripeDx(f.Kind), d.y0, max(d.y1-d.y0, 1), linkColor(f.Kind))
		}
		w.WriteString("</g>\n")
	}
	w.WriteString("</g>\n")
}

// writeLinks draws, over the arrows, each cut's and hold's start: a dashed
// line between its lanes, ticks on both, a bar (cut) or a ring (hold) at
// the receiver's end, and its label; and a cut's end at its heal.
func (l *layout) writeLinks(w *bufio.Writer) {
	if len(l.linkDraws) == 0 {
		return
	}
	w.WriteString("<g class=\"linkmarks\">\n")
	for i, d := range l.linkDraws {
		f := d.s.f
		xf, xt := l.laneX[f.From], l.laneX[f.To]
		dir := 1
		if xt < xf {
			dir = -1
		}
		fmt.Fprintf(w, `<g class="fault %s" data-from="%s" data-to="%s" data-t="%d" data-until="%d"><title>%s</title>`,
			f.Kind, esc(f.From), esc(f.To), f.T, d.s.until, esc(linkInfo(d.s)))
		if d.start {
			y := d.y0
			end := xt - dir*8
			fmt.Fprintf(w, `<line class="link" x1="%d" y1="%d" x2="%d" y2="%d"/>`, xf, y, end, y)
			fmt.Fprintf(w, `<path d="M%d,%d L%d,%d"/>`, xf-6, y, xf+8, y) // a tick on the sender's lane
			if f.Kind == sim.EvHold {
				fmt.Fprintf(w, `<circle cx="%d" cy="%d" r="4"/>`, end-dir*4, y)
			} else {
				fmt.Fprintf(w, `<path d="M%d,%d L%d,%d"/>`, end, y-6, end, y+6) // the bar: blocked before the receiver
			}
			fmt.Fprintf(w, `<path d="M%d,%d L%d,%d"/>`, xt-6, y, xt+8, y) // a tick on the receiver's lane
		}
		if d.s.healed && (l.t.Clip == nil || d.s.until <= l.t.Clip.To) {
			for _, x := range []int{xf, xt} { // the stripes end at the heal
				fmt.Fprintf(w, `<path class="end" d="M%d,%d L%d,%d"/>`, x+stripeDx(f.Kind)-2, d.y1, x+stripeDx(f.Kind)+6, d.y1)
			}
		}
		if p, ok := l.linkPos[i]; ok {
			fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="%s">%s</text>`, p.x, p.y, p.anchor, esc(p.text))
		}
		w.WriteString("</g>\n")
	}
	w.WriteString("</g>\n")
}
