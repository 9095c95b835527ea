package multipaxos

import (
	"strconv"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// propose starts Phase 2 for value v in the next slot; from names, per
// command of v, the client to answer (none for a recovered slot).
func (l *Leader) propose(env *kv.Env, v protocol.Value, from ...sim.NodeID) {
	n := len(l.slots)
	if n < cap(l.slots) {
		l.slots = l.slots[:n+1] // reuse the old proposal's vote and client arrays
	} else {
		l.slots = append(l.slots, proposal{})
	}
	p := &l.slots[n]
	p.votes.size(len(l.Acceptors))
	p.val, p.from, p.chosen = v, append(p.from[:0], from...), false
	msg := protocol.Msg{Kind: protocol.Accept, Ballot: l.ballot, Slot: l.base() + int64(n) + 1}.With(v)
	for _, a := range l.Acceptors {
		env.Send(a, msg)
	}
	l.armRetry(env)
}

// sendsAccept ends the trace line of a proposal: the Accept's ballot and
// how many acceptors it goes to (one line per proposal, not per message).
func (l *Leader) sendsAccept() string {
	return "; sending Accept at ballot " + l.ballot.String() + " to " + strconv.Itoa(len(l.Acceptors)) + " acceptors"
}

// accepted counts a Phase 2b answer; a quorum chooses the slot's command.
func (l *Leader) accepted(env *kv.Env, from sim.NodeID, m protocol.Msg) {
	i := l.acceptorIndex(from)
	if (m.Ballot != l.ballot && !l.Bugs.Has(protocol.BugCountStaleVotes)) || i < 0 || m.Slot <= l.base() || m.Slot > l.base()+int64(len(l.slots)) {
		return
	}
	p := &l.slots[m.Slot-1-l.base()]
	if p.chosen {
		if !p.votes.has(i) && env.Tracing() {
			env.Step("Accepted for slot " + strconv.FormatInt(m.Slot, 10) + " from " + env.Name(from) + " arrives after the slot was chosen")
			kv.Explain(env, protocol.RuleLateVote)
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
		env.Step("Phase 2 for slot " + strconv.FormatInt(m.Slot, 10) + ": chosen: " + l.tally(env, &p.votes))
		kv.Explain(env, protocol.RuleChosen)
	}
	l.applyChosen(env)
}

// applyChosen applies every chosen slot that follows the applied prefix:
// the machine applies it, the client (if any) gets its answer, and the
// replicas a Commit. Then the next request is served.
func (l *Leader) applyChosen(env *kv.Env) {
	for l.applied < l.base()+int64(len(l.slots)) && l.slots[l.applied-l.base()].chosen {
		p := &l.slots[l.applied-l.base()]
		l.applied++
		out := l.machine.Apply(p.val)
		if l.machine.Len() != l.applied {
			l.broken("the machine applied %d slots of %d", l.machine.Len(), l.applied)
		}
		kv.RecordApplied(env, l.applied, p.val, out)
		reply := p.clients() && !l.Bugs.Has(protocol.BugReplyBeforeChosen)
		// The slot's trace lines first, then its messages: the order of a
		// slot's effects, as the trace shows them, is the same for a batch
		// as for one command.
		if env.Tracing() {
			for i, o := range out {
				cmd := p.val.At(i)
				switch {
				case o.Dup:
					env.Step(kv.Retried(env, cmd))
					kv.Explain(env, protocol.RuleSession)
				case cmd.Op != protocol.Noop || l.applied <= l.recovering:
					env.Step(kv.Describe(env, cmd, o.Result))
				}
				if reply {
					env.Step("sending Reply to " + env.Name(p.from[i]) + ": " + kv.Answer(env, cmd, o.Result))
				}
			}
			if len(l.Replicas) > 0 {
				env.Step("sending Commit for slot " + strconv.FormatInt(l.applied, 10) + " to " + nodeNames(env, l.Replicas))
			}
		}
		if p.clients() {
			for i, o := range out {
				cmd := p.val.At(i)
				l.waits.remove(cmd)
				if reply {
					env.Send(p.from[i], protocol.Msg{Kind: protocol.Reply, Cmd: cmd, Result: o.Result})
				}
			}
			l.inflight--
		}
		commit := protocol.Msg{Kind: protocol.Commit, Slot: l.applied}.With(p.val)
		for _, rep := range l.Replicas {
			env.Send(rep, commit)
		}
		if l.applied == l.recovering && env.Tracing() {
			first := int64(1)
			if l.snap != nil {
				first = l.snap.Slot + 1
			}
			env.Stepf("recovery complete: slots %d..%d chosen again in ballot %v and applied; serving new requests", first, l.recovering, l.ballot)
		}
		if l.SnapshotEvery > 0 && l.applied%l.SnapshotEvery == 0 {
			l.compact(env)
		}
	}
	if l.applied == l.base()+int64(len(l.slots)) {
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
				if env.Tracing() {
					silent = append(silent, env.Name(a))
				}
				env.Send(a, protocol.Msg{Kind: protocol.Prepare, Ballot: l.ballot})
			}
		}
		if env.Tracing() { // formatting boxes its arguments: only when tracing
			env.Stepf("Phase 1: no promise yet from %s: re-sending Prepare%v", strings.Join(silent, ", "), l.ballot)
			kv.Explain(env, protocol.RuleResend)
		}
		l.armRetry(env)
	case leading:
		for s := l.applied; s < l.base()+int64(len(l.slots)); s++ {
			p := &l.slots[s-l.base()]
			if p.chosen {
				continue
			}
			var silent []string
			for i, a := range l.Acceptors {
				if !p.votes.has(i) {
					if env.Tracing() {
						silent = append(silent, env.Name(a))
					}
					env.Send(a, protocol.Msg{Kind: protocol.Accept, Ballot: l.ballot, Slot: s + 1}.With(p.val))
				}
			}
			if env.Tracing() {
				env.Stepf("slot %d: no Accepted yet from %s: re-sending Accept at ballot %v", s+1, strings.Join(silent, ", "), l.ballot)
				kv.Explain(env, protocol.RuleResend)
			}
		}
		if l.applied < l.base()+int64(len(l.slots)) {
			l.armRetry(env)
		}
	}
}

// compact makes the applied log a snapshot (log compaction): the machine
// keeps no command applied, the slots applied are dropped, and the
// acceptors get the snapshot, so that they can forget the entries it
// covers. The memory of every node is then bounded by the slots in flight
// and the interval, not by the length of the run.
func (l *Leader) compact(env *kv.Env) {
	s := l.machine.Snapshot()
	l.machine.Compact()
	l.dropSlots(l.applied) // then the snapshot starts the slots
	l.snap = s
	if env.Tracing() {
		env.Step("compacting the log: slots 1.." + strconv.FormatInt(s.Slot, 10) + " are now a snapshot (" + strconv.Itoa(s.Keys) + " keys); sending it to the acceptors")
	}
	msg := protocol.Msg{Kind: protocol.Snapshot, Payload: &protocol.Payload{Snap: s}}
	for _, a := range l.Acceptors {
		env.Send(a, msg)
	}
}

// dropSlots forgets the slots up to slot, all of them applied or covered by
// a snapshot, keeping their vote arrays for reuse (rotated to the end, so
// that no two slots share one).
func (l *Leader) dropSlots(slot int64) {
	k := int(min(slot-l.base(), int64(len(l.slots))))
	n := len(l.slots)
	for i := 0; i+k < n; i++ {
		l.slots[i], l.slots[i+k] = l.slots[i+k], l.slots[i]
	}
	l.slots = l.slots[:n-k]
}

// install takes an acceptor's snapshot when the node is behind it (it
// proposed slots that the acceptor has compacted away): those slots were
// chosen and applied long ago, the snapshot is their outcome.
func (l *Leader) install(env *kv.Env, from sim.NodeID, s *protocol.Snap) {
	if s == nil || s.Slot <= l.applied {
		return
	}
	if env.Tracing() {
		env.Step("installing " + env.Name(from) + "'s snapshot of slots 1.." + strconv.FormatInt(s.Slot, 10) + " (applied " + strconv.FormatInt(l.applied, 10) + "): those slots were chosen long ago")
	}
	for i := range min(s.Slot-l.base(), int64(len(l.slots))) {
		if p := &l.slots[i]; l.base()+i >= l.applied && p.clients() {
			l.unwait(p.val) // its clients' retries are answered from the session
			l.inflight--
		}
	}
	l.machine.Install(s)
	kv.RecordInstalled(env, s)
	l.dropSlots(s.Slot) // then the snapshot starts the slots
	l.applied, l.snap = s.Slot, s
	l.applyChosen(env)
}

// clearSlots drops every slot; the unapplied ones no longer wait.
func (l *Leader) clearSlots() {
	for _, p := range l.slots[min(l.applied-l.base(), int64(len(l.slots))):] {
		if p.clients() {
			l.unwait(p.val)
		}
	}
	l.slots = l.slots[:0]
	l.inflight = 0
}

// unwait uncounts the requests of a slot's value that no longer wait.
func (l *Leader) unwait(v protocol.Value) {
	for i := range v.Len() {
		l.waits.remove(v.At(i))
	}
}
