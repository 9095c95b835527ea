package protocol

import (
	"encoding/binary"

	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// The timer kinds of every node of this project, named in traces and
// schedules by TimerNames. A node has at most one pending timer of a kind.
const (
	TimerRequest   sim.TimerKind = iota // a client's request went unanswered: re-send it
	TimerRetry                          // re-send Prepare or Accept to acceptors that have not answered
	TimerHeartbeat                      // a leading node sends heartbeats
	TimerElection                       // a standby heard no heartbeat for too long: campaign
	TimerCheck                          // a leading node checks that it still reaches a majority
)

// TimerNames names the timer kinds, for sim.Config.TimerNames.
var TimerNames = []string{"request", "retry", "heartbeat", "election", "check"}

// The protocol paths a node reports with Env.Note, counted outside the
// nodes (by the cluster, for reports and the explorer's "sometimes" counts).
const (
	NotePhase1         uint8 = iota // a leader ran Phase 1 (a campaign)
	NotePreempted                   // a higher ballot made a leader stand by
	NoteRecovery                    // a Phase 1 win recovered slots
	NoteRecoveredValue              // recovery found a value accepted in an earlier ballot
	NoteNoopFill                    // recovery filled a hole with Noop
	NoteResend                      // Prepare or Accept re-sent to silent acceptors
	NoteRedirect                    // a standby redirected a client
	NoteFetch                       // a leader answered a replica's fetch
	NoteSessionAnswer               // a retry was answered from the client's session
	NoteClientRetry                 // a client re-sent a request
	NoteGaveUp                      // a client gave up on a request
	NoteBatch                       // a leader proposed a slot of several requests
	NoteCount                       // the number of notes
)

// NoteNames names the notes, in order.
var NoteNames = [NoteCount]string{"phase1", "preempted", "recovery", "recovered-value", "noop-fill", "resend", "redirect", "fetch", "session-answer", "client-retry", "gave-up", "batch"}

// AppendState appends the ballot's canonical encoding.
func (b Ballot) AppendState(dst []byte) []byte {
	dst = binary.AppendVarint(dst, int64(b.Round))
	return binary.AppendVarint(dst, int64(b.LeaderID))
}

// AppendState appends the command's canonical encoding.
func (c Command) AppendState(b []byte) []byte {
	b = append(b, byte(c.Op))
	b = binary.AppendUvarint(b, uint64(c.Key))
	b = binary.AppendUvarint(b, uint64(c.Value))
	b = binary.AppendVarint(b, int64(c.Client))
	return binary.AppendUvarint(b, c.Seq)
}

// AppendState appends the result's canonical encoding.
func (r Result) AppendState(b []byte) []byte {
	if r.OK {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(r.Value))
	return append(b, byte(r.Err))
}

// AppendState appends the entry's canonical encoding.
func (e Entry) AppendState(b []byte) []byte {
	b = binary.AppendVarint(b, e.Slot)
	b = e.Ballot.AppendState(b)
	return e.Value.AppendState(b)
}

// AppendState implements sim.Message: every field, so that equal messages
// encode the same.
func (m Msg) AppendState(b []byte) []byte {
	b = append(b, byte(m.Kind))
	b = m.Ballot.AppendState(b)
	b = binary.AppendVarint(b, m.Slot)
	b = m.Value().AppendState(b)
	b = m.Result.AppendState(b)
	b = binary.AppendUvarint(b, uint64(len(m.Entries())))
	for _, e := range m.Entries() {
		b = e.AppendState(b)
	}
	b = m.Snap().AppendState(b)
	return b
}
