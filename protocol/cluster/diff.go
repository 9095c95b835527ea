package cluster

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// Run names one run to compare: a scenario and its schedule.
type RunFile struct {
	Name     string // the file it came from, for the report
	Scenario scenarios.Scenario
	Records  []sim.Record
}

// Divergence is where two runs part, in layers: the scenarios, then the
// first event that differs, then (just before it) the nodes whose states
// differ, the messages and timers pending in one run only, and the first
// difference of the client histories.
type Divergence struct {
	Scenario string      // how the resolved scenarios differ, or ""
	Step     int         // the number of the first differing event (from 1); 0: none
	A, B     string      // that event in each run ("" past its end)
	Nodes    []FieldDiff // the fields of the nodes' states that differ, node by node
	OnlyA    []string    // pending in A only, just before the step
	OnlyB    []string    // pending in B only
	History  string      // the first differing history event, or ""
}

// Same reports whether the runs did not part.
func (d Divergence) Same() bool { return d.Scenario == "" && d.Step == 0 }

// Diff compares two runs by the logical identity of their events (a message
// by its sender and number, a timer by node and kind), not by line: it
// finds the first event that differs, replays both runs to just before it,
// and reports what differs there.
func Diff(a, b RunFile) (Divergence, error) {
	var d Divergence
	if ea, eb := mustEncode(a.Scenario), mustEncode(b.Scenario); ea != eb {
		d.Scenario = firstLineDiff(ea, eb)
	}
	eva, evb := events(a.Records), events(b.Records)
	k := 0
	for k < len(eva) && k < len(evb) && eva[k].Text == evb[k].Text {
		k++
	}
	if k == len(eva) && k == len(evb) {
		return d, nil
	}
	d.Step = k + 1
	if k < len(eva) {
		d.A = "e " + eva[k].Text
	}
	if k < len(evb) {
		d.B = "e " + evb[k].Text
	}
	ca, err := upTo(a, k)
	if err != nil {
		return d, err
	}
	cb, err := upTo(b, k)
	if err != nil {
		return d, err
	}
	d.Nodes = diffNodes(ca, cb)
	pa, pb := ca.Engine.PendingEvents(), cb.Engine.PendingEvents()
	d.OnlyA, d.OnlyB = minus(pa, pb), minus(pb, pa)
	ha, hb := ca.History(), cb.History()
	for i := 0; i < len(ha) || i < len(hb); i++ {
		switch {
		case i >= len(ha):
			d.History = fmt.Sprintf("history event %d: A has none, B %s", i+1, describeHistory(cb, i))
		case i >= len(hb):
			d.History = fmt.Sprintf("history event %d: A %s, B has none", i+1, describeHistory(ca, i))
		case ha[i].Invoke != hb[i].Invoke || ha[i].Client != hb[i].Client || ha[i].Op != hb[i].Op || ha[i].Ret != hb[i].Ret:
			d.History = fmt.Sprintf("history event %d: A %s, B %s", i+1, describeHistory(ca, i), describeHistory(cb, i))
		default:
			continue
		}
		break
	}
	return d, nil
}

// FieldDiff is one field of one node's state whose value differs between
// two runs, e.g. leader1.applied: 3 vs 4.
type FieldDiff struct {
	Node, Field string
	A, B        string // the values; "" where the run has no such field
}

// String is "NODE.FIELD: A vs B" ("FIELD: A vs B" without a node),
// "(none)" for a missing field.
func (f FieldDiff) String() string {
	name := f.Field
	if f.Node != "" {
		name = f.Node + "." + f.Field
	}
	return name + ": " + orNone(f.A) + " vs " + orNone(f.B)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// diffNodes compares the nodes of two runs, field by field (nodeFields),
// nodes in id order, a node's fields in its own order (then those only B
// has). Nodes are matched by name: one that only one run has is all
// "(none)" on the other side.
func diffNodes(a, b *Cluster) []FieldDiff {
	var out []FieldDiff
	names := slices.Clone(a.Topology.Names)
	for _, n := range b.Topology.Names {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, name := range names {
		out = append(out, DiffFields(name, a.nodeFields(name), b.nodeFields(name))...)
	}
	return out
}

// DiffFields is the field-level difference of one node's state in two
// runs: every field whose value differs or that one side lacks, in the
// order of the fields (a's, with those only b has after the field b lists
// before them).
func DiffFields(node string, a, b []sim.Field) []FieldDiff {
	va := make(map[string]string, len(a))
	order := make([]string, 0, len(a)+len(b))
	for _, f := range a {
		va[f.Name] = f.Value
		order = append(order, f.Name)
	}
	vb := make(map[string]string, len(b))
	at := 0 // where b's next field goes if a lacks it: after b's previous one
	for _, f := range b {
		vb[f.Name] = f.Value
		if _, ok := va[f.Name]; ok {
			at = slices.Index(order, f.Name) + 1
			continue
		}
		order = slices.Insert(order, at, f.Name)
		at++
	}
	var out []FieldDiff
	for _, name := range order {
		x, inA := va[name]
		y, inB := vb[name]
		if inA != inB || x != y {
			out = append(out, FieldDiff{Node: node, Field: name, A: x, B: y})
		}
	}
	return out
}

// nodeFields lists the state of the node called name as named fields:
// whether it is up, then its own (sim.Fielder); none when the run has no
// such node. A node type without fields shows its summary as one field.
func (c *Cluster) nodeFields(name string) []sim.Field {
	id, ok := c.Topology.Lookup(name)
	if !ok {
		return nil
	}
	fs := []sim.Field{{Name: "up", Value: strconv.FormatBool(c.Engine.Up(id))}}
	if n, ok := c.Engine.Node(id).(sim.Fielder); ok {
		return n.AppendFields(fs, c.Engine)
	}
	return append(fs, sim.Field{Name: "state", Value: c.nodeState(id)})
}

// events is the event records of a schedule.
func events(recs []sim.Record) []sim.Record {
	var out []sim.Record
	for _, r := range recs {
		if r.Kind == sim.RecEvent {
			out = append(out, r)
		}
	}
	return out
}

// upTo replays r's first k events (and the decisions they took), then stops.
func upTo(r RunFile, k int) (*Cluster, error) {
	var recs []sim.Record
	n := 0
	for _, rec := range r.Records {
		if rec.Kind == sim.RecEvent {
			if n == k {
				break
			}
			n++
		}
		recs = append(recs, rec)
	}
	recs = append(recs, sim.Record{Kind: sim.RecStop, Text: "diff"})
	c := New(r.Scenario, Options{Replay: recs, SkipLin: true})
	c.Engine.Run()
	if div := c.Engine.Result().Diverge; div != nil {
		return nil, fmt.Errorf("%s does not replay (%v): compare schedules of this build", r.Name, div)
	}
	return c, nil
}

func describeHistory(c *Cluster, i int) string {
	h := c.History()[i]
	who := c.Topology.Names[h.Client]
	if h.Invoke {
		return fmt.Sprintf("%s invokes #%d %s %q at %v", who, h.Op.ID, h.Op.Op, c.Engine.Symbol(h.Op.Key), h.T)
	}
	answer := "ok"
	if !h.Ret.OK {
		answer = h.Ret.ErrText(c.Engine)
	} else if h.Ret.HasValue {
		answer = fmt.Sprintf("%q", c.Engine.Symbol(h.Ret.Value))
	}
	return fmt.Sprintf("%s gets #%d: %s at %v", who, h.Ret.ID, answer, h.T)
}

// minus is the elements of a not in b (both sorted), counting repeats.
func minus(a, b []string) []string {
	var out []string
	i, j := 0, 0
	for i < len(a) {
		switch {
		case j < len(b) && a[i] == b[j]:
			i++
			j++
		case j < len(b) && b[j] < a[i]:
			j++
		default:
			out = append(out, a[i])
			i++
		}
	}
	return out
}

func mustEncode(s scenarios.Scenario) string {
	enc, err := s.Encode()
	if err != nil {
		return "unencodable: " + err.Error()
	}
	return string(enc)
}

// firstLineDiff names the first line at which two texts differ.
func firstLineDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(la) || i < len(lb); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return fmt.Sprintf("A has %q, B has %q", x, y)
		}
	}
	return ""
}

// WriteDiff writes the report of a divergence.
func WriteDiff(w io.Writer, a, b string, d Divergence) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "A: %s\nB: %s\n", a, b)
	if d.Scenario != "" {
		fmt.Fprintf(&sb, "scenarios differ: %s\n", d.Scenario)
	}
	if d.Step == 0 {
		fmt.Fprintf(&sb, "events:    the same\n")
	} else {
		fmt.Fprintf(&sb, "events:    the same for %d events; event %d differs:\n", d.Step-1, d.Step)
		fmt.Fprintf(&sb, "  A: %s\n  B: %s\n", orEnd(d.A), orEnd(d.B))
		writeNodes(&sb, d.Nodes)
		if len(d.OnlyA) == 0 && len(d.OnlyB) == 0 {
			fmt.Fprintf(&sb, "pending:   the same messages and timers\n")
		} else {
			fmt.Fprintf(&sb, "pending:   only in A: %s; only in B: %s\n", list(d.OnlyA), list(d.OnlyB))
		}
		if d.History == "" {
			fmt.Fprintf(&sb, "history:   the same so far\n")
		} else {
			fmt.Fprintf(&sb, "history:   %s\n", d.History)
		}
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

// maxFieldLines bounds the node fields a diff report shows; the struct
// has them all.
const maxFieldLines = 40

// writeNodes writes the field-level difference of the nodes' states.
func writeNodes(sb *strings.Builder, fs []FieldDiff) {
	if len(fs) == 0 {
		fmt.Fprintf(sb, "nodes:     the same just before it\n")
		return
	}
	fmt.Fprintf(sb, "nodes:     just before it, these fields differ (A vs B):\n")
	for i, f := range fs {
		if i == maxFieldLines {
			fmt.Fprintf(sb, "  ... and %d more\n", len(fs)-i)
			break
		}
		fmt.Fprintf(sb, "  %s\n", f)
	}
}

func orEnd(s string) string {
	if s == "" {
		return "(the schedule has ended)"
	}
	return s
}

func list(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(slices.Clone(xs), ", ")
}
