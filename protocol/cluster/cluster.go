package cluster

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"

	"github.com/multipaxos-kv/multipaxos-kv/internal/buildinfo"
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
	// Record keeps the execution schedule (Cluster.Schedule).
	Record bool
	// Replay takes every decision from a recorded schedule instead of the
	// seed, and checks every event against it.
	Replay []sim.Record
	// Decider, when set, makes every decision (fuzzing). Ignored on replay.
	Decider sim.Decider
	// SkipLin skips the linearizability check (it is the costliest).
	SkipLin bool
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

	opt          Options
	tracer       *sim.Tracer
	learners     []sim.NodeID // nodes whose state the checkers read, in node order
	nodes        []learner    // indexed like learners
	clients      []*kv.Client
	acceptors    []*multipaxos.Acceptor
	leaders      []*multipaxos.Leader
	replicas     []*multipaxos.Replica
	firstAcc     sim.NodeID // the id of acceptor1
	firstReplica sim.NodeID // the id of replica1
	resetters    []resetter // every node, to reuse the cluster
	chosen       *check.Chosen
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
	}
	c := &Cluster{Scenario: s, Engine: sim.New[protocol.Msg](cfg), opt: opt}
	e := c.Engine
	if opt.Text != nil || opt.JSON != nil {
		c.tracer = &sim.Tracer{Text: opt.Text, JSON: opt.JSON}
		e.SetTracer(c.tracer)
	}
	switch {
	case opt.Replay != nil:
		e.ReplayFrom(opt.Replay)
	case opt.Decider != nil:
		e.SetDecider(opt.Decider)
	}
	if opt.Record {
		e.RecordTo(&c.Schedule)
	}

	w := &kv.Workload{
		Requests: s.Workload.RequestsPerClient,
		Keys:     s.Workload.Keys,
		Values:   kv.Values(s.Workload.Values),
		Get:      s.Workload.Mix.Get,
		Put:      s.Workload.Mix.Put,
		Delete:   s.Workload.Mix.Delete,
	}
	var targets []sim.NodeID // where clients send their requests
	if s.Protocol == "kvstore" {
		srv := &kv.Server{}
		targets = append(targets, c.addLearner("server1", srv, srv))
	} else {
		n := s.Nodes
		// Node ids follow the order of NodeNames: leaders, acceptors,
		// replicas, clients. The leaders are told the ids before they exist.
		leaders := ids(0, n.Leaders)
		acceptors := ids(n.Leaders, n.Acceptors)
		replicas := ids(n.Leaders+n.Acceptors, n.Replicas)
		t := multipaxos.Timeouts{
			Heartbeat: sim.Duration(s.Timeouts.Heartbeat.D()),
			Election:  sim.Duration(s.Timeouts.Election.D()),
			Retry:     sim.Duration(s.Timeouts.Retry.D()),
		}
		for i := 1; i <= n.Leaders; i++ {
			peers := append(append([]sim.NodeID(nil), leaders[:i-1]...), leaders[i:]...)
			l := &multipaxos.Leader{ID: int64(i), Acceptors: acceptors, Replicas: replicas, Peers: peers, Timeouts: t, Pipeline: s.Pipeline}
			c.leaders = append(c.leaders, l)
			c.addLearner("leader"+strconv.Itoa(i), l, l)
		}
		for i := 1; i <= n.Acceptors; i++ {
			a := &multipaxos.Acceptor{}
			c.acceptors = append(c.acceptors, a)
			c.add("acceptor"+strconv.Itoa(i), a, a)
		}
		c.firstAcc = acceptors[0]
		c.firstReplica = sim.NodeID(n.Leaders + n.Acceptors)
		for i := 1; i <= n.Replicas; i++ {
			r := &multipaxos.Replica{}
			c.replicas = append(c.replicas, r)
			c.addLearner("replica"+strconv.Itoa(i), r, r)
		}
		targets = leaders // leader1 first: with one leader, the original's direct handle
		c.chosen = check.NewChosen(n.Acceptors/2 + 1)
		e.OnSend(c.observe)
	}
	for i := 1; i <= s.Nodes.Clients; i++ {
		cl := &kv.Client{Targets: targets, Workload: w, Timeout: sim.Duration(s.Timeouts.Client.D()), Retries: s.Timeouts.ClientRetries}
		c.clients = append(c.clients, cl)
		c.add("client"+strconv.Itoa(i), cl, cl)
	}
	for _, f := range s.Faults {
		at := sim.Duration(f.At.D())
		switch {
		case f.Crash != "":
			e.Crash(at, c.lookup(f.Crash))
		case f.Restart != "":
			e.Restart(at, c.lookup(f.Restart))
		case f.Heal:
			e.Heal(at)
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
	e.StopWhen("settled: every client finished or gave up, and every running replica caught up", c.settled)
	return c
}

func ids(first, n int) []sim.NodeID {
	out := make([]sim.NodeID, n)
	for i := range out {
		out[i] = sim.NodeID(first + i)
	}
	return out
}

func (c *Cluster) add(name string, n sim.Node[protocol.Msg], r resetter) sim.NodeID {
	c.resetters = append(c.resetters, r)
	return c.Engine.AddNode(name, n)
}

type learnerNode interface {
	sim.Node[protocol.Msg]
	resetter
}

func (c *Cluster) addLearner(name string, n learnerNode, l learner) sim.NodeID {
	id := c.add(name, n, n)
	c.learners = append(c.learners, id)
	c.nodes = append(c.nodes, l)
	return id
}

// settled reports whether the run's work is done: every client finished,
// the leading node has nothing left in Phase 2, and every running replica
// has applied as much as any node. Heartbeats would tick until the time
// limit otherwise.
func (c *Cluster) settled() bool {
	for _, cl := range c.clients {
		if !cl.Done() {
			return false
		}
	}
	var most int
	for i, l := range c.leaders {
		if leading, unchosen := l.Leading(); leading && unchosen > 0 {
			return false
		}
		if c.Engine.Up(sim.NodeID(i)) {
			most = max(most, l.Machine().Len())
		}
	}
	for i, r := range c.replicas {
		if c.Engine.Up(c.firstReplica+sim.NodeID(i)) && r.Machine().Len() < most {
			return false
		}
	}
	return true
}

// observe watches every send for the acceptors' votes: an Accepted reply
// means the acceptor now holds that slot's command at that ballot.
func (c *Cluster) observe(from, _ sim.NodeID, m protocol.Msg) {
	if m.Kind != protocol.Accepted {
		return
	}
	i := int(from - c.firstAcc)
	if i < 0 || i >= len(c.acceptors) {
		return
	}
	a := c.acceptors[i]
	if m.Slot >= 1 && m.Slot <= int64(len(a.Accepted)) {
		c.chosen.Accepted(i, m.Slot, m.Ballot, a.Accepted[m.Slot-1].Cmd)
	}
}

// Reset makes the cluster ready to run again with another seed, reusing
// every node and all the engine's memory: the way a sweep runs many seeds
// with few allocations. Tracing, recording and replay are off after it.
func (c *Cluster) Reset(seed uint64) {
	c.Scenario.Seed = seed
	c.Engine.Reset(seed)
	for _, r := range c.resetters {
		r.Reset()
	}
	if c.chosen != nil {
		c.chosen.Reset()
	}
	c.tracer = nil
	c.Schedule = c.Schedule[:0]
	c.opt.Text, c.opt.JSON, c.opt.Record, c.opt.Replay, c.opt.Decider = nil, nil, false, nil, nil
}

func (c *Cluster) lookup(name string) sim.NodeID {
	id, ok := c.Engine.Lookup(name)
	if !ok {
		panic(fmt.Sprintf("cluster: validated scenario %q names unknown node %q", c.Scenario.Name, name))
	}
	return id
}

// Outcome is what a run produced and how the checks judged it.
type Outcome struct {
	Result sim.Result
	Checks []check.Verdict
	Stores []NamedStore // every learner's final store, in node order
	// Unanswered counts clients that had not finished at the end (still
	// waiting, or given up).
	Unanswered int
	OK         bool
	// Lin is the linearizability check's full result, for its picture.
	Lin check.LinResult
	// Paths counts the protocol paths the run took, for sweep reports.
	Paths Paths
}

// Paths counts how often each protocol path ran in a run: the leaders'
// paths summed, and the clients' retries.
type Paths struct {
	multipaxos.Paths
	ClientRetries int // requests re-sent after a timeout or a redirect
	GaveUp        int // clients that gave up on a request
}

// Add accumulates o into p.
func (p *Paths) Add(o Paths) {
	p.Paths.Add(o.Paths)
	p.ClientRetries += o.ClientRetries
	p.GaveUp += o.GaveUp
}

// Latencies appends to dst the virtual time each answered client request
// took, from invoke to return, in history order.
func (c *Cluster) Latencies(dst []sim.Time) []sim.Time {
	h := c.Engine.History()
	open := make(map[sim.NodeID]sim.HistoryEvent, len(c.clients))
	for _, ev := range h {
		if ev.Invoke {
			open[ev.Client] = ev
		} else if inv, ok := open[ev.Client]; ok && inv.Op.ID == ev.Ret.ID {
			dst = append(dst, ev.T-inv.T)
			delete(open, ev.Client)
		}
	}
	return dst
}

// Failed names the checks that failed.
func (o Outcome) Failed() []string {
	var names []string
	for _, v := range o.Checks {
		if v.Err != nil {
			names = append(names, v.Name)
		}
	}
	return names
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
		default:
			a.Text = "partition " + fmt.Sprint(f.Partition)
		}
		as = append(as, a)
	}
	return as
}

// NamedStore is a node's final key/value map.
type NamedStore struct {
	Name  string
	Store map[string]string
}

// Run runs the simulation to its end and checks it.
func (c *Cluster) Run() Outcome {
	res := c.Engine.Run()
	out := Outcome{Result: res, OK: res.Reason != sim.StopDivergence}
	ls := make([]check.Learner, len(c.learners))
	for i, id := range c.learners {
		n := c.nodes[i]
		m := n.Machine()
		ls[i] = check.Learner{Name: c.Engine.Name(id), Applied: m.Applied(), Effects: m.Effects(), Store: m.Store().Map()}
		out.Stores = append(out.Stores, NamedStore{Name: ls[i].Name, Store: ls[i].Store})
	}
	agreement := check.Agreement(ls)
	if c.chosen != nil {
		if err := c.chosen.Err(); err != nil {
			agreement = err
		} else if agreement == nil {
			agreement = c.chosen.Applied(ls)
		}
	}
	h := c.Engine.History()
	name := c.Engine.Name
	lin := check.Verdict{Name: "linearizability"}
	if c.opt.SkipLin {
		lin.Note = "skipped"
	} else {
		out.Lin = check.Linearizable(h, name, check.Longest(ls), c.opt.LinBudget)
		lin.Err = out.Lin.Err()
	}
	live, note := check.Liveness(h, name, c.Scenario.Liveness, res.Describe(c.Engine.Config()))
	out.Checks = []check.Verdict{
		{Name: "agreement", Err: agreement},
		{Name: "convergence", Err: check.Convergence(ls)},
		lin,
		{Name: "exactly-once", Err: check.ExactlyOnce(ls)},
		{Name: "liveness", Err: live, Note: note},
	}
	for _, v := range out.Checks {
		if v.Err != nil {
			out.OK = false
		}
	}
	for _, cl := range c.clients {
		if !cl.Finished() {
			out.Unanswered++
		}
		out.Paths.ClientRetries += cl.Retried
		if cl.Done() && !cl.Finished() {
			out.Paths.GaveUp++
		}
	}
	for _, l := range c.leaders {
		out.Paths.Paths.Add(l.Paths)
	}
	return out
}

// TraceErr is the first error met writing the trace.
func (c *Cluster) TraceErr() error {
	if c.tracer == nil {
		return nil
	}
	return c.tracer.Err()
}

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
	fmt.Fprintf(&b, "messages:  %d sent, %d delivered, %d dropped, %d duplicated\n", r.Sent, r.Delivered, r.Dropped, r.Duplicated)
	fmt.Fprintf(&b, "clients:   %d x %d requests, %d unfinished\n", s.Nodes.Clients, s.Workload.RequestsPerClient, o.Unanswered)
	fmt.Fprintf(&b, "stores:\n")
	for _, st := range o.Stores {
		fmt.Fprintf(&b, "  %-10s %s\n", st.Name, kv.FormatMap(st.Store))
	}
	fmt.Fprintf(&b, "checks:\n")
	for _, v := range o.Checks {
		fmt.Fprintf(&b, "  %-16s %s\n", v.Name, v.Text())
	}
	verdict := "ok"
	if !o.OK {
		verdict = "FAILED"
	}
	fmt.Fprintf(&b, "result:    %s\n", verdict)
	_, err := w.Write(b.Bytes())
	return err
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
	t.JSONRecord(r.End, "summary", func(b []byte) []byte {
		b = sim.AppendJSONField(b, "scenario", s.Name)
		b = append(b, `,"seed":`...)
		b = strconv.AppendUint(b, s.Seed, 10)
		b = sim.AppendJSONInt(b, "events", int64(r.Events))
		b = sim.AppendJSONField(b, "end", r.Describe(cfg))
		b = append(b, `,"messages":{"sent":`...)
		b = strconv.AppendInt(b, int64(r.Sent), 10)
		b = sim.AppendJSONInt(b, "delivered", int64(r.Delivered))
		b = sim.AppendJSONInt(b, "dropped", int64(r.Dropped))
		b = sim.AppendJSONInt(b, "duplicated", int64(r.Duplicated))
		b = append(b, `},"stores":{`...)
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
		b = append(b, `},"checks":{`...)
		for i, v := range o.Checks {
			if i > 0 {
				b = append(b, ',')
			}
			b = sim.AppendJSONString(b, v.Name)
			b = append(b, ':')
			b = sim.AppendJSONString(b, v.Text())
		}
		b = append(b, '}')
		return sim.AppendJSONBool(b, "ok", o.OK)
	})
	return t.Err()
}

// scheduleHeader opens every schedule file; the resolved scenario follows.
const scheduleHeader = "# multipaxos-kv schedule v1: the resolved scenario, then every event and decision of one run.\n# Replay it with: multipaxos-kv replay FILE\n"

// WriteSchedule writes the recorded schedule (Options.Record) as a schedule
// file: the resolved scenario, seed included, then every record.
func (c *Cluster) WriteSchedule(w io.Writer) error {
	enc, err := c.Scenario.Encode()
	if err != nil {
		return err
	}
	// The build that wrote it, as a TOML comment: replay ignores it.
	header := scheduleHeader + "# build: " + buildinfo.String() + "\n"
	return sim.WriteSchedule(w, append([]byte(header), enc...), c.Schedule)
}

// WriteScheduleFile writes the schedule file at path.
func (c *Cluster) WriteScheduleFile(path string) error {
	var b bytes.Buffer
	if err := c.WriteSchedule(&b); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// ParseSchedule reads a schedule file: its scenario and its records.
func ParseSchedule(data []byte, file string) (scenarios.Scenario, []sim.Record, error) {
	header, recs, err := sim.ParseSchedule(data, file)
	if err != nil {
		return scenarios.Scenario{}, nil, err
	}
	s, err := scenarios.Parse(header, file)
	if err != nil {
		return scenarios.Scenario{}, nil, err
	}
	if recs == nil {
		recs = []sim.Record{} // an empty schedule still replays (and diverges)
	}
	return s, recs, nil
}
