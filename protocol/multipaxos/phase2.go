package multipaxos

import (
	"strconv"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// propose starts Phase 2 for cmd in the next slot.
func (l *Leader) propose(env *kv.Env, cmd protocol.Command, from sim.NodeID) {
	n := len(l.slots)
	if n < cap(l.slots) {
		l.slots = l.slots[:n+1] // reuse the old proposal's vote array
	} else {
		l.slots = append(l.slots, proposal{})
	}
	p := &l.slots[n]
	p.votes.size(len(l.Acceptors))
	p.cmd, p.from, p.chosen = cmd, from, false
	for _, a := range l.Acceptors {
		env.Send(a, protocol.Msg{Kind: protocol.Accept, Ballot: l.ballot, Slot: int64(n + 1), Cmd: cmd})
	}
	l.armRetry(env)
}

// accepted counts a Phase 2b answer; a quorum chooses the slot's command.
func (l *Leader) accepted(env *kv.Env, from sim.NodeID, m protocol.Msg) {
	i := l.acceptorIndex(from)
	if (m.Ballot != l.ballot && !l.Bugs.Has(protocol.BugCountStaleVotes)) || i < 0 || m.Slot < 1 || m.Slot > int64(len(l.slots)) {
		return
	}
	p := &l.slots[m.Slot-1]
	if p.chosen {
		if !p.votes.has(i) && env.Tracing() {
			env.Step("Accepted for slot " + strconv.FormatInt(m.Slot, 10) + " from " + env.Name(from) + " arrives after the slot was chosen")
		}
		p.votes.add(i)
		return
	}
	if !p.votes.add(i) {
		if !l.Bugs.Has(protocol.BugCountDuplicateVotes) {
			return // a duplicate
		}
		p.votes.n++
	}
	l.resends = 0
	if p.votes.count() < l.Quorum() {
		return
	}
	p.chosen = true
	if env.Tracing() {
		env.Step("Phase 2 for slot " + strconv.FormatInt(m.Slot, 10) + ": " + strconv.Itoa(p.votes.count()) + "/" + strconv.Itoa(l.Quorum()) + " accepted -> chosen")
	}
	l.applyChosen(env)
}

// applyChosen applies every chosen slot that follows the applied prefix:
// the machine applies it, the client (if any) gets its answer, and the
// replicas a Commit. Then the next request is served.
func (l *Leader) applyChosen(env *kv.Env) {
	for l.applied < int64(len(l.slots)) && l.slots[l.applied].chosen {
		p := &l.slots[l.applied]
		l.applied++
		r, dup := l.machine.Apply(p.cmd)
		l.invariant(l.machine.Len() == int(l.applied), "the machine applied %d commands for %d slots", l.machine.Len(), l.applied)
		if env.Tracing() {
			switch {
			case dup:
				env.Step(kv.Retried(env, p.cmd))
			case p.cmd.Op != protocol.Noop || l.applied <= l.recovering:
				env.Step(kv.Describe(env, p.cmd, r))
			}
		}
		if p.from != sim.NoNode {
			l.waits.remove(p.cmd)
			if !l.Bugs.Has(protocol.BugReplyBeforeChosen) {
				env.Send(p.from, protocol.Msg{Kind: protocol.Reply, Cmd: p.cmd, Result: r})
			}
			l.inflight--
		}
		for _, rep := range l.Replicas {
			env.Send(rep, protocol.Msg{Kind: protocol.Commit, Slot: l.applied, Cmd: p.cmd})
		}
		if l.applied == l.recovering {
			env.Stepf("recovery complete: slots 1..%d chosen again in ballot %v and applied; serving new requests", l.recovering, l.ballot)
		}
	}
	if l.applied == int64(len(l.slots)) {
		l.cancelRetry(env)
	}
	l.serve(env)
}

// resend re-sends Prepare (candidate) or the unchosen slots' Accepts
// (leading) to the acceptors that have not answered: messages may be lost.
func (l *Leader) resend(env *kv.Env) {
	env.Note(protocol.NoteResend)
	l.resends++
	switch l.role {
	case candidate:
		var silent []string
		for i, a := range l.Acceptors {
			if !l.promises.has(i) {
				silent = append(silent, env.Name(a))
				env.Send(a, protocol.Msg{Kind: protocol.Prepare, Ballot: l.ballot})
			}
		}
		env.Stepf("Phase 1: no promise yet from %s: re-sending Prepare%v", strings.Join(silent, ", "), l.ballot)
		l.armRetry(env)
	case leading:
		for s := l.applied; s < int64(len(l.slots)); s++ {
			p := &l.slots[s]
			if p.chosen {
				continue
			}
			var silent []string
			for i, a := range l.Acceptors {
				if !p.votes.has(i) {
					silent = append(silent, env.Name(a))
					env.Send(a, protocol.Msg{Kind: protocol.Accept, Ballot: l.ballot, Slot: s + 1, Cmd: p.cmd})
				}
			}
			env.Stepf("slot %d: no Accepted yet from %s: re-sending Accept", s+1, strings.Join(silent, ", "))
		}
		if l.applied < int64(len(l.slots)) {
			l.armRetry(env)
		}
	}
}

// clearSlots drops every slot; the unapplied ones no longer wait.
func (l *Leader) clearSlots() {
	for _, p := range l.slots[min(l.applied, int64(len(l.slots))):] {
		if p.from != sim.NoNode {
			l.waits.remove(p.cmd)
		}
	}
	l.slots = l.slots[:0]
	l.inflight = 0
}
