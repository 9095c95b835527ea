package kv

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
)

// asRequest is cmd as request seq of client.
func asRequest(client string, seq uint64, cmd protocol.Command) protocol.Command {
	cmd.Client, cmd.Seq = node(client), seq
	return cmd
}

// TestMachineApply applies a sequence of commands to one Machine, step by
// step: each row says what Apply must answer, whether it is a retry, whether
// it took effect, and the store afterwards. The session makes a retry take
// effect once and get its first answer, which is what makes the replicated
// log exactly-once; Noop, which fills holes in the log (Lamport, "Paxos Made
// Simple", section 3), never has an effect.
func TestMachineApply(t *testing.T) {
	noop := protocol.Command{Op: protocol.Noop}
	ok := protocol.Result{OK: true}
	steps := []struct {
		name   string
		cmd    protocol.Command
		want   protocol.Result
		dup    bool
		effect bool // whether the command joins Effects
		store  string
	}{
		{"a new request takes effect", asRequest("client1", 1, put("x", "1")), ok, false, true, "{x=1}"},
		// Applied to the store again it would fail with "key already
		// exists": the answer is the remembered one, not a recomputed one.
		{"the same request again is a retry: first answer, no effect", asRequest("client1", 1, put("x", "1")), ok, true, false, "{x=1}"},
		{"the client's next request takes effect", asRequest("client1", 2, get("x")), protocol.Result{OK: true, Value: sym("1")}, false, true, "{x=1}"},
		{"an older request is superseded", asRequest("client1", 1, put("x", "1")), protocol.Result{Err: protocol.ErrSuperseded}, true, false, "{x=1}"},
		{"a retry of the latest request after that still gets its answer", asRequest("client1", 2, get("x")), protocol.Result{OK: true, Value: sym("1")}, true, false, "{x=1}"},
		{"a noop has no effect", noop, ok, false, false, "{x=1}"},
		{"a second noop is not a retry either", noop, ok, false, false, "{x=1}"},
		{"a noop carrying a client has no effect", asRequest("client1", 3, noop), ok, false, false, "{x=1}"},
		{"another client's session is separate", asRequest("client2", 1, get("y")), protocol.Result{Err: protocol.ErrNotFound}, false, true, "{x=1}"},
		{"a command without a client takes effect", put("y", "2"), ok, false, true, "{x=1, y=2}"},
		{"the same command without a client takes effect again", put("y", "2"), protocol.Result{Err: protocol.ErrExists}, false, true, "{x=1, y=2}"},
		{"a failed answer is remembered too, even once the key exists", asRequest("client2", 1, get("y")), protocol.Result{Err: protocol.ErrNotFound}, true, false, "{x=1, y=2}"},
		{"a command without a client but with a seq takes effect", asRequest("", 1, del("y")), ok, false, true, "{x=1}"},
		{"and again, with the store's answer", asRequest("", 1, del("y")), protocol.Result{Err: protocol.ErrNotFound}, false, true, "{x=1}"},
		{"the noop did not advance client1's session", asRequest("client1", 3, del("x")), ok, false, true, "{}"},
	}
	var m Machine
	var applied, effects []protocol.Command
	for i, s := range steps {
		r, dup := apply1(&m, s.cmd)
		assert.Equal(t, s.want, r, "step %d (%s): result of %v", i+1, s.name, s.cmd)
		assert.Equal(t, s.dup, dup, "step %d (%s): dup", i+1, s.name)
		applied = append(applied, s.cmd)
		if s.effect {
			effects = append(effects, s.cmd)
		}
		assert.Equal(t, applied, logOf(&m), "step %d (%s): every command is in the applied log", i+1, s.name)
		assert.Equal(t, effects, effectsOf(&m), "step %d (%s): effects", i+1, s.name)
		assert.Equal(t, int64(len(applied)), m.Len(), "step %d (%s)", i+1, s.name)
		assert.Equal(t, s.store, m.Store().Text(names), "step %d (%s): store", i+1, s.name)
	}
}

// TestMachineAnswered checks Answered after a few requests: the latest
// request of a client is answered with its result, an older one is
// superseded, a newer one and an unknown client are not answered, and a
// command without a client never is.
func TestMachineAnswered(t *testing.T) {
	var m Machine
	_, ok := m.Answered(node("client1"), 1)
	assert.False(t, ok, "a zero Machine has answered nothing")

	m.Apply(protocol.One(asRequest("client1", 1, put("x", "1"))))
	m.Apply(protocol.One(asRequest("client1", 2, put("x", "2"))))
	m.Apply(protocol.One(asRequest("client2", 5, get("x"))))
	m.Apply(protocol.One(put("z", "0")))
	m.Apply(protocol.One(protocol.Command{Op: protocol.Noop}))

	cases := []struct {
		client string
		seq    uint64
		want   protocol.Result
		ok     bool
	}{
		{"client1", 2, protocol.Result{Err: protocol.ErrExists}, true},
		{"client1", 1, protocol.Result{Err: protocol.ErrSuperseded}, true},
		{"client1", 3, protocol.Result{}, false},
		{"client2", 5, protocol.Result{OK: true, Value: sym("1")}, true},
		{"client2", 4, protocol.Result{Err: protocol.ErrSuperseded}, true},
		{"client2", 6, protocol.Result{}, false},
		{"client3", 1, protocol.Result{}, false},
		{"", 0, protocol.Result{}, false},
		{"", 1, protocol.Result{}, false},
	}
	for _, c := range cases {
		r, ok := m.Answered(node(c.client), c.seq)
		assert.Equal(t, c.ok, ok, "Answered(%q, %d)", c.client, c.seq)
		assert.Equal(t, c.want, r, "Answered(%q, %d)", c.client, c.seq)
	}
}

// TestMachineReset checks that Reset empties the store, the log, the
// effects and the sessions: a request applied before is new again.
func TestMachineReset(t *testing.T) {
	var m Machine
	x := asRequest("client1", 1, put("x", "1"))
	m.Apply(protocol.One(x))
	m.Apply(protocol.One(protocol.Command{Op: protocol.Noop}))
	m.Apply(protocol.One(put("y", "2")))
	require.Equal(t, int64(3), m.Len())

	m.Reset()
	assert.Equal(t, int64(0), m.Len())
	assert.Empty(t, logOf(&m))
	assert.Empty(t, effectsOf(&m))
	assert.Equal(t, 0, m.Store().Len())
	assert.Equal(t, map[string]string{}, m.Store().Map(names))
	_, ok := m.Answered(node("client1"), 1)
	assert.False(t, ok, "Reset forgets the sessions")

	r, dup := apply1(&m, x)
	assert.Equal(t, protocol.Result{OK: true}, r)
	assert.False(t, dup, "after Reset the request is new: it takes effect")
	assert.Equal(t, []protocol.Command{x}, logOf(&m))
	assert.Equal(t, []protocol.Command{x}, effectsOf(&m))
	assert.Equal(t, "{x=1}", m.Store().Text(names))
}
