//go:build browser

package viz

import (
	"html"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// viewerProbe, added to a page after its scripts, presses the right arrow
// %d times, then the left arrow, End, Home, and the next button, and after
// each writes to <html data-...> what the page shows: the step, the trace
// lines highlighted, the messages highlighted (delivered, sent), the
// nodes whose panel says they changed, acceptor1's panel, and whether the
// page took the key (so that it does not also scroll).
const viewerProbe = `<script>
(function () {
  var de = document.documentElement;
  var taken = true;
  function key(k) {
    var e = new KeyboardEvent("keydown", {key: k, bubbles: true, cancelable: true});
    document.dispatchEvent(e);
    taken = taken && e.defaultPrevented;
  }
  function texts(sel, attr) {
    return Array.prototype.map.call(document.querySelectorAll(sel), function (el) {
      return attr ? el.getAttribute(attr) : el.textContent;
    });
  }
  function snap(name) {
    de.setAttribute("data-" + name + "-step", de.dataset.step || "");
    de.setAttribute("data-" + name + "-lines", texts("#trace .ln.cur").join("\n"));
    de.setAttribute("data-" + name + "-in", texts("svg g.msg.ev-in", "data-mid").join(" "));
    de.setAttribute("data-" + name + "-out", texts("svg g.msg.ev-out", "data-mid").join(" "));
    de.setAttribute("data-" + name + "-changed", texts("#st-nodes .node.changed", "data-node").join(" "));
    de.setAttribute("data-" + name + "-acceptor1", document.querySelector('#st-nodes .node[data-node="acceptor1"] pre').textContent);
    de.setAttribute("data-" + name + "-info", document.getElementById("st-info").textContent);
  }
  snap("start");
  for (var i = 0; i < %d; i++) key("ArrowRight");
  snap("right");
  key("ArrowLeft");
  snap("left");
  key("End");
  snap("end");
  key("Home");
  snap("home");
  document.getElementById("st-next").click();
  snap("next");
  de.setAttribute("data-keys-taken", String(taken));
  de.setAttribute("data-probed", "1");
})();
</script>
</body>`

// TestBrowserViewer: in headless Chromium, the step-through viewer of the
// default run's page (with -node-states) steps with the arrow keys, Home,
// End and its buttons; each step highlights the event's messages in the
// diagram and its lines in the trace, marks the nodes it changed, and
// shows every node's state after it.
func TestBrowserViewer(t *testing.T) {
	tr, text := runStates(t, "default")
	page := writePage(t, tr, text)
	d := viewerDataOf(t, page)
	n := len(d.Events)
	k := indexOf(d.Events, "deliver leader1#1 acceptor1 Prepare")
	require.Positive(t, k)
	dom := dumpDOM(t, strings.Replace(page, "</body>", strings.ReplaceAll(viewerProbe, "%d", strconv.Itoa(k+1)), 1))

	errs, found := rootAttr(dom, "data-jserrors")
	require.False(t, found, "the page's scripts failed: %s", errs)
	attr := func(name string) string {
		t.Helper()
		v, ok := rootAttr(dom, name)
		require.True(t, ok, "no %s: the probe did not run", name)
		return v
	}
	assert.Equal(t, "1", attr("data-ready"))
	assert.Equal(t, "1", attr("data-viewer"))
	assert.Equal(t, strconv.Itoa(n), attr("data-events"))
	assert.Equal(t, "1", attr("data-probed"))
	assert.Equal(t, "true", attr("data-keys-taken"), "the viewer took every key it handles")

	assert.Equal(t, "", attr("data-start-step"), "nothing is shown before the first key")
	assert.Equal(t, "(not started)", attr("data-start-acceptor1"))

	// Right k+1 times: event k, acceptor1 promising (1,1) to leader1.
	ev := d.Events[k]
	assert.Equal(t, strconv.Itoa(k+1), attr("data-right-step"))
	assert.Equal(t, "event "+strconv.Itoa(k+1)+" of "+strconv.Itoa(n)+" · "+ev.T+" · "+ev.What, attr("data-right-info"))
	assert.Equal(t, "promised (1,1)\naccepted —", attr("data-right-acceptor1"))
	assert.Equal(t, "acceptor1", attr("data-right-changed"))
	require.Len(t, ev.In, 1)
	assert.Equal(t, strconv.FormatUint(ev.In[0].Mid, 10), attr("data-right-in"), "the Prepare it delivers")
	var out []string
	for _, mid := range ev.Out {
		out = append(out, strconv.FormatUint(mid, 10))
	}
	require.NotEmpty(t, out)
	assert.Equal(t, strings.Join(out, " "), attr("data-right-out"), "the Promise it sends")
	var want []string
	for _, m := range regexp.MustCompile(`<span class="ln"[^>]* data-ev="`+strconv.Itoa(k)+`">([^<]*)</span>`).FindAllStringSubmatch(page, -1) {
		want = append(want, html.UnescapeString(m[1]))
	}
	require.NotEmpty(t, want)
	assert.Equal(t, strings.Join(want, "\n"), attr("data-right-lines"))
	assert.Contains(t, attr("data-right-lines"), "[acceptor1]")

	// Left: the event before, when acceptor1 had promised nothing yet.
	assert.Equal(t, strconv.Itoa(k), attr("data-left-step"))
	assert.Equal(t, "promised (0,0)\naccepted —", attr("data-left-acceptor1"))

	// End: the last event, and acceptor1's final state.
	final := d.States["acceptor1"]
	assert.Equal(t, strconv.Itoa(n), attr("data-end-step"))
	assert.Equal(t, final[len(final)-1].Text, attr("data-end-acceptor1"))
	assert.Contains(t, attr("data-end-acceptor1"), "s15 (1,1)")

	// Home: the first event, leader1's start; acceptor1 has not started.
	assert.Equal(t, "1", attr("data-home-step"))
	assert.Equal(t, "leader1", attr("data-home-changed"))
	assert.Equal(t, "(not started)", attr("data-home-acceptor1"))
	assert.Contains(t, attr("data-home-lines"), "[leader1]")

	// The next button: acceptor1's start.
	assert.Equal(t, "2", attr("data-next-step"))
	assert.Equal(t, "acceptor1", attr("data-next-changed"))
	assert.Equal(t, "promised (0,0)\naccepted —", attr("data-next-acceptor1"))
}
