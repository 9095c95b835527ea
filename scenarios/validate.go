package scenarios

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
)

// Problem is one thing wrong with a scenario: the field it concerns, as a
// dotted path with 0-based indexes ("network.latency_min", "faults[1].crash";
// empty for problems that are not about one known field, such as an unknown
// key or a TOML syntax error), what was expected and what was found (Msg),
// and the line of the file where the field is written (0 when unknown, for
// instance for a default value or a field set from the command line).
type Problem struct {
	Line  int
	Field string
	Msg   string
}

// Error lists every problem found in one scenario, so that a user fixes a
// file in one go instead of one error per run. File is the file as shown to
// the user ("scenarios/default.toml"), or empty for a scenario that does not
// come from a file. Problems are in line order.
type Error struct {
	File     string
	Problems []Problem
}

// Error renders one line per problem, "FILE:LINE: FIELD: MSG", leaving out
// the parts that are unknown.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = e.render(p)
	}
	return strings.Join(lines, "\n")
}

// render formats one problem of e.
func (e *Error) render(p Problem) string {
	var b strings.Builder
	switch {
	case e.File != "" && p.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, p.Line)
	case e.File != "":
		fmt.Fprintf(&b, "%s: ", e.File)
	case p.Line > 0:
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Validate checks every rule of the format and returns an *Error listing all
// the problems (without file or line: Parse adds them), or nil. It is
// exported so that a scenario changed after loading, for instance by the
// command line's -seed or -clients, can be checked again.
func (s *Scenario) Validate() error {
	if ps := s.problems(); len(ps) > 0 {
		return &Error{Problems: ps}
	}
	return nil
}

// problems collects the problems of s in the order of the format's fields.
func (s *Scenario) problems() []Problem {
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	between := func(field string, v, lo, hi int) {
		if v < lo || v > hi {
			add(field, "must be between %d and %d, got %d", lo, hi, v)
		}
	}

	if s.Name != "" && !ValidName(s.Name) { // empty: Parse names it after its file
		add("name", "must be 1 to %d letters, digits, '-', '_' or '.', not starting with '.' (it names files), got %s", MaxNameLen, quoteClip(s.Name))
	}
	if s.Seed > MaxSeed {
		add("seed", "must be at most %d (TOML integers are signed 64-bit), got %d", int64(math.MaxInt64), s.Seed)
	}
	switch s.Protocol {
	case ProtocolMultiPaxos, ProtocolKVStore:
	default:
		add("protocol", "must be %q or %q, got %q", ProtocolMultiPaxos, ProtocolKVStore, s.Protocol)
	}
	if s.TimeLimit <= 0 {
		add("time_limit", "must be > 0, got %s", s.TimeLimit)
	}
	ps = append(ps, durationLimit("time_limit", s.TimeLimit)...)
	between("max_events", s.MaxEvents, 1, MaxEventsLimit)
	between("pipeline", s.Pipeline, 1, MaxPipeline)
	between("batch", s.Batch, 1, MaxBatch)
	if s.SnapshotEvery < 0 || s.SnapshotEvery > MaxSnapshotEvery {
		add("snapshot_every", "must be 0 (never) .. %d, got %d", MaxSnapshotEvery, s.SnapshotEvery)
	}
	for i, name := range s.Bugs {
		if _, err := protocol.LookupBug(name); err != nil {
			add(fmt.Sprintf("bugs[%d]", i), "%s", err.Error())
		}
	}

	// The kvstore protocol has one server and no leaders, acceptors or
	// replicas, so their counts are ignored rather than rejected.
	if s.Protocol != ProtocolKVStore {
		between("nodes.leaders", s.Nodes.Leaders, 1, MaxNodesPerKind)
		between("nodes.acceptors", s.Nodes.Acceptors, 1, MaxNodesPerKind)
		between("nodes.replicas", s.Nodes.Replicas, 0, MaxNodesPerKind)
	}
	between("nodes.clients", s.Nodes.Clients, 0, MaxClients)

	ps = append(ps, s.Workload.problems()...)
	ps = append(ps, s.Network.problems()...)
	for _, d := range []struct {
		field string
		v     Duration
	}{{"heartbeat", s.Timeouts.Heartbeat}, {"election", s.Timeouts.Election}, {"retry", s.Timeouts.Retry}, {"client", s.Timeouts.Client}} {
		if d.v <= 0 {
			add("timeouts."+d.field, "must be > 0, got %s", d.v)
		}
		ps = append(ps, durationLimit("timeouts."+d.field, d.v)...)
	}
	if s.Timeouts.Heartbeat > 0 && s.Timeouts.Election <= s.Timeouts.Heartbeat {
		add("timeouts.election", "must be > heartbeat (%s), or standby leaders campaign against a healthy leader, got %s", s.Timeouts.Heartbeat, s.Timeouts.Election)
	}
	between("timeouts.client_retries", s.Timeouts.ClientRetries, 0, MaxClientRetries)

	if len(s.Faults) > MaxFaults {
		// Counts first: the entries of an oversized list are not checked.
		add("faults", "must have at most %d entries, got %d", MaxFaults, len(s.Faults))
		return ps
	}
	for i, f := range s.Faults {
		ps = append(ps, f.problems(fmt.Sprintf("faults[%d]", i), s.hasNode, s.nodeSummary)...)
	}
	return ps
}

// durationLimit reports a duration above MaxDuration.
func durationLimit(field string, d Duration) []Problem {
	if d > MaxDuration {
		return []Problem{{Field: field, Msg: fmt.Sprintf("must be at most %s, so that virtual time cannot overflow, got %s", maxDurationText, d)}}
	}
	return nil
}

// quoteClip quotes s for a message, cut to 40 characters.
func quoteClip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return fmt.Sprintf("%q...", string(r[:37]))
	}
	return fmt.Sprintf("%q", s)
}

// problems checks the workload; field paths start with "workload.".
func (w *Workload) problems() []Problem {
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: "workload." + field, Msg: fmt.Sprintf(format, args...)})
	}
	if w.RequestsPerClient < 0 || w.RequestsPerClient > MaxRequestsPerClient {
		add("requests_per_client", "must be between 0 and %d, got %d", MaxRequestsPerClient, w.RequestsPerClient)
	}
	if len(w.Keys) == 0 {
		add("keys", "must list at least one key, got none")
	}
	keys := w.Keys
	if len(keys) > MaxKeys {
		// Counts first: the entries of an oversized list are not checked.
		add("keys", "must list at most %d keys, got %d", MaxKeys, len(keys))
		keys = nil
	}
	first := make(map[string]int)
	for i, k := range keys {
		field := fmt.Sprintf("keys[%d]", i)
		if k == "" {
			add(field, "must not be empty, got \"\"")
			continue
		}
		if len(k) > MaxKeyLen {
			add(field, "must be at most %d bytes long, got %d bytes", MaxKeyLen, len(k))
			continue
		}
		if j, dup := first[k]; dup {
			add(field, "must differ from the other keys, got %q again (first at keys[%d])", k, j)
			continue
		}
		first[k] = i
	}
	if w.Values < 1 || w.Values > MaxValues {
		add("values", "must be between 1 and %d, got %d", MaxValues, w.Values)
	}
	weights := []struct {
		name string
		v    int
	}{{"get", w.Mix.Get}, {"put", w.Mix.Put}, {"delete", w.Mix.Delete}}
	valid := true
	for _, m := range weights {
		if m.v < 0 || m.v > MaxMixWeight {
			add("mix."+m.name, "must be between 0 and %d, got %d", MaxMixWeight, m.v)
			valid = false
		}
	}
	if valid && w.Mix.Get+w.Mix.Put+w.Mix.Delete == 0 {
		add("mix", "must have at least one positive weight, got get = 0, put = 0, delete = 0")
	}
	return ps
}

// problems checks the network; field paths start with "network.".
func (n *Network) problems() []Problem {
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: "network." + field, Msg: fmt.Sprintf(format, args...)})
	}
	if n.LatencyMin < 0 {
		add("latency_min", "must be >= 0, got %s", n.LatencyMin)
	}
	if n.LatencyMax < 0 {
		add("latency_max", "must be >= 0, got %s", n.LatencyMax)
	}
	ps = append(ps, durationLimit("network.latency_max", n.LatencyMax)...)
	if n.LatencyMin >= 0 && n.LatencyMax >= 0 && n.LatencyMin > n.LatencyMax {
		add("latency_min", "must be <= latency_max (%s), got %s", n.LatencyMax, n.LatencyMin)
	}
	// The negated form also rejects NaN, which TOML can spell as "nan".
	if !(n.Drop >= 0 && n.Drop <= 1) {
		add("drop", "must be between 0 and 1, got %s", formatFloat(n.Drop))
	}
	if !(n.Duplicate >= 0 && n.Duplicate <= 1) {
		add("duplicate", "must be between 0 and 1, got %s", formatFloat(n.Duplicate))
	}
	return ps
}

// problems checks one fault; field is its path ("faults[2]"), known the set
// of node names and nodes a function that lists them for messages.
func (f *Fault) problems(field string, known func(string) bool, nodes func() string) []Problem {
	var ps []Problem
	add := func(sub, format string, args ...any) {
		ps = append(ps, Problem{Field: field + sub, Msg: fmt.Sprintf(format, args...)})
	}
	node := func(sub, name string) {
		if !known(name) {
			add(sub, "unknown node %s (nodes: %s)", quoteClip(name), nodes())
		}
	}

	if f.At < 0 {
		add(".at", "must be >= 0, got %s", f.At)
	}
	ps = append(ps, durationLimit(field+".at", f.At)...)
	actions := f.actions()
	if len(actions) != 1 {
		add("", "must have exactly one of crash, restart, partition, heal, cut, hold; got %s", andList(actions))
	}

	link := func(sub string, names []string) {
		if len(names) != 2 {
			add(sub, `must name two nodes, ["from", "to"], got %d`, len(names))
			return
		}
		for i, name := range names {
			node(fmt.Sprintf("%s[%d]", sub, i), name)
		}
		if names[0] == names[1] {
			add(sub, "must name two different nodes, got %s twice", quoteClip(names[0]))
		}
	}
	if f.Cut != nil {
		link(".cut", f.Cut)
	}
	if f.Hold != nil {
		link(".hold", f.Hold)
		if f.For <= 0 {
			add(".for", `must be given and > 0 (how long the link is held, like for = "200ms"), got %s`, f.For)
		}
		ps = append(ps, durationLimit(field+".for", f.For)...)
	} else if f.For != 0 {
		add(".for", "only a hold takes for, got for = %q with %s", f.For.String(), andList(actions))
	}

	if f.Crash != "" {
		node(".crash", f.Crash)
	}
	if f.Restart != "" {
		node(".restart", f.Restart)
	}
	if f.Partition != nil {
		group := make(map[string]int) // node name -> its group
		nonEmpty := false
		for g, members := range f.Partition {
			nonEmpty = nonEmpty || len(members) > 0
			for m, name := range members {
				sub := fmt.Sprintf(".partition[%d][%d]", g, m)
				if !known(name) {
					node(sub, name)
					continue
				}
				if h, seen := group[name]; seen {
					if h == g {
						add(sub, "must not repeat a node within a group, got %q twice in partition[%d]", name, g)
					} else {
						add(sub, "must not be in two groups, got %q in partition[%d] and partition[%d]", name, h, g)
					}
					continue
				}
				group[name] = g
			}
		}
		if !nonEmpty {
			add(".partition", "must have at least one non-empty group of node names, got none")
		}
	}
	return ps
}

// actions lists the actions f sets, in the format's order.
func (f *Fault) actions() []string {
	var actions []string
	if f.Crash != "" {
		actions = append(actions, "crash")
	}
	if f.Restart != "" {
		actions = append(actions, "restart")
	}
	if f.Partition != nil {
		actions = append(actions, "partition")
	}
	if f.Heal {
		actions = append(actions, "heal")
	}
	if f.Cut != nil {
		actions = append(actions, "cut")
	}
	if f.Hold != nil {
		actions = append(actions, "hold")
	}
	return actions
}

// andList renders names as "none", "crash", "crash and heal" or
// "crash, restart and heal".
func andList(names []string) string {
	switch len(names) {
	case 0:
		return "none"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// formatFloat writes f in the shortest form that reads back exactly.
func formatFloat(f float64) string {
	return strconv.FormatFloat(f, 'g', -1, 64)
}
