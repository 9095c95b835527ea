package protocol

import (
	"encoding/binary"
	"strconv"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// Value is what one slot of the log holds: a batch of one or more commands,
// chosen together and applied in order (the scenario's `batch`). Without
// batching it is one command. The first command is inline, so a batch of
// one holds no pointer and costs nothing; a larger batch keeps its other
// commands in a Payload shared by every message, log and check that holds
// the value, and never changed once proposed.
type Value struct {
	Cmd  Command  // the first command (the only one of a batch of one; Noop for a hole)
	more *Payload // the other commands, in more.More (nil: a batch of one)
}

// One is the value of a slot that holds the single command c.
func One(c Command) Value { return Value{Cmd: c} }

// Batch is the value of a slot that holds cmds (at least one), in order. It
// copies cmds, so that the caller may reuse them.
func Batch(cmds []Command) Value {
	v := Value{Cmd: cmds[0]}
	if len(cmds) > 1 {
		v.more = &Payload{More: append([]Command(nil), cmds[1:]...)}
	}
	return v
}

// Len is the number of commands in the value.
func (v Value) Len() int {
	if v.more == nil {
		return 1
	}
	return 1 + len(v.more.More)
}

// At is the value's i-th command, from 0.
func (v Value) At(i int) Command {
	if i == 0 {
		return v.Cmd
	}
	return v.more.More[i-1]
}

// More is the value's commands after the first (nil for a batch of one).
func (v Value) More() []Command {
	if v.more == nil {
		return nil
	}
	return v.more.More
}

// Same reports whether two values are the same commands in the same order.
func (v Value) Same(o Value) bool {
	if v.Cmd != o.Cmd || v.Len() != o.Len() {
		return false
	}
	if v.more == o.more {
		return true
	}
	for i, c := range v.more.More {
		if o.more.More[i] != c {
			return false
		}
	}
	return true
}

// Chain extends the hash chain d of a log with the value's commands, in
// order, and for a batch of more than one with its length, so that two logs
// that batch the same commands differently differ. A value of one command
// chains as that command (Chain).
func (v Value) Chain(d uint64) uint64 {
	d = Chain(d, v.Cmd)
	if v.more == nil {
		return d
	}
	for _, c := range v.more.More {
		d = Chain(d, c)
	}
	return mix(d ^ uint64(v.Len()))
}

// Text renders the value for the trace: the command (Command.Text), or for
// a batch `batch of 3: PUT "a" = "x", GET "b", DELETE "c"`.
func (v Value) Text(n sim.Names) string {
	if v.more == nil {
		return v.Cmd.Text(n)
	}
	var b strings.Builder
	b.WriteString("batch of " + strconv.Itoa(v.Len()) + ": ")
	for i := range v.Len() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(v.At(i).Text(n))
	}
	return b.String()
}

// Tagged renders the value with the requests it carries, as failures name
// it (Command.Tagged), a batch in brackets: [PUT "a" = "x" (client1 #2),
// GET "b" (client2 #1)].
func (v Value) Tagged(n sim.Names) string {
	if v.more == nil {
		return v.Cmd.Tagged(n)
	}
	var b strings.Builder
	b.WriteByte('[')
	for i := range v.Len() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(v.At(i).Tagged(n))
	}
	b.WriteByte(']')
	return b.String()
}

// AppendJSON appends the value's members, each preceded by a comma:
// `,"cmd":{...}`, and for a batch `,"more":[{...},...]` with the other
// commands.
func (v Value) AppendJSON(b []byte, n sim.Names) []byte {
	b = append(b, `,"cmd":`...)
	b = v.Cmd.AppendJSON(b, n)
	if v.more == nil {
		return b
	}
	b = append(b, `,"more":[`...)
	for i, c := range v.more.More {
		if i > 0 {
			b = append(b, ',')
		}
		b = c.AppendJSON(b, n)
	}
	return append(b, ']')
}

// batchMark starts the canonical encoding of a batch of more than one:
// a command's encoding starts with its Op, always below it.
const batchMark = 0x10

// AppendState appends the value's canonical encoding: a single command's
// (Command.AppendState), or batchMark, the count and each command's.
func (v Value) AppendState(b []byte) []byte {
	if v.more == nil {
		return v.Cmd.AppendState(b)
	}
	b = append(b, batchMark)
	b = binary.AppendUvarint(b, uint64(v.Len()))
	for i := range v.Len() {
		b = v.At(i).AppendState(b)
	}
	return b
}

// Value is the value an Accept or a Commit carries: Cmd, and a batch's
// other commands from the Payload.
func (m Msg) Value() Value {
	if m.Payload == nil || len(m.Payload.More) == 0 {
		return Value{Cmd: m.Cmd}
	}
	return Value{Cmd: m.Cmd, more: m.Payload}
}

// With is m carrying value v (an Accept or a Commit, or an applied
// record): v's first command in Cmd, the others in the Payload, which the
// message then shares with v.
func (m Msg) With(v Value) Msg {
	m.Cmd, m.Payload = v.Cmd, v.more
	return m
}
