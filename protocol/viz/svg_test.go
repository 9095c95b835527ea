package viz

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/sim"
	"github.com/multipaxos-kv/multipaxos-kv/sim/golden"
)

// element is one XML element of a drawing: its name, classes, attributes,
// the text directly inside it, and the classes of its ancestors.
type element struct {
	name    string
	classes []string
	attr    map[string]string
	text    string
	parents []string // the classes of every enclosing element
}

func (e element) is(class string) bool { return slices.Contains(e.classes, class) }

func (e element) inside(class string) bool { return slices.Contains(e.parents, class) }

// parseXML reads a drawing with encoding/xml, failing the test if it is not
// well-formed, and lists its elements in document order.
func parseXML(t *testing.T, b []byte) []element {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	var all []element
	var open []int // indexes in all of the open elements
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "the SVG must be well-formed XML")
		switch tok := tok.(type) {
		case xml.StartElement:
			e := element{name: tok.Name.Local, attr: map[string]string{}}
			for _, a := range tok.Attr {
				e.attr[a.Name.Local] = a.Value
			}
			e.classes = strings.Fields(e.attr["class"])
			for _, i := range open {
				e.parents = append(e.parents, all[i].classes...)
			}
			open = append(open, len(all))
			all = append(all, e)
		case xml.EndElement:
			open = open[:len(open)-1]
		case xml.CharData:
			if len(open) > 0 {
				all[open[len(open)-1]].text += string(tok)
			}
		}
	}
	require.Empty(t, open, "every element is closed")
	return all
}

// classGroups are the <g> elements with a class.
func classGroups(es []element, class string) []element {
	var out []element
	for _, e := range es {
		if e.name == "g" && e.is(class) {
			out = append(out, e)
		}
	}
	return out
}

func drawSVG(t *testing.T, tr *Trace) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, WriteSVG(&b, tr, SVGOptions{}))
	return b.Bytes()
}

func parseRun(t *testing.T, name string) *Trace {
	t.Helper()
	tr, err := Parse(bytes.NewReader(runTrace(t, name, nil)))
	require.NoError(t, err)
	return tr
}

// fateCounts counts a trace's message copies by fate, as the SVG names them.
func fateCounts(tr *Trace) map[string]int {
	n := map[string]int{}
	for _, m := range tr.Messages {
		n[map[Fate]string{Delivered: "delivered", Dropped: "dropped", InFlight: "inflight"}[m.Fate]]++
	}
	return n
}

func TestSVGDefault(t *testing.T) {
	tr := parseRun(t, "default")
	out := drawSVG(t, tr)
	golden.Check(t, "testdata/default.svg", out)
	assert.Equal(t, out, drawSVG(t, tr), "the same trace draws the same bytes")

	es := parseXML(t, out)
	require.Equal(t, "svg", es[0].name)
	var lanes []string
	for _, g := range classGroups(es, "lane") {
		lanes = append(lanes, g.attr["data-node"])
	}
	assert.Equal(t, tr.Nodes, lanes, "one lane per node, in lane order")

	msgs := classGroups(es, "msg")
	require.Len(t, msgs, len(tr.Messages), "one arrow per message copy")
	got := map[string]int{}
	for _, g := range msgs {
		got[g.attr["data-fate"]]++
	}
	assert.Equal(t, fateCounts(tr), got)
	assert.Equal(t, 228, got["delivered"])

	// Each arrow names its message, and its title holds the whole of it.
	byMid := map[string]Message{}
	for _, m := range tr.Messages {
		byMid[fmt.Sprint(m.ID)] = m
	}
	titles := map[string]string{}
	var mid string
	for _, e := range es {
		if e.name == "g" && e.is("msg") {
			mid = e.attr["data-mid"]
		}
		if e.name == "title" && e.inside("msg") {
			titles[mid] = e.text
		}
	}
	for _, g := range msgs {
		m := byMid[g.attr["data-mid"]]
		assert.Equal(t, m.Type, g.attr["data-type"])
		assert.Equal(t, m.From, g.attr["data-from"])
		assert.Equal(t, m.To, g.attr["data-to"])
		if m.Slot > 0 {
			assert.Equal(t, fmt.Sprint(m.Slot), g.attr["data-slot"])
		}
		assert.Contains(t, titles[g.attr["data-mid"]], m.Body)
	}

	reqs := classGroups(es, "req")
	assert.Len(t, reqs, len(tr.Requests))
	var labels []string
	for _, e := range es {
		if e.name == "text" && e.inside("req") {
			labels = append(labels, e.text)
		}
	}
	assert.Contains(t, labels, "PUT c=val_35 → ok")
	assert.Contains(t, labels, "GET b → key not found: b")
	var msgLabels []string
	for _, e := range es {
		if e.name == "text" && e.inside("msg") {
			msgLabels = append(msgLabels, e.text)
		}
	}
	assert.Contains(t, msgLabels, "Accept s6 (1,1) ×3", "a leader's Accept to every acceptor is labelled once")
	assert.NotContains(t, msgLabels, "Accept s6 (1,1)")
	assert.Contains(t, msgLabels, "Accepted s6 (1,1)")
	assert.Empty(t, classGroups(es, "fault"), "the default run has no faults")
}

func TestSVGFaults(t *testing.T) {
	for _, tc := range []struct {
		scenario                                          string
		crash, restart, partition, heal, cut, hold, cross int
	}{
		{scenario: "lossy"},
		{scenario: "leader-isolated", partition: 1, heal: 1},
		{scenario: "acceptor-crash", crash: 1, restart: 1},
		{scenario: "retry-twice", crash: 2, restart: 1, heal: 1, cut: 3, hold: 1},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			tr := parseRun(t, tc.scenario)
			es := parseXML(t, drawSVG(t, tr))
			want := fateCounts(tr)
			require.Positive(t, want["dropped"], "the scenario loses messages")
			got := map[string]int{}
			for _, g := range classGroups(es, "msg") {
				got[g.attr["data-fate"]]++
			}
			assert.Equal(t, want, got)

			var crosses, dups int
			for _, e := range es {
				if e.is("cross") && e.inside("msg") {
					crosses++
				}
				if e.name == "g" && e.is("msg") && e.is("dup") {
					dups++
				}
			}
			assert.Equal(t, want["dropped"], crosses, "every lost copy ends in a cross")
			var wantDups int
			for _, m := range tr.Messages {
				if m.Duplicate {
					wantDups++
				}
			}
			assert.Equal(t, wantDups, dups)

			count := func(kind string) int { return len(classGroups(es, kind)) }
			assert.Equal(t, tc.crash, count("crash"))
			assert.Equal(t, tc.restart, count("restart"))
			assert.Equal(t, tc.partition, count("partition"))
			assert.Equal(t, tc.heal, count("heal"))
			assert.Equal(t, tc.cut, len(linkGroups(es, "cut")))
			assert.Equal(t, tc.hold, len(linkGroups(es, "hold")))
			for _, g := range classGroups(es, "fault") {
				assert.Contains(t, []string{"crash", "restart", "partition", "heal", "cut", "hold", "linkspan"}, g.classes[1])
			}
		})
	}
}

func TestSVGDownLane(t *testing.T) {
	es := parseXML(t, drawSVG(t, parseRun(t, "acceptor-crash")))
	var lane string
	for _, e := range es {
		if e.name == "g" && e.is("lane") {
			lane = e.attr["data-node"]
		}
		if e.name == "line" && e.is("down") {
			assert.Equal(t, "acceptor3", lane, "only the crashed node's lane is drawn down")
		}
	}
}

func TestSVGPartitionBand(t *testing.T) {
	es := parseXML(t, drawSVG(t, parseRun(t, "leader-isolated")))
	var band []string
	for _, e := range es {
		if e.inside("partition") && e.name == "text" {
			band = append(band, e.text)
		}
	}
	require.Len(t, band, 1)
	assert.Equal(t, "partition: leader1 cut off", band[0])
	var title string
	for _, e := range es {
		if e.inside("partition") && e.name == "title" {
			title = e.text
		}
	}
	assert.Contains(t, title, "partition {leader1} | {leader2 acceptor1 acceptor2 acceptor3 replica1 replica2 client1 client2 client3}\nfrom 30ms to 250ms")
}

// TestSVGPartitionShadesTheCutSide: a partition shades the lanes of the
// side cut off from the majority of the acceptors, and no other, for as
// long as it lasts.
func TestSVGPartitionShadesTheCutSide(t *testing.T) {
	for scenario, cut := range map[string][]string{
		"leader-isolated":    {"leader1"},
		"minority-partition": {"acceptor3"},
		"leader-cut-off":     {"leader1"},
	} {
		t.Run(scenario, func(t *testing.T) {
			tr := parseRun(t, scenario)
			l := newLayout(tr, 0)
			es := parseXML(t, drawSVG(t, tr))
			var shaded []string
			for _, e := range es {
				if e.name == "rect" && e.inside("partition") {
					shaded = append(shaded, e.attr["data-node"])
					n := e.attr["data-node"]
					assert.Equal(t, fmt.Sprint(l.laneX[n]-l.laneW/2), e.attr["x"], "the band covers %s's lane", n)
					assert.Equal(t, fmt.Sprint(l.laneW), e.attr["width"], "and only it")
				}
			}
			assert.Equal(t, cut, shaded)
			assert.Equal(t, cut, strings.Fields(classGroups(es, "partition")[0].attr["data-cut"]))
		})
	}
	assert.Equal(t, []string{"leader1", "acceptor1"}, cutSide([][]string{{"leader1", "acceptor1"}, {"acceptor2", "acceptor3"}}, []string{"acceptor1", "acceptor2", "acceptor3"}),
		"the side without a majority of the acceptors")
	assert.Equal(t, []string{"b"}, cutSide([][]string{{"a", "c"}, {"b"}}, nil), "without acceptors: every group but the largest")
}

func TestSVGWindow(t *testing.T) {
	tr := parseRun(t, "leader-isolated")
	w := tr.Window(25*sim.Millisecond, 45*sim.Millisecond)
	es := parseXML(t, drawSVG(t, w))
	assert.Len(t, classGroups(es, "msg"), len(w.Messages))
	assert.Len(t, classGroups(es, "lane"), len(tr.Nodes))
	assert.Len(t, classGroups(es, "partition"), 1)
	assert.Empty(t, classGroups(es, "heal"), "the heal is after the window")
}

// hugeTrace is a synthetic run with n messages between three nodes.
func hugeTrace(n int) *Trace {
	tr := &Trace{Nodes: []string{"client1", "leader1", "acceptor1"}}
	for i := range n {
		at := sim.Time(i) * 100 * sim.Microsecond
		tr.Messages = append(tr.Messages, Message{
			ID: uint64(i + 1), From: tr.Nodes[i%3], To: tr.Nodes[(i+1)%3], Type: "Accept", Slot: int64(i/3 + 1), Ballot: "(1,1)",
			Body: `{"type":"Accept"}`, Sent: at, At: at + 2*sim.Millisecond, Fate: Delivered,
		})
	}
	tr.End = sim.Time(n)*100*sim.Microsecond + 2*sim.Millisecond
	return tr
}

func TestSVGHugeTraceHasNoLabels(t *testing.T) {
	tr := hugeTrace(maxLabelled + 500)
	out := drawSVG(t, tr)
	es := parseXML(t, out)
	assert.Len(t, classGroups(es, "msg"), len(tr.Messages))
	for _, e := range es {
		if e.name == "text" && e.inside("msg") {
			t.Fatalf("a message label in a trace of %d messages: %q", len(tr.Messages), e.text)
		}
	}
	var note string
	for _, e := range es {
		if e.is("note") {
			note = e.text
		}
	}
	assert.Contains(t, note, "2500 messages: drawn without labels")
	assert.Contains(t, note, "-window FROM..TO")
	h := es[0].attr["height"]
	assert.LessOrEqual(t, len(h), 5, "the height is bounded: %s", h)

	small := parseXML(t, drawSVG(t, hugeTrace(30)))
	var labels int
	for _, e := range small {
		if e.name == "text" && e.inside("msg") {
			labels++
		}
		if e.name == "g" && e.is("crowd") {
			n, _ := strconv.Atoi(e.attr["data-n"])
			labels += n
		}
	}
	assert.Equal(t, 30, labels, "a small trace is labelled: every label is drawn or counted in a badge")
}

func TestSVGEscapes(t *testing.T) {
	js := `{"t":0,"seq":1,"ev":"send","mid":1,"from":"a<&>","to":"b\"'","msg":{"type":"X<y>&z","note":"</title><script>"}}
{"t":1000,"seq":2,"ev":"drop","mid":1,"from":"a<&>","to":"b\"'","msg":{"type":"X<y>&z"},"reason":"loss & <gone>"}
{"t":0,"seq":3,"ev":"invoke","client":"c&1","id":1,"op":"put","key":"<k>","value":"v\"&"}
{"t":0,"seq":4,"ev":"crash","node":"a<&>"}
{"t":0,"seq":5,"ev":"summary","scenario":"<s>&","seed":3}
`
	tr, err := Parse(strings.NewReader(js))
	require.NoError(t, err)
	out := drawSVG(t, tr)
	es := parseXML(t, out)
	assert.Len(t, classGroups(es, "msg"), 1)
	assert.Equal(t, "X<y>&z", classGroups(es, "msg")[0].attr["data-type"])
	assert.NotContains(t, string(out), "<script>")
	assert.Equal(t, "multipaxos-kv <s>&, seed 3", es[1].text)
}

func TestSVGEmptyTrace(t *testing.T) {
	tr, err := Parse(strings.NewReader(""))
	require.NoError(t, err)
	es := parseXML(t, drawSVG(t, tr))
	assert.Empty(t, classGroups(es, "msg"))
}

func TestApprox(t *testing.T) {
	for d, want := range map[sim.Time]string{
		40*sim.Millisecond + 123*sim.Microsecond: "40ms",
		1234 * sim.Millisecond:                   "1.2s",
		250 * sim.Millisecond:                    "250ms",
		7 * sim.Microsecond:                      "7µs",
	} {
		assert.Equal(t, want, approx(d), "approx(%s)", d)
	}
}
