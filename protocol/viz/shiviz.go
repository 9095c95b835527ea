package viz

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// ShiVizRegex is the log parsing regular expression of the files WriteShiViz
// writes, ShiViz's default. To open a file in ShiViz
// (https://bestchai.bitbucket.io/shiviz/), either choose it with "Select a
// file" (its first line is this expression and its second line the empty
// delimiter of multiple executions, which is how ShiViz reads a file), or
// paste it whole into the log box with this expression in "Log parsing
// regular expression":
//
//	(?<event>.*)\n(?<host>\S*) (?<clock>{.*})
//
// Go (since 1.22) accepts the expression as it is, so the tests parse the
// files back with it.
const ShiVizRegex = `(?<event>.*)\n(?<host>\S*) (?<clock>{.*})`

// WriteShiViz writes t as a ShiViz log: for each event, a line describing it
// and a line with its node and vector clock, `node {"node":n,...}`, keys
// sorted. The events are every send (one for a duplicated message), every
// delivery, every step, and each crash and restart, as events of their node,
// in the trace's order. A partition is an event of every node it names; a
// cut or a hold of its link's two nodes ("cut: messages to acceptor2 are
// lost until a heal", "hold: messages from client2 wait ..."); a heal of every
// node the partition named and of both nodes of every cut it ends, which
// it names ("heal: ends the cut leader1 → acceptor2").
//
// A lost message is not an event of any node: its send says "lost (reason)",
// and it has no receive; a message still in flight at the end says so too.
//
// Clocks: each event increments its node's own entry, so a node's entries
// run 1, 2, 3, ... as ShiViz requires; a delivery first takes the
// entry-wise maximum of the receiver's clock and the send's.
//
// Every description line starts with the event's virtual time and a fixed
// word (send, receive, step, crash, restart, partition, cut, hold, heal), so none can
// be mistaken for a clock line.
func WriteShiViz(w io.Writer, t *Trace) error {
	bw := bufio.NewWriter(w)
	type event struct {
		seq  uint64
		sub  int // orders the events of one partition or heal
		host string
		text string
		send bool   // a send, whose clock its deliveries merge
		from uint64 // for a delivery, the seq of its send
	}
	var events []event
	type sendInfo struct {
		m     Message
		fates []string
	}
	sends := map[uint64]*sendInfo{}
	for _, m := range t.Messages {
		si := sends[m.SendSeq]
		if si == nil {
			si = &sendInfo{m: m}
			sends[m.SendSeq] = si
		}
		switch m.Fate {
		case Delivered:
			si.fates = append(si.fates, "delivered")
			text := fmt.Sprintf("%s receive m%d %s from %s", m.At, m.ID, m.Label(), m.From)
			if m.Duplicate {
				text += " (the network's duplicate)"
			}
			events = append(events, event{seq: m.AtSeq, host: m.To, text: text, from: m.SendSeq})
		case Dropped:
			si.fates = append(si.fates, "lost ("+m.Reason+")")
		case InFlight:
			si.fates = append(si.fates, "still in flight at the end")
		}
	}
	for _, seq := range slices.Sorted(maps.Keys(sends)) {
		si := sends[seq]
		m := si.m
		text := fmt.Sprintf("%s send m%d %s to %s", m.Sent, m.ID, m.Label(), m.To)
		switch {
		case len(si.fates) > 1:
			text += ": duplicated, " + strings.Join(si.fates, " and ")
		case si.fates[0] != "delivered":
			text += ": " + si.fates[0]
		}
		events = append(events, event{seq: seq, host: m.From, text: text + " " + m.Body, send: true})
	}
	for _, s := range t.Steps {
		events = append(events, event{seq: s.Seq, host: s.Node, text: s.T.String() + " step " + s.Text})
	}
	var parted []string // the nodes of the partition in force
	healed := healedCuts(t.Faults)
	for _, f := range t.Faults {
		switch f.Kind {
		case sim.EvCrash, sim.EvRestart:
			events = append(events, event{seq: f.Seq, host: f.Node, text: f.T.String() + " " + string(f.Kind)})
		case sim.EvPartition:
			parted = parted[:0]
			for gi, g := range f.Groups {
				var others []string
				for oi, o := range f.Groups {
					if oi != gi {
						others = append(others, o...)
					}
				}
				for _, n := range g {
					parted = append(parted, n)
					text := f.T.String() + " partition: cut off from " + strings.Join(others, " ")
					events = append(events, event{seq: f.Seq, sub: len(parted), host: n, text: text})
				}
			}
		case sim.EvCut, sim.EvHold:
			// "5ms cut: messages to acceptor2 are lost until a heal", and
			// "from leader1" on the other end.
			what := " are lost until a heal"
			if f.Kind == sim.EvHold {
				what = " wait at the link until " + (f.T + f.For).String() + " (held for " + f.For.String() + ")"
			}
			head := f.T.String() + " " + string(f.Kind) + ": messages "
			events = append(events,
				event{seq: f.Seq, sub: 1, host: f.From, text: head + "to " + f.To + what},
				event{seq: f.Seq, sub: 2, host: f.To, text: head + "from " + f.From + what})
		case sim.EvHeal:
			// Every node of the partition, then every other end of a cut
			// it ends; each told which of its cuts end.
			hosts := slices.Clone(parted)
			ends := map[string][]Fault{}
			for _, c := range healed[f.Seq] {
				for _, n := range []string{c.From, c.To} {
					if !slices.Contains(hosts, n) {
						hosts = append(hosts, n)
					}
					ends[n] = append(ends[n], c)
				}
			}
			for i, n := range hosts {
				events = append(events, event{seq: f.Seq, sub: i + 1, host: n, text: f.T.String() + " " + healText(ends[n])})
			}
			parted = parted[:0]
		}
	}
	slices.SortFunc(events, func(a, b event) int {
		return cmp.Or(cmp.Compare(a.seq, b.seq), cmp.Compare(a.sub, b.sub))
	})

	fmt.Fprintf(bw, "%s\n\n", ShiVizRegex)
	clocks := map[string]map[string]uint64{} // by node: its clock after its last event
	sent := map[uint64]map[string]uint64{}   // by send seq: the send event's clock
	for _, e := range events {
		if e.host == "" || strings.ContainsFunc(e.host, isSpaceOrBrace) {
			return fmt.Errorf("shiviz: node name %q cannot be a ShiViz host (empty, or with a space or brace)", e.host)
		}
		c := maps.Clone(clocks[e.host])
		if c == nil {
			c = map[string]uint64{}
		}
		for n, v := range sent[e.from] { // nothing unless a delivery
			c[n] = max(c[n], v)
		}
		c[e.host]++
		clocks[e.host] = c
		if e.send {
			sent[e.seq] = c
		}
		fmt.Fprintf(bw, "%s\n%s %s\n", shivizLine(e.text), e.host, shivizClock(c))
	}
	return bw.Flush()
}

func isSpaceOrBrace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '{' || r == '}'
}

// shivizLine keeps a description on one line.
func shivizLine(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}

// shivizClock renders a vector clock as JSON with sorted keys.
func shivizClock(c map[string]uint64) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range slices.Sorted(maps.Keys(c)) {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(n) // a string always marshals
		b.Write(k)
		b.WriteByte(':')
		b.WriteString(strconv.FormatUint(c[n], 10))
	}
	b.WriteByte('}')
	return b.String()
}
