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

// dumpDOM opens page in headless Chromium, lets its scripts run, and
// returns the DOM as the browser serialises it.
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
		"--user-data-dir="+filepath.Join(dir, "profile"), "--virtual-time-budget=5000",
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

func TestBrowserPage(t *testing.T) {
	tr, text := runPage(t, "default")
	page := writePage(t, tr, text)
	dom := dumpDOM(t, page)

	errs, found := rootAttr(dom, "data-jserrors")
	assert.False(t, found, "the page's scripts failed: %s", errs)
	ready, _ := rootAttr(dom, "data-ready")
	assert.Equal(t, "1", ready, "the main script ran to its end")
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
	assert.Contains(t, dom, "[leader1] Phase 1 complete — leader established")
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
