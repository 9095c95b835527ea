package cluster

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/multipaxos"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// WriteSummary writes the human summary of a run: how it ended, what the
// network did, every node's final store, and the checks' verdicts.
func (c *Cluster) WriteSummary(w io.Writer, o Outcome) error {
	s, r := c.Scenario, o.Result
	cfg := c.Engine.Config()
	var b bytes.Buffer
	fmt.Fprintf(&b, "\n--- summary ---\n")
	fmt.Fprintf(&b, "scenario:  %s (seed %d, protocol %s)\n", s.Name, s.Seed, s.Protocol)
	fmt.Fprintf(&b, "ended:     at %v virtual time: %s\n", r.End, r.Describe(cfg))
	fmt.Fprintf(&b, "events:    %d\n", r.Events)
	if r.Skipped > 0 {
		fmt.Fprintf(&b, "lenient:   %d events of the schedule were no longer pending and were skipped\n", r.Skipped)
	}
	fmt.Fprintf(&b, "messages:  %d sent + %d duplicated = %d delivered + %d dropped + %d in flight\n", r.Sent, r.Duplicated, r.Delivered, r.Dropped, c.Engine.InFlight())
	fmt.Fprintf(&b, "clients:   %d x %d requests, %d unfinished\n", s.Nodes.Clients, s.Workload.RequestsPerClient, o.Unanswered)
	fmt.Fprintf(&b, "nodes:\n")
	for id, name := range c.Topology.Names {
		fmt.Fprintf(&b, "  %-10s %s\n", name, c.nodeState(sim.NodeID(id)))
	}
	if r.Reason == sim.StopDivergence {
		fmt.Fprintf(&b, "checks:    not run: the replay diverged, so this is a run of neither the schedule nor the code\n")
	} else {
		fmt.Fprintf(&b, "checks:\n")
	}
	for _, v := range o.Checks {
		fmt.Fprintf(&b, "  %-16s %s\n", v.Name, v.Text())
	}
	verdict := "ok"
	switch {
	case r.Reason == sim.StopDivergence:
		verdict = "DIVERGED"
	case !o.OK:
		verdict = "FAILED"
	}
	fmt.Fprintf(&b, "result:    %s\n", verdict)
	_, err := w.Write(b.Bytes())
	return err
}

// The members of the summary record (sim.EvSummary), the JSON trace's last
// line, which the pictures read back.
const (
	SummaryScenario = "scenario" // the scenario's name
	SummarySeed     = "seed"     // the run's root seed, an integer that may exceed 2^53
	SummaryEvents   = "events"   // how many events ran
	SummaryEnd      = "end"      // how the run ended, in words
	SummaryMessages = "messages" // counts: sent, duplicated, delivered, dropped, in_flight (sent + duplicated = the other three)
	SummaryStores   = "stores"   // each node's final store: node -> key -> value
	SummaryChecks   = "checks"   // each check's verdict text, by check.Name
	SummaryOK       = "ok"       // whether every check held
)

// nodeState says in words what node id ended as: whether it crashed (and
// what a crash keeps) or restarted, a leader's role and ballot, an
// acceptor's promise and votes, a learner's log, how far it applied it,
// and its store; a client's progress.
func (c *Cluster) nodeState(id sim.NodeID) string {
	var parts []string
	life := c.Engine.Life(id)
	up := c.Engine.Up(id)
	switch {
	case !up:
		parts = append(parts, fmt.Sprintf("crashed at %v", life.LastCrash))
	case life.Restarts > 0:
		parts = append(parts, fmt.Sprintf("crashed at %v, restarted at %v", life.LastCrash, life.LastRestart))
	}
	switch n := c.Engine.Node(id).(type) {
	case *multipaxos.Leader:
		if !up {
			return parts[0] + fmt.Sprintf(": its log and store are lost, only its highest round (%d) is kept", n.Round())
		}
		parts = append(parts, leaderRole(n))
		snap, last, applied := n.Log()
		if last > 0 || applied > 0 {
			parts = append(parts, logState(snap, last, applied, "in a snapshot"), "store "+n.Machine().Store().Text(c.Engine))
		}
	case *multipaxos.Acceptor:
		votes := fmt.Sprintf("%s accepted", plural(countAccepted(n), "slot"))
		if base := n.Base(); base > 0 {
			votes = fmt.Sprintf("a snapshot of slots 1..%d and %s accepted above it", base, plural(countAccepted(n), "slot"))
		}
		parts = append(parts, "promised "+n.Promised.String(), votes)
		if !up {
			parts[len(parts)-1] += " (durable: kept for its restart)"
		}
	case *multipaxos.Replica:
		if !up {
			return parts[0] + ": its log and store are lost (it catches up again on restart)"
		}
		compacted, last, applied := n.Log()
		parts = append(parts, logState(compacted, last, applied, "compacted"), "store "+n.Machine().Store().Text(c.Engine))
	case *kv.Server:
		if !up {
			return parts[0] + ": its store is lost"
		}
		parts = append(parts, fmt.Sprintf("%s applied, store %s", plural(int(n.Machine().Len()), "request"), n.Machine().Store().Text(c.Engine)))
	case *kv.Client:
		sent, answered := n.Progress()
		parts = append(parts, fmt.Sprintf("%d of %d requests answered", answered, n.Requests()))
		if n.Done() && !n.Finished() {
			parts = append(parts, fmt.Sprintf("gave up on request %d", sent))
		}
	}
	return strings.Join(parts, "; ")
}

// leaderRole is a running leader's role in words: leading or a candidate at
// its ballot (with the promises a candidate has), or standing by, and then
// which ballot superseded its own, if one did.
func leaderRole(n *multipaxos.Leader) string {
	b, seen := n.Ballot(), n.Seen()
	switch n.Role() {
	case "leading":
		return "leading at ballot " + b.String()
	case "candidate":
		return fmt.Sprintf("candidate at ballot %v (Phase 1: %d of %d promises, quorum %d)", b, n.Promises(), len(n.Acceptors), n.Quorum())
	}
	switch {
	case b == (protocol.Ballot{}):
		return "standby (never campaigned)"
	case b.Less(seen):
		return fmt.Sprintf("standby (its ballot %v superseded by %v)", b, seen)
	}
	return fmt.Sprintf("standby (its last ballot %v)", b)
}

// logState is a log in words: how many slots it holds, what of it a
// snapshot (or compaction) covers, and how many slots are applied.
func logState(snap, last, applied int64, covered string) string {
	s := "log " + plural(int(last), "slot")
	if last == 0 {
		s = "log empty"
	}
	if snap > 0 {
		s += fmt.Sprintf(" (1..%d %s)", snap, covered)
	}
	return s + fmt.Sprintf(", %d applied", applied)
}

// countAccepted is how many slots the acceptor holds a vote for.
func countAccepted(a *multipaxos.Acceptor) int {
	n := 0
	for _, e := range a.Accepted {
		if e.Ballot != (protocol.Ballot{}) {
			n++
		}
	}
	return n
}

// plural is "1 slot", "2 slots".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// WriteSummaryJSON writes the summary record, the JSON trace's last line, to
// w. Its seq follows the trace's last record.
func (c *Cluster) WriteSummaryJSON(w io.Writer, o Outcome) error {
	s, r := c.Scenario, o.Result
	cfg := c.Engine.Config()
	t := &sim.Tracer{JSON: w}
	if c.tracer != nil {
		t.SetSeq(c.tracer.Seq())
	}
	t.JSONRecord(r.End, sim.EvSummary, func(b []byte) []byte {
		b = sim.AppendJSONField(b, SummaryScenario, s.Name)
		b = append(b, `,"`+SummarySeed+`":`...)
		b = strconv.AppendUint(b, s.Seed, 10)
		b = sim.AppendJSONInt(b, SummaryEvents, int64(r.Events))
		b = sim.AppendJSONField(b, SummaryEnd, r.Describe(cfg))
		b = append(b, `,"`+SummaryMessages+`":{"sent":`...)
		b = strconv.AppendInt(b, int64(r.Sent), 10)
		b = sim.AppendJSONInt(b, "delivered", int64(r.Delivered))
		b = sim.AppendJSONInt(b, "dropped", int64(r.Dropped))
		b = sim.AppendJSONInt(b, "duplicated", int64(r.Duplicated))
		b = sim.AppendJSONInt(b, "in_flight", int64(c.Engine.InFlight()))
		b = append(b, `},"`+SummaryStores+`":{`...)
		for i, st := range o.Stores {
			if i > 0 {
				b = append(b, ',')
			}
			b = sim.AppendJSONString(b, st.Name)
			b = append(b, ":{"...)
			for j, k := range slices.Sorted(maps.Keys(st.Store)) {
				if j > 0 {
					b = append(b, ',')
				}
				b = sim.AppendJSONString(b, k)
				b = append(b, ':')
				b = sim.AppendJSONString(b, st.Store[k])
			}
			b = append(b, '}')
		}
		b = append(b, `},"`+SummaryChecks+`":{`...)
		for i, v := range o.Checks {
			if i > 0 {
				b = append(b, ',')
			}
			b = sim.AppendJSONString(b, string(v.Name))
			b = append(b, ':')
			b = sim.AppendJSONString(b, v.Text())
		}
		b = append(b, '}')
		return sim.AppendJSONBool(b, SummaryOK, o.OK)
	})
	return t.Err()
}
