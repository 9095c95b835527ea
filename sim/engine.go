package sim

import (
	"fmt"
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
}

// Stats counts what happened in a run.
type Stats struct {
	Events     int // events executed
	Sent       int // messages handed to the network
	Delivered  int // messages delivered to a live node
	Dropped    int // messages lost: by chance, partition, or a crashed receiver
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
)

// Result is the outcome of Engine.Run.
type Result struct {
	Stats
	End     Time // virtual time of the last event
	Reason  StopReason
	Pending int         // events left in the queue
	Diverge *Divergence // set when Reason is StopDivergence

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
	default:
		return "no events left"
	}
}

type nodeSlot[M Message] struct {
	name  string
	node  Node[M]
	env   Env[M]
	up    bool
	inc   uint32 // incarnation: bumped by a crash, so old timers are skipped
	group int32  // partition group, 0 when not in any
}

type faultKind uint8

const (
	faultCrash faultKind = iota
	faultRestart
	faultPartition
	faultHeal
)

type fault struct {
	kind   faultKind
	node   NodeID
	groups [][]NodeID
}

// Engine runs one simulation. It is single-threaded; an Engine must not be
// used from several goroutines at once.
type Engine[M Message] struct {
	cfg        Config
	now        Time
	q          queue[M]
	nodes      []nodeSlot[M]
	faults     []fault
	faultAt    []Time // when each fault happens
	decider    Decider
	network    stream // the seeded decider's stream
	onSend     func(from, to NodeID, msg M)
	settled    func() bool
	settledWhy string
	tracer     *Tracer
	record     *[]Record
	replay     *replayer
	stats      Stats
	history    []HistoryEvent
	running    bool
	// lossShown marks the links (from*n+to) whose loss to a partition or a
	// crashed receiver the text trace has shown since the last fault: one
	// line says it, instead of one per heartbeat.
	lossShown []bool
}

// New returns an engine with the given configuration, drawing its decisions
// from the "network" stream of the root seed.
func New[M Message](cfg Config) *Engine[M] {
	e := &Engine[M]{cfg: cfg, network: newStream(cfg.Seed, "network")}
	e.decider = SeedDecider{R: e.network.r}
	return e
}

// Reset prepares the engine for another run of the same nodes and faults
// with another seed, keeping its memory: the queue's arrays, the history's,
// the random sources. The nodes start again (the caller resets their state),
// the faults are scheduled again, and decisions come from the new seed.
// Tracing, recording and replay are switched off. A run after Reset is
// identical to a run of a new engine built the same way with that seed.
func (e *Engine[M]) Reset(seed uint64) {
	e.cfg.Seed = seed
	e.now = 0
	e.q.reset()
	e.stats = Stats{}
	e.history = e.history[:0]
	clear(e.lossShown)
	e.running = false
	e.tracer, e.record, e.replay = nil, nil, nil
	e.network.reseed(seed)
	e.decider = SeedDecider{R: e.network.r}
	for i := range e.nodes {
		n := &e.nodes[i]
		n.up, n.inc, n.group = true, 0, 0
		n.env.rng.reseed(seed)
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
// and check every executed event against it. The run stops at the first
// difference, which Result.Diverge describes.
func (e *Engine[M]) ReplayFrom(recs []Record) {
	e.replay = &replayer{recs: recs}
	e.decider = e.replay
}

// AddNode adds a node under a unique name and schedules its start at time 0.
// Nodes start in the order they are added.
func (e *Engine[M]) AddNode(name string, n Node[M]) NodeID {
	id := NodeID(len(e.nodes))
	e.nodes = append(e.nodes, nodeSlot[M]{name: name, node: n, up: true})
	e.nodes[id].env = Env[M]{e: e, id: id, rng: newStream(e.cfg.Seed, "node/"+name)}
	e.q.push(0, event[M]{kind: evStart, to: id})
	return id
}

// Name returns the name of node id.
func (e *Engine[M]) Name(id NodeID) string {
	if id < 0 || int(id) >= len(e.nodes) {
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

// Up reports whether node id is running (not crashed).
func (e *Engine[M]) Up(id NodeID) bool { return e.nodes[id].up }

// Now is the current virtual time.
func (e *Engine[M]) Now() Time { return e.now }

// Stats returns the counts so far.
func (e *Engine[M]) Stats() Stats { return e.stats }

// History returns the client history recorded so far, in order.
func (e *Engine[M]) History() []HistoryEvent { return e.history }

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

// Heal schedules the end of every partition at time at.
func (e *Engine[M]) Heal(at Time) {
	e.addFault(at, fault{kind: faultHeal, node: NoNode})
}

func (e *Engine[M]) addFault(at Time, f fault) {
	if len(e.faultAt) == len(e.faults) {
		e.faultAt = append(e.faultAt, at)
	}
	e.faults = append(e.faults, f)
	e.q.push(at, event[M]{kind: evFault, arg: int64(len(e.faults) - 1), to: f.node})
}

// Run executes events in (time, sequence) order until none is left, the
// time or event limit is reached, or a replay diverges.
func (e *Engine[M]) Run() Result {
	if e.running {
		panic("sim: Run called twice on one engine")
	}
	e.running = true
	res := Result{}
	for {
		if e.replay != nil && e.replay.div != nil {
			res.Reason = StopDivergence
			break
		}
		at, ok := e.q.peek()
		if !ok {
			res.Reason = StopQuiescent
			break
		}
		if at > e.cfg.TimeLimit {
			res.Reason = StopTimeLimit
			break
		}
		if e.stats.Events >= e.cfg.MaxEvents {
			res.Reason = StopEventLimit
			break
		}
		at, ev := e.q.pop()
		if ev.kind == evCancel || (ev.kind == evTimer && (!e.nodes[ev.to].up || ev.inc != e.nodes[ev.to].inc)) {
			continue // a cancelled timer, or one set before its node crashed
		}
		e.now = at
		e.stats.Events++
		if e.record != nil || e.replay != nil {
			text := e.describe(at, &ev)
			if e.record != nil {
				*e.record = append(*e.record, Record{Kind: RecEvent, Text: text})
			}
			if e.replay != nil {
				e.replay.event(text)
				if e.replay.div != nil {
					continue
				}
			}
		}
		e.dispatch(&ev)
		if e.settled != nil && e.settled() {
			res.Reason = StopSettled
			break
		}
	}
	// However the run ended, it must have used the whole schedule: records
	// left over (after a time or event limit too) are a divergence.
	if e.replay != nil && res.Reason != StopDivergence {
		e.replay.finish()
		if e.replay.div != nil {
			res.Reason = StopDivergence
		}
	}
	res.Stats = e.stats
	res.End = e.now
	res.settledWhy = e.settledWhy
	res.Pending = e.q.Len()
	if e.replay != nil {
		res.Diverge = e.replay.div
	}
	return res
}

func (e *Engine[M]) dispatch(ev *event[M]) {
	switch ev.kind {
	case evStart:
		n := &e.nodes[ev.to]
		n.node.Start(&n.env)
	case evDeliver:
		e.deliver(ev)
	case evTimer:
		n := &e.nodes[ev.to]
		if e.tracer != nil {
			e.tracer.JSONRecord(e.now, "timer", func(b []byte) []byte {
				b = AppendJSONField(b, "node", n.name)
				b = AppendJSONField(b, "name", ev.name)
				return AppendJSONInt(b, "arg", ev.arg)
			})
		}
		n.node.Timer(&n.env, ev.name, ev.arg)
	case evFault:
		e.applyFault(&e.faults[ev.arg])
	}
}

// describe renders an event as its schedule line (without the "e ").
func (e *Engine[M]) describe(at Time, ev *event[M]) string {
	var b strings.Builder
	b.WriteString(strconv.FormatInt(int64(at), 10))
	switch ev.kind {
	case evStart:
		b.WriteString(" start " + e.nodes[ev.to].name)
	case evDeliver:
		b.WriteString(" deliver " + e.nodes[ev.from].name + ">" + e.nodes[ev.to].name + " " + ev.msg.Type())
		if ev.dup {
			b.WriteString(" dup")
		}
	case evTimer:
		b.WriteString(" timer " + e.nodes[ev.to].name + " " + ev.name + " " + strconv.FormatInt(ev.arg, 10))
	case evFault:
		b.WriteString(" " + e.faultText(&e.faults[ev.arg]))
	}
	return b.String()
}

func (e *Engine[M]) faultText(f *fault) string {
	switch f.kind {
	case faultCrash:
		return "crash " + e.nodes[f.node].name
	case faultRestart:
		return "restart " + e.nodes[f.node].name
	case faultHeal:
		return "heal"
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
		n := &e.nodes[f.node]
		if !n.up {
			text += " (already down)"
			break
		}
		n.up = false
		n.inc++
		n.node.Crash()
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
	}
	if e.tracer != nil {
		e.tracer.TextLine(e.now, "fault", text)
		e.tracer.JSONRecord(e.now, [...]string{"crash", "restart", "partition", "heal"}[f.kind], func(b []byte) []byte {
			if f.node != NoNode {
				b = AppendJSONField(b, "node", e.nodes[f.node].name)
			}
			if f.kind == faultPartition {
				b = append(b, `,"groups":[`...)
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
	// The node restarts after the fault is traced, so that its start-up
	// steps follow the restart line.
	if f.kind == faultRestart && !e.nodes[f.node].up {
		n := &e.nodes[f.node]
		n.up = true
		n.node.Start(&n.env)
	}
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

func (e *Engine[M]) decideChance(what Decision, p float64) bool {
	if p <= 0 {
		return false
	}
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

func (e *Engine[M]) send(from, to NodeID, msg M) {
	e.stats.Sent++
	mid := uint64(e.stats.Sent)
	if e.onSend != nil {
		e.onSend(from, to, msg)
	}
	if e.tracer != nil {
		e.traceMsg("send", mid, from, to, &msg, "")
	}
	if e.partitioned(from, to) {
		e.dropped(mid, from, to, &msg, "partition")
		return
	}
	if e.decideChance(DecideDrop, e.cfg.Drop) {
		e.dropped(mid, from, to, &msg, "loss")
		return
	}
	e.q.push(e.now+e.decideLatency(), event[M]{kind: evDeliver, from: from, to: to, msg: msg, mid: mid})
	if e.decideChance(DecideDuplicate, e.cfg.Duplicate) {
		e.stats.Duplicated++
		e.q.push(e.now+e.decideLatency(), event[M]{kind: evDeliver, from: from, to: to, msg: msg, mid: mid, dup: true})
	}
}

func (e *Engine[M]) deliver(ev *event[M]) {
	n := &e.nodes[ev.to]
	switch {
	case !n.up:
		e.dropped(ev.mid, ev.from, ev.to, &ev.msg, "crashed")
		return
	case e.partitioned(ev.from, ev.to):
		e.dropped(ev.mid, ev.from, ev.to, &ev.msg, "partition")
		return
	}
	e.stats.Delivered++
	if e.tracer != nil {
		reason := ""
		if ev.dup {
			reason = "duplicate"
		}
		e.traceMsg("deliver", ev.mid, ev.from, ev.to, &ev.msg, reason)
	}
	n.node.Receive(&n.env, ev.from, ev.msg)
}

func (e *Engine[M]) dropped(mid uint64, from, to NodeID, msg *M, reason string) {
	e.stats.Dropped++
	if e.tracer == nil {
		return
	}
	note := reason
	if reason != "loss" {
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
	e.traceMsg("drop", mid, from, to, msg, reason)
}

func (e *Engine[M]) traceMsg(ev string, mid uint64, from, to NodeID, msg *M, reason string) {
	e.tracer.JSONRecord(e.now, ev, func(b []byte) []byte {
		b = AppendJSONInt(b, "mid", int64(mid))
		b = AppendJSONField(b, "from", e.nodes[from].name)
		b = AppendJSONField(b, "to", e.nodes[to].name)
		b = append(b, `,"msg":`...)
		b = (*msg).AppendJSON(b)
		if reason != "" {
			key := "reason"
			if ev == "deliver" {
				key = "note"
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
	e.tracer.JSONRecord(e.now, "step", func(b []byte) []byte {
		b = AppendJSONField(b, "node", name)
		return AppendJSONField(b, "text", text)
	})
}

func (e *Engine[M]) invoke(id NodeID, op Op) {
	e.history = append(e.history, HistoryEvent{T: e.now, Client: id, Invoke: true, Op: op})
	if e.tracer == nil {
		return
	}
	e.tracer.JSONRecord(e.now, "invoke", func(b []byte) []byte {
		b = AppendJSONField(b, "client", e.nodes[id].name)
		b = AppendJSONInt(b, "id", int64(op.ID))
		b = AppendJSONField(b, "op", op.Op)
		b = AppendJSONField(b, "key", op.Key)
		if op.Op == "put" {
			b = AppendJSONField(b, "value", op.Value)
		}
		return b
	})
}

func (e *Engine[M]) ret(id NodeID, r Ret) {
	e.history = append(e.history, HistoryEvent{T: e.now, Client: id, Ret: r})
	if e.tracer == nil {
		return
	}
	e.tracer.JSONRecord(e.now, "return", func(b []byte) []byte {
		b = AppendJSONField(b, "client", e.nodes[id].name)
		b = AppendJSONInt(b, "id", int64(r.ID))
		b = AppendJSONBool(b, "ok", r.OK)
		if r.OK && r.HasValue {
			b = AppendJSONField(b, "value", r.Value)
		}
		if !r.OK {
			b = AppendJSONField(b, "error", r.Err)
		}
		return b
	})
}
