package kv

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// Store is the key-value state machine. Its zero value is an empty store
// ready to use. Keys and values are the run's symbols: the store is a table
// of values indexed by key symbol (0: absent), so applying a command is an
// index and a copy, and copying a store is a copy of integers.
type Store struct {
	vals []sim.Sym // by key symbol; 0: the key is absent
	n    int       // keys present
}

// at is the value of key k (0: absent).
func (s *Store) at(k sim.Sym) sim.Sym {
	if int(k) < len(s.vals) {
		return s.vals[k]
	}
	return 0
}

// Apply executes cmd with the kv_store's semantics and returns its result.
// Noop changes nothing and succeeds.
func (s *Store) Apply(cmd protocol.Command) protocol.Result {
	r := s.Peek(cmd)
	if !r.OK {
		return r
	}
	switch cmd.Op {
	case protocol.Put:
		if int(cmd.Key) >= len(s.vals) {
			s.vals = append(s.vals, make([]sim.Sym, int(cmd.Key)+1-len(s.vals))...)
		}
		s.vals[cmd.Key] = present(cmd.Value)
		s.n++
	case protocol.Delete:
		s.vals[cmd.Key] = 0
		s.n--
	}
	return r
}

// A present key's empty value is stored as emptyValue, so that 0 can mean
// absent; value maps it back.
const emptyValue = ^sim.Sym(0)

func present(v sim.Sym) sim.Sym {
	if v == 0 {
		return emptyValue
	}
	return v
}

func value(v sim.Sym) sim.Sym {
	if v == emptyValue {
		return 0
	}
	return v
}

// Peek returns the result Apply would give cmd, without applying it.
func (s *Store) Peek(cmd protocol.Command) protocol.Result {
	v := s.at(cmd.Key)
	switch {
	case cmd.Op == protocol.Put && v != 0:
		return protocol.Result{Err: protocol.ErrExists}
	case cmd.Op == protocol.Get && v != 0:
		return protocol.Result{OK: true, Value: value(v)}
	case (cmd.Op == protocol.Get || cmd.Op == protocol.Delete) && v == 0:
		return protocol.Result{Err: protocol.ErrNotFound}
	}
	return protocol.Result{OK: true}
}

// Get returns the value of key k and whether it is present.
func (s *Store) Get(k sim.Sym) (sim.Sym, bool) {
	v := s.at(k)
	return value(v), v != 0
}

// Len is the number of keys.
func (s *Store) Len() int { return s.n }

// Map returns the contents as text (never nil, so that an empty store looks
// the same whether or not it ever held a key).
func (s *Store) Map(n sim.Names) map[string]string {
	m := make(map[string]string, s.n)
	for k, v := range s.vals {
		if v != 0 {
			m[n.Symbol(sim.Sym(k))] = n.Symbol(value(v))
		}
	}
	return m
}

// Equal reports whether two stores hold the same pairs.
func (s *Store) Equal(o *Store) bool {
	if s.n != o.n {
		return false
	}
	a, b := s.vals, o.vals
	if len(a) > len(b) {
		a, b = b, a
	}
	return slices.Equal(a, b[:len(a)]) && !slices.ContainsFunc(b[len(a):], func(v sim.Sym) bool { return v != 0 })
}

// cloneFrom makes s a copy of o, reusing s's memory.
func (s *Store) cloneFrom(o *Store) {
	s.vals = append(s.vals[:0], o.vals...)
	s.n = o.n
}

// Reset empties the store, keeping its memory.
func (s *Store) Reset() { clear(s.vals); s.n = 0 }

// Text renders the contents in key order: {a=val_1, c=val_7}.
func (s *Store) Text(n sim.Names) string { return FormatMap(s.Map(n)) }

// FormatMap renders a key/value map in key order: {a=val_1, c=val_7}.
func FormatMap(m map[string]string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k + "=" + m[k])
	}
	b.WriteByte('}')
	return b.String()
}

// Describe renders what applying cmd did, as the original server and leader
// printed it: PUT "x" = "hello" -> OK, PUT "x" -> REJECTED (key exists),
// GET "x" -> "hello", GET "x" -> NOT FOUND, DELETE "x" -> OK|NOT FOUND.
func Describe(n sim.Names, cmd protocol.Command, r protocol.Result) string {
	key := strconv.Quote(n.Symbol(cmd.Key))
	switch cmd.Op {
	case protocol.Put:
		if r.OK {
			return cmd.Text(n) + " -> OK"
		}
		return "PUT " + key + " -> REJECTED (key exists)"
	case protocol.Get:
		if r.OK {
			return "GET " + key + " -> " + strconv.Quote(n.Symbol(r.Value))
		}
		return "GET " + key + " -> NOT FOUND"
	case protocol.Delete:
		if r.OK {
			return "DELETE " + key + " -> OK"
		}
		return "DELETE " + key + " -> NOT FOUND"
	}
	return "NOOP"
}

// Retried renders the step of a retry that finds its request applied.
func Retried(n sim.Names, cmd protocol.Command) string {
	return cmd.Request(n) + " (" + cmd.Text(n) + ") was already applied: answering again, not applying twice"
}

// Answer renders a result as the client printed it: OK, the quoted value,
// or the error text.
func Answer(n sim.Names, cmd protocol.Command, r protocol.Result) string {
	switch {
	case !r.OK:
		return r.ErrText(n, cmd)
	case cmd.Op == protocol.Get:
		return strconv.Quote(n.Symbol(r.Value))
	}
	return "OK"
}
