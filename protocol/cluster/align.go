package cluster

import (
	"strconv"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// sendKey names a message by what it is rather than by its number: its
// sender, its receiver, its contents, and how many identical messages the
// sender sent that receiver before it. Two runs that differ by a removed
// event number their later messages differently, but most of those
// messages are still the same messages.
type sendKey struct {
	from, to sim.NodeID
	h        uint64 // the fingerprint of the message's canonical encoding
	k        int
}

// sends follows the messages of one run as they are sent: their keys and
// their identities ("leader1#7", the sender's number).
type sends struct {
	names []string
	count []uint32 // by sender: messages sent so far
	seen  map[sendKey]int
	byKey map[sendKey]string
	byID  map[string]sendKey
	buf   []byte
}

func newSends(names []string) *sends {
	return &sends{names: names, count: make([]uint32, len(names)), seen: map[sendKey]int{}, byKey: map[sendKey]string{}, byID: map[string]sendKey{}}
}

// sent notes a message, numbered as the engine numbers it (every send
// counts, lost or not).
func (s *sends) sent(from, to sim.NodeID, m protocol.Msg) {
	s.count[from]++
	s.buf = m.AppendState(s.buf[:0])
	key := sendKey{from: from, to: to, h: sim.Fingerprint(s.buf)}
	key.k = s.seen[key]
	s.seen[sendKey{from: from, to: to, h: key.h}]++
	id := s.names[from] + "#" + strconv.FormatUint(uint64(s.count[from]), 10)
	s.byKey[key], s.byID[id] = id, key
}

// follow makes c note its sends in s.
func (s *sends) follow(c *Cluster) {
	c.Engine.OnSend(s.sent)
}

// resolver renames the messages a schedule of the run old names to the
// numbers the run now (under way) gives the same messages: a delivery,
// loss or duplicate of a message that now has not sent (yet) is skipped;
// every other event is left as it is.
func resolver(old, now *sends) func(string) (string, bool) {
	return func(what string) (string, bool) {
		verb, rest, ok := strings.Cut(what, " ")
		if !ok || (verb != "deliver" && verb != "lose" && verb != "duplicate") {
			return what, true
		}
		id, tail, ok := strings.Cut(rest, " ")
		if !ok {
			return what, true
		}
		key, ok := old.byID[id]
		if !ok {
			return what, true
		}
		renamed, ok := now.byKey[key]
		if !ok {
			return "", false
		}
		return verb + " " + renamed + " " + tail, true
	}
}
