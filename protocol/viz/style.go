package viz

import (
	"slices"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/check"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/cluster"
)

// This file is what the pictures know of the protocol: which message types
// are drawn together and in which colour, which are routine, the order of
// the lanes and of the checks. The names come from protocol/ (message
// types), protocol/cluster (kinds of node, the summary's members) and
// protocol/check (check names); only the colours and words are the
// pictures' own. The trace's records themselves are sim's (sim.TraceEv).

// routineTypes are the liveness traffic that pictures draw faintly or leave
// out.
var routineTypes = []protocol.MsgType{protocol.Heartbeat, protocol.HeartbeatAck}

// routineNames lists the routine types, "Heartbeat, HeartbeatAck".
func routineNames() string { return kind{types: routineTypes}.label() }

// kind is a family of message types drawn in one colour.
type kind struct {
	class string // the CSS class is "k-" + class
	color string
	title string // the legend's words before the types; "" for none
	types []protocol.MsgType
}

// kinds are the message colours, in legend order; the last, with no types,
// is every other type.
var kinds = []kind{
	{"p1", "#8e44ad", "Phase 1", []protocol.MsgType{protocol.Prepare, protocol.Promise, protocol.PrepareRejected}},
	{"p2", "#1f6fb4", "Phase 2", []protocol.MsgType{protocol.Accept, protocol.Accepted, protocol.AcceptRejected}},
	{"cm", "#2e8b3e", "", []protocol.MsgType{protocol.Commit, protocol.Fetch}},
	{"cl", "#d9731a", "client", []protocol.MsgType{protocol.Request, protocol.Reply, protocol.Redirect}},
	{"hb", "#9aa0a6", "", routineTypes},
	{"ot", "#555555", "other", nil},
}

// label is the kind's legend text, e.g. "Phase 1: Prepare, Promise,
// PrepareRejected".
func (k kind) label() string {
	names := make([]string, len(k.types))
	for i, t := range k.types {
		names[i] = t.String()
	}
	switch {
	case len(names) == 0:
		return k.title
	case k.title == "":
		return strings.Join(names, ", ")
	}
	return k.title + ": " + strings.Join(names, ", ")
}

// kindOf is the colour class of a message type, by its name in the trace.
func kindOf(typ string) string {
	if t, ok := protocol.ParseMsgType(typ); ok {
		for _, k := range kinds {
			if slices.Contains(k.types, t) {
				return k.class
			}
		}
	}
	return kinds[len(kinds)-1].class
}

// kindColor is the colour of a message kind.
func kindColor(class string) string {
	for _, k := range kinds {
		if k.class == class {
			return k.color
		}
	}
	return kinds[len(kinds)-1].color
}

// isRoutine reports whether a message type, by its name in the trace, is
// routine liveness traffic.
func isRoutine(typ string) bool {
	t, ok := protocol.ParseMsgType(typ)
	return ok && slices.Contains(routineTypes, t)
}

// markRules say which step texts are milestones: the first rule whose
// words a step's text contains gives its kind ("why" steps, which explain a
// rule, are never milestones). The words are the leader's own
// (protocol/multipaxos: phase1.go, phase2.go, election.go);
// TestMarkRulesMatchTheProtocol fails when a rule no longer matches any
// step of the embedded scenarios.
var markRules = []struct {
	kind  MarkKind
	words string
}{
	{MarkPhase1, "Phase 1 complete"},
	{MarkChosen, ": chosen: "},
	{MarkNoop, "filling it with NOOP"},
	{MarkRecovered, "recovery complete"},
	{MarkStandby, "standing by"},
}

// markStyles are the marks' colours and the legend's words, in legend
// order.
var markStyles = []struct {
	kind  MarkKind
	color string
	label string
}{
	{MarkPhase1, "#8e44ad", "Phase 1 won"},
	{MarkChosen, "#2e8b3e", "slot chosen (its quorum's Accepted drawn bold)"},
	{MarkNoop, "#6d4c41", "NOOP fills a hole"},
	{MarkRecovered, "#00897b", "recovery complete"},
	{MarkStandby, "#b26a00", "stand-by"},
}

// markColor is the colour of a mark kind.
func markColor(k MarkKind) string {
	for _, s := range markStyles {
		if s.kind == k {
			return s.color
		}
	}
	return "#555555"
}

// laneKinds are the kinds of node in lane order: clients, leaders (and the
// kvstore's server in their place), acceptors, replicas.
var laneKinds = []string{cluster.KindClient, cluster.KindLeader, cluster.KindServer, cluster.KindAcceptor, cluster.KindReplica}

// checkOrder is the order the HTML page lists the checks in; checks not
// named here follow, sorted.
var checkOrder = []check.Name{check.NameAgreement, check.NameConvergence, check.NameLinearizability, check.NameExactlyOnce, check.NameLiveness}
