package viz

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// Labels are placed before anything is drawn, so that none covers another:
// the requests' first (they sit on their lanes), then the milestones', then
// the messages'. Copies of one message sent at once (a leader's Accept to
// every acceptor) share one label, "Accept s6 (1,1) ×3". A label is tried
// at several places along its arrow, or beside its lane, and one that finds
// no room is left out and counted in a "+2" badge nearby whose tooltip
// lists it. The order is the trace's, so the same trace places the same.

// placed is a label's place: its text, where its anchor is, and how the
// text aligns there ("start", "middle", "end").
type placed struct {
	text   string
	x, y   int
	anchor string
}

// labelBox is a label's extent.
type labelBox struct{ x0, y0, x1, y1 int }

func (a labelBox) overlaps(b labelBox) bool {
	return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1
}

// textW estimates the width of text at a font size in pixels: the
// diagram's fonts average a little over half an em per character.
func textW(text string, size int) int { return (len([]rune(text))*size*29 + 49) / 50 }

// box is the extent of a label of font size size placed at p.
func (p placed) box(size int) labelBox {
	w := textW(p.text, size)
	x0 := p.x - w/2
	switch p.anchor {
	case "start":
		x0 = p.x
	case "end":
		x0 = p.x - w
	}
	return labelBox{x0, p.y - size + 1, x0 + w, p.y + 2}
}

// The font sizes of the labels (svgCSS).
const (
	msgFont   = 10 // 9.5px, rounded up
	markFont  = 10
	crowdFont = 10
)

// candidate is a label looking for a place: its text, the places to try in
// turn, and what it says in a crowd's tooltip when it finds none.
type candidate struct {
	text  string
	size  int
	at    []placed
	about string
}

// crowd is a badge standing for the labels that found no room near it.
type crowd struct {
	at    placed
	items []string
}

func (c crowd) text() string { return "+" + strconv.Itoa(len(c.items)) }

func (c crowd) info() string {
	return fmt.Sprintf("%d more labels here, with no room to draw them:\n", len(c.items)) + strings.Join(c.items, "\n")
}

// crowdNear is how close (in pixels, across plus down) a label's first
// place must be to a badge to be counted in it.
const crowdNear = 90

// labelFractions are the fractions of an arrow, in percent, where its label
// may go, the middle first; lostFractions those of a lost copy, nearer its
// cross; labelShifts the vertical shifts tried after the arrow itself.
var (
	labelFractions = []int{50, 35, 65, 25, 75, 42, 58, 15, 85}
	lostFractions  = []int{70, 55, 85, 40, 62, 78, 30}
	labelShifts    = []int{0, -11, 11, -22, 22}
)

// placeLabels places every label of the diagram; see the comment above.
func (l *layout) placeLabels() {
	l.msgLabel, l.markPos, l.burst, l.quorum = map[int]placed{}, map[int]placed{}, map[int][]int{}, map[uint64]bool{}
	for _, m := range l.t.Marks {
		for _, s := range m.Votes {
			l.quorum[s] = true
		}
	}
	for _, b := range l.bands() { // drawn whatever the size
		l.placed = append(l.placed, b.textAt().box(11))
	}
	l.placeLinkLabels() // drawn whatever the size too
	if !l.labels {
		return
	}
	for _, r := range l.t.Requests {
		x, ok := l.laneX[r.Client]
		y0 := l.y(r.Invoke)
		if !ok || !l.requestLabelled(r, y0) {
			continue
		}
		lx, ly := requestLabelAt(x, y0)
		l.placed = append(l.placed, labelBox{lx - 2, ly, lx + 10, ly + textW(requestLabel(r), 10)})
	}
	for i, m := range l.t.Marks {
		x, ok := l.laneX[m.Node]
		if !ok {
			continue
		}
		y := l.y(m.T) + 4
		c := candidate{text: m.Label(), size: markFont, about: m.Node + ": " + m.Label() + " at " + m.T.String()}
		for _, dy := range labelShifts {
			c.at = append(c.at, placed{c.text, x + 8, y + dy, "start"}, placed{c.text, x - 8, y + dy, "end"})
		}
		if p, ok := l.put(c); ok {
			l.markPos[i] = p
		}
	}
	for _, b := range l.bursts() {
		m := l.t.Messages[b[0]]
		text := l.burstLabel(b)
		if len(b) > 1 {
			for _, i := range b {
				l.burst[i] = b
			}
		}
		fr := labelFractions
		if m.Fate == Dropped {
			fr = lostFractions
		}
		c := candidate{text: text, size: msgFont, about: text + ": " + m.From + " → " + m.To + ", sent at " + m.Sent.String()}
		owner := map[int]int{} // index in c.at: the copy whose arrow it is on
		for _, dy := range labelShifts {
			for _, i := range b {
				a := l.arrow(l.t.Messages[i])
				for _, f := range fr {
					owner[len(c.at)] = i
					c.at = append(c.at, placed{text, a.x1 + (a.x2-a.x1)*f/100, a.y1 + (a.y2-a.y1)*f/100 - 3 + dy, "middle"})
				}
			}
		}
		if p, ok := l.put(c); ok {
			l.msgLabel[owner[slices.Index(c.at, p)]] = p
		}
	}
}

// bursts groups the labelled (not routine) copies, in trace order: the
// copies one node sent at one instant with the same type, ballot and fate
// form one group, whatever their slots and receivers (a leader's Accepts
// to every acceptor; a new leader's re-proposals of every slot it
// recovered).
func (l *layout) bursts() [][]int {
	type key struct {
		from, typ, ballot string
		sent              sim.Time
		fate              Fate
		reason            string
		dup               bool
	}
	var out [][]int
	at := map[key]int{}
	for i, m := range l.t.Messages {
		if m.Routine() {
			continue
		}
		k := key{m.From, m.Type, m.Ballot, m.Sent, m.Fate, m.Reason, m.Duplicate}
		if j, ok := at[k]; ok {
			out[j] = append(out[j], i)
			continue
		}
		at[k] = len(out)
		out = append(out, []int{i})
	}
	return out
}

// burstLabel is the label of a group of copies: the copy's own label for
// one, and for more the slots they name and their number,
// "Accept s6 (1,1) ×3", "Accept s1–s5 (2,2) ×14".
func (l *layout) burstLabel(b []int) string {
	m := l.t.Messages[b[0]]
	if len(b) == 1 {
		return messageLabel(m)
	}
	var slots []int64
	for _, i := range b {
		if s := l.t.Messages[i].Slot; s > 0 && !slices.Contains(slots, s) {
			slots = append(slots, s)
		}
	}
	one := m
	one.Slot = 0
	if len(slots) == 1 {
		one.Slot = slots[0]
	}
	text := messageLabel(one)
	if len(slots) > 1 {
		typ, rest, _ := strings.Cut(text, " ")
		text = strings.TrimSpace(typ + " " + slotSet(slots) + " " + rest)
	}
	return text + " ×" + strconv.Itoa(len(b))
}

// slotSet names a set of slots: "s1–s5" when they run on, else
// "s1,s3,s4", the first four and "…" when there are more.
func slotSet(slots []int64) string {
	slots = slices.Sorted(slices.Values(slots))
	if n := len(slots); slots[n-1]-slots[0] == int64(n-1) {
		return "s" + strconv.FormatInt(slots[0], 10) + "–s" + strconv.FormatInt(slots[n-1], 10)
	}
	var parts []string
	for i, s := range slots {
		if i == 4 {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, "s"+strconv.FormatInt(s, 10))
	}
	return strings.Join(parts, ",")
}

// put puts c at the first of its places that covers no label placed
// before, and returns it; when none is free, c joins a crowd badge.
func (l *layout) put(c candidate) (placed, bool) {
	for _, p := range c.at {
		b := p.box(c.size)
		if l.inside(b) && !slices.ContainsFunc(l.placed, b.overlaps) {
			l.placed = append(l.placed, b)
			return p, true
		}
	}
	l.addToCrowd(c)
	return placed{}, false
}

// addToCrowd counts c, which found no room, in the badge nearest its first
// place, within crowdNear; or in a new badge, at the first of c's places
// where one fits; or, when none fits, in the nearest badge at all.
func (l *layout) addToCrowd(c candidate) {
	p0 := c.at[0]
	nearest, dist := -1, 1<<30
	for i, cr := range l.crowds {
		if d := abs(cr.at.x-p0.x) + abs(cr.at.y-p0.y); d < dist {
			nearest, dist = i, d
		}
	}
	if nearest >= 0 && dist <= crowdNear {
		l.crowds[nearest].items = append(l.crowds[nearest].items, c.about)
		return
	}
	for _, p := range c.at {
		p := placed{"+99", p.x, p.y, "middle"} // room for a badge of up to 99
		b := p.box(crowdFont)
		if l.inside(b) && !slices.ContainsFunc(l.placed, b.overlaps) {
			l.placed = append(l.placed, b)
			l.crowds = append(l.crowds, crowd{at: p, items: []string{c.about}})
			return
		}
	}
	if nearest >= 0 {
		l.crowds[nearest].items = append(l.crowds[nearest].items, c.about)
		return
	}
	// Nowhere at all: the badge goes on the first place, over what is there.
	p := placed{"+99", p0.x, p0.y, "middle"}
	l.placed = append(l.placed, p.box(crowdFont))
	l.crowds = append(l.crowds, crowd{at: p, items: []string{c.about}})
}

// inside reports whether a label's extent is within the diagram's time
// range (and its tail below, for a whole run), so that a window draws no
// label outside it.
func (l *layout) inside(b labelBox) bool {
	return b.y0 >= l.top && b.y1 <= l.bottom()+l.tail && b.x0 >= 0 && b.x1 <= l.width
}

func abs(x int) int { return max(x, -x) }
