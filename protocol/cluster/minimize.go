package cluster

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/multipaxos-kv/multipaxos-kv/protocol/check"
	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// MinimizeOptions bound a minimisation: by tries (replays), the one bound
// that keeps the result the same on every machine, and by wall time, which
// only cuts it short.
type MinimizeOptions struct {
	Tries   int           // replays at most (0: DefaultMinimizeTries)
	Timeout time.Duration // wall time at most (0: none)
	// Progress, when set, is told of each smaller schedule found: by which
	// pass, after how many tries, and how many events it has.
	Progress func(pass string, tries, events int)
}

// DefaultMinimizeTries bounds a minimisation's replays.
const DefaultMinimizeTries = 20000

// Size measures a failing run, before and after minimisation.
type Size struct {
	Events   int `json:"events"`   // events run
	Messages int `json:"messages"` // messages sent
	Faults   int `json:"faults"`   // the scenario's faults
	Clients  int `json:"clients"`  // the scenario's clients
	Requests int `json:"requests"` // requests the clients invoked
	// RequestsPerClient, Keys and Values are the scenario's workload.
	RequestsPerClient int `json:"requests_per_client"`
	Keys              int `json:"keys"`
	Values            int `json:"values"`
	Batch             int `json:"batch"` // the scenario's batch: requests per slot at most
}

// Minimized is the outcome of a minimisation.
type Minimized struct {
	// Signature is the failure, before and after: the check and the slot,
	// key or request it names.
	Signature     Signature
	Before, After Size
	Tries         int          // replays made
	Cut           string       // why it stopped early, or ""
	Records       []sim.Record // the minimal schedule, strict (replay reproduces it)
	// Scenario is the minimal schedule's scenario: the input's with fewer
	// faults, clients, requests, keys or values where the failure stays.
	Scenario scenarios.Scenario
	Elapsed  time.Duration // wall time taken
}

// step is one event of a schedule with the decisions its handler took.
type step []sim.Record

// Minimize shrinks a failing schedule to a smaller one that fails the same
// check with the same signature (SignatureOf: the slot, key or request the
// failure names). It runs passes, in turn, until none makes progress:
//
//   - cut: everything after the failure goes (the shortest failing prefix,
//     by bisection);
//   - events: the schedule's events, each with the decisions its handler
//     took, removed by delta debugging and then one by one (nodes' starts
//     are kept);
//   - faults: the scenario's faults, removed in halves, quarters, ... and
//     then one by one (delta debugging);
//   - clients: fewer clients (nodes.clients 1, 2, 4, ...; the last ones
//     go, with the faults that name them);
//   - batch: a smaller batch (1, 2, 4, ... requests per slot);
//   - requests: fewer requests per client (1, 2, 4, ...);
//   - keys and values: the first 1, 2, 4, ... keys, and 1, 2, 4, ... values;
//   - decisions: every latency at latency_min, every timer jitter 0, no
//     loss and no duplicate drawn, by delta debugging over the decisions
//     that are not yet the least.
//
// Each candidate is replayed leniently (events that are no longer pending
// are skipped, decisions the schedule lacks are taken at their least) and
// kept when it fails the same way; the run it made, recorded, becomes the
// schedule the next candidate starts from. A candidate's run numbers its
// messages otherwise where it lacks an earlier send, so its records find
// their messages by contents (sends, resolver); rounds that take the
// numbers as they are alternate with those, until a round of each makes
// no progress. The result is a strict schedule that replay reproduces
// byte for byte, checked by a strict replay before it is returned. The
// same input gives the same output (wall time cuts a minimisation short
// only past Timeout).
func Minimize(s scenarios.Scenario, recs []sim.Record, opt MinimizeOptions) (Minimized, error) {
	if opt.Tries <= 0 {
		opt.Tries = DefaultMinimizeTries
	}
	m := &minimizer{opt: opt, start: time.Now(), s: s}
	c := m.replay(s, flatten(groups(recs)), true)
	o := c.Check()
	sig, ok := failureOf(o)
	if !ok {
		return Minimized{Scenario: s}, fmt.Errorf("the schedule fails no safety check when replayed (liveness is not minimised: a shorter run always stalls)")
	}
	m.target, m.skipLin = sig, sig.Check != check.NameLinearizability
	m.steps = groups(slices.Clone(c.Schedule))
	out := Minimized{Signature: sig, Before: sizeOf(c, o)}

	// Rounds of every pass, until a round in each way of naming messages
	// (by contents, then by number) makes no progress.
	for still := 0; still < 2 && !m.over(); {
		if m.round() {
			still = 0
		} else {
			still++
			m.byNumber = !m.byNumber
		}
	}
	m.byNumber = false

	// Record the minimal run again, and check that a strict replay of it
	// fails the same way.
	c = m.replay(m.s, flatten(m.steps), true)
	final := append(slices.Clone(c.Schedule), sim.Record{Kind: sim.RecStop, Text: string(sig.Check) + " fails here (minimised)"})
	strict := New(m.s, Options{Replay: final})
	o = strict.Run()
	if o.Result.Diverge != nil || !failsAs(o, sig) {
		return Minimized{Scenario: s}, fmt.Errorf("minimize: the minimal schedule does not replay strictly to the same failure (%v): a bug in minimize", o.Result.Describe(strict.Engine.Config()))
	}
	out.After = sizeOf(strict, o)
	out.Tries, out.Cut, out.Records, out.Scenario = m.tries, m.cut, final, m.s
	out.Elapsed = time.Since(m.start)
	return out, nil
}

// round runs every pass once and reports whether one made progress.
func (m *minimizer) round() bool {
	progress := false
	for _, p := range []struct {
		name string
		run  func() bool
	}{
		{"cut", m.cutAfter},
		{"events", m.events},
		{"faults", m.faults},
		{"clients", m.clients},
		{"batch", m.batch},
		{"requests", m.requests},
		{"keys", m.keys},
		{"values", m.values},
		{"decisions", m.decisions},
		{"order", m.canonical},
	} {
		if m.over() {
			break
		}
		m.pass = p.name
		if p.run() {
			progress = true
		}
	}
	return progress
}

// sizeOf measures the run of c, ended with outcome o.
func sizeOf(c *Cluster, o Outcome) Size {
	w := c.Scenario.Workload
	return Size{
		Events: o.Result.Events, Messages: o.Result.Sent,
		Faults: len(c.Scenario.Faults), Clients: len(c.Topology.Clients), Requests: c.invoked,
		RequestsPerClient: w.RequestsPerClient, Keys: len(w.Keys), Values: w.Values,
		Batch: max(c.Scenario.Batch, 1),
	}
}

// minimizer is the state of one minimisation: the smallest failing
// schedule so far (its scenario and steps) and the tries spent.
type minimizer struct {
	opt     MinimizeOptions
	start   time.Time
	target  Signature
	skipLin bool // the target is not linearizability: skip that check
	s       scenarios.Scenario
	steps   []step
	tries   int
	cut     string
	pass    string
	// sends are the messages of the current schedule's run, by contents;
	// a candidate's records name them by contents, unless byNumber.
	sends    *sends
	byNumber bool
}

// try replays scenario s with recs leniently; when the run fails like the
// target, it becomes the current schedule, as the run recorded it (skipped
// events gone, missing decisions filled in).
func (m *minimizer) try(s scenarios.Scenario, recs []sim.Record) bool {
	if m.over() {
		return false
	}
	m.tries++
	if !failsAs(m.replay(s, recs, false).Check(), m.target) {
		return false
	}
	// The same run again, recorded: most tries fail, and go faster
	// without a record.
	c := m.replay(s, recs, true)
	m.s, m.steps = s, groups(slices.Clone(c.Schedule))
	if m.opt.Progress != nil {
		m.opt.Progress(m.pass, m.tries, len(m.steps))
	}
	return true
}

// replay runs scenario s with recs leniently, each message the records
// name found by its contents in the current schedule's run (sends); when
// record is set, the run is recorded and its sends become the current
// ones.
func (m *minimizer) replay(s scenarios.Scenario, recs []sim.Record, record bool) *Cluster {
	c := New(s, Options{Replay: recs, Lenient: true, Record: record, SkipLin: m.skipLin})
	now := newSends(c.Topology.Names)
	now.follow(c)
	if m.sends != nil && !m.byNumber {
		c.Engine.ReplayResolve(resolver(m.sends, now))
	}
	c.Engine.Run()
	if record {
		m.sends = now
	}
	return c
}

// over reports whether a bound is reached, and says which in m.cut.
func (m *minimizer) over() bool {
	switch {
	case m.cut != "":
	case m.tries >= m.opt.Tries:
		m.cut = fmt.Sprintf("try limit %d reached", m.opt.Tries)
	case m.opt.Timeout > 0 && time.Since(m.start) > m.opt.Timeout:
		m.cut = fmt.Sprintf("time limit %v reached", m.opt.Timeout)
	default:
		return false
	}
	return true
}

// reduce is delta debugging (Zeller's ddmin, complements only) over a list
// of count() items: it tries to take away chunks of them, halving the
// chunk size when no chunk can go, from the end of the list to its start;
// then single items, from the last to the first, in rounds until a round
// takes none. try(lo, hi) tries the current list without items lo..hi-1
// and reports whether that was kept; the list may change by more than
// those items when it is (a re-recorded run), so count is asked again.
func (m *minimizer) reduce(count func() int, try func(lo, hi int) bool) bool {
	changed := false
	for n := 2; !m.over(); {
		k := count()
		size := k / n
		if size < 2 {
			break
		}
		taken := false
		for hi := k; hi-size >= 0 && !m.over(); hi -= size {
			if try(hi-size, hi) {
				taken = true
				break
			}
		}
		if taken {
			changed, n = true, max(n-1, 2)
		} else {
			n *= 2
		}
	}
	for again := true; again && !m.over(); {
		again = false
		for i := count() - 1; i >= 0 && !m.over(); i-- {
			if i < count() && try(i, i+1) {
				again, changed = true, true
			}
		}
	}
	return changed
}

// cutAfter cuts everything after the failure: it bisects for the shortest
// prefix of the schedule that fails the same way. A safety failure stays
// once it happened (the checks keep their first failure, and a history
// that is not linearizable stays so however it goes on), so the prefixes
// that fail are the longer ones.
func (m *minimizer) cutAfter() bool {
	all := m.steps
	lo, hi := 0, len(all) // steps[:hi] fails; steps[:lo] is not known to
	for lo+1 < hi && !m.over() {
		mid := lo + (hi-lo)/2
		if m.try(m.s, flatten(all[:mid])) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi < len(all)
}

// faults removes the scenario's faults.
func (m *minimizer) faults() bool {
	return m.reduce(func() int { return len(m.s.Faults) }, func(lo, hi int) bool {
		s := m.s
		s.Faults = slices.Concat(m.s.Faults[:lo], m.s.Faults[hi:])
		if len(s.Faults) == 0 {
			s.Faults = nil
		}
		return m.try(s, flatten(m.steps))
	})
}

// smaller tries n = 1, 2, 4, ... below now, in that order, and keeps the
// first that fails the same way: the smallest it finds.
func (m *minimizer) smaller(now int, with func(n int) (scenarios.Scenario, bool)) bool {
	for n := 1; n < now && !m.over(); n *= 2 {
		if s, ok := with(n); ok && m.try(s, flatten(m.steps)) {
			return true
		}
	}
	return false
}

// clients keeps only the first n clients (and the faults that name no
// other).
func (m *minimizer) clients() bool {
	if m.s.Nodes.Clients <= 1 {
		return false
	}
	return m.smaller(m.s.Nodes.Clients, func(n int) (scenarios.Scenario, bool) {
		s := m.s
		s.Nodes.Clients = n
		kept := NewTopology(s)
		s.Faults = nil
		for _, f := range m.s.Faults {
			if namesOnly(f, kept) {
				s.Faults = append(s.Faults, f)
			}
		}
		return s, s.Validate() == nil
	})
}

// namesOnly reports whether every node fault f names is in t.
func namesOnly(f scenarios.Fault, t Topology) bool {
	names := []string{f.Crash, f.Restart}
	names = append(append(names, f.Cut...), f.Hold...)
	for _, g := range f.Partition {
		names = append(names, g...)
	}
	for _, n := range names {
		if _, ok := t.Lookup(n); n != "" && !ok {
			return false
		}
	}
	return true
}

// batch lowers batch, the requests a slot may hold: a failure that does
// not need batches is shown without them.
func (m *minimizer) batch() bool {
	return m.smaller(m.s.Batch, func(n int) (scenarios.Scenario, bool) {
		s := m.s
		s.Batch = n
		return s, true
	})
}

// requests lowers requests_per_client.
func (m *minimizer) requests() bool {
	return m.smaller(m.s.Workload.RequestsPerClient, func(n int) (scenarios.Scenario, bool) {
		s := m.s
		s.Workload.RequestsPerClient = n
		return s, true
	})
}

// keys keeps only the first n keys.
func (m *minimizer) keys() bool {
	return m.smaller(len(m.s.Workload.Keys), func(n int) (scenarios.Scenario, bool) {
		s := m.s
		s.Workload.Keys = slices.Clone(m.s.Workload.Keys[:n])
		return s, true
	})
}

// values shrinks the pool of values to val_0 .. val_{n-1}.
func (m *minimizer) values() bool {
	return m.smaller(m.s.Workload.Values, func(n int) (scenarios.Scenario, bool) {
		s := m.s
		s.Workload.Values = n
		return s, true
	})
}

// events removes events, each with the decisions its handler took.
func (m *minimizer) events() bool {
	removable := func() []int { return indexes(m.steps) }
	return m.reduce(func() int { return len(removable()) }, func(lo, hi int) bool {
		return m.try(m.s, flatten(without(m.steps, removable()[lo:hi])))
	})
}

// decisions makes decisions the least they can be: a latency latency_min,
// a jitter 0, a loss or a duplicate not drawn.
func (m *minimizer) decisions() bool {
	least := sim.Duration(m.s.Network.LatencyMin.D())
	isLeast := func(r sim.Record) bool {
		switch r.Kind {
		case sim.RecLatency:
			return r.Value <= int64(least)
		case sim.RecJitter, sim.RecDrop, sim.RecDuplicate:
			return r.Value == 0
		}
		return true
	}
	open := func() []int {
		var at []int
		for i, r := range flatten(m.steps) {
			if !isLeast(r) {
				at = append(at, i)
			}
		}
		return at
	}
	return m.reduce(func() int { return len(open()) }, func(lo, hi int) bool {
		recs := flatten(m.steps)
		for _, i := range open()[lo:hi] {
			if recs[i].Kind == sim.RecLatency {
				recs[i].Value = int64(least)
			} else {
				recs[i].Value = 0
			}
		}
		return m.try(m.s, recs)
	})
}

// canonical orders independent events: a delivery or a timer at a node
// that comes just after one at a higher node (in the topology's order:
// leaders, acceptors, replicas, clients) moves before it, unless it may
// deliver something that node sent, as long as the run still fails the
// same way; so that among the orders that fail, the schedule reads in one
// (causal order first, then the lowest node), and two minimal schedules of
// one failure tend to read alike.
func (m *minimizer) canonical() bool {
	at := map[string]int{}
	for i, n := range NewTopology(m.s).Names {
		at[n] = i
	}
	changed := false
	for i := 0; i+1 < len(m.steps) && !m.over(); i++ {
		a, _ := eventNode(m.steps[i], at)
		b, from := eventNode(m.steps[i+1], at)
		if a < 0 || b < 0 || b >= a || from == a {
			continue
		}
		cand := slices.Clone(m.steps)
		cand[i], cand[i+1] = cand[i+1], cand[i]
		if m.try(m.s, flatten(cand)) {
			changed = true
			i = max(i-2, -1) // and see whether it moves further up
		}
	}
	return changed
}

// eventNode is the node, by index in at, that handles the step's event (a
// delivery's receiver, a timer's node), and a delivery's sender; -1 for
// other events (starts, faults, the explorer's injections).
func eventNode(st step, at map[string]int) (node, from int) {
	if len(st) == 0 || st[0].Kind != sim.RecEvent {
		return -1, -1
	}
	f := strings.Fields(st[0].Text)
	node, from = -1, -1
	switch {
	case len(f) >= 4 && f[1] == "deliver":
		if n, ok := at[f[3]]; ok {
			node = n
		}
		if sender, _, ok := strings.Cut(f[2], "#"); ok {
			if n, ok := at[sender]; ok {
				from = n
			}
		}
	case len(f) >= 3 && f[1] == "timer":
		if n, ok := at[f[2]]; ok {
			node = n
		}
	}
	return node, from
}

// groups splits records into steps: an event and the decisions after it.
// A stop record ends the schedule.
func groups(recs []sim.Record) []step {
	var out []step
	for _, r := range recs {
		switch {
		case r.Kind == sim.RecStop:
			return out
		case r.Kind == sim.RecEvent || len(out) == 0:
			out = append(out, step{r})
		default:
			out[len(out)-1] = append(out[len(out)-1], r)
		}
	}
	return out
}

func flatten(steps []step) []sim.Record {
	var out []sim.Record
	for _, st := range steps {
		out = append(out, st...)
	}
	return out
}

// indexes lists the steps that may be removed: every one but the starts.
func indexes(steps []step) []int {
	var out []int
	for i, st := range steps {
		if st[0].Kind == sim.RecEvent && !isStart(st[0].Text) {
			out = append(out, i)
		}
	}
	return out
}

func isStart(text string) bool {
	for i := 0; i < len(text); i++ {
		if text[i] == ' ' {
			rest := text[i+1:]
			return len(rest) >= 6 && rest[:6] == "start "
		}
	}
	return false
}

// without is steps less the ones at the given indexes (sorted).
func without(steps []step, drop []int) []step {
	out := make([]step, 0, len(steps)-len(drop))
	j := 0
	for i, st := range steps {
		if j < len(drop) && drop[j] == i {
			j++
			continue
		}
		out = append(out, st)
	}
	return out
}
