package multipaxos

import (
	"strconv"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// request queues a client request to a candidate or leading node, answers a
// retry of an applied request from the state machine, and serves the queue.
func (l *Leader) request(env *kv.Env, from sim.NodeID, cmd protocol.Command) {
	if r, ok := l.machine.Answered(cmd.Client, cmd.Seq); ok && l.recovering <= l.applied {
		env.Note(protocol.NoteSessionAnswer)
		env.Step(kv.Retried(cmd))
		env.Send(from, protocol.Msg{Kind: protocol.Reply, Cmd: cmd, Result: r})
		return
	}
	if l.proposed(cmd) {
		if env.Tracing() {
			env.Step("ignoring a copy of " + cmd.Client + "'s request " + strconv.FormatUint(cmd.Seq, 10) + ": already queued or in Phase 2")
		}
		return
	}
	l.queue = append(l.queue, pending{from: from, cmd: cmd})
	if (l.inflight >= max(l.Pipeline, 1) || l.role != leading || l.recovering > l.applied) && env.Tracing() {
		env.Step("queued " + cmd.Client + "'s request " + strconv.FormatUint(cmd.Seq, 10) + " (" + strconv.Itoa(len(l.queue)-l.head) + " waiting)")
	}
	l.serve(env)
}

// proposed reports whether cmd's request is already queued, or in a slot
// not yet applied that will answer its client.
func (l *Leader) proposed(cmd protocol.Command) bool {
	for _, p := range l.queue[l.head:] {
		if p.cmd.Client == cmd.Client && p.cmd.Seq == cmd.Seq {
			return true
		}
	}
	for _, p := range l.slots[l.applied:] {
		// A recovered slot answers no client: a copy of its request waits
		// in the queue and is answered from the session once it is applied.
		if p.from != sim.NoNode && p.cmd.Client == cmd.Client && p.cmd.Seq == cmd.Seq {
			return true
		}
	}
	return false
}

// serve starts Phase 2 for the next queued requests when the node leads,
// has applied the recovered log, and has fewer than Pipeline requests in
// Phase 2.
func (l *Leader) serve(env *kv.Env) {
	for l.role == leading && l.inflight < max(l.Pipeline, 1) && l.recovering <= l.applied && l.head < len(l.queue) {
		p := l.queue[l.head]
		l.head++
		if l.head == len(l.queue) { // drained: reuse the array from the start
			l.queue, l.head = l.queue[:0], 0
		}
		if r, ok := l.machine.Answered(p.cmd.Client, p.cmd.Seq); ok {
			env.Note(protocol.NoteSessionAnswer)
			env.Step(kv.Retried(p.cmd))
			env.Send(p.from, protocol.Msg{Kind: protocol.Reply, Cmd: p.cmd, Result: r})
			continue
		}
		l.inflight++
		if env.Tracing() {
			env.Step("Assigning slot " + strconv.Itoa(len(l.slots)+1) + " for " + p.cmd.Client + "'s request " + strconv.FormatUint(p.cmd.Seq, 10) + ": " + p.cmd.String())
		}
		if l.Bugs.Has(protocol.BugReplyBeforeChosen) {
			// Answer with what the command would do now, before any vote.
			r := l.machine.Store().Peek(p.cmd)
			env.Send(p.from, protocol.Msg{Kind: protocol.Reply, Cmd: p.cmd, Result: r})
		}
		l.propose(env, p.cmd, p.from)
	}
}

// fetchBatch bounds the commits sent for one Fetch.
const fetchBatch = 64

// fetch answers a replica that misses slots from first on with their
// commits, at most fetchBatch of them.
func (l *Leader) fetch(env *kv.Env, from sim.NodeID, first int64) {
	if first < 1 || first > l.applied {
		return
	}
	last := min(l.applied, first+fetchBatch-1)
	env.Note(protocol.NoteFetch)
	env.Stepf("%s fetches slots %d..%d", env.Name(from), first, last)
	log := l.machine.Applied()
	for s := first; s <= last; s++ {
		env.Send(from, protocol.Msg{Kind: protocol.Commit, Slot: s, Cmd: log[s-1]})
	}
}
