package protocol

import (
	"strconv"

	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// Op is the kind of a command.
type Op uint8

// The commands of the kv_store, plus Noop, which fills log holes.
const (
	Noop Op = iota
	Put
	Get
	Delete
)

var opNames = [...]string{"noop", "put", "get", "delete"}

// String is the lower-case name used in the JSON trace ("put").
func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "op" + strconv.Itoa(int(o))
}

// Command is one client request as it travels through the log. Client and
// Seq identify the request, so that a retry can be recognised.
type Command struct {
	Op     Op
	Key    string
	Value  string // Put only
	Client string // the client's node name
	Seq    uint64 // the client's request number, from 1
}

// String renders the command as the original emulation printed it:
// PUT "x" = "hello", GET "x", DELETE "x", NOOP.
func (c Command) String() string {
	switch c.Op {
	case Put:
		return "PUT " + strconv.Quote(c.Key) + " = " + strconv.Quote(c.Value)
	case Get:
		return "GET " + strconv.Quote(c.Key)
	case Delete:
		return "DELETE " + strconv.Quote(c.Key)
	}
	return "NOOP"
}

// Same reports whether two commands are the same request with the same effect.
func (c Command) Same(o Command) bool { return c == o }

// AppendJSON appends the command as a JSON object.
func (c Command) AppendJSON(b []byte) []byte {
	b = append(b, `{"op":`...)
	b = sim.AppendJSONString(b, c.Op.String())
	if c.Op != Noop {
		b = sim.AppendJSONField(b, "key", c.Key)
	}
	if c.Op == Put {
		b = sim.AppendJSONField(b, "value", c.Value)
	}
	if c.Client != "" {
		b = sim.AppendJSONField(b, "client", c.Client)
		b = sim.AppendJSONInt(b, "seq", int64(c.Seq))
	}
	return append(b, '}')
}

// Result is the answer to a command, with the kv_store's meaning: OK, and for
// a get its Value; or not OK with the error text.
type Result struct {
	OK    bool
	Value string // get's value when OK
	Err   string // the error text when not OK
}

// AppendJSON appends the result's members (each preceded by a comma).
func (r Result) AppendJSON(b []byte, op Op) []byte {
	b = sim.AppendJSONBool(b, "ok", r.OK)
	if r.OK && op == Get {
		b = sim.AppendJSONField(b, "value", r.Value)
	}
	if !r.OK {
		b = sim.AppendJSONField(b, "error", r.Err)
	}
	return b
}
