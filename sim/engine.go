package sim

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Config holds the engine's parameters. Its zero value, plus a TimeLimit and
// MaxEvents, is a perfect network: zero latency, no loss, no duplicates.
type Config struct {
	Seed       uint64  // root seed; every random stream derives from it
	LatencyMin Time    // least message latency
	LatencyMax Time    // greatest message latency
	Drop       float64 // probability that a message is lost
	Duplicate  float64 // probability that a message is delivered twice
	TimeLimit  Time    // the run stops before any event later than this
	MaxEvents  int     // the run stops after this many events
	// TimerNames names the timer kinds in the trace and in schedules
	// (TimerNames[k] for kind k); a kind without a name is "timer<k>".
	TimerNames []string
}

// Stats counts what happened in a run.
type Stats struct {
	Events     int // events executed
	Sent       int // messages handed to the network
	Delivered  int // messages delivered to a live node
	Dropped    int // messages lost: by chance, partition, cut link, or a crashed receiver
	Duplicated int // extra copies the network made
}

// StopReason says why a run ended.
type StopReason uint8

const (
	// StopQuiescent: no event was left to run.
	StopQuiescent StopReason = iota
	// StopTimeLimit: the next event lay beyond the time limit.
	StopTimeLimit
	// StopEventLimit: the maximum number of events was executed.
	StopEventLimit
	// StopDivergence: a replayed run stopped matching its schedule.
	StopDivergence
	// StopSettled: the StopWhen condition held.
	StopSettled
	// StopInvariant: a node broke one of its invariants (it panicked).
	StopInvariant
	// StopCut: a replayed schedule ends here on purpose (an explorer's path
	// to a violation, a minimised schedule).
	StopCut
)

// Result is the outcome of Engine.Run.
type Result struct {
	Stats
	End     Time // virtual time of the last event
	Reason  StopReason
	Pending int         // events left in the queue
	Diverge *Divergence // set when Reason is StopDivergence
	// Invariant says which node broke which invariant, when Reason is
	// StopInvariant.
	Invariant string
	// Skipped counts the events a lenient replay skipped (not pending).
	Skipped int

	settledWhy string
}

// Describe says in words why the run ended.
func (r Result) Describe(cfg Config) string {
	switch r.Reason {
	case StopTimeLimit:
		return fmt.Sprintf("time limit %v reached with %d events pending", cfg.TimeLimit, r.Pending)
	case StopEventLimit:
		return fmt.Sprintf("event limit %d reached with %d events pending", cfg.MaxEvents, r.Pending)
	case StopDivergence:
		return r.Diverge.Error()
	case StopSettled:
		return r.settledWhy
	case StopInvariant:
		return "stopped: " + r.Invariant
	case StopCut:
		return "the schedule ends here"
	default:
		return "no events left"
	}
}

type nodeSlot[M Message] struct {
	name  string
	node  Node[M]
	up    bool
	group int32  // partition group, 0 when not in any
	sent  uint32 // messages sent so far: the next one's number
	// timers holds, per kind, the slab slot of the pending timer plus one
	// (0: none pending).
	timers [MaxTimerKinds]int32
	rng    stream // the node's own stream, for its timers' jitter
	// shared marks a node that CloneInto shares with another engine: it is
	// copied before its first change (copy on write).
	shared bool
	// hash caches the hash of the node's AppendState while hashed is set;
	// every handler call clears it.
	hash   uint64
	hashed bool
	// life is the node's crashes and restarts so far, for summaries.
	life Life
}

// Life is what happened to a node's process in a run: how often it crashed
// and restarted, and when last.
type Life struct {
	Crashes, Restarts      int
	LastCrash, LastRestart Time
}

// own makes node n this engine's own before a change: a shared node is
// copied first.
func (n *nodeSlot[M]) own() {
	if n.shared {
		n.node = n.node.Clone(nil)
		n.shared = false
	}
	n.hashed = false
}

type faultKind uint8

const (
	faultCrash faultKind = iota
	faultRestart
	faultPartition
	faultHeal
	faultCut
	faultHold
)

// faultKindNames are the faults' names in the JSON trace, by faultKind.
var faultKindNames = [...]TraceEv{EvCrash, EvRestart, EvPartition, EvHeal, EvCut, EvHold}

type fault struct {
	kind   faultKind
	node   NodeID // the node (crash, restart); the sender (cut, hold)
	to     NodeID // the receiver (cut, hold)
	dur    Time   // how long a hold lasts
	groups [][]NodeID
}

// link is the state of the one-way link between two nodes, kept only once a
// cut or a hold has been scheduled (Engine.links).
type link struct {
	cut       bool // messages on the link are lost until a heal
	holdUntil Time // messages sent before then wait for it, then travel
}

// Budget bounds the faults that an explorer may inject in steered mode, and
// the timers it may fire: with every budget finite and every message
// consumed once, the state space of a small cluster is finite.
type Budget struct {
	Timers     int // timer firings
	Losses     int // messages lost
	Duplicates int // messages duplicated
	Crashes    int // node crashes (each crashed node may restart)
}

// Engine runs one simulation. It is single-threaded; an Engine must not be
// used from several goroutines at once.
//
// In ordered mode (the default) events run in (time, sequence) order and
// every choice is the Decider's. In steered mode (Steer) there is no order:
// whoever steers lists the enabled actions (Enabled) and runs any of them
// (Do); a replayed schedule steers by naming each event. An event runs at
// the later of its due time and the time of the event before it, so time
// never goes back.
type Engine[M Message] struct {
	cfg        Config
	now        Time
	syms       *Symbols
	names      Names  // resolves node ids the engine does not have (SetNames)
	progress   func() // OnProgress
	q          queue[M]
	nodes      []nodeSlot[M]
	faults     []fault
	faultAt    []Time // when each fault happens
	decider    Decider
	network    stream // the seeded decider's stream
	onSend     func(from, to NodeID, msg M)
	onNote     func(node NodeID, note uint8)
	settled    func() bool
	settledWhy string
	tracer     *Tracer
	states     *stateTrace // TraceStates: nil when off
	record     *[]Record
	replay     *replayer
	stats      Stats
	onRecord   func(node NodeID, m M)
	running    bool
	stop       StopReason
	stopped    bool
	invariant  string
	budget     Budget
	env        Env[M]
	msgBuf     []byte // scratch for message hashes
	// handling is the node whose handler is running, or NoNode: a panic
	// while it runs is that node's broken invariant.
	handling NodeID
	// lossShown marks the links (from*n+to) whose loss to a partition or a
	// crashed receiver the text trace has shown since the last fault: one
	// line says it, instead of one per heartbeat.
	lossShown []bool
	// links holds each one-way link's cut and hold (from*n+to), allocated
	// when the first cut or hold is applied. linkUntil is the time before
	// which a link may be cut or held: 0 while none ever was, the end of the
	// latest hold, or math.MaxInt64 while a cut is in force. Sends and
	// deliveries look at links only when now < linkUntil, so a run without
	// cuts or holds pays one comparison.
	links     []link
	linkUntil Time
	holdMax   Time // the end of the latest hold
	cuts      int  // links cut now
}

// New returns an engine with the given configuration, drawing its decisions
// from the "network" stream of the root seed.
func New[M Message](cfg Config) *Engine[M] {
	e := &Engine[M]{cfg: cfg, network: newStream(cfg.Seed, "network"), handling: NoNode, syms: &Symbols{}}
	e.decider = SeedDecider{R: e.network.r}
	e.env.e = e
	return e
}

// Reset prepares the engine for another run of the same nodes and faults
// with another seed, keeping its memory: the queue's arrays,
// the random sources. The nodes start again (the caller resets their state),
// the faults are scheduled again, and decisions come from the new seed.
// Tracing, recording and replay are switched off. A run after Reset is
// identical to a run of a new engine built the same way with that seed.
func (e *Engine[M]) Reset(seed uint64) {
	e.cfg.Seed = seed
	e.now = 0
	e.q.reset()
	e.q.steered = false
	e.stats = Stats{}
	clear(e.lossShown)
	clear(e.links)
	e.linkUntil, e.holdMax, e.cuts = 0, 0, 0
	e.running, e.stopped, e.invariant, e.budget = false, false, "", Budget{}
	e.tracer, e.record, e.replay, e.states = nil, nil, nil, nil
	e.network.reseed(seed)
	e.decider = SeedDecider{R: e.network.r}
	for i := range e.nodes {
		n := &e.nodes[i]
		n.up, n.group, n.sent, n.timers, n.life = true, 0, 0, [MaxTimerKinds]int32{}, Life{}
		n.rng.reseed(seed)
		e.q.push(0, event[M]{kind: evStart, to: NodeID(i)})
	}
	faults := e.faults
	e.faults = e.faults[:0]
	for _, f := range faults {
		e.addFault(e.faultAt[len(e.faults)], f)
	}
}

// StopWhen ends the run, with StopSettled, as soon as settled returns true
// after an event: for protocols whose timers would otherwise tick until the
// time limit after the work is done. It is asked after every event, so it
// must be cheap, and it must only read the nodes' state. why says what the
// condition means, for Result.Describe.
func (e *Engine[M]) StopWhen(why string, settled func() bool) {
	e.settled, e.settledWhy = settled, why
}

// OnSend registers an observer called for every message a node sends,
// before the network decides its fate. Checkers use it to watch the run as it
// goes; it must not change what the nodes do.
func (e *Engine[M]) OnSend(f func(from, to NodeID, msg M)) { e.onSend = f }

// OnNote registers an observer of the protocol paths nodes take (Env.Note).
func (e *Engine[M]) OnNote(f func(node NodeID, note uint8)) { e.onNote = f }

// Config returns the engine's configuration.
func (e *Engine[M]) Config() Config { return e.cfg }

// SetDecider replaces the source of the engine's decisions (e.g. with a
// ByteDecider for fuzzing).
func (e *Engine[M]) SetDecider(d Decider) { e.decider = d }

// SetTracer enables tracing to t (nil disables it).
func (e *Engine[M]) SetTracer(t *Tracer) { e.tracer = t }

// RecordTo makes the engine append every executed event and every decision
// to *recs, forming the run's execution schedule.
func (e *Engine[M]) RecordTo(recs *[]Record) { e.record = recs }

// ReplayFrom makes the engine take its decisions from a recorded schedule
// and run the events it names, in its order (steered mode). The run stops at
// the first difference, which Result.Diverge describes.
func (e *Engine[M]) ReplayFrom(recs []Record) {
	e.replay = &replayer{recs: recs}
	e.decider = e.replay
	e.Steer()
}

// ReplayLenient replays a schedule leniently, for regression files and
// the minimizer: an event the schedule names that is not pending (the code,
// or the schedule, changed) is skipped, a decision the schedule does not
// have where one is asked is taken at its least (the least latency, no
// loss, no jitter), times are not checked, and the run ends with the
// schedule. Result.Skipped counts the skipped events.
func (e *Engine[M]) ReplayLenient(recs []Record) {
	e.ReplayFrom(recs)
	e.replay.lenient = true
}

// ReplayResolve gives a lenient replay f, which names anew the event each
// record names (without its time) before it is looked for among the
// pending events, or says (false) that the record is to be skipped: for
// the minimizer, which names a message by its contents across runs that
// number messages differently.
func (e *Engine[M]) ReplayResolve(f func(what string) (string, bool)) {
	if e.replay == nil || !e.replay.lenient {
		panic("sim: ReplayResolve needs a lenient replay (ReplayLenient)")
	}
	e.replay.resolve = f
}

// Steer switches the engine to steered mode: events run only when Do names
// them (or a replayed schedule does). Call it before the run starts.
func (e *Engine[M]) Steer() {
	if e.running {
		panic("sim: Steer called after the run started")
	}
	e.q.steer()
}

// SetBudget sets the faults and timer firings Enabled offers in steered mode.
func (e *Engine[M]) SetBudget(b Budget) { e.budget = b }

// Budget is what is left of the budget.
func (e *Engine[M]) Budget() Budget { return e.budget }

// AddNode adds a node under a unique name and schedules its start at time 0.
// Nodes start in the order they are added.
func (e *Engine[M]) AddNode(name string, n Node[M]) NodeID {
	id := NodeID(len(e.nodes))
	e.nodes = append(e.nodes, nodeSlot[M]{name: name, node: n, up: true, rng: newStream(e.cfg.Seed, "node/"+name)})
	e.q.push(0, event[M]{kind: evStart, to: id})
	return id
}

// Node returns node id.
func (e *Engine[M]) Node(id NodeID) Node[M] { return e.nodes[id].node }

// Name returns the name of node id.
func (e *Engine[M]) Name(id NodeID) string {
	if id < 0 || int(id) >= len(e.nodes) {
		if e.names != nil {
			return e.names.Name(id)
		}
		return "?"
	}
	return e.nodes[id].name
}

// Lookup returns the id of the node with the given name.
func (e *Engine[M]) Lookup(name string) (NodeID, bool) {
	for i := range e.nodes {
		if e.nodes[i].name == name {
			return NodeID(i), true
		}
	}
	return NoNode, false
}

// NumNodes is the number of nodes added.
func (e *Engine[M]) NumNodes() int { return len(e.nodes) }

// Life is what happened to node id's process so far: crashes and restarts.
func (e *Engine[M]) Life(id NodeID) Life { return e.nodes[id].life }

// InFlight counts the messages sent but neither delivered nor lost yet.
func (e *Engine[M]) InFlight() int {
	n := 0
	for i := range e.q.slab {
		if e.q.slab[i].kind == evDeliver {
			n++
		}
	}
	return n
}

// Up reports whether node id is running (not crashed).
func (e *Engine[M]) Up(id NodeID) bool { return e.nodes[id].up }

// Now is the current virtual time.
func (e *Engine[M]) Now() Time { return e.now }

// Stats returns the counts so far.
func (e *Engine[M]) Stats() Stats { return e.stats }

// OnRecord registers the observer of the records nodes make with
// Env.Record (a protocol's client history), called when the effect is
// applied, at the current virtual time and in order with the node's other
// effects (so a record the observer traces lands where it happened).
func (e *Engine[M]) OnRecord(f func(node NodeID, m M)) { e.onRecord = f }

// Crash schedules a crash of node at time at.
func (e *Engine[M]) Crash(at Time, node NodeID) {
	e.addFault(at, fault{kind: faultCrash, node: node})
}

// Restart schedules a restart of node at time at.
func (e *Engine[M]) Restart(at Time, node NodeID) {
	e.addFault(at, fault{kind: faultRestart, node: node})
}

// Partition schedules a partition at time at: from then on, messages between
// nodes of different groups are lost. Nodes in no group are unaffected.
func (e *Engine[M]) Partition(at Time, groups [][]NodeID) {
	e.addFault(at, fault{kind: faultPartition, node: NoNode, groups: groups})
}

// Heal schedules the end of every partition and every cut at time at.
// Holds are not ended by a heal: each ends at its own time.
func (e *Engine[M]) Heal(at Time) {
	e.addFault(at, fault{kind: faultHeal, node: NoNode})
}

// Cut schedules a one-way cut at time at: from then until the next heal,
// messages from from to to are lost (reason "cut"), including those already
// in flight when it starts. The other direction is not affected.
func (e *Engine[M]) Cut(at Time, from, to NodeID) {
	e.addFault(at, fault{kind: faultCut, node: from, to: to})
}

// Hold schedules a hold of the one-way link from from to to, from time at
// for d: every message from sends to to in [at, at+d) waits at the link
// until at+d and then travels with its drawn latency, so it is delivered at
// at+d plus that latency. Messages already in flight at at are not
// affected; loss, duplication, partitions and cuts apply as usual (a cut or
// partition in force at delivery loses a held message). Holds on one link
// overlap: the link is held until the latest end, and each message waits
// for the end in force when it was sent. A heal does not end a hold.
func (e *Engine[M]) Hold(at Time, from, to NodeID, d Time) {
	e.addFault(at, fault{kind: faultHold, node: from, to: to, dur: d})
}

// HasFaults reports whether faults were scheduled.
func (e *Engine[M]) HasFaults() bool { return len(e.faults) > 0 }

func (e *Engine[M]) addFault(at Time, f fault) {
	if len(e.faultAt) == len(e.faults) {
		e.faultAt = append(e.faultAt, at)
	}
	e.faults = append(e.faults, f)
	e.q.push(at, event[M]{kind: evFault, arg: int32(len(e.faults) - 1), to: f.node})
}

// Run executes events until none is left, the time or event limit is
// reached, the StopWhen condition holds, a node breaks an invariant, or a
// replay diverges. It is a loop over Step.
func (e *Engine[M]) Run() Result {
	if e.running {
		panic("sim: Run called twice on one engine")
	}
	e.loop()
	return e.Result()
}

// loop steps until the run is over, under one guard for node panics (a
// deferred recover per event would cost every event).
func (e *Engine[M]) loop() {
	defer e.recoverNode()
	if e.progress == nil {
		for e.next() {
		}
		return
	}
	for e.next() {
		if e.stats.Events&progressMask == 0 {
			e.progress()
		}
	}
}

// progressMask: Run calls the progress observer every 65536 events.
const progressMask = 1<<16 - 1

// OnProgress registers f, which Run calls every 65536 events, for a
// progress report on long runs: it must only read the run (Stats, the
// nodes), never change it.
func (e *Engine[M]) OnProgress(f func()) { e.progress = f }

// Step runs the next event: in ordered mode the earliest, in a replay the
// one the schedule names. It reports false when the run is over.
func (e *Engine[M]) Step() (more bool) {
	defer e.recoverNode()
	return e.next()
}

// recoverNode turns a panic in a node's handler into a stopped run with a
// broken invariant, naming the node; any other panic is the engine's own
// bug and goes on.
func (e *Engine[M]) recoverNode() {
	if e.handling == NoNode {
		return
	}
	r := recover()
	if r == nil {
		return
	}
	e.invariant = fmt.Sprintf("%s broke an invariant: %v", e.nodes[e.handling].name, r)
	e.handling = NoNode
	e.end(StopInvariant)
}

func (e *Engine[M]) next() bool {
	e.running = true
	if e.stopped {
		return false
	}
	if e.replay != nil {
		return e.replayStep()
	}
	if e.q.steered {
		panic("sim: Step in steered mode without a schedule: use Enabled and Do")
	}
	for {
		at, ok := e.q.peek()
		if !ok {
			return e.end(StopQuiescent)
		}
		if at > e.cfg.TimeLimit {
			return e.end(StopTimeLimit)
		}
		if e.stats.Events >= e.cfg.MaxEvents {
			return e.end(StopEventLimit)
		}
		slot := e.q.pop()
		if e.q.slab[slot].kind == evCancel {
			e.q.take(slot)
			continue // a cancelled timer that no purge dropped (queue.purge)
		}
		e.run(slot)
		return !e.stopped
	}
}

// end stops the run for reason r and reports false, for Step.
func (e *Engine[M]) end(r StopReason) bool {
	if !e.stopped {
		e.stop, e.stopped = r, true
	}
	return false
}

// run executes the event in slot (already out of the heap).
func (e *Engine[M]) run(slot int32) {
	ev := e.q.take(slot)
	e.now = max(e.now, ev.at)
	if ev.kind == evTimer {
		e.nodes[ev.to].timers[ev.timer] = 0
	}
	e.stats.Events++
	switch {
	case e.record != nil || e.replay != nil && !e.replay.lenient:
		text := e.describe(&ev)
		if e.record != nil {
			*e.record = append(*e.record, Record{Kind: RecEvent, Text: text})
		}
		if e.replay != nil {
			e.replay.event(text)
		}
	case e.replay != nil:
		e.replay.event("") // a lenient replay checks no event's text
	}
	e.dispatch(&ev)
	if e.states != nil {
		e.traceStates(e.identity(&ev))
	}
	e.after()
}

// after checks, once an event has run, whether the run is over.
func (e *Engine[M]) after() {
	if e.replay != nil && e.replay.div != nil {
		e.end(StopDivergence)
	}
	if !e.stopped && e.settled != nil && e.settled() {
		if r := e.replay; r != nil && r.pos < len(r.recs) && r.recs[r.pos].Kind == RecStop {
			// The schedule stops here on purpose, where the run would
			// settle too: its stop says why the run ends.
			r.pos++
			e.end(StopCut)
			return
		}
		e.end(StopSettled)
	}
}

// Result is the outcome of the run so far.
func (e *Engine[M]) Result() Result {
	// However the run ended, it must have used the whole schedule: records
	// left over (after a time or event limit too) are a divergence.
	if e.replay != nil && e.stop != StopDivergence && e.stop != StopInvariant {
		e.replay.finish()
		if e.replay.div != nil {
			e.stop, e.stopped = StopDivergence, true
		}
	}
	res := Result{Stats: e.stats, End: e.now, Reason: e.stop, settledWhy: e.settledWhy, Pending: e.q.Len(), Invariant: e.invariant}
	if e.replay != nil {
		res.Diverge, res.Skipped = e.replay.div, e.replay.skipped
	}
	return res
}

// Failure is the broken invariant that stopped the run, or "".
func (e *Engine[M]) Failure() string { return e.invariant }

// Stopped reports whether the run is over (a limit, a settled state, a broken
// invariant, a divergence).
func (e *Engine[M]) Stopped() bool { return e.stopped }

func (e *Engine[M]) dispatch(ev *event[M]) {
	switch ev.kind {
	case evStart:
		e.call(ev.to, ev)
	case evDeliver:
		e.deliver(ev)
	case evTimer:
		n := &e.nodes[ev.to]
		if e.tracer != nil {
			e.tracer.JSONRecord(e.now, EvTimer, func(b []byte) []byte {
				b = AppendJSONField(b, FieldNode, n.name)
				return AppendJSONField(b, FieldName, e.timerName(ev.timer))
			})
		}
		e.call(ev.to, ev)
	case evFault:
		e.applyFault(&e.faults[ev.arg])
	}
}

// call runs the handler of node id for ev and applies its outbox. A node
// that panics has broken an invariant: the run stops and says so, and the
// node's effects are not applied.
func (e *Engine[M]) call(id NodeID, ev *event[M]) {
	n := &e.nodes[id]
	env := &e.env
	env.self = id
	env.out = env.out[:0]
	if len(env.texts) > 0 {
		clear(env.texts)
		env.texts = env.texts[:0]
	}
	if e.states != nil {
		e.states.touch(id)
	}
	e.handle(n, env, ev) // a panic skips the effects: recoverNode stops the run
	e.apply(id, env)
}

func (e *Engine[M]) handle(n *nodeSlot[M], env *Env[M], ev *event[M]) {
	n.own()
	e.handling = env.self // a panic from here on is the node's (recoverNode)
	switch ev.kind {
	case evStart:
		n.node.Start(env)
	case evDeliver:
		n.node.Receive(env, ev.from, ev.msg)
	case evTimer:
		n.node.Timer(env, ev.timer)
	}
	e.handling = NoNode
}

// apply carries out a handler's effects in the order it made them.
func (e *Engine[M]) apply(id NodeID, env *Env[M]) {
	n := &e.nodes[id]
	for i := range env.out {
		f := &env.out[i]
		switch f.kind {
		case effSend:
			e.send(id, f.to, &f.msg)
		case effSetTimer:
			e.cancelTimer(n, f.timer)
			after := f.after
			if f.jitter > 0 {
				after += e.decideJitter(n, f.jitter)
			}
			at := e.now + after
			if at < e.now {
				at = math.MaxInt64 // the sum overflowed: a delay too long to reach is "never", not the past
			}
			n.timers[f.timer] = e.q.push(at, event[M]{kind: evTimer, to: id, timer: f.timer}) + 1
		case effCancelTimer:
			e.cancelTimer(n, f.timer)
		case effStep:
			e.step(id, env.texts[f.idx])
		case effRecord:
			if e.onRecord != nil {
				e.onRecord(id, f.msg)
			}
		case effNote:
			e.onNote(id, f.note)
		}
	}
	// Not cleared: the next handler overwrites the entries, and the outbox
	// keeps at most its high-water mark of messages alive.
	env.out = env.out[:0]
}

func (e *Engine[M]) cancelTimer(n *nodeSlot[M], k TimerKind) {
	if s := n.timers[k]; s != 0 {
		e.q.cancel(s-1, e.cfg.TimeLimit)
		n.timers[k] = 0
	}
}

func (e *Engine[M]) timerName(k TimerKind) string {
	if int(k) < len(e.cfg.TimerNames) && e.cfg.TimerNames[k] != "" {
		return e.cfg.TimerNames[k]
	}
	return "timer" + strconv.Itoa(int(k))
}

// describe renders an event as its schedule line (without the "e "): its
// time and its logical identity.
func (e *Engine[M]) describe(ev *event[M]) string {
	return strconv.FormatInt(int64(e.now), 10) + " " + e.identity(ev)
}

// identity names an event independently of when it runs: a node's start, a
// message by its sender and number, a timer by its node and kind, a fault.
func (e *Engine[M]) identity(ev *event[M]) string {
	switch ev.kind {
	case evStart:
		return "start " + e.nodes[ev.to].name
	case evDeliver:
		s := "deliver " + e.msgIdentity(ev)
		if ev.dup {
			s += " dup"
		}
		return s
	case evTimer:
		return "timer " + e.nodes[ev.to].name + " " + e.timerName(ev.timer)
	case evFault:
		return e.faultText(&e.faults[ev.arg])
	}
	return "?"
}

// msgIdentity is "<from>#<n> <to> <Type>".
func (e *Engine[M]) msgIdentity(ev *event[M]) string {
	return e.nodes[ev.from].name + "#" + strconv.FormatUint(uint64(ev.n), 10) + " " + e.nodes[ev.to].name + " " + ev.msg.Type()
}

func (e *Engine[M]) faultText(f *fault) string {
	switch f.kind {
	case faultCrash:
		return "crash " + e.nodes[f.node].name
	case faultRestart:
		return "restart " + e.nodes[f.node].name
	case faultHeal:
		return "heal"
	case faultCut:
		return "cut " + e.nodes[f.node].name + " -> " + e.nodes[f.to].name
	case faultHold:
		return "hold " + e.nodes[f.node].name + " -> " + e.nodes[f.to].name + " for " + f.dur.String()
	}
	groups := make([]string, len(f.groups))
	for i, g := range f.groups {
		names := make([]string, len(g))
		for j, id := range g {
			names[j] = e.nodes[id].name
		}
		groups[i] = strings.Join(names, ",")
	}
	return "partition " + strings.Join(groups, "|")
}

func (e *Engine[M]) applyFault(f *fault) {
	clear(e.lossShown)
	text := e.faultText(f)
	switch f.kind {
	case faultCrash:
		if !e.nodes[f.node].up {
			text += " (already down)"
			break
		}
		e.crash(f.node)
	case faultRestart:
		if e.nodes[f.node].up {
			text += " (already up)"
		}
	case faultPartition:
		for i := range e.nodes {
			e.nodes[i].group = 0
		}
		for gi, g := range f.groups {
			for _, id := range g {
				e.nodes[id].group = int32(gi + 1)
			}
		}
	case faultHeal:
		for i := range e.nodes {
			e.nodes[i].group = 0
		}
		if e.cuts > 0 {
			for i := range e.links {
				e.links[i].cut = false
			}
			e.cuts = 0
		}
	case faultCut:
		l := e.link(f.node, f.to)
		if l.cut {
			text += " (already cut)"
			break
		}
		l.cut = true
		e.cuts++
	case faultHold:
		l := e.link(f.node, f.to)
		end := e.now + f.dur
		if end < e.now {
			end = math.MaxInt64
		}
		l.holdUntil = max(l.holdUntil, end)
		e.holdMax = max(e.holdMax, end)
	}
	e.linkUntil = e.holdMax
	if e.cuts > 0 {
		e.linkUntil = math.MaxInt64
	}
	e.traceFault(f, text)
	// The node restarts after the fault is traced, so that its start-up
	// steps follow the restart line.
	if f.kind == faultRestart && !e.nodes[f.node].up {
		e.restart(f.node)
	}
}

// crash stops node id: its timers are forgotten and it loses what is not
// durable.
func (e *Engine[M]) crash(id NodeID) {
	n := &e.nodes[id]
	n.up = false
	for k := range n.timers {
		e.cancelTimer(n, TimerKind(k))
	}
	n.own()
	n.node.Crash()
	if e.states != nil {
		e.states.touch(id)
	}
	n.life.Crashes++
	n.life.LastCrash = e.now
}

func (e *Engine[M]) restart(id NodeID) {
	n := &e.nodes[id]
	n.up = true
	n.life.Restarts++
	n.life.LastRestart = e.now
	e.call(id, &event[M]{kind: evStart, to: id})
}

// link returns the state of the link from -> to, allocating every link's
// on first use.
func (e *Engine[M]) link(from, to NodeID) *link {
	n := len(e.nodes)
	if len(e.links) != n*n {
		e.links = make([]link, n*n)
	}
	return &e.links[int(from)*n+int(to)]
}

func (e *Engine[M]) traceFault(f *fault, text string) {
	if e.tracer == nil {
		return
	}
	e.tracer.TextLine(e.now, "fault", text)
	kind, node := f.kind, f.node
	e.tracer.JSONRecord(e.now, faultKindNames[kind], func(b []byte) []byte {
		if kind == faultCut || kind == faultHold {
			b = AppendJSONField(b, FieldFrom, e.nodes[node].name)
			b = AppendJSONField(b, FieldTo, e.nodes[f.to].name)
			if kind == faultHold {
				b = AppendJSONInt(b, FieldFor, int64(f.dur))
			}
			return b
		}
		if node != NoNode {
			b = AppendJSONField(b, FieldNode, e.nodes[node].name)
		}
		if kind == faultPartition {
			b = append(b, `,"`+FieldGroups+`":[`...)
			for i, g := range f.groups {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, '[')
				for j, id := range g {
					if j > 0 {
						b = append(b, ',')
					}
					b = AppendJSONString(b, e.nodes[id].name)
				}
				b = append(b, ']')
			}
			b = append(b, ']')
		}
		return b
	})
}

func (e *Engine[M]) partitioned(a, b NodeID) bool {
	ga, gb := e.nodes[a].group, e.nodes[b].group
	return ga != 0 && gb != 0 && ga != gb
}

func (e *Engine[M]) decideLatency() Time {
	l := e.decider.Latency(e.cfg.LatencyMin, e.cfg.LatencyMax)
	if e.record != nil {
		*e.record = append(*e.record, Record{Kind: RecLatency, Value: int64(l)})
	}
	return l
}

func (e *Engine[M]) decideJitter(n *nodeSlot[M], max Time) Time {
	j := e.decider.Jitter(n.rng.r, max)
	if e.record != nil {
		*e.record = append(*e.record, Record{Kind: RecJitter, Value: int64(j)})
	}
	return j
}

// decideChance asks the decider only when 0 < p, as Decider.Chance
// promises. It is small enough to be inlined, so that a network without
// loss or duplicates pays a comparison per send, not two calls.
func (e *Engine[M]) decideChance(what Decision, p float64) bool {
	if p <= 0 {
		return false
	}
	return e.drawChance(what, p)
}

func (e *Engine[M]) drawChance(what Decision, p float64) bool {
	v := e.decider.Chance(what, p)
	if e.record != nil {
		kind := RecDrop
		if what == DecideDuplicate {
			kind = RecDuplicate
		}
		var x int64
		if v {
			x = 1
		}
		*e.record = append(*e.record, Record{Kind: kind, Value: x})
	}
	return v
}

func (e *Engine[M]) send(from, to NodeID, msg *M) {
	e.stats.Sent++
	mid := uint64(e.stats.Sent)
	src := &e.nodes[from]
	src.sent++
	num := src.sent
	if e.onSend != nil {
		e.onSend(from, to, *msg)
	}
	if e.tracer != nil {
		e.traceMsg(EvSend, mid, from, to, msg, "")
	}
	if e.partitioned(from, to) {
		e.dropped(mid, from, to, msg, DropPartition)
		return
	}
	depart := e.now // when the message leaves: later on a held link
	if e.now < e.linkUntil {
		l := &e.links[int(from)*len(e.nodes)+int(to)]
		if l.cut {
			e.dropped(mid, from, to, msg, DropCut)
			return
		}
		depart = max(depart, l.holdUntil)
	}
	if e.decideChance(DecideDrop, e.cfg.Drop) {
		e.dropped(mid, from, to, msg, DropLoss)
		return
	}
	var h uint64
	if e.q.steered {
		h = e.msgHash(from, to, msg)
	}
	_, ev := e.q.alloc(depart + e.decideLatency())
	ev.kind, ev.from, ev.to, ev.n, ev.mid, ev.h = evDeliver, from, to, num, mid, h
	// The message on its own: in the tuple assignment above it would be
	// copied twice, through a temporary.
	ev.msg = *msg
	if e.decideChance(DecideDuplicate, e.cfg.Duplicate) {
		e.stats.Duplicated++
		_, dup := e.q.alloc(depart + e.decideLatency())
		dup.kind, dup.from, dup.to, dup.n, dup.mid, dup.h, dup.dup = evDeliver, from, to, num, mid, h, true
		dup.msg = *msg
	}
}

// cut reports whether the link from -> to is cut now.
func (e *Engine[M]) cut(from, to NodeID) bool {
	return e.cuts > 0 && e.links[int(from)*len(e.nodes)+int(to)].cut
}

func (e *Engine[M]) deliver(ev *event[M]) {
	n := &e.nodes[ev.to]
	switch {
	case !n.up:
		e.dropped(ev.mid, ev.from, ev.to, &ev.msg, DropCrashed)
		return
	case e.partitioned(ev.from, ev.to):
		e.dropped(ev.mid, ev.from, ev.to, &ev.msg, DropPartition)
		return
	case e.cut(ev.from, ev.to):
		e.dropped(ev.mid, ev.from, ev.to, &ev.msg, DropCut)
		return
	}
	e.stats.Delivered++
	if e.tracer != nil {
		reason := ""
		if ev.dup {
			reason = NoteDuplicate
		}
		e.traceMsg(EvDeliver, ev.mid, ev.from, ev.to, &ev.msg, reason)
	}
	e.call(ev.to, ev)
}

func (e *Engine[M]) dropped(mid uint64, from, to NodeID, msg *M, reason string) {
	e.stats.Dropped++
	if e.tracer == nil {
		return
	}
	note := reason
	if reason != DropLoss {
		n := len(e.nodes)
		if len(e.lossShown) != n*n {
			e.lossShown = make([]bool, n*n)
		}
		if e.lossShown[int(from)*n+int(to)] {
			note = ""
		} else {
			e.lossShown[int(from)*n+int(to)] = true
			note += "; later losses on this link are not shown until the next fault"
		}
	}
	if note != "" {
		e.tracer.TextLine(e.now, "network", "lost "+(*msg).Type()+" "+e.nodes[from].name+" -> "+e.nodes[to].name+" ("+note+")")
	}
	e.traceMsg(EvDrop, mid, from, to, msg, reason)
}

func (e *Engine[M]) traceMsg(ev TraceEv, mid uint64, from, to NodeID, msg *M, reason string) {
	e.tracer.JSONRecord(e.now, ev, func(b []byte) []byte {
		b = AppendJSONInt(b, FieldMid, int64(mid))
		b = AppendJSONField(b, FieldFrom, e.nodes[from].name)
		b = AppendJSONField(b, FieldTo, e.nodes[to].name)
		b = append(b, `,"`+FieldMsg+`":`...)
		b = (*msg).AppendJSON(b, e)
		if reason != "" {
			key := FieldReason
			if ev == EvDeliver {
				key = FieldNote
			}
			b = AppendJSONField(b, key, reason)
		}
		return b
	})
}

func (e *Engine[M]) step(id NodeID, text string) {
	if e.tracer == nil {
		return
	}
	name := e.nodes[id].name
	e.tracer.TextLine(e.now, name, text)
	e.tracer.JSONRecord(e.now, EvStep, func(b []byte) []byte {
		b = AppendJSONField(b, FieldNode, name)
		return AppendJSONField(b, FieldText, text)
	})
}
