package cluster

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"unsafe"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/check"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/multipaxos"
	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// Options says what to produce besides the outcome.
type Options struct {
	Text io.Writer // the human trace, or nil
	JSON io.Writer // the JSON-lines trace, or nil
	// Explain adds, at the first occurrence of each of the protocol's rules
	// in the run, a "why" step that explains it (protocol.Why). It changes
	// trace text only: the run is the same with or without it.
	Explain bool
	// Heartbeats traces the heartbeats too: the leader's sends and the
	// answers, which would otherwise fill the trace. Trace text only.
	Heartbeats bool
	// Record keeps the execution schedule (Cluster.Schedule).
	Record bool
	// Replay runs the events a recorded schedule names, with its decisions,
	// instead of the seed's, and checks every event against it.
	Replay []sim.Record
	// Lenient replays Replay leniently (sim.Engine.ReplayLenient): events
	// no longer pending are skipped.
	Lenient bool
	// Decider, when set, makes every decision (fuzzing). Ignored on replay.
	Decider sim.Decider
	// SkipLin skips the linearizability check (it is the costliest).
	SkipLin bool
	// States adds to the JSON trace, after every event, a state record of
	// the nodes the event changed (sim.Engine.TraceStates), for the
	// step-through viewer of the HTML page.
	States bool
	// LinBudget bounds the linearizability search, in steps; 0 means
	// check.DefaultLinBudget. Past it the check is reported as
	// inconclusive, never as ok; the verdict never depends on the clock.
	LinBudget int
}

// resetter is a node that can be returned to its initial state.
type resetter interface{ Reset() }

// learner is a node that applies the log.
type learner interface {
	Machine() *kv.Machine
}

// Cluster is one scenario ready to run.
type Cluster struct {
	Scenario scenarios.Scenario
	Engine   *sim.Engine[protocol.Msg]
	Schedule []sim.Record // the recorded schedule, when Options.Record
	Topology Topology

	opt      Options
	tracer   *sim.Tracer
	workload *kv.Workload
	chosen   *check.Chosen
	// chosenShared marks a chosen-value watch that CloneInto shares with
	// another cluster: it is copied before its first change.
	chosenShared bool
	paths        Paths
	// fromSnapshot counts the times a leader's machine started from a
	// snapshot: a Phase 1 win whose promises reported one, or a leader
	// behind an acceptor's snapshot installing it (log compaction's
	// recovery paths, which the explorer reports).
	fromSnapshot int
	// watch follows the learners' logs as they apply them (agreement,
	// applied-as-chosen, exactly-once), fed by the nodes' records.
	watch *check.LogWatch
	// learnerIdx is, by node id, the node's index among the learners (-1:
	// not one).
	learnerIdx []int
	// lin checks linearizability as the run goes (nil with SkipLin, and in
	// the explorer's copies, which check their retained history instead).
	lin *check.LinStream
	// keep says whether the history and the log order are kept (History):
	// for runs of at most KeepRequests requests.
	keep bool
	// last is, by client node id, the client's last invocation and whether
	// it is still unanswered, and order the clients in the order of their
	// first invocation: what the liveness check needs, without the history.
	last    []openOp
	order   []sim.NodeID
	invoked int
	// doneUpTo counts the clients, in order, known to be done (settled).
	doneUpTo int
	// answered counts the answers the clients took, for progress reports.
	answered int
	// linLog is the log order, each slot's first command, for the
	// linearizability check.
	linLog  []protocol.Command
	history []kv.HistoryEvent // the clients' invocations and answers, in order
}

// New builds the nodes of s and schedules its faults. s must be valid.
func New(s scenarios.Scenario, opt Options) *Cluster {
	cfg := sim.Config{
		Seed:       s.Seed,
		LatencyMin: sim.Duration(s.Network.LatencyMin.D()),
		LatencyMax: sim.Duration(s.Network.LatencyMax.D()),
		Drop:       s.Network.Drop,
		Duplicate:  s.Network.Duplicate,
		TimeLimit:  sim.Duration(s.TimeLimit.D()),
		MaxEvents:  s.MaxEvents,
		TimerNames: protocol.TimerNames,
	}
	t := NewTopology(s)
	c := &Cluster{Scenario: s, Engine: sim.New[protocol.Msg](cfg), opt: opt, Topology: t}
	e := c.Engine
	if opt.Text != nil || opt.JSON != nil {
		c.tracer = &sim.Tracer{Text: opt.Text, JSON: opt.JSON, Explain: opt.Explain, Routine: opt.Heartbeats}
		e.SetTracer(c.tracer)
		e.TraceStates(opt.States)
	}
	switch {
	case opt.Replay != nil && opt.Lenient:
		e.ReplayLenient(opt.Replay)
	case opt.Replay != nil:
		e.ReplayFrom(opt.Replay)
	case opt.Decider != nil:
		e.SetDecider(opt.Decider)
	}
	if opt.Record {
		e.RecordTo(&c.Schedule)
	}
	w := s.Workload
	c.workload = kv.NewWorkload(e.Symbols(), w.RequestsPerClient, w.Keys, w.Values, w.Mix.Get, w.Mix.Put, w.Mix.Delete)
	bugs := s.BugSet()
	machine := kv.Machine{NoSessions: bugs.Has(protocol.BugNoSessions)}
	targets := t.Leaders // leader1 first: with one leader, the original's direct handle
	if t.Server != sim.NoNode {
		e.AddNode(t.Names[t.Server], &kv.Server{SnapshotEvery: int64(s.SnapshotEvery)})
		targets = []sim.NodeID{t.Server}
	} else {
		timeouts := multipaxos.Timeouts{
			Heartbeat: sim.Duration(s.Timeouts.Heartbeat.D()),
			Election:  sim.Duration(s.Timeouts.Election.D()),
			Retry:     sim.Duration(s.Timeouts.Retry.D()),
		}
		for i, id := range t.Leaders {
			peers := append(append([]sim.NodeID(nil), t.Leaders[:i]...), t.Leaders[i+1:]...)
			l := &multipaxos.Leader{ID: int32(i + 1), Acceptors: t.Acceptors, Replicas: t.Replicas, Peers: peers, Timeouts: timeouts, Pipeline: s.Pipeline, Batch: s.Batch, Bugs: bugs, SnapshotEvery: int64(s.SnapshotEvery)}
			*l.Machine() = machine
			e.AddNode(t.Names[id], l)
		}
		for _, id := range t.Acceptors {
			e.AddNode(t.Names[id], &multipaxos.Acceptor{Bugs: bugs})
		}
		for _, id := range t.Replicas {
			r := &multipaxos.Replica{Bugs: bugs, SnapshotEvery: int64(s.SnapshotEvery)}
			*r.Machine() = machine
			e.AddNode(t.Names[id], r)
		}
		c.chosen = check.NewChosen(t.Quorum(), e)
	}
	c.learnerIdx = make([]int, len(t.Names))
	for i := range c.learnerIdx {
		c.learnerIdx[i] = -1
	}
	var lnames []string
	for i, id := range t.Learners() {
		c.learnerIdx[id] = i
		lnames = append(lnames, t.Names[id])
	}
	c.watch = check.NewLogWatch(e, lnames, t.Server != sim.NoNode, c.first)
	c.keep = len(t.Clients)*s.Workload.RequestsPerClient <= KeepRequests
	c.last = make([]openOp, len(t.Names))
	if !opt.SkipLin {
		// A long run keeps the last 2^16 operations for a search where the
		// log order fails, not a million: its memory stays flat.
		retain := check.DefaultLinRetain
		if !c.keep {
			retain = longRunLinRetain
		}
		c.lin = check.NewLinStream(e, opt.LinBudget, retain)
	}
	for _, id := range t.Clients {
		e.AddNode(t.Names[id], &kv.Client{Targets: targets, Timeout: sim.Duration(s.Timeouts.Client.D()), Retries: s.Timeouts.ClientRetries})
	}
	c.scripts()
	for _, f := range s.Faults {
		at := sim.Duration(f.At.D())
		switch {
		case f.Crash != "":
			e.Crash(at, c.lookup(f.Crash))
		case f.Restart != "":
			e.Restart(at, c.lookup(f.Restart))
		case f.Heal:
			e.Heal(at)
		case f.Cut != nil:
			e.Cut(at, c.lookup(f.Cut[0]), c.lookup(f.Cut[1]))
		case f.Hold != nil:
			e.Hold(at, c.lookup(f.Hold[0]), c.lookup(f.Hold[1]), sim.Duration(f.For.D()))
		default:
			groups := make([][]sim.NodeID, len(f.Partition))
			for i, g := range f.Partition {
				for _, name := range g {
					groups[i] = append(groups[i], c.lookup(name))
				}
			}
			e.Partition(at, groups)
		}
	}
	c.observe()
	return c
}

// scripts gives every client its workload and its own stream of the seed
// ("node/NAME"), from which it draws its requests as it sends them.
func (c *Cluster) scripts() {
	for _, id := range c.Topology.Clients {
		cl := c.client(id)
		cl.Work = c.workload
		cl.SetStream(sim.PCG(c.Scenario.Seed, "node/"+c.Topology.Names[id]))
	}
}

// observe registers the cluster's observers on its engine: the settled
// condition, the chosen-value watch and the protocol path counts.
func (c *Cluster) observe() {
	e := c.Engine
	e.StopWhen("settled: every client finished or gave up, and every running replica caught up", c.settled)
	e.OnNote(c.note)
	e.OnRecord(c.record)
}

// record keeps a client's invocation or answer (kv.Client records them with
// Env.Record) in the history, and traces it as an invoke or return record.
func (c *Cluster) record(client sim.NodeID, m protocol.Msg) {
	switch m.Kind {
	case protocol.Accepted:
		c.accepted(client, m)
		return
	case protocol.Commit:
		if l := c.learnerIdx[client]; l >= 0 {
			c.watch.Applied(l, m.Value(), int(m.Part), m.Result.OK, c.chosen)
			if c.watch.Kept() > 2*c.window() {
				c.forget()
			}
		}
		return
	case protocol.Snapshot:
		if l := c.learnerIdx[client]; l >= 0 {
			var digest uint64
			if s := m.Snap(); s != nil {
				digest = s.Digest
			}
			c.watch.Restart(l, m.Slot, digest)
			if m.Slot > 0 && l < len(c.Topology.Leaders) {
				c.fromSnapshot++
			}
		}
		return
	}
	h, ok := kv.History(c.Engine.Now(), client, m)
	if !ok {
		return
	}
	if h.Invoke {
		if c.last[client].op.ID == 0 {
			c.order = append(c.order, client)
		}
		c.last[client] = openOp{op: h.Op, at: h.T, open: true}
		c.invoked++
		if c.lin != nil {
			c.lin.Invoke(h.T, client, h.Op)
		}
	} else {
		c.answered++
		if l := &c.last[client]; l.op.ID == h.Ret.ID {
			l.open = false
		}
		if c.lin != nil {
			c.lin.Return(h.T, client, h.Ret)
		}
	}
	if c.keep {
		c.history = append(c.history, h)
	}
	if c.tracer == nil {
		return
	}
	name := c.Topology.Names[client]
	if h.Invoke {
		op := h.Op
		c.tracer.JSONRecord(h.T, sim.EvInvoke, func(b []byte) []byte {
			b = sim.AppendJSONField(b, sim.FieldClient, name)
			b = sim.AppendJSONInt(b, sim.FieldID, int64(op.ID))
			b = sim.AppendJSONField(b, sim.FieldOp, op.Op.String())
			b = sim.AppendJSONField(b, sim.FieldKey, c.Engine.Symbol(op.Key))
			if op.Op == protocol.Put {
				b = sim.AppendJSONField(b, sim.FieldValue, c.Engine.Symbol(op.Value))
			}
			return b
		})
		return
	}
	r := h.Ret
	c.tracer.JSONRecord(h.T, sim.EvReturn, func(b []byte) []byte {
		b = sim.AppendJSONField(b, sim.FieldClient, name)
		b = sim.AppendJSONInt(b, sim.FieldID, int64(r.ID))
		b = sim.AppendJSONBool(b, sim.FieldOK, r.OK)
		if r.OK && r.HasValue {
			b = sim.AppendJSONField(b, sim.FieldValue, c.Engine.Symbol(r.Value))
		}
		if !r.OK {
			b = sim.AppendJSONField(b, sim.FieldError, r.ErrText(c.Engine))
		}
		return b
	})
}

// first receives each slot's first command, in slot order: the log order,
// the linearizability check's witness.
func (c *Cluster) first(cmd protocol.Command) {
	if c.lin != nil {
		c.lin.Apply(cmd)
	}
	if c.keep {
		c.linLog = append(c.linLog, cmd)
	}
}

// KeepRequests is the most requests a run may have for its cluster to keep
// the client history and the log order (History, for diff, the
// linearizability picture, the explorer, sweep latencies): 2^14, 2 MB at
// most. A longer run keeps neither; its checks never needed them.
const KeepRequests = 1 << 14

// longRunLinRetain is the operations the linearizability check of a run
// longer than KeepRequests keeps for its search.
const longRunLinRetain = 1 << 16

// openOp is a client's last invocation, at time at, and whether it is
// still unanswered.
type openOp struct {
	op   kv.Op
	at   sim.Time
	open bool
}

// window is how many slots the log watch keeps before it tries to forget:
// the compaction interval, or 1024 without compaction.
func (c *Cluster) window() int { return max(int(c.Scenario.SnapshotEvery), 1024) }

// forget lets the log watch and the chosen-value watch drop the slots that
// every acceptor has compacted: no node applies or votes there again.
func (c *Cluster) forget() {
	if c.Topology.Server != sim.NoNode {
		return
	}
	floor := int64(math.MaxInt64)
	for _, id := range c.Topology.Acceptors {
		floor = min(floor, c.acceptor(id).Base())
	}
	if floor == 0 {
		return
	}
	c.watch.Forget(floor)
	if c.chosenShared {
		c.chosen, c.chosenShared = c.chosen.CloneInto(nil), false
	}
	c.chosen.Forget(floor)
}

// Answered is how many answers the clients have taken so far, and how many
// requests they are to make in all: a long run's progress.
func (c *Cluster) Answered() (answered, total int) {
	return c.answered, len(c.Topology.Clients) * c.Scenario.Workload.RequestsPerClient
}

// History is the client history recorded so far, in order.
func (c *Cluster) History() []kv.HistoryEvent { return c.history }

func (c *Cluster) leader(id sim.NodeID) *multipaxos.Leader {
	return c.Engine.Node(id).(*multipaxos.Leader)
}

func (c *Cluster) acceptor(id sim.NodeID) *multipaxos.Acceptor {
	return c.Engine.Node(id).(*multipaxos.Acceptor)
}

func (c *Cluster) client(id sim.NodeID) *kv.Client { return c.Engine.Node(id).(*kv.Client) }

func (c *Cluster) machine(id sim.NodeID) *kv.Machine { return c.Engine.Node(id).(learner).Machine() }

// settled reports whether the run's work is done: every client finished,
// the leading node has nothing left in Phase 2, and every running replica
// has applied as much as any node. Heartbeats would tick until the time
// limit otherwise.
func (c *Cluster) settled() bool {
	// A client that is done stays done (a restart of a finished client
	// sends nothing), so the clients before doneUpTo need no second look:
	// the engine asks after every event, and this keeps it O(1) amortised
	// however many clients there are.
	for c.doneUpTo < len(c.Topology.Clients) && c.client(c.Topology.Clients[c.doneUpTo]).Done() {
		c.doneUpTo++
	}
	if c.doneUpTo < len(c.Topology.Clients) {
		return false
	}
	var most int64
	for _, id := range c.Topology.Leaders {
		l := c.leader(id)
		if leading, unchosen := l.Leading(); leading && unchosen > 0 {
			return false
		}
		if c.Engine.Up(id) {
			most = max(most, l.Machine().Len())
		}
	}
	for _, id := range c.Topology.Replicas {
		if c.Engine.Up(id) && c.machine(id).Len() < most {
			return false
		}
	}
	return true
}

// accepted feeds the chosen-value watch an acceptor's vote (its Accepted
// record, kv.RecordAccepted): the acceptor now holds value m.Value() for
// m.Slot at m.Ballot.
func (c *Cluster) accepted(acceptor sim.NodeID, m protocol.Msg) {
	i := c.Topology.AcceptorIndex(acceptor)
	if c.chosen == nil || i < 0 {
		return
	}
	if c.chosenShared {
		c.chosen, c.chosenShared = c.chosen.CloneInto(nil), false
	}
	c.chosen.Accepted(i, m.Slot, m.Ballot, m.Value())
}

// note counts a protocol path a node took.
func (c *Cluster) note(_ sim.NodeID, n uint8) { c.paths.count(n) }

// Reset makes the cluster ready to run again with another seed, reusing
// every node and all the engine's memory: the way a sweep runs many seeds
// with few allocations. Tracing, recording and replay are off after it.
func (c *Cluster) Reset(seed uint64) {
	c.Scenario.Seed = seed
	c.Engine.Reset(seed)
	for i := range c.Topology.Names {
		c.Engine.Node(sim.NodeID(i)).(resetter).Reset()
	}
	c.workload.Redraw()
	c.scripts()
	if c.chosen != nil {
		c.chosen.Reset()
	}
	c.watch.Reset()
	c.linLog = c.linLog[:0]
	c.doneUpTo, c.answered, c.invoked, c.order = 0, 0, 0, c.order[:0]
	clear(c.last)
	if c.lin != nil {
		c.lin.Reset()
	}
	c.paths, c.fromSnapshot = Paths{}, 0
	c.history = c.history[:0]
	c.tracer = nil
	c.Schedule = c.Schedule[:0]
	c.opt.Text, c.opt.JSON, c.opt.Record, c.opt.Replay, c.opt.Decider = nil, nil, false, nil, nil
}

// CloneInto makes d an independent copy of the cluster's run state (nodes,
// network, checkers), reusing d's memory (d may be nil), for the explorer.
// The copy traces and records nothing.
func (c *Cluster) CloneInto(d *Cluster) *Cluster {
	if d == nil {
		d = &Cluster{}
	}
	eng := d.Engine
	history, watch, linLog, last, order := d.history, d.watch, d.linLog, d.last, d.order
	*d = Cluster{Scenario: c.Scenario, Topology: c.Topology, opt: c.opt, workload: c.workload, paths: c.paths, fromSnapshot: c.fromSnapshot, learnerIdx: c.learnerIdx, doneUpTo: c.doneUpTo, answered: c.answered, invoked: c.invoked, keep: c.keep}
	d.history = append(history[:0], c.history...)
	d.linLog = append(linLog[:0], c.linLog...)
	d.last = append(last[:0], c.last...)
	d.order = append(order[:0], c.order...)
	// The copy checks linearizability from its history (Linearizability),
	// which the explorer keeps small, rather than copy the stream.
	d.opt.Text, d.opt.JSON, d.opt.Record, d.opt.Replay = nil, nil, false, nil
	d.Engine = c.Engine.CloneInto(eng)
	if c.chosen != nil {
		// Copy on write: most steps send no vote.
		d.chosen, d.chosenShared, c.chosenShared = c.chosen, true, true
	}
	d.watch = c.watch.CloneInto(watch)
	d.watch.OnFirst(d.first)
	if eng == nil {
		d.observe() // a reused engine keeps the observers bound to d
	}
	return d
}

// Footprint estimates the bytes a copy of the cluster holds (see
// sim.Engine.Footprint), for the explorer's memory bound.
func (c *Cluster) Footprint() int {
	return c.Engine.Footprint() + 1024 + cap(c.history)*int(unsafe.Sizeof(kv.HistoryEvent{})) + cap(c.linLog)*int(unsafe.Sizeof(protocol.Command{}))
}

// appendHistory encodes the client history in order, without times: whether
// operations overlap is in the order of the events, not in their times.
func appendHistory(b []byte, h []kv.HistoryEvent) []byte {
	b = binary.AppendUvarint(b, uint64(len(h)))
	for _, e := range h {
		b = binary.AppendUvarint(b, uint64(e.Client))
		if e.Invoke {
			b = append(b, 1)
			b = binary.AppendUvarint(b, e.Op.ID)
			b = append(b, byte(e.Op.Op))
			b = binary.AppendUvarint(b, uint64(e.Op.Key))
			b = binary.AppendUvarint(b, uint64(e.Op.Value))
			continue
		}
		b = append(b, 0)
		b = binary.AppendUvarint(b, e.Ret.ID)
		b = append(b, boolByte(e.Ret.OK), boolByte(e.Ret.HasValue))
		b = binary.AppendUvarint(b, uint64(e.Ret.Value))
		b = append(b, byte(e.Ret.Err))
	}
	return b
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// AppendState appends the canonical encoding of the run's state: the
// engine's (nodes, messages in flight, timers, budget, client history) and
// the chosen-value watch's votes.
func (c *Cluster) AppendState(b []byte, scratch *sim.StateScratch) []byte {
	b = c.Engine.AppendState(b, scratch)
	b = appendHistory(b, c.history)
	if c.chosen != nil {
		b = c.chosen.AppendState(b)
	}
	return b
}

func (c *Cluster) lookup(name string) sim.NodeID {
	id, ok := c.Topology.Lookup(name)
	if !ok {
		panic(fmt.Sprintf("cluster: validated scenario %q names unknown node %q", c.Scenario.Name, name))
	}
	return id
}

// Annotations are the scenario's faults, to mark on pictures of the run.
func (c *Cluster) Annotations() []check.Annotation {
	var as []check.Annotation
	for _, f := range c.Scenario.Faults {
		a := check.Annotation{T: sim.Duration(f.At.D())}
		switch {
		case f.Crash != "":
			a.Node, a.Text = f.Crash, "crash "+f.Crash
		case f.Restart != "":
			a.Node, a.Text = f.Restart, "restart "+f.Restart
		case f.Heal:
			a.Text = "heal"
		case f.Cut != nil:
			a.Node, a.Text = f.Cut[0], "cut "+f.Cut[0]+" -> "+f.Cut[1]
		case f.Hold != nil:
			a.Node, a.Text = f.Hold[0], "hold "+f.Hold[0]+" -> "+f.Hold[1]+" for "+f.For.String()
		default:
			a.Text = "partition " + fmt.Sprint(f.Partition)
		}
		as = append(as, a)
	}
	return as
}

// TraceErr is the first error met writing the trace.
func (c *Cluster) TraceErr() error {
	if c.tracer == nil {
		return nil
	}
	return c.tracer.Err()
}
