package viz

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"html"
	"maps"
	"slices"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// The step-through viewer of the HTML page (after DSLabs' visual debugger
// and Stateright's explorer): buttons and keys (left and right arrows, Home,
// End) step through the run's events; the current one is highlighted in the
// diagram (the message it delivers, those it sends, a line at its time) and
// in the text trace, and a panel shows every node's state after it. It
// needs the trace's state records (-node-states): without them the page
// says how to get them.

// viewerEventsMax and viewerTextMax bound what the page holds for the
// viewer: past them the events are left out (the page says so; a -window
// draws a later part), so that a long run gives a page a browser opens.
const (
	viewerEventsMax = 20000
	viewerTextMax   = 8 << 20 // bytes of rendered node states
)

// viewer is the viewer's part of one page.
type viewer struct {
	data   viewerData
	lineEv []int // by line of the text trace: the index of its event, or -1
}

// viewerData is what the page's script reads (JSON in the page).
type viewerData struct {
	Nodes  []string                 `json:"nodes"`
	Events []viewerEvent            `json:"events"`
	States map[string][]viewerState `json:"states"` // by node: its states in event order
	// Omitted counts the events left out past the page's bounds.
	Omitted int `json:"omitted"`
}

// viewerEvent is one step of the viewer.
type viewerEvent struct {
	T       string      `json:"t"`    // its virtual time, as the text trace stamps it
	What    string      `json:"what"` // the event, as a schedule names it
	Y       int         `json:"y"`    // where its time is in the diagram
	In      []viewerMsg `json:"in,omitempty"`
	Out     []uint64    `json:"out,omitempty"`     // the mids of the messages it sent
	Changed []string    `json:"changed,omitempty"` // the nodes whose state it changed
}

// viewerMsg is a message copy the event delivered (or lost on arrival).
type viewerMsg struct {
	Mid uint64 `json:"mid"`
	Dup bool   `json:"dup,omitempty"` // the network's extra copy
}

// viewerState is a node's state from event K on (K = -1: from before the
// first event the page steps through, in a window).
type viewerState struct {
	K    int    `json:"k"`
	Text string `json:"text"`
	Down bool   `json:"down,omitempty"` // crashed
}

// newViewer prepares the viewer for t as l draws it, with the page's text
// trace; nil when the trace has no state records.
func newViewer(t *Trace, l *layout, text string) *viewer {
	if len(t.Events) == 0 {
		return nil
	}
	first := 0 // the first event the page steps through: the window's
	if t.Clip != nil {
		for first < len(t.Events) && t.Events[first].T < t.Clip.From {
			first++
		}
	}
	v := &viewer{data: viewerData{Nodes: t.Nodes, States: map[string][]viewerState{}}}
	// What crashed or restarted in which event.
	faults := append(slices.Clone(t.Prior), t.Faults...)
	downAt := map[int][]Fault{}
	for _, f := range faults {
		if f.Kind == sim.EvCrash || f.Kind == sim.EvRestart {
			if i := eventOf(t.Events, f.Seq); i >= 0 {
				downAt[i] = append(downAt[i], f)
			}
		}
	}
	type node struct {
		text string
		down bool
	}
	nodes := map[string]*node{}
	size, last := 0, len(t.Events)-1
	for i, ev := range t.Events {
		if i >= first && (i-first >= viewerEventsMax || size >= viewerTextMax) {
			last = i - 1
			break
		}
		if i == first && first > 0 {
			for _, name := range LaneOrder(slices.Collect(maps.Keys(nodes))) {
				v.data.States[name] = []viewerState{{K: -1, Text: nodes[name].text, Down: nodes[name].down}}
			}
		}
		changed := map[string]bool{}
		for name, raw := range ev.States {
			if nodes[name] == nil {
				nodes[name] = &node{}
			}
			nodes[name].text, changed[name] = StateText(raw), true
		}
		for _, f := range downAt[i] {
			if nodes[f.Node] == nil {
				nodes[f.Node] = &node{}
			}
			nodes[f.Node].down, changed[f.Node] = f.Kind == sim.EvCrash, true
		}
		if i < first {
			continue
		}
		k := i - first
		e := viewerEvent{T: strings.TrimSpace(ev.T.Stamp()), What: ev.What, Y: l.y(ev.T)}
		for _, name := range LaneOrder(slices.Collect(maps.Keys(changed))) {
			n := nodes[name]
			if _, ok := ev.States[name]; ok {
				e.Changed = append(e.Changed, name)
			}
			v.data.States[name] = append(v.data.States[name], viewerState{K: k, Text: n.text, Down: n.down})
			size += len(n.text)
		}
		v.data.Events = append(v.data.Events, e)
	}
	v.data.Omitted = len(t.Events) - 1 - last
	// step is the viewer's index of the event that record seq belongs to,
	// or -1 outside the events it steps through.
	step := func(seq uint64) int {
		i := eventOf(t.Events, seq)
		if i < first || i > last {
			return -1
		}
		return i - first
	}
	// The messages each event delivered and sent.
	for _, m := range t.Messages {
		sent := step(m.SendSeq)
		if sent >= 0 {
			e := &v.data.Events[sent]
			if !slices.Contains(e.Out, m.ID) { // a duplicate's copies share the send
				e.Out = append(e.Out, m.ID)
			}
		}
		if m.AtSeq == 0 {
			continue
		}
		if got := step(m.AtSeq); got >= 0 && got != sent {
			v.data.Events[got].In = append(v.data.Events[got].In, viewerMsg{Mid: m.ID, Dup: m.Duplicate})
		}
	}
	v.lineEv = lineEvents(t, faults, step, text)
	return v
}

// lineEvents finds, for each line of the text trace, the viewer's index of
// the event that wrote it: the text and the JSON trace are written
// together, so the lines come in the order of the records that have one (a
// step, a fault, a loss the network reports: not all do), each at its
// record's time. A line that no record matches (before a window, the
// summary) has none (-1).
func lineEvents(t *Trace, faults []Fault, step func(seq uint64) int, text string) []int {
	type texted struct {
		seq  uint64
		us   sim.Time
		who  string
		text string // a fault's or a loss's: the line's start
	}
	var recs []texted
	for _, s := range t.Steps {
		line, _, _ := strings.Cut(s.Text, "\n")
		recs = append(recs, texted{s.Seq, s.T / sim.Microsecond, s.Node, line})
	}
	for _, f := range faults {
		recs = append(recs, texted{f.Seq, f.T / sim.Microsecond, "fault", string(f.Kind)}) // "crash acceptor3", "heal"
	}
	for _, m := range t.Messages {
		if m.Fate == Dropped {
			recs = append(recs, texted{m.AtSeq, m.At / sim.Microsecond, "network", "lost " + m.Type + " " + m.From + " -> " + m.To + " ("})
		}
	}
	slices.SortStableFunc(recs, func(a, b texted) int { return cmp.Compare(a.seq, b.seq) })
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	out := make([]int, len(lines))
	p := 0
	for i, line := range lines {
		out[i] = -1
		at, ok := stampTime(line)
		if !ok {
			continue
		}
		_, rest, _ := strings.Cut(line, "] [")
		who, body, _ := strings.Cut(rest, "] ")
		match := func(r texted) bool {
			switch {
			case r.us != at/sim.Microsecond || r.who != who:
				return false
			case who == "fault", who == "network":
				return strings.HasPrefix(body, r.text)
			}
			return body == r.text
		}
		j := p
		for j < len(recs) && recs[j].who == "network" && !match(recs[j]) {
			j++ // a loss the text trace did not show
		}
		if j == len(recs) || !match(recs[j]) {
			continue
		}
		p = j + 1
		out[i] = step(recs[j].seq)
	}
	return out
}

// writeStates writes the viewer's controls and the panel of node states,
// or, for a trace without state records, how to get them.
func writeStates(w *bufio.Writer, v *viewer) {
	if v == nil {
		w.WriteString("<section id=\"states\" class=\"none\">\n<h3>Step through</h3>\n<p>This trace has no state records: run with <code>-node-states</code> to step through its events and see every node's state.</p>\n</section>\n")
		return
	}
	n := len(v.data.Events)
	fmt.Fprintf(w, "<section id=\"states\">\n<h3>Step through <span id=\"st-info\">%d events: press → (or next) to step, ← back, Home, End</span></h3>\n", n)
	w.WriteString("<div class=\"bar\"><button id=\"st-home\" title=\"the first event (Home)\">Home</button><button id=\"st-prev\" title=\"the event before (←)\">◀ back</button>" +
		"<button id=\"st-next\" title=\"the next event (→)\">next ▶</button><button id=\"st-end\" title=\"the last event (End)\">End</button>")
	if v.data.Omitted > 0 {
		fmt.Fprintf(w, "<span class=\"omitted\">%d later events are not in this page: draw a -window</span>", v.data.Omitted)
	}
	w.WriteString("</div>\n<div id=\"st-nodes\">\n")
	for _, name := range v.data.Nodes {
		fmt.Fprintf(w, "<div class=\"node\" data-node=\"%s\"><b>%s</b><pre></pre></div>\n", html.EscapeString(name), html.EscapeString(name))
	}
	w.WriteString("</div>\n</section>\n")
}

// lineAttr is the attribute that ties line i of the text trace to its
// event ("" when it has none, or without a viewer).
func (v *viewer) lineAttr(i int) string {
	if v == nil || i >= len(v.lineEv) || v.lineEv[i] < 0 {
		return ""
	}
	return fmt.Sprintf(` data-ev="%d"`, v.lineEv[i])
}

// writeScript writes the viewer's data and its script.
func (v *viewer) writeScript(w *bufio.Writer) error {
	if v == nil {
		return nil
	}
	data, err := json.Marshal(v.data) // escapes <, > and &: safe inside <script>
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "<script type=\"application/json\" id=\"viewer-data\">%s</script>\n<script>%s</script>\n", data, viewerJS)
	return nil
}

// viewerJS steps through the events: go(k) shows event k (0-based): its
// messages in the diagram (the one it delivered bold, those it sent
// highlighted, the rest faded), a line across the diagram at its time, its
// lines of the text trace, and every node's state after it. It ends by
// setting data-viewer="1", data-events and, on every step, data-step (the
// 1-based event shown), which the browser test reads.
const viewerJS = `
(function () {
  "use strict";
  var de = document.documentElement;
  var data = JSON.parse(document.getElementById("viewer-data").textContent);
  var events = data.events, n = events.length;
  var pane = document.getElementById("diagram");
  var svg = pane.querySelector("svg");
  var pre = document.querySelector("#trace pre");
  var info = document.getElementById("st-info");
  var box = document.getElementById("st-nodes");
  var byMid = {}, lines = {}, panels = {};
  svg.querySelectorAll("g.msg").forEach(function (g) {
    var k = g.getAttribute("data-mid");
    (byMid[k] = byMid[k] || []).push(g);
  });
  document.querySelectorAll("#trace .ln[data-ev]").forEach(function (ln) {
    var k = ln.getAttribute("data-ev");
    (lines[k] = lines[k] || []).push(ln);
    ln.addEventListener("click", function () { go(Number(k)); });
  });
  box.querySelectorAll(".node").forEach(function (p) { panels[p.getAttribute("data-node")] = p; });

  var now = document.createElementNS(svg.namespaceURI, "line");
  now.setAttribute("class", "now");
  now.setAttribute("x1", "0");
  now.setAttribute("x2", svg.getAttribute("width"));
  now.style.display = "none";
  svg.appendChild(now);

  var cur = -1, lit = [];
  function light(el, cls) { el.classList.add(cls); lit.push([el, cls]); }
  function clear() {
    lit.forEach(function (x) { x[0].classList.remove(x[1]); });
    lit = [];
    svg.classList.remove("stepping");
    now.style.display = "none";
  }
  // stateAt is a node's state after event k: its last entry at or before k.
  function stateAt(list, k) {
    var lo = 0, hi = list.length;
    while (lo < hi) {
      var m = (lo + hi) >> 1;
      if (list[m].k <= k) lo = m + 1; else hi = m;
    }
    return lo > 0 ? list[lo - 1] : null;
  }
  function showStates(k) {
    var first = null;
    data.nodes.forEach(function (name) {
      var p = panels[name];
      if (!p) return;
      var s = stateAt(data.states[name] || [], k);
      p.querySelector("pre").textContent = s ? s.text : "(not started)";
      p.classList.toggle("down", !!(s && s.down));
      var changed = !!(s && s.k === k && k >= 0);
      p.classList.toggle("changed", changed);
      if (changed && !first) first = p;
    });
    if (first && (first.offsetTop < box.scrollTop || first.offsetTop + first.offsetHeight > box.scrollTop + box.clientHeight)) {
      box.scrollTop = first.offsetTop - box.offsetTop - 4;
    }
  }
  function go(k) {
    if (n === 0) return;
    k = Math.max(0, Math.min(n - 1, k));
    clear();
    cur = k;
    var ev = events[k];
    svg.classList.add("stepping");
    (ev["in"] || []).forEach(function (m) {
      (byMid[m.mid] || []).forEach(function (g) {
        if (g.classList.contains("dup") === !!m.dup) light(g, "ev-in");
      });
    });
    (ev.out || []).forEach(function (mid) {
      (byMid[mid] || []).forEach(function (g) { light(g, "ev-out"); });
    });
    now.setAttribute("y1", ev.y);
    now.setAttribute("y2", ev.y);
    now.style.display = "";
    if (ev.y < pane.scrollTop + 60 || ev.y > pane.scrollTop + pane.clientHeight - 60) pane.scrollTop = ev.y - pane.clientHeight / 3;
    var ls = lines[k] || [];
    ls.forEach(function (ln) { light(ln, "cur"); });
    // An event that wrote no line (a heartbeat) scrolls to where it falls.
    for (var j = k; j >= 0 && !ls.length; j--) ls = lines[j] || [];
    if (ls.length) pre.scrollTop = ls[0].offsetTop - pre.offsetTop - pre.clientHeight / 3;
    showStates(k);
    info.textContent = "event " + (k + 1) + " of " + n + " · " + ev.t + " · " + ev.what;
    de.dataset.step = String(k + 1);
  }

  document.getElementById("st-home").addEventListener("click", function () { go(0); });
  document.getElementById("st-prev").addEventListener("click", function () { go(cur - 1); });
  document.getElementById("st-next").addEventListener("click", function () { go(cur + 1); });
  document.getElementById("st-end").addEventListener("click", function () { go(n - 1); });
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    var tag = e.target && e.target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    switch (e.key) {
    case "ArrowRight": go(cur + 1); break;
    case "ArrowLeft": go(cur - 1); break;
    case "Home": go(0); break;
    case "End": go(n - 1); break;
    case "Escape": clear(); return;
    default: return;
    }
    e.preventDefault();
  });
  showStates(-1);
  de.dataset.events = String(n);
  de.dataset.viewer = "1";
})();
`

// viewerCSS styles the viewer: its controls and panel in the side column
// (the summary gives it room), and the current event's highlights.
const viewerCSS = `
aside:has(#st-nodes) #summary { max-height: 24%; }
#states { padding: 0 12px; flex: 1.2 1 0; min-height: 0; display: flex; flex-direction: column; }
#states.none { flex: none; }
#states.none p { margin: 0 0 4px; color: #777; }
#states .bar { display: flex; gap: 4px; align-items: center; margin-bottom: 4px; }
#states .bar button { font: 12px system-ui, sans-serif; padding: 1px 9px; border: 1px solid #b8c4d0; border-radius: 4px; background: #fff; cursor: pointer; }
#states .bar button:hover { background: #eef4fa; }
#states .omitted { color: #b26a00; font-size: 11px; }
#st-info { font-weight: normal; color: #1f6fb4; font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: 11px; }
#st-nodes { flex: 1; min-height: 0; overflow: auto; }
#st-nodes .node { border: 1px solid #e3e3e3; border-radius: 4px; margin: 0 0 3px; padding: 2px 6px; }
#st-nodes .node b { font-size: 11px; }
#st-nodes .node pre { margin: 0; white-space: pre-wrap; word-break: break-word; font: 11px/1.35 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
#st-nodes .node.changed { border-color: #e91e63; background: #fff0f5; }
#st-nodes .node.down { background: #f3f3f3; color: #888; }
#st-nodes .node.down b::after { content: " — down"; color: #c62828; }
svg.stepping g.msg { opacity: .3; }
svg.stepping g.msg.ev-in, svg.stepping g.msg.ev-out { opacity: 1; }
g.msg.ev-in .a { stroke-width: 3.4; }
g.msg.ev-out .a { stroke-width: 2.4; }
.now { stroke: #e91e63; stroke-width: 1.5; opacity: .7; pointer-events: none; }
.ln.cur { background: #ffd0e0; }
`
