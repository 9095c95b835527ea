package protocol

import (
	"encoding/binary"

	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// Payload is the variable part of the messages that have one: a Promise's
// accepted entries and snapshot, a Snapshot message's snapshot, and the
// commands of a batch after its first (Value). A message holds a pointer
// to it, so that every other message stays small and free of slices; a
// payload is never changed once sent.
type Payload struct {
	Entries []Entry   // Promise: the accepted entries above Snap's slot, in slot order
	Snap    *Snap     // Promise, Snapshot: the state machine at a slot (nil: none)
	More    []Command // Accept, Commit: a batch's commands after Cmd (Value)
}

// Snap is a snapshot: the replicated state machine after slots 1..Slot: what a node
// keeps instead of those slots once it compacts its log (log compaction),
// and what a node behind them installs instead of re-applying them. It is
// immutable once made: nodes and messages share it.
type Snap struct {
	Slot int64
	// Digest is the hash chain of the values of slots 1..Slot in order
	// (Value.Chain), so that a node that installs the snapshot goes on with
	// the same chain as one that applied the slots.
	Digest   uint64
	Vals     []sim.Sym // the store: the value by key symbol (kv.Store's table)
	Keys     int       // keys present
	Sessions []Session // by client node id
}

// Session is what a state machine remembers of a client: its last request
// applied and that request's answer.
type Session struct {
	Seq    uint64
	Result Result
}

// AppendState appends the snapshot's canonical encoding: its slot and
// digest (the digest is a function of the commands, which the store and
// the sessions are functions of).
func (s *Snap) AppendState(b []byte) []byte {
	if s == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendVarint(b, s.Slot)
	return binary.AppendUvarint(b, s.Digest)
}

// Entries is a Promise's accepted entries (nil for another message).
func (m Msg) Entries() []Entry {
	if m.Payload == nil {
		return nil
	}
	return m.Payload.Entries
}

// Snap is the snapshot a Promise or a Snapshot message carries, or nil.
func (m Msg) Snap() *Snap {
	if m.Payload == nil {
		return nil
	}
	return m.Payload.Snap
}

// Hash is a 64-bit hash of the command, for the hash chain of a log
// (Chain): equal commands hash the same.
func (c Command) Hash() uint64 {
	h := mix(uint64(c.Op)<<32 | uint64(uint32(c.Client)))
	h = mix(h ^ uint64(c.Key)<<32 ^ uint64(c.Value))
	return mix(h ^ c.Seq)
}

// Chain extends the hash chain d of a log with command c: the digest of
// log+c. The empty log's digest is 0.
func Chain(d uint64, c Command) uint64 { return mix(d*0x9e3779b97f4a7c15 ^ c.Hash()) }

// mix is splitmix64's finaliser.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
