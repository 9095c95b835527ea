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

// ParseOp is the op whose String is name.
func ParseOp(name string) (Op, bool) {
	for i, n := range opNames {
		if n == name {
			return Op(i), true
		}
	}
	return 0, false
}

// Command is one client request as it travels through the log. Client and
// Seq identify the request, so that a retry can be recognised. It holds no
// strings: the key and the value are symbols of the run (sim.Engine.Intern),
// resolved to text only where a trace is written (Text, AppendJSON), so that
// a command is 24 bytes without pointers.
type Command struct {
	Seq    uint64     // the client's request number, from 1; 0: no client (Noop)
	Client sim.NodeID // the client's node, when Seq > 0
	Key    sim.Sym
	Value  sim.Sym // Put only
	Op     Op
}

// HasClient reports whether the command is a client's request (not a
// leader's Noop).
func (c Command) HasClient() bool { return c.Seq != 0 }

// Text renders the command as the original emulation printed it:
// PUT "x" = "hello", GET "x", DELETE "x", NOOP.
func (c Command) Text(n sim.Names) string {
	switch c.Op {
	case Put:
		return "PUT " + strconv.Quote(n.Symbol(c.Key)) + " = " + strconv.Quote(n.Symbol(c.Value))
	case Get:
		return "GET " + strconv.Quote(n.Symbol(c.Key))
	case Delete:
		return "DELETE " + strconv.Quote(n.Symbol(c.Key))
	}
	return "NOOP"
}

// Request names the request in trace text: "client2's request 3".
func (c Command) Request(n sim.Names) string {
	return n.Name(c.Client) + "'s request " + strconv.FormatUint(c.Seq, 10)
}

// Same reports whether two commands are the same request with the same effect.
func (c Command) Same(o Command) bool { return c == o }

// AppendJSON appends the command as a JSON object.
func (c Command) AppendJSON(b []byte, n sim.Names) []byte {
	b = append(b, `{"op":`...)
	b = sim.AppendJSONString(b, c.Op.String())
	if c.Op != Noop {
		b = sim.AppendJSONField(b, "key", n.Symbol(c.Key))
	}
	if c.Op == Put {
		b = sim.AppendJSONField(b, "value", n.Symbol(c.Value))
	}
	if c.HasClient() {
		b = sim.AppendJSONField(b, "client", n.Name(c.Client))
		b = sim.AppendJSONInt(b, "seq", int64(c.Seq))
	}
	return append(b, '}')
}

// ErrCode is why a command failed: the kv_store's errors, by number.
type ErrCode uint8

// The errors of a command.
const (
	ErrNone       ErrCode = iota
	ErrNotFound           // get or delete of a missing key
	ErrExists             // put of a key that exists
	ErrSuperseded         // a request older than the client's last one applied
)

// Text is the kv_store's error text for a command on key: "key not found:
// a", "key already exists: a"; "" for ErrNone.
func (e ErrCode) Text(key string) string {
	switch e {
	case ErrNotFound:
		return "key not found: " + key
	case ErrExists:
		return "key already exists: " + key
	case ErrSuperseded:
		return "request superseded"
	}
	return ""
}

// Result is the answer to a command, with the kv_store's meaning: OK, and for
// a get its Value; or not OK with the error Err (its text: ErrText).
type Result struct {
	Value sim.Sym // get's value when OK
	OK    bool
	Err   ErrCode // why, when not OK
}

// ErrText is the result's error text for command c ("" when OK).
func (r Result) ErrText(n sim.Names, c Command) string {
	if r.OK {
		return ""
	}
	return r.Err.Text(n.Symbol(c.Key))
}

// AppendJSON appends the result's members (each preceded by a comma), as
// the answer to c.
func (r Result) AppendJSON(b []byte, c Command, n sim.Names) []byte {
	b = sim.AppendJSONBool(b, "ok", r.OK)
	if r.OK && c.Op == Get {
		b = sim.AppendJSONField(b, "value", n.Symbol(r.Value))
	}
	if !r.OK {
		b = sim.AppendJSONField(b, "error", r.ErrText(n, c))
	}
	return b
}

// Tagged renders the command with the request it carries, as failures
// name it: PUT "a" = "val_1" (client1 #3); a Noop has no client: NOOP ( #0).
func (c Command) Tagged(n sim.Names) string {
	who := ""
	if c.HasClient() {
		who = n.Name(c.Client)
	}
	return c.Text(n) + " (" + who + " #" + strconv.FormatUint(c.Seq, 10) + ")"
}
