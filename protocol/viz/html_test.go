package viz

import (
	"bytes"
	"html"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/protocol/cluster"
	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// runPage runs an embedded scenario as the CLI does and returns its trace
// and its human text (trace and summary).
func runPage(t testing.TB, name string) (*Trace, string) {
	t.Helper()
	return runScenario(t, name, false)
}

// runScenario is runPage, with the state records when states is set.
func runScenario(t testing.TB, name string, states bool) (*Trace, string) {
	t.Helper()
	s, err := scenarios.Load(name)
	require.NoError(t, err)
	var js, text bytes.Buffer
	c := cluster.New(s, cluster.Options{JSON: &js, Text: &text, Explain: true, States: states})
	o := c.Run()
	require.NoError(t, c.WriteSummaryJSON(&js, o))
	require.NoError(t, c.WriteSummary(&text, o))
	tr, err := Parse(&js)
	require.NoError(t, err)
	return tr, text.String()
}

func writePage(t testing.TB, tr *Trace, text string) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, WriteHTML(&b, tr, HTMLOptions{Title: "default, seed 1", Text: text}))
	return b.String()
}

func TestHTMLDefault(t *testing.T) {
	tr, text := runPage(t, "default")
	page := writePage(t, tr, text)
	assert.True(t, page == writePage(t, tr, text), "the same run writes the same page")

	// Offline: nothing is fetched.
	for _, ref := range []string{`src="http`, `href="http`, `src='http`, `href='http`, `@import`, `url(http`, `<link`, `<script src`, `<iframe`, `<img`, "http://", "https://"} {
		lacks(t, page, ref) // not even the SVG namespace, which inline SVG does not need
	}
	assert.Empty(t, regexp.MustCompile(`url\([^#]`).FindAllString(page, -1), "url() only for the diagram's own markers")

	// The error hooks come first, before anything can fail.
	head, _, found := strings.Cut(page, "</head>")
	require.True(t, found)
	first := strings.Index(head, "<script>")
	require.Positive(t, first)
	hooks := head[first:]
	assert.Contains(t, hooks, "window.onerror")
	assert.Contains(t, hooks, "unhandledrejection")
	assert.Contains(t, hooks, "jserrors")
	assert.Equal(t, 2, strings.Count(page, "<script>"), "the hooks and the main script, both inline")
	has(t, page, `de.dataset.ready = "1"`)

	// The diagram, inline.
	assert.Equal(t, 1, strings.Count(page, "<svg "))
	assert.Equal(t, len(tr.Messages), strings.Count(page, `<g class="msg `))
	assert.Equal(t, len(tr.Nodes), strings.Count(page, `<g class="lane" `))

	// The summary and the checks' verdicts.
	has(t, page, `<span class="badge ok">every check holds</span>`)
	for _, c := range []string{"agreement", "convergence", "linearizability", "exactly-once", "liveness"} {
		has(t, page, `<li class="check ok" data-check="`+c+`"><b>`+c+`</b>: ok</li>`)
	}
	has(t, page, "<tr><th>scenario</th><td>default</td></tr>")
	has(t, page, "<tr><th>seed</th><td>1</td></tr>")
	has(t, page, "<tr><th>messages</th><td>228 sent + 0 duplicated = 228 delivered + 0 dropped + 0 in flight</td></tr>")
	has(t, page, "<tr><th>replica1</th><td>c=val_35 d=val_6</td></tr>")
	for s := 1; s <= 15; s++ {
		has(t, page, `<button class="chip" data-slot="`+strconv.Itoa(s)+`"`)
	}

	// The text trace, every line, escaped.
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		has(t, page, html.EscapeString(line))
	}
	has(t, page, `[   3.849ms] [leader1] queued client2&#39;s request 1 (1 waiting)`)
	var stamped int
	for _, line := range strings.Split(text, "\n") {
		if _, ok := stampTime(line); ok {
			stamped++
		}
	}
	lines := regexp.MustCompile(`<span class="ln" data-y="\d+" data-us="\d+">`).FindAllString(page, -1)
	assert.Equal(t, stamped, len(lines), "every stamped line points into the diagram")
	assert.Greater(t, stamped, 150)
}

// has and lacks check for a piece of a page without printing the page.
func has(t *testing.T, page, piece string) {
	t.Helper()
	if !strings.Contains(page, piece) {
		t.Errorf("the page lacks %q", piece)
	}
}

func lacks(t *testing.T, page, piece string) {
	t.Helper()
	if i := strings.Index(page, piece); i >= 0 {
		t.Errorf("the page has %q: ...%s...", piece, page[max(0, i-80):min(len(page), i+80)])
	}
}

func TestHTMLFailedCheck(t *testing.T) {
	tr := &Trace{Nodes: []string{"client1"}, Summary: map[string]any{
		"scenario": "x", "seed": 18446744073709551615.0, "ok": false,
		"checks": map[string]any{"agreement": "slot 3: <two> commands", "liveness": "stalled as allowed (liveness = false): 1 unanswered", "zeta": "ok"},
	}}
	page := writePage(t, tr, "a <b> & c\n")
	has(t, page, `<span class="badge fail">a check FAILED</span>`)
	has(t, page, `<li class="check fail" data-check="agreement"><b>agreement</b>: slot 3: &lt;two&gt; commands</li>`)
	has(t, page, `<li class="check note" data-check="liveness">`)
	has(t, page, `<li class="check ok" data-check="zeta">`)
	has(t, page, "<pre>a &lt;b&gt; &amp; c</pre>")
	assert.Less(t, strings.Index(page, `data-check="liveness"`), strings.Index(page, `data-check="zeta"`), "known checks first")
}

func TestHTMLWithoutSummary(t *testing.T) {
	page := writePage(t, hugeTrace(10), "")
	has(t, page, "The trace has no summary record.")
	has(t, page, `<span class="badge note">no summary</span>`)
}

func TestStampTime(t *testing.T) {
	for line, want := range map[string]sim.Time{
		"[   3.112ms] [acceptor2] ACCEPT":  3*sim.Millisecond + 112*sim.Microsecond,
		"[1234.000ms] [fault] crash":       1234 * sim.Millisecond,
		"[   0.000ms] [leader1] Starting":  0,
		"--- summary ---":                  -1,
		"[ 3.1ms] short fraction":          -1,
		"[abc.def ms] [x] not a time":      -1,
		"[   3.112ms no closing bracket":   -1,
		"  [   3.112ms] indented, ignored": -1,
	} {
		got, ok := stampTime(line)
		if want < 0 {
			assert.False(t, ok, line)
			continue
		}
		assert.True(t, ok, line)
		assert.Equal(t, want, got, line)
	}
}

// TestHTMLFitsTheLanes: on the page the diagram is narrowed to fit beside
// the summary (up to 11 lanes) and carries a bar naming every lane; the
// standalone SVG keeps its wide lanes.
func TestHTMLFitsTheLanes(t *testing.T) {
	tr, text := runPage(t, "duelling-leaders")
	require.Len(t, tr.Nodes, 11)
	page := writePage(t, tr, text)
	m := regexp.MustCompile(`<svg class="spacetime" width="(\d+)"`).FindStringSubmatch(page)
	require.NotNil(t, m)
	w, _ := strconv.Atoi(m[1])
	assert.LessOrEqual(t, w, htmlDiagramW)
	for _, n := range tr.Nodes {
		has(t, page, `<span data-node="`+n+`"`)
	}
	has(t, page, `<div id="lanebar" data-y="`)
	assert.Equal(t, axisW+11*laneWMax+marginR, newLayout(tr, 0).width, "the SVG alone is not narrowed")
}

// TestCountsText: the message counts read as the text summary's sum, or,
// from a trace without in_flight, as a list.
func TestCountsText(t *testing.T) {
	assert.Equal(t, "9 sent + 1 duplicated = 7 delivered + 2 dropped + 1 in flight",
		countsText(map[string]any{"sent": 9.0, "duplicated": 1.0, "delivered": 7.0, "dropped": 2.0, "in_flight": 1.0}))
	assert.Equal(t, "9 sent, 7 delivered, 2 dropped, 0 duplicated",
		countsText(map[string]any{"sent": 9.0, "duplicated": 0.0, "delivered": 7.0, "dropped": 2.0}))
}
