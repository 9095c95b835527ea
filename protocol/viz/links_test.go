package viz

// Tests that the pictures show cuts and holds, and that a heal ends the
// cuts: retry-twice cuts leader2 -> acceptor1 at 0s, leader1 -> acceptor2
// and leader1 -> acceptor3 at 5ms, holds client2 -> leader2 at 150ms for
// 300ms, and heals at 208ms.

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// TestParseCutsAndHolds: cut and hold records become faults with their
// link (and a hold its duration), one per record, in trace order.
func TestParseCutsAndHolds(t *testing.T) {
	js := runTrace(t, "retry-twice", nil)
	tr, err := Parse(bytes.NewReader(js))
	require.NoError(t, err)
	var links []Fault
	for _, f := range tr.Faults {
		if f.Kind == sim.EvCut || f.Kind == sim.EvHold {
			f.Seq = 0
			links = append(links, f)
		}
	}
	assert.Equal(t, []Fault{
		{T: 0, Kind: sim.EvCut, From: "leader2", To: "acceptor1"},
		{T: 5 * sim.Millisecond, Kind: sim.EvCut, From: "leader1", To: "acceptor2"},
		{T: 5 * sim.Millisecond, Kind: sim.EvCut, From: "leader1", To: "acceptor3"},
		{T: 150 * sim.Millisecond, Kind: sim.EvHold, From: "client2", To: "leader2", For: 300 * sim.Millisecond},
	}, links)
	assert.Equal(t, countRecords(t, js, func(r sim.TraceRecord) bool {
		return r.Ev == sim.EvCut || r.Ev == sim.EvHold || r.Ev == sim.EvCrash || r.Ev == sim.EvRestart || r.Ev == sim.EvHeal || r.Ev == sim.EvPartition
	}), len(tr.Faults), "every fault record, none other")

	// By hand: the members the README's table names.
	tr, err = Parse(strings.NewReader(`{"t":1000,"seq":1,"ev":"cut","from":"a","to":"b"}
{"t":2000,"seq":2,"ev":"hold","from":"b","to":"a","for":5000}
{"t":3000,"seq":3,"ev":"heal"}
`))
	require.NoError(t, err)
	require.Len(t, tr.Faults, 3)
	assert.Equal(t, Fault{T: 1000, Seq: 1, Kind: sim.EvCut, From: "a", To: "b"}, tr.Faults[0])
	assert.Equal(t, Fault{T: 2000, Seq: 2, Kind: sim.EvHold, From: "b", To: "a", For: 5000}, tr.Faults[1])
	assert.Equal(t, []string{"a", "b"}, tr.Nodes, "a link's nodes have lanes")

	spans := linkSpans(tr.Faults, tr.End)
	require.Len(t, spans, 2)
	assert.Equal(t, linkSpan{f: tr.Faults[0], until: 3000, healed: true, heal: 3}, spans[0], "the heal ends the cut")
	assert.Equal(t, linkSpan{f: tr.Faults[1], until: 7000}, spans[1], "a hold ends at its own time, heal or not")
	assert.Equal(t, map[uint64][]Fault{3: {tr.Faults[0]}}, healedCuts(tr.Faults))
	assert.Equal(t, "heal", healText(nil))
	assert.Equal(t, "heal: ends the cut a → b", healText(tr.Faults[:1]))
	assert.Equal(t, "hold b → a for 5µs", linkText(tr.Faults[1]))

	w := tr.Window(2500, 4000)
	assert.Len(t, w.Prior, 2, "the cut and the hold were before the window")
	assert.Len(t, w.Faults, 1)
}

// linkGroups are the fault groups of a kind ("cut", "hold") with their
// label and tooltip.
type linkGroup struct {
	g            element
	label, title string
}

func linkGroups(es []element, kind string) []linkGroup {
	var out []linkGroup
	for i, e := range es {
		if e.name != "g" || !e.is("fault") || !e.is(kind) {
			continue
		}
		lg := linkGroup{g: e}
		for _, c := range es[i+1:] {
			if !c.inside(kind) || !c.inside("fault") {
				break
			}
			switch c.name {
			case "text":
				lg.label = c.text
			case "title":
				lg.title = c.text
			}
		}
		out = append(out, lg)
	}
	return out
}

// TestSVGCutsAndHolds: each cut and hold is marked where it starts, on its
// two lanes, with a readable label and a tooltip saying how long it
// lasts; a stripe beside both lanes shows it while it lasts, a cut's up to
// the heal, which says it ends the cuts, and a hold's to its own end.
func TestSVGCutsAndHolds(t *testing.T) {
	tr := parseRun(t, "retry-twice")
	out := drawSVG(t, tr)
	assert.Equal(t, out, drawSVG(t, tr), "the same trace draws the same bytes")
	es := parseXML(t, out)
	l := newLayout(tr, 0)

	cuts := linkGroups(es, "cut")
	var labels []string
	for _, c := range cuts {
		labels = append(labels, c.label)
		assert.Equal(t, "208000000", c.g.attr["data-until"])
		assert.Contains(t, c.title, "until the heal at 208ms")
	}
	assert.Equal(t, []string{"cut leader2 → acceptor1", "cut leader1 → acceptor2", "cut leader1 → acceptor3"}, labels)
	assert.Contains(t, cuts[1].title, "every message from leader1 to acceptor2 is lost")

	holds := linkGroups(es, "hold")
	require.Len(t, holds, 1)
	assert.Equal(t, "hold client2 → leader2 for 300ms", holds[0].label)
	assert.Contains(t, holds[0].title, "every message client2 sends to leader2 until 450ms waits at the link")

	// The start: a dashed line between the two lanes at the cut's time,
	// with a tick on each lane.
	y5 := l.y(5 * sim.Millisecond)
	var g element
	var lines, ticks int
	for _, e := range es {
		if e.name == "g" && e.is("fault") {
			g = e
		}
		if !e.inside("fault") || g.attr["data-from"] != "leader1" || g.attr["data-to"] != "acceptor2" {
			continue
		}
		if e.name == "line" && e.is("link") {
			lines++
			assert.Equal(t, []int{l.laneX["leader1"], y5, l.laneX["acceptor2"] - 8, y5}, []int{atoi(t, e.attr["x1"]), atoi(t, e.attr["y1"]), atoi(t, e.attr["x2"]), atoi(t, e.attr["y2"])})
		}
		if e.name == "path" && !e.is("end") {
			ns := numbers(t, e.attr["d"])
			if ns[1] == ns[3] { // a horizontal tick across a lane
				ticks++
				x := (ns[0] + ns[2]) / 2
				assert.True(t, abs(x-l.laneX["leader1"]) < 4 || abs(x-l.laneX["acceptor2"]) < 4, "a tick on one of the two lanes, at x=%d", x)
			}
		}
	}
	assert.Equal(t, 1, lines)
	assert.Equal(t, 2, ticks, "a tick on each lane")

	// The stripes: beside both lanes, a cut's from its start to the heal,
	// the hold's to its end, past the heal.
	yHeal := l.y(208 * sim.Millisecond)
	stripes := map[string][][2]int{} // by "kind from to node": y0, y1
	for _, e := range es {
		if e.name == "g" && e.is("linkspan") {
			g = e
		}
		if e.name == "rect" && e.inside("linkspan") {
			n := e.attr["data-node"]
			assert.Contains(t, []string{g.attr["data-from"], g.attr["data-to"]}, n)
			x := atoi(t, e.attr["x"])
			assert.True(t, x > l.laneX[n] && x < l.laneX[n]+l.laneW/4, "beside %s's lane", n)
			y := atoi(t, e.attr["y"])
			key := g.attr["data-kind"] + " " + g.attr["data-from"] + " " + g.attr["data-to"] + " " + n
			stripes[key] = append(stripes[key], [2]int{y, y + atoi(t, e.attr["height"])})
		}
	}
	assert.Equal(t, [][2]int{{y5, yHeal}}, stripes["cut leader1 acceptor2 leader1"])
	assert.Equal(t, [][2]int{{y5, yHeal}}, stripes["cut leader1 acceptor2 acceptor2"])
	assert.Equal(t, [][2]int{{l.y(0), yHeal}}, stripes["cut leader2 acceptor1 acceptor1"])
	assert.Equal(t, [][2]int{{l.y(150 * sim.Millisecond), l.y(450 * sim.Millisecond)}}, stripes["hold client2 leader2 client2"])
	assert.Greater(t, l.y(450*sim.Millisecond), yHeal, "a heal does not end a hold")
	assert.Len(t, stripes, 8, "two stripes per cut and hold")

	// The heal says it ends the cuts.
	var heal []string
	for _, e := range es {
		if e.inside("heal") && (e.name == "text" || e.name == "title") {
			heal = append(heal, e.text)
		}
	}
	assert.Equal(t, []string{"heal at 208ms\nends every partition and every cut: leader2 → acceptor1, leader1 → acceptor2, leader1 → acceptor3 (not the holds: each ends at its own time)", "heal (ends 3 cuts)"}, heal)

	// The legend names both.
	var legend []string
	for _, e := range es {
		if e.name == "text" && e.inside("legend") {
			legend = append(legend, e.text)
		}
	}
	assert.Contains(t, legend, "cut link A → B: lost until a heal (striped)")
	assert.Contains(t, legend, "held link A → B: messages wait (striped)")
	assert.Contains(t, string(out), ".linkspan rect{")

	// A run without them has none of it.
	plain := drawSVG(t, parseRun(t, "leader-isolated"))
	for _, s := range []string{"linkspan", "fault cut", "fault hold", "cut link", "held link", "ends the cut"} {
		assert.NotContains(t, string(plain), s)
	}
	assert.Contains(t, string(plain), "<title>heal at 250ms</title>")
}

// TestSVGLinkLabelsDoNotOverlap: the labels of the cuts and holds cover no
// other label, nor each other, in the runs that have them.
func TestSVGLinkLabelsDoNotOverlap(t *testing.T) {
	for _, scenario := range []string{"retry-twice", "two-values"} {
		t.Run(scenario, func(t *testing.T) {
			es := parseXML(t, drawSVG(t, parseRun(t, scenario)))
			boxes, texts := labelBoxes(t, es)
			var n int
			for _, e := range es {
				if e.name != "text" || !e.inside("fault") || !(e.inside("cut") || e.inside("hold")) {
					continue
				}
				n++
				b := placed{e.text, atoi(t, e.attr["x"]), atoi(t, e.attr["y"]), e.attr["text-anchor"]}.box(linkFont)
				for i, o := range boxes {
					assert.False(t, b.overlaps(o), "%q at %v covers %q at %v", e.text, b, texts[i], o)
				}
				boxes, texts = append(boxes, b), append(texts, e.text)
			}
			assert.Positive(t, n)
		})
	}
}

// TestSVGLinksInAWindow: a cut from before the window shows from its top,
// named with its start and without a start line; one inside it is drawn
// whole.
func TestSVGLinksInAWindow(t *testing.T) {
	tr := parseRun(t, "retry-twice").Window(100*sim.Millisecond, 200*sim.Millisecond)
	es := parseXML(t, drawSVG(t, tr))
	cuts := linkGroups(es, "cut")
	require.Len(t, cuts, 3, "the three cuts are still in force")
	assert.Equal(t, "cut leader1 → acceptor2 (since 5ms)", cuts[1].label)
	holds := linkGroups(es, "hold")
	require.Len(t, holds, 1)
	assert.Equal(t, "hold client2 → leader2 for 300ms", holds[0].label)
	var top, bottom int
	for _, e := range es {
		if e.name == "line" && e.is("tick") && e.inside("axis") {
			top, bottom = atoi(t, e.attr["y1"]), atoi(t, e.attr["y2"])
			break
		}
	}
	var starts int
	for _, e := range es {
		if e.name == "line" && e.is("link") {
			starts++
		}
		if e.name == "rect" && e.inside("linkspan") {
			y, h := atoi(t, e.attr["y"]), atoi(t, e.attr["height"])
			assert.True(t, y >= top && y+h <= bottom, "a stripe within the window")
		}
	}
	assert.Equal(t, 1, starts, "only the hold starts in the window")
}

// TestHTMLCutsAndHolds: the page's diagram has the cuts and holds, with
// their tooltips wired as the other faults', and the text trace's lines of
// them lead to their events in the step-through viewer.
func TestHTMLCutsAndHolds(t *testing.T) {
	tr, text := runStates(t, "retry-twice")
	page := writePage(t, tr, text)
	has(t, page, `<g class="fault cut" data-from="leader1" data-to="acceptor2" data-t="5000000" data-until="208000000"><title>cut leader1 → acceptor2 at 5ms`)
	has(t, page, `<g class="fault hold" data-from="client2" data-to="leader2"`)
	has(t, page, `g.fault`)
	for _, line := range []string{"[fault] cut leader1 -&gt; acceptor2", "[fault] hold client2 -&gt; leader2 for 300ms"} {
		assert.Regexp(t, regexp.MustCompile(`data-ev="\d+">\[[ .0-9]+ms\] `+regexp.QuoteMeta(line)), page, "the line %s leads to its event", line)
	}
}

// TestMermaidCutsAndHolds: a note over the link's two nodes for each cut
// and hold, and the heal's note names the cuts it ends.
func TestMermaidCutsAndHolds(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteMermaid(&b, parsedTrace(t, "retry-twice"), MermaidOptions{}))
	out := b.String()
	for _, want := range []string{
		"    Note over leader2,acceptor1: cut leader2 → acceptor1\n",
		"    Note over leader1,acceptor2: cut leader1 → acceptor2\n",
		"    Note over leader1,acceptor3: cut leader1 → acceptor3\n",
		"    Note over client2,leader2: hold client2 → leader2 for 300ms\n",
		"    Note over client1,replica1: heal: ends the cuts leader2 → acceptor1, leader1 → acceptor2, leader1 → acceptor3\n",
	} {
		assert.Contains(t, out, want)
	}
	// In trace order: the cut of 5ms after leader1's Accepts of 4ms, before the crash.
	assert.Less(t, strings.Index(out, "cut leader1 → acceptor2"), strings.Index(out, "Note over leader1: crash"))
}

// TestShiVizCutsAndHolds: a cut and a hold are events of both nodes of the
// link, and a heal is an event of every node of a cut it ends, naming it.
func TestShiVizCutsAndHolds(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteShiViz(&b, parsedTrace(t, "retry-twice")))
	out := b.String()
	for _, want := range []string{
		"\n5ms cut: messages to acceptor2 are lost until a heal\nleader1 {",
		"\n5ms cut: messages from leader1 are lost until a heal\nacceptor2 {",
		"\n150ms hold: messages to leader2 wait at the link until 450ms (held for 300ms)\nclient2 {",
		"\n150ms hold: messages from client2 wait at the link until 450ms (held for 300ms)\nleader2 {",
		"\n208ms heal: ends the cuts leader1 → acceptor2, leader1 → acceptor3\nleader1 {",
		"\n208ms heal: ends the cut leader2 → acceptor1\nacceptor1 {",
	} {
		assert.Contains(t, out, want)
	}
}

// TestPerfettoCutsAndHolds: an instant on both tracks of the link, and an
// async slice from the cut to the heal, or over the hold.
func TestPerfettoCutsAndHolds(t *testing.T) {
	tr := parsedTrace(t, "retry-twice")
	var b bytes.Buffer
	require.NoError(t, WritePerfetto(&b, tr))
	var f perfettoFile
	require.NoError(t, json.Unmarshal(b.Bytes(), &f))
	tid := func(n string) int { return slices.Index(tr.Nodes, n) + 1 }
	type ev struct {
		name, ph string
		ts       sim.Time
		tid      int
	}
	var got []ev
	for _, e := range f.TraceEvents {
		cat := ""
		if e["cat"] != nil {
			cat = str(t, e, "cat")
		}
		if name := str(t, e, "name"); cat == "link" || (cat == "fault" && strings.Contains(name, "leader1 → acceptor2")) || strings.HasPrefix(name, "hold") {
			var id int
			require.NoError(t, json.Unmarshal(e["tid"], &id))
			got = append(got, ev{name, str(t, e, "ph"), exactNs(t, e["ts"]), id})
		}
	}
	ms := sim.Millisecond
	assert.Equal(t, []ev{
		{"cut leader2 → acceptor1", "b", 0, tid("leader2")},
		{"cut leader1 → acceptor2", "i", 5 * ms, tid("leader1")},
		{"cut leader1 → acceptor2", "i", 5 * ms, tid("acceptor2")},
		{"cut leader1 → acceptor2", "b", 5 * ms, tid("leader1")},
		{"cut leader1 → acceptor3", "b", 5 * ms, tid("leader1")},
		{"hold client2 → leader2 for 300ms", "i", 150 * ms, tid("client2")},
		{"hold client2 → leader2 for 300ms", "i", 150 * ms, tid("leader2")},
		{"hold client2 → leader2 for 300ms", "b", 150 * ms, tid("client2")},
		{"heal: ends the cuts leader2 → acceptor1, leader1 → acceptor2, leader1 → acceptor3", "i", 208 * ms, 1},
		{"cut leader2 → acceptor1", "e", 208 * ms, tid("leader2")},
		{"cut leader1 → acceptor2", "e", 208 * ms, tid("leader1")},
		{"cut leader1 → acceptor3", "e", 208 * ms, tid("leader1")},
		{"hold client2 → leader2 for 300ms", "e", 450 * ms, tid("client2")},
	}, got)
}
