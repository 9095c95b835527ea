package kv

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// The readable states (AppendStateJSON) are what the trace's state records
// show of a node, for a reader stepping through a run: names for ids and
// symbols, only what explains the protocol, each list bounded
// (protocol.StateJSONListMax). They are not the canonical encoding
// (AppendState), which the explorer compares.

// AppendStateJSONFields appends the machine's members of a readable
// state, each after a comma: `,"store":{key: value}` in key order, and
// `,"sessions":{client: {"seq":N,"ok":bool,"value" or "error"}}`, each
// client's last request applied and its answer, in client order.
func (m *Machine) AppendStateJSONFields(b []byte, n sim.Names) []byte {
	b = m.store.appendStateJSON(b, n)
	var clients []sim.NodeID
	for c, s := range m.sessions {
		if s.Seq != 0 {
			clients = append(clients, sim.NodeID(c))
		}
	}
	return protocol.AppendJSONObject(b, "sessions", len(clients), func(b []byte, i int) []byte {
		s := m.sessions[clients[i]]
		b = sim.AppendJSONString(b, n.Name(clients[i]))
		b = append(b, `:{"seq":`...)
		b = strconv.AppendUint(b, s.Seq, 10)
		b = sim.AppendJSONBool(b, "ok", s.Result.OK)
		switch {
		case !s.Result.OK:
			b = sim.AppendJSONField(b, "error", errNames[min(int(s.Result.Err), len(errNames)-1)])
		case s.Result.Value != 0:
			b = sim.AppendJSONField(b, "value", n.Symbol(s.Result.Value))
		}
		return append(b, '}')
	})
}

// errNames are the session errors' texts without their key (a session
// keeps the answer, not the command), by protocol.ErrCode.
var errNames = [...]string{"", "key not found", "key already exists", "request superseded", "error"}

// appendStateJSON appends `,"store":{key: value}` in key order.
func (s *Store) appendStateJSON(b []byte, n sim.Names) []byte {
	type pair struct{ k, v string }
	pairs := make([]pair, 0, s.n)
	for k, v := range s.vals {
		if v != 0 {
			pairs = append(pairs, pair{n.Symbol(sim.Sym(k)), n.Symbol(value(v))})
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int { return cmp.Compare(a.k, b.k) })
	return protocol.AppendJSONObject(b, "store", len(pairs), func(b []byte, i int) []byte {
		b = sim.AppendJSONString(b, pairs[i].k)
		b = append(b, ':')
		return sim.AppendJSONString(b, pairs[i].v)
	})
}

// AppendStateJSON implements the engine's readable state (sim.StateJSON):
// {"applied":N,"store":{...},"sessions":{...}}.
func (s *Server) AppendStateJSON(b []byte, n sim.Names) []byte {
	b = append(b, `{"applied":`...)
	b = strconv.AppendInt(b, s.m.Len(), 10)
	b = s.m.AppendStateJSONFields(b, n)
	return append(b, '}')
}

// AppendStateJSON implements the engine's readable state (sim.StateJSON):
// how many requests the client sent, the one waiting for its answer (with
// where it went and how often it was re-sent), or whether it gave up.
func (c *Client) AppendStateJSON(b []byte, n sim.Names) []byte {
	b = append(b, `{"sent":`...)
	b = strconv.AppendUint(b, c.sent, 10)
	b = sim.AppendJSONInt(b, "requests", int64(c.requests()))
	if c.pending {
		b = append(b, `,"waiting":`...)
		b = c.cur.AppendJSON(b, n)
		if c.target < len(c.Targets) {
			b = sim.AppendJSONField(b, "to", n.Name(c.Targets[c.target]))
		}
		b = sim.AppendJSONInt(b, "retries", int64(c.tries))
	}
	if c.gaveUp {
		b = sim.AppendJSONBool(b, "gave_up", true)
	}
	return append(b, '}')
}
