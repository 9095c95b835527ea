package protocol

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

var valueSyms = &sim.Symbols{}

type valueNames struct{}

func (valueNames) Name(id sim.NodeID) string { return "client" + strconv.Itoa(int(id)) }
func (valueNames) Symbol(s sim.Sym) string   { return valueSyms.Symbol(s) }

func vput(client sim.NodeID, seq uint64, k, v string) Command {
	return Command{Op: Put, Key: valueSyms.Intern(k), Value: valueSyms.Intern(v), Client: client, Seq: seq}
}

func vget(client sim.NodeID, seq uint64, k string) Command {
	return Command{Op: Get, Key: valueSyms.Intern(k), Client: client, Seq: seq}
}

// TestValue: a value of one command is that command, with no payload; a
// batch keeps its commands in order, copied from the caller's slice, and
// compares by its commands, not by where they are kept.
func TestValue(t *testing.T) {
	a, b, c := vput(1, 1, "a", "x"), vget(2, 1, "a"), vput(3, 1, "b", "y")
	one := One(a)
	assert.Equal(t, 1, one.Len())
	assert.Equal(t, a, one.At(0))
	assert.Nil(t, one.More())
	assert.Equal(t, one, Batch([]Command{a}), "a batch of one is the command alone")

	cmds := []Command{a, b, c}
	v := Batch(cmds)
	cmds[1] = c // the caller reuses its slice
	assert.Equal(t, 3, v.Len())
	assert.Equal(t, []Command{a, b, c}, []Command{v.At(0), v.At(1), v.At(2)})
	assert.True(t, v.Same(Batch([]Command{a, b, c})), "another batch of the same commands")
	assert.False(t, v.Same(Batch([]Command{a, c, b})), "order matters")
	assert.False(t, v.Same(Batch([]Command{a, b})), "length matters")
	assert.False(t, v.Same(one))
	assert.False(t, one.Same(v))

	// The hash chain: one command chains as the command; a batch differs
	// from the same commands in slots of their own.
	assert.Equal(t, Chain(0, a), one.Chain(0))
	apart := One(c).Chain(One(b).Chain(One(a).Chain(0)))
	assert.NotEqual(t, apart, v.Chain(0))
	assert.NotEqual(t, Batch([]Command{a, b}).Chain(0), Batch([]Command{a, b, c}).Chain(0))

	// The canonical encoding: one command encodes as the command; a batch
	// cannot be read as a command followed by something else.
	assert.Equal(t, a.AppendState(nil), one.AppendState(nil))
	assert.NotEqual(t, append(a.AppendState(nil), b.AppendState(nil)...), Batch([]Command{a, b}).AppendState(nil))
	assert.Equal(t, v.AppendState(nil), Batch([]Command{a, b, c}).AppendState(nil))

	n := valueNames{}
	assert.Equal(t, `PUT "a" = "x"`, one.Text(n))
	assert.Equal(t, `batch of 3: PUT "a" = "x", GET "a", PUT "b" = "y"`, v.Text(n))
	assert.Equal(t, `PUT "a" = "x" (client1 #1)`, one.Tagged(n))
	assert.Equal(t, `[PUT "a" = "x" (client1 #1), GET "a" (client2 #1), PUT "b" = "y" (client3 #1)]`, v.Tagged(n))
}

// TestValueMessages: an Accept or a Commit carries its value whole, the
// batch's other commands in the shared payload, and its JSON lists them
// under "more"; a message of one command has no payload and no "more".
func TestValueMessages(t *testing.T) {
	a, b := vput(1, 1, "a", "x"), vget(2, 1, "a")
	n := valueNames{}
	for _, kind := range []MsgType{Accept, Commit} {
		m := Msg{Kind: kind, Slot: 4, Ballot: Ballot{Round: 1, LeaderID: 1}}
		single := m.With(One(a))
		assert.Nil(t, single.Payload)
		assert.True(t, single.Value().Same(One(a)))
		var got map[string]any
		require.NoError(t, json.Unmarshal(single.AppendJSON(nil, n), &got))
		assert.NotContains(t, got, "more")

		v := Batch([]Command{a, b})
		batch := m.With(v)
		assert.Equal(t, a, batch.Cmd)
		assert.True(t, batch.Value().Same(v))
		assert.Same(t, batch.Payload, m.With(v).Payload, "every message of the value shares its payload")
		require.NoError(t, json.Unmarshal(batch.AppendJSON(nil, n), &got))
		assert.Equal(t, map[string]any{"op": "put", "key": "a", "value": "x", "client": "client1", "seq": float64(1)}, got["cmd"])
		assert.Equal(t, []any{map[string]any{"op": "get", "key": "a", "client": "client2", "seq": float64(1)}}, got["more"])
		assert.NotEqual(t, single.AppendState(nil), batch.AppendState(nil))
	}
	e := Entry{Slot: 2, Ballot: Ballot{Round: 1, LeaderID: 1}, Value: Batch([]Command{a, b})}
	var got map[string]any
	require.NoError(t, json.Unmarshal(e.AppendJSON(nil, n), &got))
	assert.Len(t, got["more"], 1)
}
