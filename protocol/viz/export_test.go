package viz

import (
	"bytes"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
	"github.com/multipaxos-kv/multipaxos-kv/sim/golden"
)

// parsedTrace runs an embedded scenario and parses its trace.
func parsedTrace(t *testing.T, name string) *Trace {
	t.Helper()
	tr, err := Parse(bytes.NewReader(runTrace(t, name, nil)))
	require.NoError(t, err)
	return tr
}

// exportScenarios are the embedded scenarios the exports are checked on:
// all of them, so that every fault kind, loss and duplication is covered.
func exportScenarios() []string { return scenarios.Names() }

// ---- Mermaid ----

func TestMermaidGolden(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteMermaid(&b, parsedTrace(t, "default"), MermaidOptions{}))
	golden.Check(t, "testdata/default.mmd", b.Bytes())
}

// The statements a diagram may contain. Text may hold anything but the
// characters that end a statement or start an entity, except inside an
// entity code (#59;).
var (
	mmdText    = `(?:[^;#<>\n]|#[0-9a-z]+;)+`
	mmdID      = `[A-Za-z][A-Za-z0-9_]*`
	mmdComment = regexp.MustCompile(`^%% [^\n]+$`)
	mmdPart    = regexp.MustCompile(`^    participant (` + mmdID + `)(?: as ` + mmdText + `)?$`)
	mmdArrow   = regexp.MustCompile(`^    (` + mmdID + `)(->>|-x|--\))(` + mmdID + `): (` + mmdText + `)$`)
	mmdNote    = regexp.MustCompile(`^    Note over (` + mmdID + `)(?:,(` + mmdID + `))?: (` + mmdText + `)$`)
)

// mermaidShape checks every line of a diagram against the statements
// WriteMermaid may write and counts arrows by kind and notes.
func mermaidShape(t *testing.T, mmd string) (arrows map[string]int, notes []string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(mmd, "\n"), "\n")
	arrows = map[string]int{}
	declared := map[string]bool{}
	i := 0
	for ; i < len(lines) && strings.HasPrefix(lines[i], "%%"); i++ {
		assert.Regexp(t, mmdComment, lines[i])
	}
	require.Less(t, i, len(lines))
	require.Equal(t, "sequenceDiagram", lines[i], "the diagram type after the comments")
	for _, l := range lines[i+1:] {
		switch {
		case mmdPart.MatchString(l):
			declared[mmdPart.FindStringSubmatch(l)[1]] = true
		case mmdArrow.MatchString(l):
			m := mmdArrow.FindStringSubmatch(l)
			assert.True(t, declared[m[1]] && declared[m[3]], "arrow between declared participants: %s", l)
			arrows[m[2]]++
		case mmdNote.MatchString(l):
			m := mmdNote.FindStringSubmatch(l)
			assert.True(t, declared[m[1]], "note over a declared participant: %s", l)
			if m[2] != "" {
				assert.True(t, declared[m[2]], "note over a declared participant: %s", l)
			}
			notes = append(notes, m[3])
		default:
			t.Errorf("not an allowed Mermaid statement: %q", l)
		}
	}
	return arrows, notes
}

func TestMermaidStatements(t *testing.T) {
	for _, name := range exportScenarios() {
		t.Run(name, func(t *testing.T) {
			tr := parsedTrace(t, name)
			for _, hb := range []bool{false, true} {
				var b bytes.Buffer
				require.NoError(t, WriteMermaid(&b, tr, MermaidOptions{Heartbeats: hb}))
				out := b.String()
				assert.True(t, strings.HasPrefix(out, "%% multipaxos-kv scenario "+name+", seed "), "the header names the scenario and seed")
				arrows, notes := mermaidShape(t, out)

				want := map[string]int{}
				var heartbeats int
				for _, m := range tr.Messages {
					if m.Routine() && !hb {
						heartbeats++
						continue
					}
					want[map[Fate]string{Delivered: "->>", Dropped: "-x", InFlight: "--)"}[m.Fate]]++
				}
				assert.Equal(t, want, arrows, "one arrow per message copy, by fate")
				assert.Len(t, notes, len(tr.Requests)+len(tr.Faults), "a note per request and per fault")
				assert.Equal(t, heartbeats > 0, strings.Contains(out, "heartbeat messages (Heartbeat, HeartbeatAck) left out"))
				if hb {
					assert.NotContains(t, out, "left out")
				}
			}
		})
	}
}

func TestMermaidContent(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteMermaid(&b, parsedTrace(t, "lossy"), MermaidOptions{}))
	out := b.String()
	assert.Regexp(t, `(?m)^    client\d-xleader1: Request lost \(loss\)$`, out)
	assert.Regexp(t, `(?m)^    leader1->>acceptor\d: Accept s\d+ \(1,1\)$`, out)
	assert.Contains(t, out, "(duplicate)")
	assert.NotContains(t, out, ": Heartbeat")

	b.Reset()
	require.NoError(t, WriteMermaid(&b, parsedTrace(t, "leader-isolated"), MermaidOptions{}))
	out = b.String()
	assert.Contains(t, out, "    Note over client1,replica2: partition {leader1} | {leader2 acceptor1 acceptor2 acceptor3 replica1 replica2 client1 client2 client3}\n")
	assert.Contains(t, out, "    Note over client1,replica2: heal\n")

	b.Reset()
	require.NoError(t, WriteMermaid(&b, parsedTrace(t, "acceptor-crash"), MermaidOptions{}))
	assert.Contains(t, b.String(), "    Note over acceptor3: crash\n")
	assert.Contains(t, b.String(), "    Note over acceptor3: restart\n")
}

// The note of a request's return comes after the reply's arrow and before
// the client's next request.
func TestMermaidReturnOrder(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteMermaid(&b, parsedTrace(t, "default"), MermaidOptions{}))
	lines := strings.Split(b.String(), "\n")
	note := slices.Index(lines, `    Note over client2: PUT c=val_35 → ok`)
	require.Positive(t, note)
	reply := slices.IndexFunc(lines, func(l string) bool { return l == "    leader1->>client2: Reply" })
	assert.Less(t, reply, note)
	next := slices.IndexFunc(lines[note:], func(l string) bool { return strings.HasPrefix(l, "    client2->>leader1: Request") })
	assert.Equal(t, 1, next, "client2's next request right after its return")
}

func TestMermaidText(t *testing.T) {
	assert.Equal(t, "a#59; b#35;c #lt;d#gt; e f", mermaidText("a; b#c <d>\ne\rf"))
	assert.Equal(t, `PUT c=val_35 → "x"`, mermaidText(`PUT c=val_35 → "x"`))
}

// Node names Mermaid cannot take as participants get an alias.
func TestMermaidUnsafeNames(t *testing.T) {
	tr := &Trace{
		Nodes: []string{"end", "a b", "lane2", "ok1"},
		Messages: []Message{
			{From: "end", To: "a b", Type: "X;#", Fate: Delivered, SendSeq: 1},
			{From: "ok1", To: "lane2", Type: "Y", Fate: InFlight, SendSeq: 2},
		},
	}
	var b bytes.Buffer
	require.NoError(t, WriteMermaid(&b, tr, MermaidOptions{}))
	out := b.String()
	mermaidShape(t, out)
	assert.Contains(t, out, "    participant lane1 as end\n")
	assert.Contains(t, out, "    participant lane2_ as a b\n")
	assert.Contains(t, out, "    participant lane2\n")
	assert.Contains(t, out, "    lane1->>lane2_: X#59;#35;\n")
	assert.Contains(t, out, "    ok1--)lane2: Y (in flight at the end)\n")
	assert.True(t, strings.HasPrefix(out, "%% multipaxos-kv\n"), "no summary: no scenario or seed")
}

// ---- ShiViz ----

func TestShiVizGolden(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteShiViz(&b, parsedTrace(t, "default")))
	require.Less(t, b.Len(), 200_000, "small enough for a golden file")
	golden.Check(t, "testdata/default.shiviz.log", b.Bytes())
}

// shivizEvent is one event read back from a ShiViz log.
type shivizEvent struct {
	text, host string
	clock      map[string]uint64
}

// readShiViz parses a log with ShiVizRegex, as ShiViz does.
func readShiViz(t *testing.T, log string) []shivizEvent {
	t.Helper()
	re := regexp.MustCompile(ShiVizRegex)
	var events []shivizEvent
	for _, m := range re.FindAllStringSubmatch(log, -1) {
		e := shivizEvent{text: m[re.SubexpIndex("event")], host: m[re.SubexpIndex("host")]}
		require.NoError(t, json.Unmarshal([]byte(m[re.SubexpIndex("clock")]), &e.clock), "clock of %q", e.text)
		events = append(events, e)
	}
	return events
}

// dominates says a >= b on every entry and a > b on one.
func dominates(a, b map[string]uint64) bool {
	greater := false
	for n, v := range b {
		if a[n] < v {
			return false
		}
		greater = greater || a[n] > v
	}
	for n, v := range a {
		if _, ok := b[n]; !ok && v > 0 {
			greater = true
		}
	}
	return greater
}

func TestShiVizClocks(t *testing.T) {
	for _, name := range exportScenarios() {
		t.Run(name, func(t *testing.T) {
			tr := parsedTrace(t, name)
			var b bytes.Buffer
			require.NoError(t, WriteShiViz(&b, tr))
			checkShiViz(t, tr, b.String())
		})
	}
}

// checkShiViz checks a ShiViz log of tr: its header, one event per send,
// delivery, step and fault, clocks as ShiViz wants them, and causality.
func checkShiViz(t *testing.T, tr *Trace, log string) {
	t.Helper()
	lines := strings.SplitN(log, "\n", 3)
	assert.Equal(t, ShiVizRegex, lines[0], "first line: the parsing expression, as ShiViz reads a file")
	assert.Empty(t, lines[1], "second line: no delimiter of executions")
	events := readShiViz(t, log)

	// As many events as written: every line pair after the header.
	assert.Equal(t, (strings.Count(log, "\n")-2)/2, len(events), "the expression parses every event back")
	sends := map[uint64]bool{}
	var delivered, cut, heals, faults int
	for _, m := range tr.Messages {
		sends[m.SendSeq] = true
		if m.Fate == Delivered {
			delivered++
		}
	}
	var links int
	parted, linked := map[string]bool{}, map[string]bool{} // the nodes of the partition and of the cuts in force
	for _, f := range tr.Faults {
		switch f.Kind {
		case "partition":
			clear(parted)
			for _, g := range f.Groups {
				for _, n := range g {
					parted[n] = true
				}
				cut += len(g)
			}
		case "heal":
			// Every node of the partition and of the cuts it ends.
			maps.Copy(parted, linked)
			heals += len(parted)
			clear(parted)
			clear(linked)
		case "cut", "hold":
			links += 2
			if f.Kind == "cut" {
				linked[f.From], linked[f.To] = true, true
			}
		default:
			faults++
		}
	}
	assert.Equal(t, len(sends)+delivered+len(tr.Steps)+faults+cut+heals+links, len(events),
		"one event per send, delivery, step, crash and restart, per node of a partition or heal, and per end of a cut or hold")

	// Each node's own entry runs 1, 2, 3, ...; entries for other
	// nodes name events already written (what ShiViz checks).
	count := map[string]uint64{}
	for _, e := range events {
		count[e.host]++
		require.Equal(t, count[e.host], e.clock[e.host], "own entry of %s at %q", e.host, e.text)
		for n, v := range e.clock {
			assert.True(t, v >= 1 && v <= count[n], "%q: entry %s=%d names no earlier event", e.text, n, v)
		}
	}

	// Causality: a delivery's clock dominates its send's.
	send := map[string]map[string]uint64{}
	sendRE := regexp.MustCompile(`^\S+ send (m\d+) `)
	recvRE := regexp.MustCompile(`^\S+ receive (m\d+) `)
	var receives int
	for _, e := range events {
		if m := sendRE.FindStringSubmatch(e.text); m != nil {
			require.NotContains(t, send, m[1], "one send event per message")
			send[m[1]] = e.clock
		}
		if m := recvRE.FindStringSubmatch(e.text); m != nil {
			receives++
			sc, ok := send[m[1]]
			require.True(t, ok, "%q: its send comes first", e.text)
			assert.True(t, dominates(e.clock, sc), "%q: clock %v does not dominate its send's %v", e.text, e.clock, sc)
		}
	}
	assert.Equal(t, delivered, receives)
	assert.Len(t, send, len(sends))
}

func TestShiVizContent(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteShiViz(&b, parsedTrace(t, "default")))
	out := b.String()
	assert.Contains(t, out, "\n0s step Starting with id 1\nleader1 {\"leader1\":1}\n")
	assert.Contains(t, out, "\n0s send m1 Prepare (1,1) to acceptor1 {\"type\":\"Prepare\",\"ballot\":[1,1]}\nleader1 {\"leader1\":4}\n")
	assert.Contains(t, out, "\n1.014153ms receive m1 Prepare (1,1) from leader1\nacceptor1 {\"acceptor1\":2,\"leader1\":4}\n")

	b.Reset()
	require.NoError(t, WriteShiViz(&b, parsedTrace(t, "lossy")))
	out = b.String()
	assert.Regexp(t, `(?m)^0s send m\d+ Request to leader1: lost \(loss\) \{`, out)
	assert.Regexp(t, `(?m)^\S+ send m\d+ [^\n]*: duplicated, delivered and delivered \{`, out)
	assert.Contains(t, out, "(the network's duplicate)")

	b.Reset()
	require.NoError(t, WriteShiViz(&b, parsedTrace(t, "leader-isolated")))
	out = b.String()
	assert.Contains(t, out, "\n30ms partition: cut off from leader2 acceptor1 acceptor2 acceptor3 replica1 replica2 client1 client2 client3\nleader1 {")
	assert.Contains(t, out, "\n30ms partition: cut off from leader1\nacceptor1 {")
	assert.Contains(t, out, "\n250ms heal\nleader1 {")
}

func TestShiVizBadHost(t *testing.T) {
	tr := &Trace{Nodes: []string{"a b"}, Steps: []Step{{Seq: 1, Node: "a b", Text: "hi"}}}
	err := WriteShiViz(&bytes.Buffer{}, tr)
	assert.EqualError(t, err, `shiviz: node name "a b" cannot be a ShiViz host (empty, or with a space or brace)`)
}

// ---- Perfetto ----

func TestPerfettoGolden(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WritePerfetto(&b, parsedTrace(t, "default")))
	golden.Check(t, "testdata/default.perfetto.json", b.Bytes())
}

// perfettoFile is a trace-event file as a reader sees it; numbers stay
// exact.
type perfettoFile struct {
	DisplayTimeUnit string                       `json:"displayTimeUnit"`
	OtherData       map[string]any               `json:"otherData"`
	TraceEvents     []map[string]json.RawMessage `json:"traceEvents"`
}

// importedNs converts a ts or dur as Perfetto and chrome://tracing do: the
// number as a double, times 1000, truncated.
func importedNs(t *testing.T, raw json.RawMessage) sim.Time {
	t.Helper()
	f, err := strconv.ParseFloat(string(raw), 64)
	require.NoError(t, err, "number %s", raw)
	return sim.Time(f * 1000)
}

// exactNs reads a microsecond decimal as WritePerfetto means it: three
// digits of nanoseconds, and a fourth digit 1 only as a nudge.
func exactNs(t *testing.T, raw json.RawMessage) sim.Time {
	t.Helper()
	s := string(raw)
	us, frac, _ := strings.Cut(s, ".")
	if len(frac) == 4 {
		require.Equal(t, byte('1'), frac[3], "%s: the fourth digit is the nudge", s)
		frac = frac[:3]
	}
	require.LessOrEqual(t, len(frac), 3, s)
	frac += strings.Repeat("0", 3-len(frac))
	a, err := strconv.ParseInt(us, 10, 64)
	require.NoError(t, err, s)
	b, err := strconv.ParseInt(frac, 10, 64)
	require.NoError(t, err, s)
	return sim.Time(a*1000 + b)
}

func str(t *testing.T, e map[string]json.RawMessage, key string) string {
	t.Helper()
	var s string
	require.NoError(t, json.Unmarshal(e[key], &s), "%s of %v", key, e)
	return s
}

func TestPerfettoEvents(t *testing.T) {
	for _, name := range exportScenarios() {
		t.Run(name, func(t *testing.T) {
			tr := parsedTrace(t, name)
			var b bytes.Buffer
			require.NoError(t, WritePerfetto(&b, tr))
			checkPerfetto(t, tr, b.Bytes())
		})
	}
}

// checkPerfetto checks a trace-event file of tr: valid JSON, the fields
// each event needs, times that import exactly, slices that nest on each
// track as an importer stacks them, flows that pair up and bind to the
// message slice at their time, and an event for everything in tr.
func checkPerfetto(t *testing.T, tr *Trace, out []byte) {
	t.Helper()
	var f perfettoFile
	require.NoError(t, json.Unmarshal(out, &f), "valid JSON")
	assert.Equal(t, "ms", f.DisplayTimeUnit)
	assert.True(t, bytes.HasPrefix(out, []byte(`{"displayTimeUnit":"ms",`)), "displayTimeUnit first, where old Perfetto looked for it")

	type slice struct {
		start, end sim.Time
		cat        string
	}
	stacks := map[int][]slice{} // by tid: the X slices open, as an importer nests them
	flows := map[string][]string{}
	flowName := map[string]string{}
	asyncs := map[string][]string{}
	asyncName := map[string]string{}
	var threads []string
	count := map[string]int{}
	var last sim.Time
	for i, e := range f.TraceEvents {
		name, ph := str(t, e, "name"), str(t, e, "ph")
		require.NotEmpty(t, name, "event %d", i)
		var pid, tid int
		require.NoError(t, json.Unmarshal(e["pid"], &pid), "pid of event %d", i)
		require.NoError(t, json.Unmarshal(e["tid"], &tid), "tid of event %d", i)
		assert.Equal(t, 1, pid)
		assert.GreaterOrEqual(t, tid, 1)
		if ph == "M" {
			if name == "thread_name" {
				var args struct{ Name string }
				require.NoError(t, json.Unmarshal(e["args"], &args))
				assert.Equal(t, len(threads)+1, tid, "tid = lane + 1")
				threads = append(threads, args.Name)
			}
			continue
		}
		require.Contains(t, e, "ts", "event %d", i)
		ts := importedNs(t, e["ts"])
		require.Equal(t, exactNs(t, e["ts"]), ts, "event %d: ts %s imports exactly", i, e["ts"])
		require.GreaterOrEqual(t, ts, sim.Time(0))
		require.GreaterOrEqual(t, ts, last, "events in time order")
		last = ts
		cat := ""
		if e["cat"] != nil {
			cat = str(t, e, "cat")
		}
		// The slices open on this track at ts.
		st := stacks[tid]
		for len(st) > 0 && st[len(st)-1].end <= ts && !(st[len(st)-1].start == ts && st[len(st)-1].end == ts) {
			st = st[:len(st)-1]
		}
		switch ph {
		case "X":
			dur := importedNs(t, e["dur"])
			require.Equal(t, exactNs(t, e["dur"]), dur, "event %d: dur %s imports exactly", i, e["dur"])
			require.GreaterOrEqual(t, dur, sim.Time(0))
			if len(st) > 0 {
				top := st[len(st)-1]
				require.LessOrEqual(t, ts+dur, top.end, "event %d (%s) on tid %d: a slice nests in the one open, [%d,%d]", i, name, tid, top.start, top.end)
			}
			st = append(st, slice{ts, ts + dur, cat})
			count[cat+" X"]++
		case "s", "f":
			id := string(e["id"])
			require.NotEmpty(t, id, "flow event %d has an id", i)
			assert.Equal(t, "msg", cat)
			flows[id] = append(flows[id], ph)
			if n, ok := flowName[id]; ok {
				assert.Equal(t, n, name, "flow %s: start and end have one name", id)
			}
			flowName[id] = name
			if ph == "f" {
				assert.Equal(t, "e", str(t, e, "bp"))
			}
			// It binds to the message slice starting here.
			require.NotEmpty(t, st, "flow event %d: a slice is open on tid %d", i, tid)
			top := st[len(st)-1]
			assert.Equal(t, slice{ts, top.end, "msg"}, top, "flow event %d binds to the message slice at its time", i)
		case "i":
			s := str(t, e, "s")
			assert.Contains(t, []string{"t", "g"}, s)
			assert.Equal(t, s == "g", name == "heal" || strings.HasPrefix(name, "heal: ends the cut") || strings.HasPrefix(name, "partition "), "only partitions and heals are global")
			count[cat+" i"]++
		case "b", "e":
			// A cut or a hold: an async slice of its own.
			id := string(e["id"])
			require.NotEmpty(t, id, "async event %d has an id", i)
			assert.Equal(t, "link", cat)
			asyncs[id] = append(asyncs[id], ph)
			if n, ok := asyncName[id]; ok {
				assert.Equal(t, n, name, "async slice %s: begin and end have one name", id)
			}
			asyncName[id] = name
			count[cat+" "+ph]++
		default:
			t.Errorf("event %d: unexpected ph %q", i, ph)
		}
		stacks[tid] = st
	}
	assert.Equal(t, tr.Nodes, threads, "a named thread per node, in lane order")

	var delivered, dropped int
	for _, m := range tr.Messages {
		switch m.Fate {
		case Delivered:
			delivered++
		case Dropped:
			dropped++
		}
	}
	assert.Len(t, flows, delivered, "a flow per delivered copy")
	for id, phs := range flows {
		assert.Equal(t, []string{"s", "f"}, phs, "flow %s: one start, then one end", id)
	}
	assert.Equal(t, len(tr.Requests), count["request X"], "a slice per request")
	assert.Equal(t, len(tr.Steps), count["step i"], "an instant per step")
	assert.Equal(t, dropped, count["msg i"], "an instant per lost copy")
	var links int
	for _, f := range tr.Faults {
		if f.Kind == sim.EvCut || f.Kind == sim.EvHold {
			links++
		}
	}
	assert.Equal(t, len(tr.Faults)+links, count["fault i"], "an instant per fault, on both nodes of a cut or hold")
	assert.Equal(t, links, count["link b"], "an async slice per cut and hold")
	for id, phs := range asyncs {
		assert.Equal(t, []string{"b", "e"}, phs, "async slice %s: one begin, then one end", id)
	}
}

func TestPerfettoMicros(t *testing.T) {
	for _, c := range []struct {
		ns   sim.Time
		want string
	}{
		{0, "0"},
		{1000, "1"},
		{6232542, "6232.542"},
		{6232500, "6232.5"},
		{1, "0.001"},
		{98900019, "98900.019"},
	} {
		assert.Equal(t, c.want, perfettoMicros(c.ns), "%d ns", c.ns)
	}
	// Every value imports back exactly, nudged or not.
	for ns := sim.Time(0); ns < 3_000_000; ns += 7 {
		s := perfettoMicros(ns)
		f, err := strconv.ParseFloat(s, 64)
		require.NoError(t, err)
		require.Equal(t, ns, sim.Time(f*1000), "%d ns as %s", ns, s)
	}
}

func TestPerfettoContent(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WritePerfetto(&b, parsedTrace(t, "default")))
	out := b.String()
	assert.Contains(t, out, `{"name":"thread_name","ph":"M","pid":1,"tid":4,"args":{"name":"leader1"}}`)
	assert.Contains(t, out, `{"name":"send Prepare (1,1) ×3","cat":"msg","ph":"X","ts":0,"dur":1,"pid":1,"tid":4,`)
	assert.Contains(t, out, `{"name":"Prepare (1,1) → Promise (1,1)","cat":"msg","ph":"X","ts":1014.153,"dur":1,"pid":1,"tid":5,`)
	assert.Contains(t, out, `{"name":"Prepare","cat":"msg","ph":"s","ts":0,"pid":1,"tid":4,"id":1}`)
	assert.Contains(t, out, `{"name":"Prepare","cat":"msg","ph":"f","ts":1014.153,"pid":1,"tid":5,"id":1,"bp":"e"}`)
	assert.Contains(t, out, `{"name":"PUT c=val_35 → ok","cat":"request","ph":"X","ts":0,"dur":14268.403,"pid":1,"tid":2,`)

	b.Reset()
	require.NoError(t, WritePerfetto(&b, parsedTrace(t, "lossy")))
	assert.Regexp(t, `\{"name":"lost Request \(loss\)","cat":"msg","ph":"i","ts":0,"pid":1,"tid":\d,"s":"t","args":`, b.String())

	b.Reset()
	require.NoError(t, WritePerfetto(&b, parsedTrace(t, "leader-isolated")))
	assert.Contains(t, b.String(), `{"name":"partition {leader1} | {leader2 acceptor1 acceptor2 acceptor3 replica1 replica2 client1 client2 client3}","cat":"fault","ph":"i","ts":30000,"pid":1,"tid":1,"s":"g"}`)
}

// ---- all three ----

// closeTrace is a small run whose events on one node come closer than the
// 1µs of a message slice (300ns, 1ns apart), at times whose decimal the
// importers would truncate to the nanosecond before (1.001µs), with a
// duplicate, a loss, a message in flight, an unanswered request and
// every fault.
func closeTrace() *Trace {
	msg := func(id uint64, from, to, typ string, sent, at sim.Time, sendSeq, atSeq uint64, fate Fate) Message {
		return Message{ID: id, From: from, To: to, Type: typ, Body: `{"type":"` + typ + `"}`,
			Sent: sent, At: at, SendSeq: sendSeq, AtSeq: atSeq, Fate: fate}
	}
	reply := msg(2, "leader1", "client1", "Reply", 1301, 1303, 6, 7, Delivered)
	dup := reply
	dup.At, dup.AtSeq, dup.Duplicate = 1305, 11, true
	lost := msg(5, "leader1", "client1", "Commit", 1304, 1304, 12, 13, Dropped)
	lost.Reason = "loss"
	return &Trace{
		Nodes: []string{"client1", "leader1", "acceptor1"},
		Messages: []Message{
			msg(1, "client1", "leader1", "Request", 0, 1001, 2, 4, Delivered),
			reply, dup,
			msg(3, "client1", "leader1", "Request", 1303, 1304, 9, 10, Delivered),
			lost,
			msg(6, "leader1", "acceptor1", "Accept", 1307, 2000, 14, 0, InFlight),
		},
		Steps: []Step{
			{T: 0, Seq: 1, Node: "client1", Text: "request 1"},
			{T: 1001, Seq: 5, Node: "leader1", Text: "got it"},
			{T: 1303, Seq: 8, Node: "client1", Text: "{not a clock}"},
		},
		Faults: []Fault{
			{T: 1500, Seq: 15, Kind: sim.EvPartition, Groups: [][]string{{"leader1"}, {"client1", "acceptor1"}}},
			{T: 1600, Seq: 16, Kind: sim.EvCrash, Node: "acceptor1"},
			{T: 1700, Seq: 17, Kind: sim.EvHeal},
			{T: 1800, Seq: 18, Kind: sim.EvRestart, Node: "acceptor1"},
		},
		Requests: []Request{
			{Client: "client1", ID: 1, Op: "get", Key: "a", Invoke: 0, Return: 1303, Answered: true, OK: true, Result: `"v"`},
			{Client: "client1", ID: 2, Op: "put", Key: "a", Value: "w", Invoke: 1303, Return: 2000},
		},
		End: 2000,
	}
}

func TestExportsCloseEvents(t *testing.T) {
	tr := closeTrace()
	var b bytes.Buffer
	require.NoError(t, WritePerfetto(&b, tr))
	checkPerfetto(t, tr, b.Bytes())
	assert.Contains(t, b.String(), `"ts":1.0011,`, "1.001µs is nudged")
	assert.Contains(t, b.String(), `{"name":"Reply → Request","cat":"msg","ph":"X","ts":1.303,"dur":0.001,"pid":1,"tid":1,`, "half the 2ns to the next slice, to the nanosecond")

	b.Reset()
	require.NoError(t, WriteShiViz(&b, tr))
	checkShiViz(t, tr, b.String())
	assert.Contains(t, b.String(), "\n1.303µs step {not a clock}\nclient1 {")

	b.Reset()
	require.NoError(t, WriteMermaid(&b, tr, MermaidOptions{}))
	arrows, notes := mermaidShape(t, b.String())
	assert.Equal(t, map[string]int{"->>": 4, "-x": 1, "--)": 1}, arrows)
	assert.Equal(t, []string{`GET a → "v"`, "partition {leader1} | {client1 acceptor1}", "crash", "heal", "restart", "PUT a=w → no answer by the end"}, notes)
}

// Two runs of a scenario give byte-identical exports.
func TestExportsDeterministic(t *testing.T) {
	write := func() []byte {
		tr := parsedTrace(t, "leader-failover")
		var b bytes.Buffer
		require.NoError(t, WriteMermaid(&b, tr, MermaidOptions{Heartbeats: true}))
		require.NoError(t, WriteShiViz(&b, tr))
		require.NoError(t, WritePerfetto(&b, tr))
		return b.Bytes()
	}
	first := write()
	for range 2 {
		require.True(t, bytes.Equal(first, write()))
	}
}

// A window of a trace exports as well as a whole one.
func TestExportsWindow(t *testing.T) {
	tr := parsedTrace(t, "leader-isolated").Window(25*sim.Millisecond, 40*sim.Millisecond)
	var b bytes.Buffer
	require.NoError(t, WriteMermaid(&b, tr, MermaidOptions{}))
	mermaidShape(t, b.String())
	b.Reset()
	require.NoError(t, WriteShiViz(&b, tr))
	assert.NotEmpty(t, readShiViz(t, b.String()))
	b.Reset()
	require.NoError(t, WritePerfetto(&b, tr))
	assert.True(t, json.Valid(b.Bytes()))
}
