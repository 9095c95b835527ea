package explore

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/check"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/cluster"
	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// Strategy is the order in which states are explored.
type Strategy string

// The strategies.
const (
	BFS    Strategy = "bfs"    // breadth-first: the shortest counterexample
	DFS    Strategy = "dfs"    // depth-first: deep states with little memory
	Random Strategy = "random" // seeded random walks
)

// Options bound and steer a search. Every bound is a limit: reaching one
// cuts the search, and the result says so.
type Options struct {
	Strategy Strategy
	Depth    int           // longest path explored, in events (0: no limit)
	States   int           // distinct states at most (0: no limit)
	Time     time.Duration // wall time at most (0: no limit); cuts the search, never changes a verdict
	// Memory bounds, in bytes, the states waiting to be explored (each a
	// copy of the cluster; estimated deterministically, so the same search is
	// cut at the same state on every machine); 0: no limit.
	Memory int
	Budget sim.Budget // timer firings and faults each path may take
	// CrashClients lets crashes hit clients too (by default only leaders,
	// acceptors and replicas crash).
	CrashClients bool
	// TimerKinds, when not empty, are the only timer kinds that may fire
	// (by name: "election", "retry", ...); the others never do.
	TimerKinds []string
	Walks      int    // random walks (Random)
	Seed       uint64 // the random walks' seed
	// Progress, when set, is called about every ProgressEvery states.
	Progress      func(Stats)
	ProgressEvery int
}

// Stats counts a search so far.
type Stats struct {
	States      int // distinct states reached
	Transitions int // actions taken, including those to known states
	Depth       int // the deepest path explored
	Terminal    int // states with nothing left to do (or settled)
	Frontier    int // states waiting to be explored
	Elapsed     time.Duration
}

// Sometimes counts the distinct states in which something interesting had
// happened on the way, so that a pass that never reached it shows.
type Sometimes struct {
	Chosen         int // a value was chosen (a quorum accepted it)
	RecoveredValue int // a Phase 1 recovery found a value accepted earlier
	NoopFill       int // a hole was filled with Noop
	Preempted      int // a leader was preempted by a higher ballot
	SessionAnswer  int // a retry was answered from the client's session
	Batch          int // a slot was proposed with several requests
	FromSnapshot   int // a leader's machine started from a snapshot (log compaction)
	Answered       int // every client request was answered
}

// Violation is a failed check and the path that leads to it.
type Violation struct {
	Check    check.Verdict
	Path     []string     // the actions, as schedules name them
	Schedule []sim.Record // a replayable schedule of the path (traced run)
	Depth    int
}

// Result is the outcome of a search.
type Result struct {
	Stats
	Sometimes Sometimes
	Complete  bool // every reachable state within the budgets was explored
	// CompleteTo is the depth limit when every state reachable within it
	// (and the budgets) was explored, and only the depth limit cut the
	// search; 0 otherwise.
	CompleteTo int
	Cut        string // why not, when not complete
	Violation  *Violation
}

// node is one visited state's place in the search tree.
type node struct {
	parent int32
	action sim.Action
	depth  int32
}

// searcher holds a search's working memory.
type searcher struct {
	s       scenarios.Scenario
	opt     Options
	res     Result
	visited map[uint64]struct{}
	tree    []node
	pool    []*cluster.Cluster
	acts    []sim.Action
	buf     []byte
	scratch sim.StateScratch
	start   time.Time
	crash   []bool // nodes that injected crashes may hit
	timers  []bool // timer kinds that may fire, when filtered
	expand  []sim.Action
	held    int // estimated bytes of the states waiting in the frontier
}

// Check reports whether s can be explored.
func Check(s scenarios.Scenario) error {
	if len(s.Faults) > 0 {
		return errors.New("explore uses fault budgets (-losses, -duplicates, -crashes) instead of [[faults]]; remove them from the scenario")
	}
	return nil
}

// Run searches the state space of scenario s.
func Run(s scenarios.Scenario, opt Options) (Result, error) {
	if err := Check(s); err != nil {
		return Result{}, err
	}
	if opt.Strategy == "" {
		opt.Strategy = BFS
	}
	if opt.ProgressEvery <= 0 {
		opt.ProgressEvery = 1 << 16
	}
	// The frontier is full of copies of the cluster, all pointers: collect
	// garbage less often while the search runs (memory is bounded by -states).
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	if opt.Memory > 0 {
		// ... but not past twice the frontier's bound.
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(int64(2*opt.Memory + 256<<20)))
	}
	x := &searcher{s: s, opt: opt, visited: make(map[uint64]struct{}), start: time.Now()}
	root := x.root(nil)
	top := cluster.NewTopology(s)
	x.crash = make([]bool, len(top.Names))
	for _, ids := range [][]sim.NodeID{top.Leaders, top.Acceptors, top.Replicas} {
		for _, id := range ids {
			x.crash[id] = true
		}
	}
	if opt.CrashClients {
		for _, id := range top.Clients {
			x.crash[id] = true
		}
	}
	if len(opt.TimerKinds) > 0 {
		x.timers = make([]bool, sim.MaxTimerKinds)
		for _, name := range opt.TimerKinds {
			k := slices.Index(protocol.TimerNames, name)
			if k < 0 {
				return Result{}, fmt.Errorf("unknown timer kind %q (expected one of %s)", name, strings.Join(protocol.TimerNames, ", "))
			}
			x.timers[k] = true
		}
	}
	var err error
	switch opt.Strategy {
	case BFS, DFS:
		x.search(root)
	case Random:
		x.walks(root)
	default:
		err = fmt.Errorf("unknown strategy %q (expected bfs, dfs or random)", opt.Strategy)
	}
	x.res.Elapsed = time.Since(x.start)
	return x.res, err
}

// root builds the initial state: the scenario's cluster in steered mode,
// traced to text and json when they are set.
func (x *searcher) root(o *cluster.Options) *cluster.Cluster {
	opt := cluster.Options{}
	if o != nil {
		opt = *o
	}
	c := cluster.New(x.s, opt)
	c.Engine.SetDecider(sim.FirstDecider{})
	c.Engine.Steer()
	c.Engine.SetBudget(x.opt.Budget)
	return c
}

// enabled lists the actions of c the search may take.
func (x *searcher) enabled(c *cluster.Cluster) []sim.Action {
	acts := c.Engine.Enabled(x.acts[:0])
	n := 0
	for _, a := range acts {
		if a.Kind == sim.ActCrash && !x.crash[a.Node] {
			continue
		}
		if x.timers != nil {
			if _, k, ok := c.Engine.TimerOf(a); ok && !x.timers[k] {
				continue
			}
		}
		acts[n] = a
		n++
	}
	x.acts = acts[:n]
	return x.acts
}

func (x *searcher) get() *cluster.Cluster {
	if n := len(x.pool); n > 0 {
		c := x.pool[n-1]
		x.pool = x.pool[:n-1]
		return c
	}
	return nil
}

func (x *searcher) put(c *cluster.Cluster) { x.pool = append(x.pool, c) }

// cut reports whether a bound stops the search, and records why.
func (x *searcher) bounded() bool {
	switch {
	case x.opt.States > 0 && x.res.States >= x.opt.States:
		x.res.Cut = fmt.Sprintf("state limit %d reached", x.opt.States)
	case x.opt.Time > 0 && x.res.States%1024 == 0 && time.Since(x.start) > x.opt.Time:
		x.res.Cut = fmt.Sprintf("time limit %v reached", x.opt.Time)
	case x.opt.Memory > 0 && x.held > x.opt.Memory:
		x.res.Cut = fmt.Sprintf("memory limit reached: %d MiB of states waiting to be explored (raise -memory, or lower the budgets)", x.opt.Memory>>20)
	default:
		return false
	}
	return true
}

// visit records a new state; it reports false for a known one.
func (x *searcher) visit(c *cluster.Cluster, parent int32, a sim.Action, depth int) (int32, bool) {
	x.buf = c.AppendState(x.buf[:0], &x.scratch)
	fp := sim.Fingerprint(x.buf)
	if _, ok := x.visited[fp]; ok {
		return 0, false
	}
	x.visited[fp] = struct{}{}
	x.tree = append(x.tree, node{parent: parent, action: a, depth: int32(depth)})
	x.res.States++
	x.res.Depth = max(x.res.Depth, depth)
	x.sometimes(c)
	if x.opt.Progress != nil && x.res.States%x.opt.ProgressEvery == 0 {
		st := x.res.Stats
		st.Elapsed = time.Since(x.start)
		x.opt.Progress(st)
	}
	return int32(len(x.tree) - 1), true
}

func (x *searcher) sometimes(c *cluster.Cluster) {
	p := c.Paths()
	s := &x.res.Sometimes
	if c.Chosen() > 0 {
		s.Chosen++
	}
	if p.RecoveredValues > 0 {
		s.RecoveredValue++
	}
	if p.NoopFills > 0 {
		s.NoopFill++
	}
	if p.Preemptions > 0 {
		s.Preempted++
	}
	if p.SessionAnswers > 0 {
		s.SessionAnswer++
	}
	if p.Batches > 0 {
		s.Batch++
	}
	if c.FromSnapshot() > 0 {
		s.FromSnapshot++
	}
}

// item is a state waiting to be explored.
type item struct {
	c     *cluster.Cluster
	index int32
	depth int
}

// search is breadth- or depth-first search from root.
func (x *searcher) search(root *cluster.Cluster) {
	idx, _ := x.visit(root, -1, sim.Action{}, 0)
	work := []item{{root, idx, 0}}
	x.held = root.Footprint()
	head := 0
	cutDepth := false
	for head < len(work) {
		var it item
		if x.opt.Strategy == DFS {
			it = work[len(work)-1]
			work = work[:len(work)-1]
		} else {
			it = work[head]
			work[head] = item{}
			head++
			if head > 1024 && head*2 > len(work) { // reclaim the consumed prefix
				work = append(work[:0], work[head:]...)
				head = 0
			}
		}
		x.res.Frontier = len(work) - head
		x.held -= it.c.Footprint()
		if x.terminal(it.c, it.index) {
			x.put(it.c)
			return
		}
		x.expand = append(x.expand[:0], x.enabled(it.c)...)
		acts := x.expand
		for _, a := range acts {
			d := it.c.CloneInto(x.get())
			d.Engine.Do(a)
			x.res.Transitions++
			if v, failed := d.Safety(); failed {
				x.violation(it.index, &a, it.depth+1, v)
				return
			}
			i, fresh := x.visit(d, it.index, a, it.depth+1)
			if !fresh {
				x.put(d)
				continue
			}
			if x.opt.Depth > 0 && it.depth+1 >= x.opt.Depth {
				cutDepth = cutDepth || len(x.enabled(d)) > 0
				if x.terminal(d, i) {
					return
				}
				x.put(d)
				continue
			}
			work = append(work, item{d, i, it.depth + 1})
			x.held += d.Footprint()
			if x.bounded() {
				return
			}
		}
		x.put(it.c)
	}
	if cutDepth {
		x.res.Cut = fmt.Sprintf("depth limit %d reached", x.opt.Depth)
		if x.opt.Strategy == BFS {
			x.res.CompleteTo = x.opt.Depth
		}
		return
	}
	x.res.Complete = true
}

// terminal checks a state with nothing left to do: the client history must
// be linearizable. It reports true when that found a violation.
func (x *searcher) terminal(c *cluster.Cluster, index int32) bool {
	if !c.Engine.Stopped() && len(x.enabled(c)) > 0 {
		return false
	}
	x.res.Terminal++
	if c.Finished() {
		x.res.Sometimes.Answered++
	}
	if v, failed := c.Linearizability(); failed {
		x.violation(index, nil, int(x.tree[index].depth), v)
		return true
	}
	return false
}

// walks runs seeded random walks from root.
func (x *searcher) walks(root *cluster.Cluster) {
	r := rand.New(rand.NewPCG(x.opt.Seed, 0x6578706c6f7265))
	idx, _ := x.visit(root, -1, sim.Action{}, 0)
	walks := max(x.opt.Walks, 1)
	for w := 0; w < walks; w++ {
		c := root.CloneInto(x.get())
		at, depth := idx, 0
		for {
			if x.terminal(c, at) {
				return
			}
			acts := x.enabled(c)
			if len(acts) == 0 || (x.opt.Depth > 0 && depth >= x.opt.Depth) {
				break
			}
			a := acts[r.IntN(len(acts))]
			c.Engine.Do(a)
			x.res.Transitions++
			depth++
			if v, failed := c.Safety(); failed {
				x.violation(at, &a, depth, v)
				return
			}
			if i, fresh := x.visit(c, at, a, depth); fresh {
				at = i
			} else {
				// a known state: follow the walk all the same, from a new
				// tree node, so that its path can be rebuilt
				x.tree = append(x.tree, node{parent: at, action: a, depth: int32(depth)})
				at = int32(len(x.tree) - 1)
			}
			if x.bounded() {
				return
			}
		}
		x.put(c)
	}
	x.res.Cut = fmt.Sprintf("%d random walks (a sample, not the whole space)", walks)
}

// violation records a failed check reached by the path to index, then a
// (when not nil).
func (x *searcher) violation(index int32, a *sim.Action, depth int, v check.Verdict) {
	var path []sim.Action
	if a != nil {
		path = append(path, *a)
	}
	for i := index; i > 0; i = x.tree[i].parent {
		path = append(path, x.tree[i].action)
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	// Replay the path with recording on, for a schedule that replay reproduces.
	c := x.root(&cluster.Options{Record: true})
	names := make([]string, 0, len(path))
	for _, a := range path {
		names = append(names, c.Engine.Describe(a))
		c.Engine.Do(a)
	}
	recs := append(c.Schedule, sim.Record{Kind: sim.RecStop, Text: string(v.Name) + " fails here (found by explore)"})
	x.res.Violation = &Violation{Check: v, Path: names, Schedule: recs, Depth: depth}
}

// WriteSchedule writes the violation's schedule file for scenario s.
func (v *Violation) WriteSchedule(w io.Writer, s scenarios.Scenario) error {
	c := cluster.New(s, cluster.Options{})
	return c.WriteScheduleRecords(w, v.Schedule)
}
