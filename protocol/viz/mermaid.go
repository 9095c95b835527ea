package viz

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/protocol/cluster"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// MermaidOptions chooses what a Mermaid diagram leaves out. The zero value
// is the usual diagram.
type MermaidOptions struct {
	// Heartbeats keeps the leaders' Heartbeat messages, which are left out
	// by default: a leader sends one to every other leader and replica each
	// period, so they are most of the arrows of any run longer than a few
	// periods and hide the protocol's own messages.
	Heartbeats bool
}

// WriteMermaid writes t as a Mermaid sequenceDiagram, which GitHub renders
// inside a ```mermaid block of Markdown: a participant per node in lane
// order, one arrow per message copy in send order (delivered ->>, lost -x
// with the reason, still in flight at the end --)), labelled with the type,
// slot and ballot ("Accept s6 (1,1)"), a note over the node for each crash and
// restart, a note over the link's two nodes for each cut and hold ("cut
// leader1 → acceptor2", "hold client2 → leader2 for 300ms"), a note across
// all lanes for each partition and heal (naming the cuts the heal ends),
// and a note over the client when a request returns ("PUT c=val_35 → ok").
//
// A sequence diagram has no time axis: rows come in send order, one per
// arrow or note, and an arrow is drawn where it was sent, whatever its
// latency. The first lines say so in %% comments, with the scenario and seed.
func WriteMermaid(w io.Writer, t *Trace, opt MermaidOptions) error {
	bw := bufio.NewWriter(w)
	ids := mermaidIDs(t.Nodes)

	type row struct {
		at   sim.Time
		seq  uint64
		text string
	}
	var rows []row
	var skipped int
	for _, m := range t.Messages {
		if m.Routine() && !opt.Heartbeats {
			skipped++
			continue
		}
		arrow, label := "->>", m.Label()
		switch m.Fate {
		case Dropped:
			arrow, label = "-x", label+" lost ("+m.Reason+")"
		case InFlight:
			arrow, label = "--)", label+" (in flight at the end)"
		}
		if m.Duplicate {
			label += " (duplicate)"
		}
		rows = append(rows, row{m.Sent, m.SendSeq,
			ids.of(m.From) + arrow + ids.of(m.To) + ": " + mermaidText(label)})
	}
	first, last := "", ""
	if len(t.Nodes) > 0 {
		first, last = ids.of(t.Nodes[0]), ids.of(t.Nodes[len(t.Nodes)-1])
	}
	healed := healedCuts(t.Faults)
	for _, f := range t.Faults {
		switch f.Kind {
		case sim.EvCrash, sim.EvRestart:
			rows = append(rows, row{f.T, f.Seq, "Note over " + ids.of(f.Node) + ": " + string(f.Kind)})
		case sim.EvCut, sim.EvHold:
			rows = append(rows, row{f.T, f.Seq, "Note over " + ids.of(f.From) + "," + ids.of(f.To) + ": " + mermaidText(exportFaultText(f))})
		case sim.EvHeal:
			if first != "" {
				rows = append(rows, row{f.T, f.Seq, "Note over " + first + "," + last + ": " + mermaidText(healText(healed[f.Seq]))})
			}
		default:
			if first == "" {
				continue
			}
			rows = append(rows, row{f.T, f.Seq, "Note over " + first + "," + last + ": " + mermaidText(exportFaultText(f))})
		}
	}
	returns := exportReturnSeqs(t)
	for i, r := range t.Requests {
		text := r.Label() + " → "
		at, seq := r.Return, returns[i]
		if r.Answered {
			text += r.Result
		} else {
			text += "no answer by the end"
			seq = math.MaxUint64
		}
		rows = append(rows, row{at, seq, "Note over " + ids.of(r.Client) + ": " + mermaidText(text)})
	}
	// Rows in trace order; a return's seq is that of the delivery that
	// caused it, so its note follows the arrows sent before it at that time.
	slices.SortStableFunc(rows, func(a, b row) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.seq, b.seq))
	})

	fmt.Fprintf(bw, "%%%% %s\n", mermaidText(exportRunName(t)))
	fmt.Fprintf(bw, "%%%% Time is not to scale: one row per arrow or note, in send order; an arrow is drawn where it was sent, whatever its latency.\n")
	if skipped > 0 {
		fmt.Fprintf(bw, "%%%% %d heartbeat messages (%s) left out.\n", skipped, routineNames())
	}
	fmt.Fprintln(bw, "sequenceDiagram")
	for _, n := range t.Nodes {
		if id := ids.of(n); id != n {
			fmt.Fprintf(bw, "    participant %s as %s\n", id, mermaidText(n))
		} else {
			fmt.Fprintf(bw, "    participant %s\n", n)
		}
	}
	for _, r := range rows {
		fmt.Fprintf(bw, "    %s\n", r.text)
	}
	return bw.Flush()
}

// mermaidIdent is a participant name Mermaid takes as it is.
var mermaidIdent = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

// mermaidKeywords are words a participant cannot be called, lower-cased.
var mermaidKeywords = map[string]bool{
	"participant": true, "actor": true, "as": true, "note": true, "over": true,
	"left": true, "right": true, "of": true, "loop": true, "alt": true,
	"else": true, "opt": true, "par": true, "and": true, "rect": true,
	"critical": true, "option": true, "break": true, "end": true,
	"activate": true, "deactivate": true, "box": true, "title": true,
	"autonumber": true, "link": true, "links": true, "create": true,
	"destroy": true, "properties": true, "details": true,
	"sequencediagram": true, "accdescr": true, "acctitle": true,
}

// mermaidNames maps node names to participant identifiers.
type mermaidNames map[string]string

// mermaidIDs names each node's participant: the node's own name when Mermaid
// takes it as is (every name the simulator gives), else "lane<i>".
func mermaidIDs(nodes []string) mermaidNames {
	ids := mermaidNames{}
	taken := map[string]bool{}
	for _, n := range nodes {
		taken[n] = true
	}
	for i, n := range nodes {
		if mermaidIdent.MatchString(n) && !mermaidKeywords[strings.ToLower(n)] {
			ids[n] = n
			continue
		}
		id := "lane" + strconv.Itoa(i+1)
		for taken[id] {
			id += "_"
		}
		taken[id] = true
		ids[n] = id
	}
	return ids
}

// of is the participant of node n; a node missing from the lanes (which
// Parse never produces) gets its name made safe.
func (ids mermaidNames) of(n string) string {
	if id, ok := ids[n]; ok {
		return id
	}
	if mermaidIdent.MatchString(n) && !mermaidKeywords[strings.ToLower(n)] {
		return n
	}
	return "unknown_" + strconv.Itoa(len(n))
}

// mermaidText makes s safe as the text of a message or note: ";" and "#"
// would end the statement or start an entity, "<" and ">" would be read as
// HTML, and a newline would end the line. They become Mermaid's entity codes
// (#59; #35; #lt; #gt;), which render as the characters themselves.
func mermaidText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '#':
			b.WriteString("#35;")
		case ';':
			b.WriteString("#59;")
		case '<':
			b.WriteString("#lt;")
		case '>':
			b.WriteString("#gt;")
		case '\n', '\r', '\t':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// The helpers below are shared by the Mermaid, ShiViz and Perfetto exports.

// exportFaultText describes a fault: "crash acceptor3", "partition {leader1}
// | {leader2 acceptor1 ...}", "cut leader1 → acceptor2", "hold client2 →
// leader2 for 300ms", "heal".
func exportFaultText(f Fault) string {
	switch f.Kind {
	case sim.EvCrash, sim.EvRestart:
		return string(f.Kind) + " " + f.Node
	case sim.EvCut, sim.EvHold:
		return linkText(f)
	case sim.EvPartition:
		groups := make([]string, len(f.Groups))
		for i, g := range f.Groups {
			groups[i] = "{" + strings.Join(g, " ") + "}"
		}
		return "partition " + strings.Join(groups, " | ")
	}
	return string(f.Kind)
}

// exportRunName names the run from the trace's summary record: "multipaxos-kv
// scenario default, seed 1", or less when the trace has no summary.
func exportRunName(t *Trace) string {
	s := "multipaxos-kv"
	if name, ok := t.Summary[cluster.SummaryScenario].(string); ok {
		s += " scenario " + name
	}
	switch seed := t.Summary[cluster.SummarySeed].(type) {
	case float64:
		s += ", seed " + strconv.FormatFloat(seed, 'f', -1, 64)
	case json.Number:
		s += ", seed " + seed.String()
	}
	return s
}

// exportReturnSeqs gives each request's return a place in the trace's order,
// which Request does not record: the seq of the last delivery to the client
// at the return's time (the Reply that caused it). 0 when there is none.
func exportReturnSeqs(t *Trace) []uint64 {
	type key struct {
		node string
		at   sim.Time
	}
	last := map[key]uint64{}
	for _, m := range t.Messages {
		if m.Fate == Delivered {
			k := key{m.To, m.At}
			last[k] = max(last[k], m.AtSeq)
		}
	}
	seqs := make([]uint64, len(t.Requests))
	for i, r := range t.Requests {
		if r.Answered {
			seqs[i] = last[key{r.Client, r.Return}]
		}
	}
	return seqs
}
