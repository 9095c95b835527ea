package kv

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim/golden"
)

var _ = golden.Update

func put(k, v string) protocol.Command {
	return protocol.Command{Op: protocol.Put, Key: sym(k), Value: sym(v)}
}
func get(k string) protocol.Command { return protocol.Command{Op: protocol.Get, Key: sym(k)} }
func del(k string) protocol.Command { return protocol.Command{Op: protocol.Delete, Key: sym(k)} }

// TestStoreSemantics is the original kv_store's contract, step by step, with
// its exact error strings.
func TestStoreSemantics(t *testing.T) {
	steps := []struct {
		cmd      protocol.Command
		want     protocol.Result
		describe string
		answer   string
		store    string
	}{
		{get("x"), protocol.Result{Err: protocol.ErrNotFound}, `GET "x" -> NOT FOUND`, "key not found: x", "{}"},
		{del("x"), protocol.Result{Err: protocol.ErrNotFound}, `DELETE "x" -> NOT FOUND`, "key not found: x", "{}"},
		{put("x", "hello"), protocol.Result{OK: true}, `PUT "x" = "hello" -> OK`, "OK", "{x=hello}"},
		{get("x"), protocol.Result{OK: true, Value: sym("hello")}, `GET "x" -> "hello"`, `"hello"`, "{x=hello}"},
		{put("x", "world"), protocol.Result{Err: protocol.ErrExists}, `PUT "x" -> REJECTED (key exists)`, "key already exists: x", "{x=hello}"},
		{put("a", ""), protocol.Result{OK: true}, `PUT "a" = "" -> OK`, "OK", "{a=, x=hello}"},
		{get("a"), protocol.Result{OK: true, Value: sym("")}, `GET "a" -> ""`, `""`, "{a=, x=hello}"},
		{del("x"), protocol.Result{OK: true}, `DELETE "x" -> OK`, "OK", "{a=}"},
		{get("x"), protocol.Result{Err: protocol.ErrNotFound}, `GET "x" -> NOT FOUND`, "key not found: x", "{a=}"},
		{del("x"), protocol.Result{Err: protocol.ErrNotFound}, `DELETE "x" -> NOT FOUND`, "key not found: x", "{a=}"},
		{protocol.Command{Op: protocol.Noop}, protocol.Result{OK: true}, "NOOP", "OK", "{a=}"},
	}
	var s Store
	for i, st := range steps {
		got := s.Apply(st.cmd)
		assert.Equal(t, st.want, got, "step %d: %v", i, st.cmd)
		assert.Equal(t, st.describe, Describe(names, st.cmd, got), "step %d", i)
		assert.Equal(t, st.answer, Answer(names, st.cmd, got), "step %d", i)
		assert.Equal(t, st.store, s.Text(names), "step %d", i)
	}
}

func TestStoreZeroValueAndReset(t *testing.T) {
	var a, b Store
	assert.True(t, a.Equal(&b))
	assert.Equal(t, 0, a.Len())
	a.Apply(put("k", "v"))
	assert.False(t, a.Equal(&b))
	m := a.Map(names)
	m["k"] = "changed"
	assert.Equal(t, "{k=v}", a.Text(names), "Map must return a copy")
	a.Reset()
	assert.True(t, a.Equal(&b))
}

func TestValueName(t *testing.T) {
	assert.Equal(t, "val_0", ValueName(0))
	assert.Equal(t, "val_12", ValueName(12))
}
