package viz

import (
	"bytes"
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// runStates runs an embedded scenario as `run -node-states` does and
// returns its trace (with state records) and its human text.
func runStates(t testing.TB, name string) (*Trace, string) {
	t.Helper()
	return runScenario(t, name, true)
}

// viewerDataOf is the viewer's data in a page.
func viewerDataOf(t *testing.T, page string) viewerData {
	t.Helper()
	m := regexp.MustCompile(`<script type="application/json" id="viewer-data">(.*?)</script>`).FindStringSubmatch(page)
	require.NotNil(t, m, "the page holds the viewer's data")
	var d viewerData
	require.NoError(t, json.Unmarshal([]byte(m[1]), &d))
	return d
}

// TestHTMLViewer: with state records, the page holds the viewer: its
// controls, a panel per node, a step per event with the messages it
// delivered and sent (all drawn in the diagram), every node's states, and
// each stamped line of the text trace tied to the event that wrote it, at
// that event's time. Offline, and the same bytes for the same run.
func TestHTMLViewer(t *testing.T) {
	tr, text := runStates(t, "default")
	require.NotEmpty(t, tr.Events)
	page := writePage(t, tr, text)
	assert.True(t, page == writePage(t, tr, text), "the same run writes the same page")
	for _, ref := range []string{"http://", "https://", "<script src", "<link", "<iframe", "<img"} {
		lacks(t, page, ref)
	}
	assert.Equal(t, 3, strings.Count(page, "<script>"), "the hooks, the main script and the viewer's, all inline")
	has(t, page, `<script type="application/json" id="viewer-data">`)
	for _, id := range []string{"st-home", "st-prev", "st-next", "st-end", "st-info", "st-nodes"} {
		has(t, page, `id="`+id+`"`)
	}
	for _, n := range tr.Nodes {
		has(t, page, `<div class="node" data-node="`+n+`"><b>`+n+`</b><pre></pre></div>`)
	}
	lacks(t, page, "This trace has no state records")

	d := viewerDataOf(t, page)
	assert.Equal(t, tr.Nodes, d.Nodes)
	require.Len(t, d.Events, len(tr.Events))
	assert.Zero(t, d.Omitted)
	assert.Equal(t, "start leader1", d.Events[0].What)
	assert.Equal(t, "0.000ms", d.Events[0].T)
	mids := map[uint64]bool{}
	for _, m := range tr.Messages {
		mids[m.ID] = true
	}
	in, out := 0, 0
	for k, e := range d.Events {
		for _, m := range e.In {
			assert.True(t, mids[m.Mid], "event %d delivers message %d, which the diagram draws", k, m.Mid)
			has(t, page, `data-mid="`+strconv.FormatUint(m.Mid, 10)+`"`)
		}
		in += len(e.In)
		out += len(e.Out)
		if strings.HasPrefix(e.What, "deliver ") {
			assert.Len(t, e.In, 1, "event %d (%s) delivers one message", k, e.What)
		}
	}
	assert.Equal(t, len(tr.Messages), in, "every message is delivered in some event")
	assert.Equal(t, len(tr.Messages), out, "every message is sent in some event")

	// Every node has its first state at its start, and a state per change.
	for _, n := range tr.Nodes {
		list := d.States[n]
		require.NotEmpty(t, list, n)
		assert.Equal(t, "start "+n, d.Events[list[0].K].What, n)
		for i := 1; i < len(list); i++ {
			assert.Greater(t, list[i].K, list[i-1].K, n)
		}
	}
	// A known step: acceptor1 promises (1,1) to leader1.
	k := indexOf(d.Events, "deliver leader1#1 acceptor1 Prepare")
	require.GreaterOrEqual(t, k, 0)
	assert.Equal(t, []string{"acceptor1"}, d.Events[k].Changed)
	assert.Equal(t, []viewerState{{K: 1, Text: "promised (0,0)\naccepted —"}, {K: k, Text: "promised (1,1)\naccepted —"}}, d.States["acceptor1"][:2])

	// The text trace's lines point at their events.
	lines := regexp.MustCompile(`<span class="ln" data-y="\d+" data-us="(\d+)" data-ev="(\d+)">([^<]*)</span>`).FindAllStringSubmatch(page, -1)
	var stamped int
	for _, line := range strings.Split(text, "\n") {
		if _, ok := stampTime(line); ok {
			stamped++
		}
	}
	assert.Equal(t, stamped, len(lines), "every stamped line has its event")
	prev := 0
	for _, l := range lines {
		us, _ := strconv.ParseInt(l[1], 10, 64)
		ev, _ := strconv.Atoi(l[2])
		assert.GreaterOrEqual(t, ev, prev, "lines in event order: %s", l[3])
		prev = ev
		assert.Equal(t, strings.TrimSpace(sim.Time(us*int64(sim.Microsecond)).Stamp()), d.Events[ev].T, "line %q at its event's time", html.UnescapeString(l[3]))
	}
	k = indexOf(d.Events, "deliver leader1#1 acceptor1 Prepare")
	has(t, page, ` data-ev="`+strconv.Itoa(k)+`">[   1.014ms] [acceptor1] `)
}

func indexOf(events []viewerEvent, what string) int {
	for i, e := range events {
		if e.What == what {
			return i
		}
	}
	return -1
}

// TestHTMLViewerWithoutStates: a trace without state records gives the
// page without the viewer, saying how to get it.
func TestHTMLViewerWithoutStates(t *testing.T) {
	tr, text := runPage(t, "default")
	page := writePage(t, tr, text)
	has(t, page, "This trace has no state records: run with <code>-node-states</code>")
	lacks(t, page, `id="viewer-data"`)
	lacks(t, page, ` data-ev="`)
}

// TestHTMLViewerWindow: in a window the viewer steps through the window's
// events only, and opens with every node's state at the window's start
// (K = -1), crashes included.
func TestHTMLViewerWindow(t *testing.T) {
	tr, text := runStates(t, "acceptor-crash")
	var crash Fault
	for _, f := range tr.Faults {
		if f.Kind == sim.EvCrash {
			crash = f
			break
		}
	}
	require.NotEmpty(t, crash.Node, "the scenario crashes a node")
	from, to := crash.T+sim.Millisecond, crash.T+20*sim.Millisecond
	w := tr.Window(from, to)
	d := viewerDataOf(t, writePage(t, w, text))
	require.NotEmpty(t, d.Events)
	for _, n := range tr.Nodes {
		list := d.States[n]
		require.NotEmpty(t, list, n)
		assert.Equal(t, -1, list[0].K, "%s opens the window with its state", n)
		assert.NotEmpty(t, list[0].Text, n)
		assert.Equal(t, n == crash.Node, list[0].Down, "%s is down at the window's start", n)
	}
	var inside []string
	for _, e := range tr.Events {
		if e.T >= from && e.T <= to {
			inside = append(inside, strings.TrimSpace(e.T.Stamp())+" "+e.What)
		}
	}
	var got []string
	for _, e := range d.Events {
		got = append(got, e.T+" "+e.What)
	}
	assert.Equal(t, inside, got, "the window's events")
}

// TestStateText: a node's readable state is shown with its short members
// on one line, lists and maps one item a line, ballots as (r,l), commands
// as the pictures label them, slots as sN.
func TestStateText(t *testing.T) {
	raw := `{"role":"leading","round":2,"ballot":[2,1],"seen":[2,1],` +
		`"slots":[{"slot":5,"cmd":{"op":"put","key":"c","value":"v","client":"client2","seq":1},"votes":["acceptor1","acceptor3"],"chosen":true},` +
		`{"slot":6,"cmd":{"op":"noop"},"votes":[],"chosen":false}],"slots_omitted":4,` +
		`"applied":5,"queue":[],"store":{"a":"1","c":"v"},"sessions":{"client2":{"seq":1,"ok":true},"client3":{"seq":2,"ok":false,"error":"key not found"}}}`
	assert.Equal(t, `role leading · round 2 · ballot (2,1) · seen (2,1)
slots
  s5 PUT c=v (client2 #1) votes acceptor1, acceptor3 chosen
  s6 NOOP
(4 slots not shown) · applied 5
queue —
store a=1 c=v
sessions
  client2 #1 ok
  client3 #2 key not found`, StateText(json.RawMessage(raw)))
	assert.Equal(t, `promises acceptor1, acceptor2`, StateText(json.RawMessage(`{"promises":["acceptor1","acceptor2"]}`)))
	assert.Equal(t, `sent 2 · waiting GET a (client1 #2) · to leader1`, StateText(json.RawMessage(`{"sent":2,"waiting":{"op":"get","key":"a","client":"client1","seq":2},"to":"leader1"}`)))
	assert.Equal(t, "fingerprint 00ff", StateText(json.RawMessage(`{"fingerprint":"00ff"}`)))
	// A slot holding a batch: its other commands follow the first.
	assert.Equal(t, `promised (1,1)
accepted
  s1 (1,1) DELETE d (client6 #1) + GET b (client3 #1) + PUT c=v (client2 #1)`, StateText(json.RawMessage(`{"promised":[1,1],"accepted":[{"slot":1,"ballot":[1,1],"cmd":{"op":"delete","key":"d","client":"client6","seq":1},`+
		`"more":[{"op":"get","key":"b","client":"client3","seq":1},{"op":"put","key":"c","value":"v","client":"client2","seq":1}]}]}`)))
	assert.Equal(t, "not json", StateText(json.RawMessage("not json")))
}

// TestReadmeViewerSample keeps the README's picture of the viewer true: in
// leader-failover, event 76 of 861 is leader2 taking acceptor1's promise,
// and leader2's panel then reads as the README quotes it.
func TestReadmeViewerSample(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)```\nleader2\n(role candidate.*?)\n```").FindSubmatch(readme)
	require.NotNil(t, m, "the README quotes leader2's panel")
	tr, text := runStates(t, "leader-failover")
	d := viewerDataOf(t, writePage(t, tr, text))
	k := indexOf(d.Events, "deliver acceptor1#6 leader2 Promise")
	require.Equal(t, 75, k)
	assert.Contains(t, string(readme), "`event 76 of "+strconv.Itoa(len(d.Events))+" · "+d.Events[k].T+" · deliver acceptor1#6 leader2 Promise`")
	list := d.States["leader2"]
	i := slices.IndexFunc(list, func(s viewerState) bool { return s.K == k })
	require.GreaterOrEqual(t, i, 0, "leader2 changed in that event")
	assert.Equal(t, string(m[1]), list[i].Text)
}

// TestStateRecordsChangeNoOtherPicture: the other pictures read past the
// state records: the same run draws the same SVG, Mermaid, ShiViz and
// Perfetto files with them and without.
func TestStateRecordsChangeNoOtherPicture(t *testing.T) {
	with, _ := runStates(t, "leader-failover")
	without, _ := runPage(t, "leader-failover")
	draw := func(tr *Trace) string {
		var b bytes.Buffer
		require.NoError(t, WriteSVG(&b, tr, SVGOptions{}))
		require.NoError(t, WriteMermaid(&b, tr, MermaidOptions{}))
		require.NoError(t, WriteShiViz(&b, tr))
		require.NoError(t, WritePerfetto(&b, tr))
		return b.String()
	}
	assert.True(t, draw(with) == draw(without))
}

// TestHTMLViewerBounded: past viewerEventsMax events the page leaves the
// later ones out, and says so.
func TestHTMLViewerBounded(t *testing.T) {
	tr := &Trace{Nodes: []string{"acceptor1"}}
	n := viewerEventsMax + 7
	for i := range n {
		tr.Events = append(tr.Events, Event{T: sim.Time(i) * sim.Microsecond, Seq: uint64(i + 1), What: "timer acceptor1 check",
			States: map[string]json.RawMessage{"acceptor1": json.RawMessage(`{"n":` + strconv.Itoa(i) + `}`)}})
	}
	tr.End = sim.Time(n) * sim.Microsecond
	page := writePage(t, tr, "")
	d := viewerDataOf(t, page)
	assert.Len(t, d.Events, viewerEventsMax)
	assert.Equal(t, 7, d.Omitted)
	has(t, page, "7 later events are not in this page: draw a -window")
	assert.Len(t, d.States["acceptor1"], viewerEventsMax)
}
