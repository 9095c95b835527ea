package cluster

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// MaxTraceRecord bounds one line of a JSON trace that diff reads: far more
// than the longest record a run writes (its summary, with every store).
const MaxTraceRecord = 16 << 20

// Trace is a JSON-lines trace (run -trace, -json) read for diff: every
// record but the summary, each named by its logical identity, and the
// summary's fields.
type Trace struct {
	Name    string
	Records []TraceRec
	// Events are the records that are events of the run (TraceRec.Event),
	// with the nodes' starts before them, which the trace shows only by
	// their effects: each is named "start NODE" at the first record of its
	// node.
	Events []TraceRec
	// Summary is the summary record's fields, in a fixed order; nil when
	// the trace has none (cut short).
	Summary []sim.Field
}

// TraceRec is one record of a JSON trace, without what depends on the
// numbering of the whole run (seq, a message's global mid): a message is
// named by its sender and the sender's number for it, as a schedule names
// it, so that two traces align even where one sent a message more.
type TraceRec struct {
	Line int    // its line in the file
	T    int64  // virtual time, compared apart from the identity
	Key  string // its logical identity and contents, e.g. `deliver leader1#1 acceptor1 {"type":"Prepare","ballot":[1,1]}`
	// Event marks what the run did next (a delivery, a timer, a fault, a
	// message lost on its way), rather than an effect of it (a step, a
	// send, an invocation).
	Event bool
	// Pos is an event's position in Trace.Records: its own, or a start's
	// first record.
	Pos int
	// msg is the message's identity for deliveries, drops and sends
	// ("leader1#1 acceptor1 Prepare"), history is set for invoke and
	// return records.
	msg     string
	history bool
}

// ParseTrace reads a JSON-lines trace. A line that is not a JSON object of
// the trace, a record longer than MaxTraceRecord, or a delivery of a
// message never sent is an error naming the file and line.
func ParseTrace(data []byte, file string) (Trace, error) {
	t := Trace{Name: file}
	sent := map[string]int{}     // by sender: messages sent so far
	byMid := map[uint64]string{} // mid -> "from#n to Type"
	lastSend := map[uint64]int{} // mid -> index in t.Records of its send
	starting, actor := true, ""  // before the first event: whose start this is
	for i, raw := range bytes.Split(data, []byte("\n")) {
		line := i + 1
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		if len(raw) > MaxTraceRecord {
			return t, fmt.Errorf("%s:%d: a record of %d bytes (limit %d): not a trace written by this tool", file, line, len(raw), MaxTraceRecord)
		}
		if t.Summary != nil {
			return t, fmt.Errorf("%s:%d: a record after the summary, which is the last: not one JSON trace", file, line)
		}
		var rec sim.TraceRecord
		if err := json.Unmarshal(raw, &rec); err != nil {
			return t, fmt.Errorf("%s:%d: not a JSON trace record: %v", file, line, err)
		}
		if rec.Ev == "" {
			return t, fmt.Errorf("%s:%d: a record without \"ev\": not a JSON trace record", file, line)
		}
		r := TraceRec{Line: line, T: rec.T}
		msg := string(bytes.TrimSpace(rec.Msg))
		switch rec.Ev {
		case sim.EvSummary:
			fs, err := summaryFields(raw)
			if err != nil {
				return t, fmt.Errorf("%s:%d: a summary record that does not decode: %v", file, line, err)
			}
			t.Summary = fs
			continue
		case sim.EvSend:
			sent[rec.From]++
			r.msg = rec.From + "#" + strconv.Itoa(sent[rec.From]) + " " + rec.To + " " + msgType(rec.Msg)
			byMid[rec.Mid] = r.msg
			lastSend[rec.Mid] = len(t.Records)
			r.Key = "send " + r.msg + " " + msg
		case sim.EvDeliver, sim.EvDrop:
			id, ok := byMid[rec.Mid]
			if !ok {
				return t, fmt.Errorf("%s:%d: %s of message %d, which was never sent", file, line, rec.Ev, rec.Mid)
			}
			r.msg = id
			r.Key = string(rec.Ev) + " " + id + " " + msg
			if rec.Note == sim.NoteDuplicate {
				r.Key += " dup"
			}
			if rec.Ev == sim.EvDrop {
				r.Key += " (" + rec.Reason + ")"
			}
			// A drop right after its send is the send's fate (loss, a cut
			// or partition at the sender), not an event of its own.
			r.Event = rec.Ev == sim.EvDeliver || lastSend[rec.Mid] != len(t.Records)-1
		case sim.EvTimer:
			r.Key, r.Event = "timer "+rec.Node+" "+rec.Name, true
		case sim.EvCrash, sim.EvRestart:
			r.Key, r.Event = string(rec.Ev)+" "+rec.Node, true
		case sim.EvPartition:
			groups := make([]string, len(rec.Groups))
			for i, g := range rec.Groups {
				groups[i] = strings.Join(g, ",")
			}
			r.Key, r.Event = "partition "+strings.Join(groups, "|"), true
		case sim.EvHeal:
			r.Key, r.Event = "heal", true
		case sim.EvCut:
			r.Key, r.Event = "cut "+rec.From+" -> "+rec.To, true
		case sim.EvHold:
			r.Key, r.Event = "hold "+rec.From+" -> "+rec.To+" for "+time.Duration(rec.For).String(), true
		case sim.EvStep:
			r.Key = "step " + rec.Node + " " + rec.Text
		case sim.EvInvoke:
			r.Key, r.history = "invoke "+rec.Client+" #"+strconv.FormatUint(rec.ID, 10)+" "+rec.Op+" "+strconv.Quote(rec.Key), true
			if rec.Value != nil {
				r.Key += " = " + strconv.Quote(*rec.Value)
			}
		case sim.EvReturn:
			r.Key, r.history = "return "+rec.Client+" #"+strconv.FormatUint(rec.ID, 10), true
			switch {
			case rec.OK != nil && *rec.OK && rec.Value != nil:
				r.Key += " ok " + strconv.Quote(*rec.Value)
			case rec.OK != nil && *rec.OK:
				r.Key += " ok"
			default:
				r.Key += " error " + strconv.Quote(rec.Error)
			}
		default:
			// A kind this build does not know: compared as written, less
			// its time and number.
			r.Key = string(rec.Ev) + " " + withoutNumbering(raw)
		}
		if r.Event {
			starting = false
		}
		if who := cmp.Or(rec.Node, rec.Client, rec.From); starting && who != "" && who != actor {
			// Nodes start one after the other before anything else runs:
			// a record of another node is that node's start.
			actor = who
			t.Events = append(t.Events, TraceRec{Line: line, T: rec.T, Key: "start " + who, Event: true, Pos: len(t.Records)})
		}
		if r.Event {
			r.Pos = len(t.Records)
			t.Events = append(t.Events, r)
		}
		t.Records = append(t.Records, r)
	}
	if len(t.Records) == 0 && t.Summary == nil {
		return t, fmt.Errorf("%s: an empty trace (expected the JSON lines of run -trace or -json)", file)
	}
	return t, nil
}

// msgType is the message's "type" member.
func msgType(raw json.RawMessage) string {
	var m struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(raw, &m) != nil || m.Type == "" {
		return "?"
	}
	return m.Type
}

// withoutNumbering is a record as written, less its "t" and "seq".
func withoutNumbering(raw []byte) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return string(raw)
	}
	delete(m, sim.FieldT)
	delete(m, sim.FieldSeq)
	b, _ := json.Marshal(m) // sorted keys
	return string(b)
}

// summaryFields lists the summary record's members as fields: scenario,
// seed, events, end, messages.KIND, stores.NODE[KEY], checks.NAME, ok.
func summaryFields(raw []byte) ([]sim.Field, error) {
	var s struct {
		Scenario string                       `json:"scenario"`
		Seed     json.Number                  `json:"seed"`
		Events   json.Number                  `json:"events"`
		End      string                       `json:"end"`
		Messages map[string]json.Number       `json:"messages"`
		Stores   map[string]map[string]string `json:"stores"`
		Checks   map[string]string            `json:"checks"`
		OK       bool                         `json:"ok"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&s); err != nil {
		return nil, err
	}
	fs := []sim.Field{
		{Name: SummaryScenario, Value: s.Scenario},
		{Name: SummarySeed, Value: s.Seed.String()},
		{Name: SummaryEvents, Value: s.Events.String()},
		{Name: SummaryEnd, Value: s.End},
	}
	for _, k := range []string{"sent", "delivered", "dropped", "duplicated"} {
		fs = append(fs, sim.Field{Name: SummaryMessages + "." + k, Value: s.Messages[k].String()})
	}
	for _, node := range slices.Sorted(maps.Keys(s.Stores)) {
		st := s.Stores[node]
		fs = append(fs, sim.Field{Name: SummaryStores + "." + node, Value: keys(len(st))})
		for _, k := range slices.Sorted(maps.Keys(st)) {
			fs = append(fs, sim.Field{Name: SummaryStores + "." + node + "[" + k + "]", Value: st[k]})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.Checks)) {
		fs = append(fs, sim.Field{Name: SummaryChecks + "." + name, Value: s.Checks[name]})
	}
	return append(fs, sim.Field{Name: SummaryOK, Value: strconv.FormatBool(s.OK)}), nil
}

// keys is "1 key", "3 keys".
func keys(n int) string {
	if n == 1 {
		return "1 key"
	}
	return strconv.Itoa(n) + " keys"
}

// TraceDivergence is where two JSON traces part, in layers: the runs (the
// summaries' scenario and seed); the first event that differs (a delivery,
// a timer, a fault, named by its logical identity: a message by its sender
// and number); the first record of any kind that differs (a step, a send,
// an invocation: where the runs' effects part, which may be before the
// events do) and the event it belongs to; the first time that differs;
// the messages in flight in one trace only just before the events part;
// the first difference of the client histories; the summaries' fields.
type TraceDivergence struct {
	Runs string // "A ran default seed 1, B default seed 2", or ""
	// Event is the number (from 1) of the first event that differs (0:
	// none), EventA and EventB that event in each trace (Line 0: past its
	// end).
	Event          int
	EventA, EventB TraceRec
	// Record is the number (from 1) of the first record that differs (0:
	// none), A and B that record (Line 0: past the trace's end), and In the
	// number of the event it belongs to in A (0: the nodes' starts, before
	// any event) and InA that event.
	Record int
	A, B   TraceRec
	In     int
	InA    TraceRec
	// Time is the first time that differs among the records before Record
	// (among all, when none differs), or "".
	Time string
	// OnlyA, OnlyB are the messages in flight in one trace only just before
	// the first event that differs (or the first record, when every event
	// is the same).
	OnlyA, OnlyB []string
	History      string // the first difference of the client histories, or ""
	Summary      []FieldDiff
}

// Same reports whether the traces did not part (times included).
func (d TraceDivergence) Same() bool {
	return d.Event == 0 && d.Record == 0 && d.Time == "" && d.History == "" && len(d.Summary) == 0
}

// DiffTraces compares two JSON traces by the logical identity of their
// records.
func DiffTraces(a, b Trace) TraceDivergence {
	var d TraceDivergence
	ra, rb := a.Records, b.Records
	// The events, aligned by identity.
	ea, eb := a.Events, b.Events
	e := 0
	for e < len(ea) && e < len(eb) && ea[e].Key == eb[e].Key {
		e++
	}
	cutA, cutB := len(ra), len(rb) // where the events part (or the traces end)
	if e < len(ea) || e < len(eb) {
		d.Event = e + 1
		if e < len(ea) {
			d.EventA, cutA = ea[e], ea[e].Pos
		}
		if e < len(eb) {
			d.EventB, cutB = eb[e], eb[e].Pos
		}
	}
	// Every record, aligned the same way.
	k := 0
	for k < len(ra) && k < len(rb) && ra[k].Key == rb[k].Key {
		k++
	}
	for i := range k {
		if ra[i].T != rb[i].T {
			d.Time = fmt.Sprintf("record %d (%s): A at %v (line %d), B at %v (line %d)", i+1, ra[i].Key, time.Duration(ra[i].T), ra[i].Line, time.Duration(rb[i].T), rb[i].Line)
			break
		}
	}
	if k < len(ra) || k < len(rb) {
		d.Record = k + 1
		if k < len(ra) {
			d.A = ra[k]
		}
		if k < len(rb) {
			d.B = rb[k]
		}
		for n, ev := range ea {
			if ev.Pos > k {
				break
			}
			d.In, d.InA = n+1, ev
		}
		if d.Event == 0 {
			cutA, cutB = k, k
		}
	}
	if d.Event != 0 || d.Record != 0 {
		fa, fb := inFlight(ra[:cutA]), inFlight(rb[:cutB])
		d.OnlyA, d.OnlyB = minus(fa, fb), minus(fb, fa)
	}
	d.History = historyDiff(ra, rb)
	switch {
	case a.Summary == nil && b.Summary == nil:
	case a.Summary == nil:
		d.Summary = []FieldDiff{{Field: "summary", A: "", B: "the last record"}}
	case b.Summary == nil:
		d.Summary = []FieldDiff{{Field: "summary", A: "the last record", B: ""}}
	default:
		d.Summary = DiffFields("", a.Summary, b.Summary)
		run := func(fs []sim.Field) string { return field(fs, SummaryScenario) + " seed " + field(fs, SummarySeed) }
		if ra, rb := run(a.Summary), run(b.Summary); ra != rb {
			d.Runs = "A ran " + ra + ", B " + rb
		}
	}
	return d
}

func field(fs []sim.Field, name string) string {
	for _, f := range fs {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// inFlight lists, sorted, the messages sent and not yet delivered or
// dropped in rs.
func inFlight(rs []TraceRec) []string {
	open := map[string]int{}
	for _, r := range rs {
		switch {
		case r.msg == "":
		case strings.HasPrefix(r.Key, "send "):
			open[r.msg]++
		case open[r.msg] > 0:
			open[r.msg]--
		}
	}
	var out []string
	for _, id := range slices.Sorted(maps.Keys(open)) {
		for range open[id] {
			out = append(out, id)
		}
	}
	return out
}

// historyDiff is the first difference of the traces' invoke and return
// records, or "".
func historyDiff(ra, rb []TraceRec) string {
	history := func(rs []TraceRec) []TraceRec {
		var h []TraceRec
		for _, r := range rs {
			if r.history {
				h = append(h, r)
			}
		}
		return h
	}
	ha, hb := history(ra), history(rb)
	for i := 0; i < len(ha) || i < len(hb); i++ {
		switch {
		case i >= len(ha):
			return fmt.Sprintf("history event %d: A has none, B %s (line %d)", i+1, hb[i].Key, hb[i].Line)
		case i >= len(hb):
			return fmt.Sprintf("history event %d: A %s (line %d), B has none", i+1, ha[i].Key, ha[i].Line)
		case ha[i].Key != hb[i].Key:
			return fmt.Sprintf("history event %d: A %s (line %d), B %s (line %d)", i+1, ha[i].Key, ha[i].Line, hb[i].Key, hb[i].Line)
		}
	}
	return ""
}

// WriteTraceDiff writes the report of two traces' divergence.
func WriteTraceDiff(w io.Writer, a, b string, d TraceDivergence) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "A: %s\nB: %s\n", a, b)
	if d.Runs != "" {
		fmt.Fprintf(&sb, "runs:      %s\n", d.Runs)
	}
	rec := func(r TraceRec) string {
		if r.Line == 0 {
			return "(the trace has ended)"
		}
		return fmt.Sprintf("line %d: %s at %v", r.Line, r.Key, time.Duration(r.T))
	}
	if d.Event == 0 {
		fmt.Fprintf(&sb, "events:    the same\n")
	} else {
		fmt.Fprintf(&sb, "events:    the same for %d events; event %d differs:\n", d.Event-1, d.Event)
		fmt.Fprintf(&sb, "  A: %s\n  B: %s\n", rec(d.EventA), rec(d.EventB))
	}
	switch {
	case d.Record == 0:
		fmt.Fprintf(&sb, "records:   the same\n")
	case d.In == 0:
		fmt.Fprintf(&sb, "records:   the same for %d records; record %d differs, before any event:\n", d.Record-1, d.Record)
	default:
		fmt.Fprintf(&sb, "records:   the same for %d records; record %d differs, in event %d (line %d: %s):\n", d.Record-1, d.Record, d.In, d.InA.Line, d.InA.Key)
	}
	if d.Record != 0 {
		fmt.Fprintf(&sb, "  A: %s\n  B: %s\n", rec(d.A), rec(d.B))
	}
	if d.Time == "" {
		fmt.Fprintf(&sb, "times:     the same\n")
	} else {
		fmt.Fprintf(&sb, "times:     first differ at %s\n", d.Time)
	}
	if d.Event != 0 || d.Record != 0 {
		if len(d.OnlyA) == 0 && len(d.OnlyB) == 0 {
			fmt.Fprintf(&sb, "in flight: the same messages just before they part\n")
		} else {
			fmt.Fprintf(&sb, "in flight: just before they part, only in A: %s; only in B: %s\n", list(d.OnlyA), list(d.OnlyB))
		}
	}
	if d.History == "" {
		fmt.Fprintf(&sb, "history:   the same\n")
	} else {
		fmt.Fprintf(&sb, "history:   %s\n", d.History)
	}
	if len(d.Summary) == 0 {
		fmt.Fprintf(&sb, "summary:   the same\n")
	} else {
		fmt.Fprintf(&sb, "summary:   these fields differ (A vs B):\n")
		for i, f := range d.Summary {
			if i == maxFieldLines {
				fmt.Fprintf(&sb, "  ... and %d more\n", len(d.Summary)-i)
				break
			}
			fmt.Fprintf(&sb, "  %s\n", f)
		}
	}
	_, err := io.WriteString(w, sb.String())
	return err
}
