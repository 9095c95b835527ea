package viz

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/protocol/cluster"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// HTMLOptions configures WriteHTML.
type HTMLOptions struct {
	Title string // the page's heading; "" names the run from its summary
	Text  string // the human text trace, shown beside the diagram
}

// WriteHTML writes one offline page: the space-time diagram, the run's
// summary with the checks' verdicts, the slots, and the text trace, with
// plain JavaScript for tooltips and highlighting. It fetches nothing, so it
// opens anywhere (a CI artefact, a mail attachment), and the same trace
// gives the same bytes.
func WriteHTML(w io.Writer, t *Trace, opt HTMLOptions) error {
	title := opt.Title
	if title == "" {
		title = runTitle(t)
	}
	l := newLayout(t, htmlDiagramW)
	v := newViewer(t, l, opt.Text) // nil without state records
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<script>%s</script>\n", htmlErrorsJS)
	fmt.Fprintf(bw, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>%s</title>\n<style>%s%s</style>\n</head>\n<body>\n", html.EscapeString(title), htmlCSS, viewerCSS)
	bw.WriteString("<div id=\"jserr\" hidden></div>\n")
	verdict, cls := "no summary", "note"
	if ok, found := t.Summary[cluster.SummaryOK].(bool); found {
		verdict, cls = "every check holds", "ok"
		if !ok {
			verdict, cls = "a check FAILED", "fail"
		}
	}
	fmt.Fprintf(bw, "<header><h1>%s</h1><span class=\"badge %s\">%s</span><span class=\"hint\">hover a message or a mark for its contents; click one (or a slot below) to follow its slot; Esc clears; hover a trace line to see its time</span></header>\n",
		html.EscapeString(title), cls, verdict)
	bw.WriteString("<main>\n<div id=\"diagram\">\n")
	writeLaneBar(bw, l)
	l.write(bw, title, false)
	bw.WriteString("</div>\n<aside>\n")
	writeSummary(bw, t)
	writeSlots(bw, t)
	writeStates(bw, v)
	writeText(bw, l, opt.Text, v)
	bw.WriteString("</aside>\n</main>\n<div id=\"tip\" hidden></div>\n")
	fmt.Fprintf(bw, "<script>%s</script>\n", htmlMainJS)
	if err := v.writeScript(bw); err != nil {
		return err
	}
	bw.WriteString("</body>\n</html>\n")
	return bw.Flush()
}

// htmlDiagramW is the width the diagram is fitted to on the page: what is
// left of a 1400 px wide window beside the summary (aside, 28% there) and a
// scroll bar, so that every lane shows without scrolling across (up to 11
// lanes; more scroll).
const htmlDiagramW = 980

// writeLaneBar writes the lanes' names as a bar that the page shows at the
// top of the diagram once its own lane headers have scrolled away.
func writeLaneBar(w *bufio.Writer, l *layout) {
	fmt.Fprintf(w, "<div id=\"lanebar\" data-y=\"%d\" hidden><div style=\"width:%dpx\">", l.top-20, l.width)
	for _, n := range l.t.Nodes {
		fmt.Fprintf(w, "<span data-node=\"%s\" style=\"left:%dpx;width:%dpx\">%s</span>", html.EscapeString(n), l.laneX[n]-l.laneW/2+6, l.laneW-12, html.EscapeString(n))
	}
	w.WriteString("</div></div>\n")
}

// writeSummary shows the summary record: the run, the checks' verdicts
// coloured, and the final stores.
func writeSummary(w *bufio.Writer, t *Trace) {
	w.WriteString("<section id=\"summary\">\n<h2>Summary</h2>\n")
	s := t.Summary
	if s == nil {
		w.WriteString("<p>The trace has no summary record.</p>\n</section>\n")
		return
	}
	w.WriteString("<table class=\"run\">\n")
	skip := map[string]bool{sim.FieldT: true, sim.FieldSeq: true, sim.FieldEv: true, cluster.SummaryChecks: true, cluster.SummaryStores: true}
	keys := []string{cluster.SummaryScenario, cluster.SummarySeed, cluster.SummaryEvents, cluster.SummaryEnd, cluster.SummaryMessages, cluster.SummaryOK}
	for _, k := range slices.Sorted(maps.Keys(s)) {
		if !skip[k] && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		v, found := s[k]
		if !found {
			continue
		}
		text := jsonText(v)
		if m, isMap := v.(map[string]any); isMap {
			text = countsText(m)
		}
		fmt.Fprintf(w, "<tr><th>%s</th><td>%s</td></tr>\n", html.EscapeString(k), html.EscapeString(text))
	}
	w.WriteString("</table>\n<h3>Checks</h3>\n<ul class=\"checks\">\n")
	checks, _ := s[cluster.SummaryChecks].(map[string]any)
	allOK, _ := s[cluster.SummaryOK].(bool)
	var order []string
	for _, n := range checkOrder {
		order = append(order, string(n))
	}
	for _, k := range slices.Sorted(maps.Keys(checks)) {
		if !slices.Contains(order, k) {
			order = append(order, k)
		}
	}
	for _, k := range order {
		v, found := checks[k]
		if !found {
			continue
		}
		text := jsonText(v)
		fmt.Fprintf(w, "<li class=\"check %s\" data-check=\"%s\"><b>%s</b>: %s</li>\n",
			verdictClass(text, allOK), html.EscapeString(k), html.EscapeString(k), html.EscapeString(text))
	}
	w.WriteString("</ul>\n<h3>Stores</h3>\n<table class=\"stores\">\n")
	stores, _ := s[cluster.SummaryStores].(map[string]any)
	for _, node := range LaneOrder(slices.Collect(maps.Keys(stores))) {
		m, _ := stores[node].(map[string]any)
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(m)) {
			kv = append(kv, k+"="+jsonText(m[k]))
		}
		if len(kv) == 0 {
			kv = []string{"(empty)"}
		}
		fmt.Fprintf(w, "<tr><th>%s</th><td>%s</td></tr>\n", html.EscapeString(node), html.EscapeString(strings.Join(kv, " ")))
	}
	w.WriteString("</table>\n</section>\n")
}

// verdictClass colours a check's text: "ok" is ok; a note (a check skipped,
// a stall the scenario allows, a check that does not apply) is not a
// failure. The summary only says
// which when the whole run is ok, so otherwise the known notes are named.
func verdictClass(text string, allOK bool) string {
	switch {
	case text == "ok":
		return "ok"
	case allOK, text == "skipped", strings.HasPrefix(text, "stalled as allowed"), strings.HasPrefix(text, "n/a"):
		return "note"
	}
	return "fail"
}

// countsText renders {"sent":174,"delivered":173,...} as the text summary
// does, "174 sent + 0 duplicated = 173 delivered + 1 dropped + 0 in
// flight", when the record has those five counts (older traces lack
// in_flight); otherwise as a list in the record's usual order.
func countsText(m map[string]any) string {
	eq := []string{"sent", "duplicated", "delivered", "dropped", "in_flight"}
	if len(m) == len(eq) && !slices.ContainsFunc(eq, func(k string) bool { _, ok := m[k]; return !ok }) {
		return jsonText(m["sent"]) + " sent + " + jsonText(m["duplicated"]) + " duplicated = " + jsonText(m["delivered"]) + " delivered + " + jsonText(m["dropped"]) + " dropped + " + jsonText(m["in_flight"]) + " in flight"
	}
	order := []string{"sent", "delivered", "dropped", "duplicated"}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(order, k) {
			order = append(order, k)
		}
	}
	var parts []string
	for _, k := range order {
		if v, found := m[k]; found {
			parts = append(parts, jsonText(v)+" "+k)
		}
	}
	return strings.Join(parts, ", ")
}

// writeSlots lists the log slots the messages name, as chips that
// highlight a slot's messages.
func writeSlots(w *bufio.Writer, t *Trace) {
	count := map[int64]int{}
	for _, m := range t.Messages {
		if m.Slot > 0 {
			count[m.Slot]++
		}
	}
	fmt.Fprintf(w, "<section id=\"slots\">\n<h3>Slots <span id=\"slotinfo\"></span></h3>\n")
	if len(count) == 0 {
		w.WriteString("<p>No message names a slot.</p>\n")
	}
	for _, s := range slices.Sorted(maps.Keys(count)) {
		fmt.Fprintf(w, "<button class=\"chip\" data-slot=\"%d\" title=\"slot %d: %d messages\">%d</button>", s, s, count[s], s)
	}
	w.WriteString("\n</section>\n")
}

// writeText shows the human trace, one span per line; a line stamped with
// a time inside the diagram carries its y there (data-y) and its time in
// microseconds (data-us), so the page can point from one to the other.
func writeText(w *bufio.Writer, l *layout, text string, v *viewer) {
	w.WriteString("<section id=\"trace\">\n<h3>Trace</h3>\n<pre>")
	text = strings.TrimSuffix(text, "\n")
	lo, hi := sim.Time(0), l.t.End
	if len(l.ts) > 0 {
		lo = l.ts[0] / sim.Microsecond * sim.Microsecond
	}
	for i, line := range strings.Split(text, "\n") {
		if text == "" {
			break
		}
		if i > 0 {
			w.WriteByte('\n')
		}
		if at, ok := stampTime(line); ok && at >= lo && at <= hi {
			fmt.Fprintf(w, "<span class=\"ln\" data-y=\"%d\" data-us=\"%d\"%s>%s</span>", l.y(at), at/sim.Microsecond, v.lineAttr(i), html.EscapeString(line))
		} else {
			w.WriteString(html.EscapeString(line))
		}
	}
	w.WriteString("</pre>\n</section>\n")
}

// stampTime reads the time stamp that opens a human trace line,
// "[   3.112ms] ...".
func stampTime(line string) (sim.Time, bool) {
	rest, found := strings.CutPrefix(line, "[")
	if !found {
		return 0, false
	}
	stamp, _, found := strings.Cut(rest, "ms]")
	if !found {
		return 0, false
	}
	ms, us, found := strings.Cut(strings.TrimSpace(stamp), ".")
	a, err1 := strconv.ParseInt(ms, 10, 64)
	b, err2 := strconv.ParseInt(us, 10, 64)
	if !found || err1 != nil || err2 != nil || len(us) != 3 || a < 0 {
		return 0, false
	}
	return sim.Time(a)*sim.Millisecond + sim.Time(b)*sim.Microsecond, true
}

// htmlErrorsJS runs first: any later error or rejected promise is written
// to <html data-jserrors> and to a red banner, so that a broken page says
// so, to its reader and to the browser test.
const htmlErrorsJS = `
(function () {
  var de = document.documentElement;
  function show() {
    var b = document.getElementById("jserr");
    if (b) { b.hidden = false; b.textContent = "JavaScript error: " + de.dataset.jserrors; }
  }
  function record(msg) {
    de.dataset.jserrors = (de.dataset.jserrors ? de.dataset.jserrors + "\n" : "") + msg;
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", show); else show();
  }
  window.onerror = function (msg, src, line) { record(String(msg) + (line ? " (line " + line + ")" : "")); };
  window.addEventListener("unhandledrejection", function (e) { record("unhandled rejection: " + String(e.reason)); });
})();
`

// htmlMainJS wires the page: tooltips, slot highlighting, and the links
// between the text trace and the diagram. It ends by setting
// data-ready="1" and data-messages (the message elements it wired), which
// the browser test reads.
const htmlMainJS = `
(function () {
  "use strict";
  var de = document.documentElement;
  var pane = document.getElementById("diagram");
  var svg = pane.querySelector("svg");
  var tip = document.getElementById("tip");
  var pre = document.querySelector("#trace pre");
  var info = document.getElementById("slotinfo");
  var msgs = svg.querySelectorAll("g.msg");
  var chips = document.querySelectorAll(".chip[data-slot]");
  var lines = document.querySelectorAll("#trace .ln");
  var current = "";

  function place(e) {
    var r = tip.getBoundingClientRect();
    var x = e.clientX + 14, y = e.clientY + 14;
    if (x + r.width > window.innerWidth - 8) x = Math.max(8, e.clientX - r.width - 14);
    if (y + r.height > window.innerHeight - 8) y = Math.max(8, e.clientY - r.height - 14);
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }
  // tooltip replaces an element's title (the browser's own, slow tooltip)
  // by the page's, which shows at once and keeps the JSON body's lines.
  function tooltip(g) {
    var t = g.querySelector("title");
    if (!t) return;
    var text = t.textContent;
    var d = document.createElementNS(svg.namespaceURI, "desc");
    d.textContent = text;
    g.replaceChild(d, t);
    g.addEventListener("mouseenter", function (e) { tip.textContent = text; tip.hidden = false; place(e); });
    g.addEventListener("mousemove", place);
    g.addEventListener("mouseleave", function () { tip.hidden = true; });
  }

  // highlight shows the messages of one slot and dims the rest; the same
  // slot again clears. From a chip, it scrolls to the slot's first message.
  function highlight(slot, scroll) {
    if (slot === current) slot = "";
    current = slot;
    var n = 0, first = null;
    svg.classList.toggle("dim", slot !== "");
    msgs.forEach(function (g) {
      var on = slot !== "" && g.getAttribute("data-slot") === slot;
      g.classList.toggle("hl", on);
      if (on && !first) first = g;
      if (on) n++;
    });
    if (scroll && first) pane.scrollTop = first.getBBox().y - 60;
    chips.forEach(function (c) { c.classList.toggle("on", c.getAttribute("data-slot") === slot); });
    info.textContent = slot ? "slot " + slot + ": " + n + " messages highlighted" : "";
  }

  // markLines marks the text trace's lines at a message's send and arrival,
  // and scrolls the first into view.
  function markLines(g) {
    var sent = String(Math.floor(Number(g.getAttribute("data-sent")) / 1000));
    var at = String(Math.floor(Number(g.getAttribute("data-at")) / 1000));
    var first = null;
    lines.forEach(function (ln) {
      var us = ln.getAttribute("data-us");
      var on = us === sent || us === at;
      ln.classList.toggle("mark", on);
      if (on && !first) first = ln;
    });
    if (first) pre.scrollTop = first.offsetTop - pre.offsetTop - pre.clientHeight / 3;
  }

  var wired = 0;
  msgs.forEach(function (g) {
    tooltip(g);
    g.addEventListener("click", function (e) {
      e.stopPropagation();
      highlight(g.getAttribute("data-slot") || "");
      markLines(g);
    });
    wired++;
  });
  svg.querySelectorAll("g.req, g.fault, g.brk, g.mark, g.crowd").forEach(tooltip);
  svg.querySelectorAll("g.mark[data-slot]").forEach(function (g) {
    g.addEventListener("click", function (e) { e.stopPropagation(); highlight(g.getAttribute("data-slot")); });
  });

  // The lane bar shows the lanes' names once their headers scroll away.
  var bar = document.getElementById("lanebar");
  var barY = Number(bar.getAttribute("data-y"));
  function lanebar() { bar.hidden = pane.scrollTop < barY; }
  pane.addEventListener("scroll", lanebar);
  lanebar();
  chips.forEach(function (c) {
    c.addEventListener("click", function () { highlight(c.getAttribute("data-slot"), true); });
  });
  svg.addEventListener("click", function () { if (current) highlight(current); });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape" && current) highlight(current); });

  var guide = document.createElementNS(svg.namespaceURI, "line");
  guide.setAttribute("class", "guide");
  guide.setAttribute("x1", "0");
  guide.setAttribute("x2", svg.getAttribute("width"));
  guide.style.display = "none";
  svg.appendChild(guide);
  lines.forEach(function (ln) {
    var y = ln.getAttribute("data-y");
    ln.addEventListener("mouseenter", function () {
      guide.setAttribute("y1", y);
      guide.setAttribute("y2", y);
      guide.style.display = "";
    });
    ln.addEventListener("mouseleave", function () { guide.style.display = "none"; });
    ln.addEventListener("click", function () { pane.scrollTop = Number(y) - pane.clientHeight / 2; });
  });

  de.dataset.messages = String(wired);
  de.dataset.ready = "1";
})();
`

// htmlCSS lays the page out: the diagram scrolls on the left, the summary,
// slots and text trace stack on the right.
const htmlCSS = `
html, body { margin: 0; height: 100%; }
body { display: flex; flex-direction: column; color: #222;
  font: 13px system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
#jserr { background: #b00020; color: #fff; padding: 6px 12px; font-weight: bold; white-space: pre-wrap; }
header { display: flex; gap: 12px; align-items: baseline; padding: 6px 12px; border-bottom: 1px solid #ddd; }
header h1 { font-size: 16px; margin: 0; }
header .hint { color: #777; font-size: 12px; }
.badge { padding: 1px 8px; border-radius: 9px; font-weight: bold; color: #fff; background: #888; }
.badge.ok { background: #2e7d32; } .badge.fail { background: #c62828; } .badge.note { background: #b26a00; }
main { flex: 1; display: flex; min-height: 0; }
#diagram { flex: 1; min-width: 0; overflow: auto; border-right: 1px solid #ddd; }
#diagram svg { display: block; }
#lanebar { position: sticky; top: 0; height: 0; z-index: 5; }
#lanebar[hidden] { display: none; }
#lanebar > div { position: relative; height: 24px; background: rgba(255,255,255,.92); border-bottom: 1px solid #c8ced6; }
#lanebar span { position: absolute; top: 3px; height: 18px; line-height: 18px; text-align: center; font-weight: bold; font-size: 11px;
  background: #f4f6f8; border: 1px solid #c8ced6; border-radius: 4px; box-sizing: border-box; overflow: hidden; }
aside { width: 28%; min-width: 300px; max-width: 600px; display: flex; flex-direction: column; min-height: 0; }
aside h2, aside h3 { font-size: 13px; margin: 8px 0 4px; }
#summary { padding: 0 12px; overflow: auto; max-height: 42%; flex: none; }
#summary table { border-collapse: collapse; }
#summary th { text-align: left; font-weight: 600; padding: 1px 10px 1px 0; vertical-align: top; color: #555; }
#summary td { padding: 1px 0; }
.checks { list-style: none; margin: 0; padding: 0; }
.checks li { padding: 1px 6px; margin: 1px 0; border-radius: 3px; }
.checks .ok { background: #e8f5e9; color: #1b5e20; }
.checks .fail { background: #ffebee; color: #b71c1c; font-weight: bold; }
.checks .note { background: #fff3e0; color: #8a4b00; }
#slots { padding: 0 12px; max-height: 96px; overflow: auto; flex: none; }
#slotinfo { font-weight: normal; color: #1f6fb4; }
.chip { font: 11px system-ui, sans-serif; border: 1px solid #b8c4d0; border-radius: 10px; background: #fff; padding: 0 7px; margin: 1px; cursor: pointer; }
.chip.on { background: #1f6fb4; border-color: #1f6fb4; color: #fff; }
#trace { flex: 1; min-height: 0; display: flex; flex-direction: column; padding: 0 12px 8px; }
#trace pre { flex: 1; min-height: 0; overflow: auto; margin: 0; padding: 6px; background: #fafafa; border: 1px solid #e3e3e3;
  font: 11px/1.4 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
.ln { cursor: pointer; }
.ln:hover { background: #fff3c4; }
.ln.mark { background: #ffe08a; }
#tip { position: fixed; z-index: 10; max-width: 560px; padding: 6px 8px; border-radius: 4px; background: #222; color: #fff;
  font: 11px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; white-space: pre-wrap; word-break: break-all; pointer-events: none; }
g.msg { cursor: pointer; }
svg.dim g.msg { opacity: .1; }
svg.dim g.msg.hl { opacity: 1; }
svg.dim g.msg.hl .a { stroke-width: 2.6; }
.guide { stroke: #e91e63; stroke-width: 1.5; stroke-dasharray: 5 3; pointer-events: none; }
`
