package kv

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim/golden"
)

var _ = golden.Update

func put(k, v string) protocol.Command { return protocol.Command{Op: protocol.Put, Key: k, Value: v} }
func get(k string) protocol.Command    { return protocol.Command{Op: protocol.Get, Key: k} }
func del(k string) protocol.Command    { return protocol.Command{Op: protocol.Delete, Key: k} }

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
		{get("x"), protocol.Result{Err: "key not found: x"}, `GET "x" -> NOT FOUND`, "key not found: x", "{}"},
		{del("x"), protocol.Result{Err: "key not found: x"}, `DELETE "x" -> NOT FOUND`, "key not found: x", "{}"},
		{put("x", "hello"), protocol.Result{OK: true}, `PUT "x" = "hello" -> OK`, "OK", "{x=hello}"},
		{get("x"), protocol.Result{OK: true, Value: "hello"}, `GET "x" -> "hello"`, `"hello"`, "{x=hello}"},
		{put("x", "world"), protocol.Result{Err: "key already exists: x"}, `PUT "x" -> REJECTED (key exists)`, "key already exists: x", "{x=hello}"},
		{put("a", ""), protocol.Result{OK: true}, `PUT "a" = "" -> OK`, "OK", "{a=, x=hello}"},
		{get("a"), protocol.Result{OK: true, Value: ""}, `GET "a" -> ""`, `""`, "{a=, x=hello}"},
		{del("x"), protocol.Result{OK: true}, `DELETE "x" -> OK`, "OK", "{a=}"},
		{get("x"), protocol.Result{Err: "key not found: x"}, `GET "x" -> NOT FOUND`, "key not found: x", "{a=}"},
		{del("x"), protocol.Result{Err: "key not found: x"}, `DELETE "x" -> NOT FOUND`, "key not found: x", "{a=}"},
		{protocol.Command{Op: protocol.Noop}, protocol.Result{OK: true}, "NOOP", "OK", "{a=}"},
	}
	var s Store
	for i, st := range steps {
		got := s.Apply(st.cmd)
		assert.Equal(t, st.want, got, "step %d: %v", i, st.cmd)
		assert.Equal(t, st.describe, Describe(st.cmd, got), "step %d", i)
		assert.Equal(t, st.answer, Answer(st.cmd, got), "step %d", i)
		assert.Equal(t, st.store, s.String(), "step %d", i)
	}
}

func TestStoreZeroValueAndReset(t *testing.T) {
	var a, b Store
	assert.True(t, a.Equal(&b))
	assert.Equal(t, 0, a.Len())
	a.Apply(put("k", "v"))
	assert.False(t, a.Equal(&b))
	m := a.Map()
	m["k"] = "changed"
	assert.Equal(t, "{k=v}", a.String(), "Map must return a copy")
	a.Reset()
	assert.True(t, a.Equal(&b))
}

func TestValues(t *testing.T) {
	assert.Equal(t, []string{"val_0", "val_1", "val_2"}, Values(3))
}
