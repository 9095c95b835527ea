//go:build browser

// The browser tests open the HTML page in a real, headless Chromium and read
// back the DOM its scripts leave: they prove that the page's JavaScript runs
// without an error, which no Go test can. They need Chromium, so they run
// only with -tags browser (CI: go test -tags browser ./protocol/viz/).

package viz

import (
	"bytes"
	"context"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/protocol/check"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/cluster"
	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
)

// browserTimeout bounds one browser run: a hung browser fails the test
// instead of hanging CI.
const browserTimeout = 60 * time.Second

// findBrowser is Chromium (or Chrome) on PATH. With the browser tag set, a
// missing browser is a failure, not a skip: CI must not pass silently.
func findBrowser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Fatal("no headless browser: none of chromium, chromium-browser, google-chrome is on PATH; " +
		"install one (Debian/Ubuntu: apt-get install chromium) or run the tests without -tags browser")
	return ""
}

// dumpDOM opens page in headless Chromium, in a window of 1400x900 px,
// lets its scripts run, and returns the DOM as the browser serialises it.
func dumpDOM(t *testing.T, page string) string {
	t.Helper()
	browser := findBrowser(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "page.html")
	require.NoError(t, os.WriteFile(file, []byte(page), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--virtual-time-budget=5000", "--window-size=1400,900",
		"--dump-dom", "file://"+file)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish within %s; its stderr:\n%s", browser, browserTimeout, stderr.String())
	}
	require.NoError(t, err, "%s failed; its stderr:\n%s", browser, stderr.String())
	t.Logf("%s took %s", filepath.Base(browser), time.Since(start).Round(time.Millisecond))
	require.NotEmpty(t, stdout.String(), "%s dumped no DOM; its stderr:\n%s", browser, stderr.String())
	return stdout.String()
}

var (
	htmlTag    = regexp.MustCompile(`<html[^>]*>`)
	attrRegexp = func(name string) *regexp.Regexp { return regexp.MustCompile(` ` + name + `="([^"]*)"`) }
)

// rootAttr is an attribute of the dumped <html> element, and whether it is
// there.
func rootAttr(dom, name string) (string, bool) {
	m := attrRegexp(name).FindStringSubmatch(htmlTag.FindString(dom))
	if m == nil {
		return "", false
	}
	return html.UnescapeString(m[1]), true
}

// loadedPage is scenario's trace, its page, and the page's DOM after
// headless Chromium ran it, which must have run its main script to the end
// without an error.
func loadedPage(t *testing.T, scenario string) (tr *Trace, page, dom string) {
	t.Helper()
	tr, text := runPage(t, scenario)
	page = writePage(t, tr, text)
	dom = dumpDOM(t, page)
	errs, found := rootAttr(dom, "data-jserrors")
	assert.False(t, found, "the page's scripts failed: %s", errs)
	ready, _ := rootAttr(dom, "data-ready")
	assert.Equal(t, "1", ready, "the main script ran to its end")
	return tr, page, dom
}

func TestBrowserPage(t *testing.T) {
	tr, page, dom := loadedPage(t, "default")
	wired, _ := rootAttr(dom, "data-messages")
	assert.Equal(t, strconv.Itoa(len(tr.Messages)), wired, "every message was wired")

	assert.Equal(t, len(tr.Nodes), strings.Count(dom, `<g class="lane" `))
	assert.Equal(t, len(tr.Messages), strings.Count(dom, `<g class="msg `))
	assert.Equal(t, 2, strings.Count(dom, "<title>"), "the page's tooltips replaced the elements' titles; the page's and the diagram's are left")
	assert.Equal(t, len(tr.Messages)+len(tr.Requests)+len(tr.Marks)+strings.Count(page, `<g class="crowd"`), strings.Count(dom, "<desc>"), "each title became a description")
	assert.Contains(t, dom, `<line class="guide"`, "the trace's time guide was added")
	assert.Contains(t, dom, `<div id="jserr" hidden="">`, "no error banner")

	assert.Contains(t, dom, `<section id="summary">`)
	assert.Contains(t, dom, `<li class="check ok" data-check="linearizability"><b>linearizability</b>: ok</li>`)
	assert.Contains(t, dom, `<section id="trace">`)
	assert.Contains(t, dom, "[leader1] Phase 1 complete: promises from acceptor1 + acceptor3, 2 of 3 (quorum 2) — leader established at ballot (1,1)")
	assert.Contains(t, dom, "[leader1] why: ", "the page's trace has the explanations")
}

func TestBrowserCatchesErrors(t *testing.T) {
	tr, text := runPage(t, "default")
	page := writePage(t, tr, text)
	broken := strings.Replace(page, "</body>", "<script>undefinedFn()</script>\n</body>", 1)
	require.NotEqual(t, page, broken)
	dom := dumpDOM(t, broken)

	errs, found := rootAttr(dom, "data-jserrors")
	require.True(t, found, "the error hooks recorded nothing")
	assert.Contains(t, errs, "undefinedFn")
	assert.Contains(t, dom, `<div id="jserr">JavaScript error: `, "the banner shows")
	ready, _ := rootAttr(dom, "data-ready")
	assert.Equal(t, "1", ready, "the page itself still works")
}

// layoutProbe, added to a page, measures it once its scripts have run: the
// diagram pane's visible extent, each lane header's, the pane's scroll
// width; then it scrolls halfway down and measures the lane bar. It writes
// what it finds to <html data-...>.
const layoutProbe = `<script>
(function () {
  var de = document.documentElement, pane = document.getElementById("diagram");
  function rect(el) { var r = el.getBoundingClientRect(); return Math.round(r.left) + ":" + Math.round(r.right); }
  function lanes(sel) {
    var out = [];
    document.querySelectorAll(sel).forEach(function (el) {
      var r = el.getBoundingClientRect();
      if (r.width > 0) out.push(el.parentNode.getAttribute("data-node") || el.getAttribute("data-node"));
      out.push(Math.round(r.left) + ":" + Math.round(r.right));
    });
    return out.join(" ");
  }
  var p = pane.getBoundingClientRect();
  de.dataset.pane = Math.round(p.left) + ":" + Math.round(p.left + pane.clientWidth);
  de.dataset.scroll = pane.scrollWidth + ":" + pane.clientWidth;
  de.dataset.lanes = lanes("#diagram svg g.lane rect.hdr");
  de.dataset.barTop = String(document.getElementById("lanebar").hidden);
  // The browser sends its scroll event with a later frame, which a
  // headless dump may never draw: send it now, so that the page's handler
  // runs before the measuring.
  pane.scrollTop = pane.scrollHeight / 2;
  pane.dispatchEvent(new Event("scroll"));
  var bar = document.getElementById("lanebar");
  de.dataset.barHidden = String(bar.hidden);
  de.dataset.barAt = String(Math.round(bar.querySelector("div").getBoundingClientRect().top - p.top));
  de.dataset.bar = lanes("#lanebar span");
  de.dataset.probed = "1";
})();
</script>
</body>`

// TestBrowserEveryLaneAt1400: at a 1400 px wide window the page shows
// every lane of the diagram beside the summary, without scrolling across,
// for the default run and for the widest embedded one (11 nodes); scrolled
// down, a bar at the top of the diagram keeps naming the lanes.
func TestBrowserEveryLaneAt1400(t *testing.T) {
	for _, scenario := range []string{"default", "duelling-leaders"} {
		t.Run(scenario, func(t *testing.T) {
			tr, text := runPage(t, scenario)
			page := strings.Replace(writePage(t, tr, text), "</body>", layoutProbe, 1)
			dom := dumpDOM(t, page)
			errs, found := rootAttr(dom, "data-jserrors")
			require.False(t, found, "the page's scripts failed: %s", errs)
			probed, _ := rootAttr(dom, "data-probed")
			require.Equal(t, "1", probed, "the probe ran")

			span := func(s string) (int, int) {
				a, b, ok := strings.Cut(s, ":")
				require.True(t, ok, s)
				x0, err0 := strconv.Atoi(a)
				x1, err1 := strconv.Atoi(b)
				require.NoError(t, err0)
				require.NoError(t, err1)
				return x0, x1
			}
			paneAttr, _ := rootAttr(dom, "data-pane")
			left, right := span(paneAttr)
			assert.Greater(t, right-left, 900, "the diagram has most of the window")
			scroll, _ := rootAttr(dom, "data-scroll")
			sw, cw := span(scroll)
			assert.LessOrEqual(t, sw, cw, "no scrolling across")

			for _, attr := range []string{"data-lanes", "data-bar"} {
				v, _ := rootAttr(dom, attr)
				f := strings.Fields(v)
				require.Len(t, f, 2*len(tr.Nodes), "%s: every lane is there: %s", attr, v)
				for i := 0; i < len(f); i += 2 {
					assert.Equal(t, tr.Nodes[i/2], f[i])
					x0, x1 := span(f[i+1])
					assert.True(t, left <= x0 && x1 <= right, "%s: lane %s at %d..%d is outside the pane's %d..%d", attr, f[i], x0, x1, left, right)
				}
			}
			top, _ := rootAttr(dom, "data-bar-top")
			assert.Equal(t, "true", top, "at the top, the diagram's own headers name the lanes")
			hidden, _ := rootAttr(dom, "data-bar-hidden")
			assert.Equal(t, "false", hidden, "scrolled down, the lane bar shows")
			at, _ := rootAttr(dom, "data-bar-at")
			assert.Equal(t, "0", at, "at the top of the pane")
		})
	}
}

// TestBrowserLinPage: the -lin page, drawn by porcupine's script as edited
// by check.LinResult.WritePage, names its rows after the clients (not 0, 1,
// 2), is headed with the scenario, seed and verdict, and has a time axis in
// virtual time.
func TestBrowserLinPage(t *testing.T) {
	s, err := scenarios.Load("leader-failover")
	require.NoError(t, err)
	c := cluster.New(s, cluster.Options{})
	o := c.Run()
	var b bytes.Buffer
	require.NoError(t, o.Lin.WritePage(&b, check.LinPage{Scenario: s.Name, Seed: s.Seed, Annotations: c.Annotations()}))
	dom := dumpDOM(t, b.String())

	assert.Contains(t, dom, "<h1>linearizability: leader-failover, seed 73</h1>")
	assert.Contains(t, dom, `<p class="verdict ok">linearizable</p>`)
	canvas, _, found := strings.Cut(dom[strings.Index(dom, `<div id="canvas">`):], `<div id="calc">`)
	require.True(t, found, "porcupine drew its canvas")
	rows := regexp.MustCompile(`<text x="[\d.]+" y="[\d.]+" text-anchor="end">([^<]*)</text>`).FindAllStringSubmatch(canvas, -1)
	var names []string
	for _, r := range rows {
		names = append(names, r[1])
	}
	assert.Equal(t, []string{"client1", "client2", "client3", "leader1"}, names, "a row per client, by name, then the faults' rows")

	axis, _, found := strings.Cut(canvas[max(strings.Index(canvas, `<g class="lin-axis">`), 0):], "</g>")
	require.True(t, found && strings.HasPrefix(axis, `<g class="lin-axis">`), "the time axis was drawn")
	ticks := regexp.MustCompile(`class="tick">([^<]*)</text>`).FindAllStringSubmatch(axis, -1)
	require.Greater(t, len(ticks), 5)
	assert.Equal(t, "0s", ticks[0][1])
	for _, tk := range ticks[1:] {
		assert.True(t, strings.HasSuffix(tk[1], "ms"), "a virtual time: %q", tk[1])
	}
	assert.Contains(t, axis, "virtual time of the calls and returns")
}

// TestBrowserCutsAndHolds: a page with cuts and holds runs without errors,
// and every cut's and hold's tooltip, its mark's and its stripe's, is
// wired as the other faults' are (no element keeps its own title).
func TestBrowserCutsAndHolds(t *testing.T) {
	_, _, dom := loadedPage(t, "retry-twice")
	assert.Equal(t, 4, strings.Count(dom, `<g class="fault linkspan"`), "a stripe group per cut and hold")
	assert.Equal(t, 3, strings.Count(dom, `<g class="fault cut"`))
	assert.Equal(t, 1, strings.Count(dom, `<g class="fault hold"`))
	assert.Equal(t, 2, strings.Count(dom, "<title>"), "the page's tooltips replaced the elements' titles, the cuts' and holds' too")
}
