package kv

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
)

// Store is the key-value state machine. Its zero value is an empty store
// ready to use.
type Store struct {
	m map[string]string
	// errs caches the error texts per key ("key not found: k", "key already
	// exists: k"), so that applying a failing command does not build a new
	// string every time; Reset keeps it, so a reused store stops allocating.
	errs map[string]*[2]string
}

const (
	errNotFound = iota
	errExists
)

// errText returns the error text of kind for key.
func (s *Store) errText(kind int, key string) string {
	e := s.errs[key]
	if e == nil {
		if s.errs == nil {
			s.errs = make(map[string]*[2]string)
		}
		e = &[2]string{"key not found: " + key, "key already exists: " + key}
		s.errs[key] = e
	}
	return e[kind]
}

// Apply executes cmd with the kv_store's semantics and returns its result.
// Noop changes nothing and succeeds.
func (s *Store) Apply(cmd protocol.Command) protocol.Result {
	switch cmd.Op {
	case protocol.Put:
		if _, ok := s.m[cmd.Key]; ok {
			return protocol.Result{Err: s.errText(errExists, cmd.Key)}
		}
		if s.m == nil {
			s.m = make(map[string]string)
		}
		s.m[cmd.Key] = cmd.Value
		return protocol.Result{OK: true}
	case protocol.Get:
		if v, ok := s.m[cmd.Key]; ok {
			return protocol.Result{OK: true, Value: v}
		}
		return protocol.Result{Err: s.errText(errNotFound, cmd.Key)}
	case protocol.Delete:
		if _, ok := s.m[cmd.Key]; ok {
			delete(s.m, cmd.Key)
			return protocol.Result{OK: true}
		}
		return protocol.Result{Err: s.errText(errNotFound, cmd.Key)}
	}
	return protocol.Result{OK: true}
}

// Peek returns the result Apply would give cmd, without applying it.
func (s *Store) Peek(cmd protocol.Command) protocol.Result {
	_, ok := s.m[cmd.Key]
	switch {
	case cmd.Op == protocol.Put && ok:
		return protocol.Result{Err: s.errText(errExists, cmd.Key)}
	case cmd.Op == protocol.Get && ok:
		return protocol.Result{OK: true, Value: s.m[cmd.Key]}
	case (cmd.Op == protocol.Get || cmd.Op == protocol.Delete) && !ok:
		return protocol.Result{Err: s.errText(errNotFound, cmd.Key)}
	}
	return protocol.Result{OK: true}
}

// Len is the number of keys.
func (s *Store) Len() int { return len(s.m) }

// Map returns a copy of the contents (never nil, so that an empty store
// looks the same whether or not it ever held a key).
func (s *Store) Map() map[string]string {
	m := make(map[string]string, len(s.m))
	maps.Copy(m, s.m)
	return m
}

// Equal reports whether two stores hold the same pairs.
func (s *Store) Equal(o *Store) bool { return maps.Equal(s.m, o.m) }

// cloneFrom makes s a copy of o, reusing s's memory; the cache of error
// texts is shared (it only ever holds the same texts).
func (s *Store) cloneFrom(o *Store) {
	if s.m == nil && len(o.m) > 0 {
		s.m = make(map[string]string, len(o.m))
	}
	clear(s.m)
	maps.Copy(s.m, o.m)
	if o.errs == nil {
		o.errs = make(map[string]*[2]string) // one cache for every copy
	}
	s.errs = o.errs
}

// Reset empties the store, keeping its memory.
func (s *Store) Reset() { clear(s.m) }

// String renders the contents in key order: {a=val_1, c=val_7}.
func (s *Store) String() string { return FormatMap(s.m) }

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
func Describe(cmd protocol.Command, r protocol.Result) string {
	key := strconv.Quote(cmd.Key)
	switch cmd.Op {
	case protocol.Put:
		if r.OK {
			return cmd.String() + " -> OK"
		}
		return "PUT " + key + " -> REJECTED (key exists)"
	case protocol.Get:
		if r.OK {
			return "GET " + key + " -> " + strconv.Quote(r.Value)
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
func Retried(cmd protocol.Command) string {
	return cmd.Client + "'s request " + strconv.FormatUint(cmd.Seq, 10) + " (" + cmd.String() + ") was already applied: answering again, not applying twice"
}

// Answer renders a result as the client printed it: OK, the quoted value,
// or the error text.
func Answer(cmd protocol.Command, r protocol.Result) string {
	switch {
	case !r.OK:
		return r.Err
	case cmd.Op == protocol.Get:
		return strconv.Quote(r.Value)
	}
	return "OK"
}
