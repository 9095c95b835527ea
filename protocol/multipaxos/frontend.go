package multipaxos

import (
	"strconv"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// request queues a client request to a candidate or leading node, answers a
// retry of an applied request from the state machine, and serves the queue.
func (l *Leader) request(env *kv.Env, from sim.NodeID, cmd protocol.Command) {
	if r, ok := l.machine.Answered(cmd.Client, cmd.Seq); ok && l.recovering <= l.applied {
		env.Note(protocol.NoteSessionAnswer)
		if env.Tracing() {
			env.Step(kv.Retried(env, cmd))
			kv.Explain(env, protocol.RuleSession)
		}
		env.Send(from, protocol.Msg{Kind: protocol.Reply, Cmd: cmd, Result: r})
		return
	}
	if l.proposed(cmd) {
		if env.Tracing() {
			env.Step("ignoring a copy of " + cmd.Request(env) + ": already queued or in Phase 2")
		}
		return
	}
	l.queue = append(l.queue, pending{from: from, cmd: cmd})
	l.waits.add(cmd)
	if (l.inflight >= max(l.Pipeline, 1) || l.role != leading || l.recovering > l.applied) && env.Tracing() {
		env.Step("queued " + cmd.Request(env) + " (" + strconv.Itoa(len(l.queue)-l.head) + " waiting)")
	}
	l.serve(env)
}

// proposed reports whether cmd's request is already queued, or in a slot
// not yet applied that will answer its client: in constant time, from the
// per-client counts of waits, unless the client has other requests waiting
// too (a copy of an old one, after a restart), when the queue and the slots
// are searched.
func (l *Leader) proposed(cmd protocol.Command) bool {
	found, exact := l.waits.has(cmd)
	if exact {
		return found
	}
	return l.waiting(cmd)
}

// waiting searches the queue and the unapplied slots for cmd's request.
func (l *Leader) waiting(cmd protocol.Command) bool {
	for _, p := range l.queue[l.head:] {
		if p.cmd.Client == cmd.Client && p.cmd.Seq == cmd.Seq {
			return true
		}
	}
	for _, p := range l.slots[l.applied-l.base():] {
		// A recovered slot answers no client: a copy of its request waits
		// in the queue and is answered from the session once it is applied.
		if !p.clients() {
			continue
		}
		for i := range p.val.Len() {
			if c := p.val.At(i); c.Client == cmd.Client && c.Seq == cmd.Seq {
				return true
			}
		}
	}
	return false
}

// serve starts Phase 2 for the next queued requests when the node leads,
// has applied the recovered log, and has fewer than Pipeline slots of new
// requests in Phase 2: each free slot takes up to Batch of the requests
// waiting, in arrival order.
func (l *Leader) serve(env *kv.Env) {
	for l.role == leading && l.inflight < max(l.Pipeline, 1) && l.recovering <= l.applied && l.head < len(l.queue) {
		cmds, from := l.cmds[:0], l.from[:0]
		for len(cmds) < max(l.Batch, 1) && l.head < len(l.queue) {
			p := l.next()
			if r, ok := l.machine.Answered(p.cmd.Client, p.cmd.Seq); ok {
				l.waits.remove(p.cmd)
				env.Note(protocol.NoteSessionAnswer)
				if env.Tracing() {
					env.Step(kv.Retried(env, p.cmd))
					kv.Explain(env, protocol.RuleSession)
				}
				env.Send(p.from, protocol.Msg{Kind: protocol.Reply, Cmd: p.cmd, Result: r})
				continue
			}
			cmds, from = append(cmds, p.cmd), append(from, p.from)
		}
		l.cmds, l.from = cmds, from
		if len(cmds) == 0 {
			continue
		}
		l.inflight++
		v := protocol.Batch(cmds)
		if len(cmds) > 1 {
			env.Note(protocol.NoteBatch)
		}
		if env.Tracing() {
			slot := strconv.FormatInt(l.base()+int64(len(l.slots))+1, 10)
			if len(cmds) == 1 {
				env.Step("Assigning slot " + slot + " for " + cmds[0].Request(env) + ": " + cmds[0].Text(env) + l.sendsAccept())
			} else {
				env.Step("Assigning slot " + slot + " for " + strconv.Itoa(len(cmds)) + " requests at once (batch " + strconv.Itoa(l.Batch) + "): " + batchText(env, cmds) + l.sendsAccept())
				kv.Explain(env, protocol.RuleBatch)
			}
		}
		if l.Bugs.Has(protocol.BugReplyBeforeChosen) {
			// Answer with what each command would do now, before any vote.
			for i, c := range cmds {
				env.Send(from[i], protocol.Msg{Kind: protocol.Reply, Cmd: c, Result: l.machine.Store().Peek(c)})
			}
		}
		l.propose(env, v, from...)
	}
}

// next takes the first queued request off the queue.
func (l *Leader) next() pending {
	p := l.queue[l.head]
	l.head++
	switch {
	case l.head == len(l.queue): // drained: reuse the array from the start
		l.queue, l.head = l.queue[:0], 0
	case l.head >= 64 && 2*l.head >= len(l.queue):
		// Never drained (more clients than the pipeline serves): move
		// the waiting requests down, so that the array does not grow
		// with the run.
		n := copy(l.queue, l.queue[l.head:])
		l.queue, l.head = l.queue[:n], 0
	}
	return p
}

// batchText lists a batch's requests for the trace: "client1's request 2:
// PUT "a" = "x", client2's request 1: GET "b"".
func batchText(env *kv.Env, cmds []protocol.Command) string {
	var b strings.Builder
	for i, c := range cmds {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.Request(env) + ": " + c.Text(env))
	}
	return b.String()
}

// fetchBatch bounds the commits sent for one Fetch.
const fetchBatch = 64

// fetch answers a replica that misses slots from first on with their
// commits, at most fetchBatch of them.
func (l *Leader) fetch(env *kv.Env, from sim.NodeID, first int64) {
	if first < 1 || first > l.applied {
		return
	}
	env.Note(protocol.NoteFetch)
	base, log := l.machine.Log()
	if first <= base {
		env.Stepf("%s fetches from slot %d, which the snapshot of slots 1..%d covers: sending the snapshot", env.Name(from), first, base)
		env.Send(from, protocol.Msg{Kind: protocol.Snapshot, Payload: &protocol.Payload{Snap: l.snap}})
		return
	}
	last := min(l.applied, first+fetchBatch-1)
	env.Stepf("%s fetches slots %d..%d", env.Name(from), first, last)
	for s := first; s <= last; s++ {
		env.Send(from, protocol.Msg{Kind: protocol.Commit, Slot: s}.With(log[s-1-base]))
	}
}

// waits counts, per client, the requests that proposed finds: queued, or in
// a slot not yet applied that answers the client. A client has one request
// outstanding at a time, so one count per client serves; the rare other
// request of the same client (an old copy arriving after the client moved
// on, or restarted) is only counted in other, and proposed then searches.
// It is derived state: the queue and the slots determine it.
type waits struct {
	seq   []uint64 // by client: the request n counts
	n     []uint32
	other []uint32 // waiting requests of the client other than seq
}

func (w *waits) grow(c sim.NodeID) {
	if int(c) >= len(w.seq) {
		k := int(c) + 1 - len(w.seq)
		w.seq = append(w.seq, make([]uint64, k)...)
		w.n = append(w.n, make([]uint32, k)...)
		w.other = append(w.other, make([]uint32, k)...)
	}
}

// add counts a waiting request.
func (w *waits) add(cmd protocol.Command) {
	c := cmd.Client
	if c < 0 {
		return
	}
	w.grow(c)
	switch {
	case w.n[c] == 0:
		w.seq[c], w.n[c] = cmd.Seq, 1
	case w.seq[c] == cmd.Seq:
		w.n[c]++
	default:
		w.other[c]++
	}
}

// remove uncounts a request that no longer waits.
func (w *waits) remove(cmd protocol.Command) {
	c := cmd.Client
	if c < 0 || int(c) >= len(w.seq) {
		return
	}
	if w.n[c] > 0 && w.seq[c] == cmd.Seq {
		w.n[c]--
	} else if w.other[c] > 0 {
		w.other[c]--
	}
}

// has reports whether cmd's request waits; exact is false when only a
// search can tell.
func (w *waits) has(cmd protocol.Command) (found, exact bool) {
	c := cmd.Client
	if c < 0 || int(c) >= len(w.seq) {
		return false, true
	}
	if w.n[c] > 0 && w.seq[c] == cmd.Seq {
		return true, true
	}
	return false, w.other[c] == 0
}

func (w *waits) reset() {
	clear(w.n)
	clear(w.other)
}

func (w *waits) cloneInto(d *waits) {
	d.seq = append(d.seq[:0], w.seq...)
	d.n = append(d.n[:0], w.n...)
	d.other = append(d.other[:0], w.other...)
}
