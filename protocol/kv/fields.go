package kv

import (
	"maps"
	"slices"
	"strconv"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// AppendFields lists the machine's state as named fields (sim.Fielder), for
// a field-level diff: "applied" (commands applied), "compacted" (of them,
// those a snapshot holds), "log[N]" (command N, for those after it),
// "store[KEY]" (each key present), "session[CLIENT]" (each client's last
// request applied and its answer).
func (m *Machine) AppendFields(dst []sim.Field, n sim.Names) []sim.Field {
	dst = append(dst,
		sim.Field{Name: "applied", Value: strconv.FormatInt(m.Len(), 10)},
		sim.Field{Name: "compacted", Value: strconv.FormatInt(m.base, 10)})
	for i, c := range m.log {
		dst = append(dst, sim.Field{Name: "log[" + strconv.FormatInt(m.base+int64(i)+1, 10) + "]", Value: c.Tagged(n)})
	}
	store := m.store.Map(n)
	for _, k := range slices.Sorted(maps.Keys(store)) {
		dst = append(dst, sim.Field{Name: "store[" + k + "]", Value: store[k]})
	}
	for id, s := range m.sessions {
		if s.Seq == 0 {
			continue
		}
		dst = append(dst, sim.Field{Name: "session[" + n.Name(sim.NodeID(id)) + "]", Value: "#" + strconv.FormatUint(s.Seq, 10) + " " + ResultText(n, s.Result)})
	}
	return dst
}

// ResultText renders a result without its command: "ok", "ok val_3", or
// the error's code ("not found", "exists", "superseded").
func ResultText(n sim.Names, r protocol.Result) string {
	switch {
	case r.OK && r.Value != 0:
		return "ok " + n.Symbol(r.Value)
	case r.OK:
		return "ok"
	case r.Err == protocol.ErrNotFound:
		return "not found"
	case r.Err == protocol.ErrExists:
		return "exists"
	case r.Err == protocol.ErrSuperseded:
		return "superseded"
	}
	return "error " + strconv.Itoa(int(r.Err))
}

// AppendFields implements sim.Fielder: the machine's fields.
func (s *Server) AppendFields(dst []sim.Field, n sim.Names) []sim.Field {
	return s.m.AppendFields(dst, n)
}

// AppendFields implements sim.Fielder: "sent" (requests sent so far),
// "pending" and "request" (the one in flight), "target" and "known" (where
// it went and who answered last), "tries", "stayed", "gave_up".
func (c *Client) AppendFields(dst []sim.Field, n sim.Names) []sim.Field {
	name := func(i int) string {
		if i < 0 || i >= len(c.Targets) {
			return "-"
		}
		return n.Name(c.Targets[i])
	}
	dst = append(dst,
		sim.Field{Name: "sent", Value: strconv.FormatUint(c.sent, 10)},
		sim.Field{Name: "pending", Value: strconv.FormatBool(c.pending)})
	if c.sent > 0 {
		dst = append(dst, sim.Field{Name: "request", Value: c.cur.Tagged(n)})
	}
	return append(dst,
		sim.Field{Name: "target", Value: name(c.target)},
		sim.Field{Name: "known", Value: name(c.known)},
		sim.Field{Name: "tries", Value: strconv.Itoa(c.tries)},
		sim.Field{Name: "stayed", Value: strconv.FormatBool(c.stayed)},
		sim.Field{Name: "gave_up", Value: strconv.FormatBool(c.gaveUp)})
}
