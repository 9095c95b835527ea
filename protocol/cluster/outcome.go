package cluster

import (
	"errors"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/check"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

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

// Paths counts how often each protocol path ran in a run, from the nodes'
// notes (protocol.Note...): counters live here, outside the nodes.
type Paths struct {
	Phase1          int // Phase 1 runs (campaigns)
	Preemptions     int // times a higher ballot made a leader stand by
	Recoveries      int // Phase 1 wins that recovered slots
	RecoveredValues int // slots whose recovery found a value accepted earlier
	NoopFills       int // holes filled with Noop
	Resends         int // Prepare or Accept re-sent to silent acceptors
	Redirects       int // client requests redirected to the leader
	Fetches         int // replica fetches answered
	SessionAnswers  int // retries answered from the client's session
	ClientRetries   int // requests re-sent after a timeout or a redirect
	GaveUp          int // clients that gave up on a request
	Batches         int // slots proposed with several requests (batch > 1)
}

// count adds one to the path of note n.
func (p *Paths) count(n uint8) {
	switch n {
	case protocol.NotePhase1:
		p.Phase1++
	case protocol.NotePreempted:
		p.Preemptions++
	case protocol.NoteRecovery:
		p.Recoveries++
	case protocol.NoteRecoveredValue:
		p.RecoveredValues++
	case protocol.NoteNoopFill:
		p.NoopFills++
	case protocol.NoteResend:
		p.Resends++
	case protocol.NoteRedirect:
		p.Redirects++
	case protocol.NoteFetch:
		p.Fetches++
	case protocol.NoteSessionAnswer:
		p.SessionAnswers++
	case protocol.NoteClientRetry:
		p.ClientRetries++
	case protocol.NoteGaveUp:
		p.GaveUp++
	case protocol.NoteBatch:
		p.Batches++
	}
}

// Add accumulates o into p.
func (p *Paths) Add(o Paths) {
	p.Phase1 += o.Phase1
	p.Preemptions += o.Preemptions
	p.Recoveries += o.Recoveries
	p.RecoveredValues += o.RecoveredValues
	p.NoopFills += o.NoopFills
	p.Resends += o.Resends
	p.Redirects += o.Redirects
	p.Fetches += o.Fetches
	p.SessionAnswers += o.SessionAnswers
	p.ClientRetries += o.ClientRetries
	p.GaveUp += o.GaveUp
	p.Batches += o.Batches
}

// FromSnapshot is how many times a leader's machine started from a
// snapshot so far: a Phase 1 win from the snapshot its promises reported,
// or a leader installing an acceptor's snapshot it was behind.
func (c *Cluster) FromSnapshot() int { return c.fromSnapshot }

// Paths is what the run has counted so far.
func (c *Cluster) Paths() Paths { return c.paths }

// Latencies appends to dst the virtual time each answered client request
// took, from invoke to return, in history order.
func (c *Cluster) Latencies(dst []sim.Time) []sim.Time {
	h := c.History()
	open := make(map[sim.NodeID]kv.HistoryEvent, len(c.Topology.Clients))
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
			names = append(names, string(v.Name))
		}
	}
	return names
}

// NamedStore is a node's final key/value map.
type NamedStore struct {
	Name  string
	Store map[string]string
}

// learners lists the learners' state for the convergence check, their
// stores copied.
func (c *Cluster) learners() []check.Learner {
	var ls []check.Learner
	for _, id := range c.Topology.Learners() {
		m := c.machine(id)
		ls = append(ls, check.Learner{Name: c.Topology.Names[id], Len: m.Len(), Store: m.Store().Map(c.Engine)})
	}
	return ls
}

// agreement is the agreement check: the chosen-value watch, then the
// learners' logs against each other and against what was chosen, as the
// log watch followed them.
func (c *Cluster) agreement() error {
	if c.chosen != nil {
		if err := c.chosen.Err(); err != nil {
			return err
		}
	}
	return c.watch.Agreement()
}

// Safety checks the state reached so far, as the explorer does at every
// state: agreement, exactly-once and the nodes' invariants. It returns the
// first failing check's verdict, or ok false when all hold.
func (c *Cluster) Safety() (v check.Verdict, failed bool) {
	if inv := c.Engine.Failure(); inv != "" {
		return check.Verdict{Name: check.NameInvariants, Err: errors.New(inv)}, true
	}
	if err := c.agreement(); err != nil {
		return check.Verdict{Name: check.NameAgreement, Err: err}, true
	}
	if err := c.watch.ExactlyOnce(); err != nil {
		return check.Verdict{Name: check.NameExactlyOnce, Err: err}, true
	}
	return check.Verdict{}, false
}

// Finished reports whether every client finished all its requests.
func (c *Cluster) Finished() bool {
	for _, id := range c.Topology.Clients {
		if !c.client(id).Finished() {
			return false
		}
	}
	return true
}

// Linearizability checks the client history so far; failed is true when it
// is not linearizable (or the check could not decide).
func (c *Cluster) Linearizability() (v check.Verdict, failed bool) {
	r := c.linResult()
	v = check.Verdict{Name: check.NameLinearizability, Err: r.Err()}
	return v, v.Err != nil
}

// linResult is the linearizability check's verdict so far: the stream's,
// or, in an explorer's copy (which has none), the retained history's.
func (c *Cluster) linResult() check.LinResult {
	if c.lin != nil {
		return c.lin.Result()
	}
	return check.Linearizable(c.history, c.Engine, c.linLog, c.opt.LinBudget)
}

// unanswered is every client's last invocation that got no answer, clients
// in the order of their first invocation.
func (c *Cluster) unanswered() []kv.HistoryEvent {
	var open []kv.HistoryEvent
	for _, id := range c.order {
		if l := c.last[id]; l.open {
			open = append(open, kv.HistoryEvent{T: l.at, Client: id, Invoke: true, Op: l.op})
		}
	}
	return open
}

// Chosen is the number of slots chosen so far (0 for the kvstore).
func (c *Cluster) Chosen() int {
	if c.chosen == nil {
		return 0
	}
	return c.chosen.Slots()
}

// applies marks a check that cannot fail for this protocol as not applying,
// with why (NotApplicable): the kvstore's one server has no log to agree on
// with anyone, and no other store to converge with.
func (c *Cluster) applies(v check.Verdict) check.Verdict {
	if c.Topology.Server != sim.NoNode && v.Err == nil {
		v.Note = NotApplicable[v.Name]
	}
	return v
}

// NotApplicable is, by check, the text of a check that does not apply to
// the kvstore protocol; every text starts with "n/a".
var NotApplicable = map[check.Name]string{
	check.NameAgreement:   "n/a (one server: no other node's log to agree with)",
	check.NameConvergence: "n/a (one server: no other store to converge with)",
}

// Run runs the simulation to its end and checks it.
func (c *Cluster) Run() Outcome {
	c.Engine.Run()
	return c.Check()
}

// Check judges the run as it stands: every check, on the engine's result so
// far.
func (c *Cluster) Check() Outcome {
	res := c.Engine.Result()
	out := Outcome{Result: res, OK: res.Reason != sim.StopDivergence, Paths: c.paths}
	ls := c.learners()
	for _, l := range ls {
		out.Stores = append(out.Stores, NamedStore{Name: l.Name, Store: l.Store})
	}
	for _, id := range c.Topology.Clients {
		if !c.client(id).Finished() {
			out.Unanswered++
		}
	}
	if res.Reason == sim.StopDivergence {
		return out // the checks would judge a hybrid of two runs
	}
	lin := check.Verdict{Name: check.NameLinearizability}
	if c.opt.SkipLin {
		lin.Note = "skipped"
	} else {
		out.Lin = c.linResult()
		lin.Err = out.Lin.Err()
	}
	var inv error
	if res.Invariant != "" {
		inv = errors.New(res.Invariant)
	}
	note, live := check.Liveness(c.unanswered(), c.invoked, c.Engine, c.Scenario.Liveness, res.Describe(c.Engine.Config()))
	out.Checks = []check.Verdict{
		c.applies(check.Verdict{Name: check.NameAgreement, Err: c.agreement()}),
		c.applies(check.Verdict{Name: check.NameConvergence, Err: check.Convergence(ls)}),
		lin,
		{Name: check.NameExactlyOnce, Err: c.watch.ExactlyOnce()},
		{Name: check.NameInvariants, Err: inv},
		{Name: check.NameLiveness, Err: live, Note: note},
	}
	if res.Reason == sim.StopCut {
		out.Checks[len(out.Checks)-1] = check.Verdict{Name: check.NameLiveness, Note: "not checked: the schedule stops early on purpose (" + c.Engine.Result().Describe(c.Engine.Config()) + ")"}
	}
	for _, v := range out.Checks {
		if v.Err != nil {
			out.OK = false
		}
	}
	return out
}
