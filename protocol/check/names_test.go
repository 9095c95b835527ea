package check

import (
	"strconv"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// testSyms holds the symbols of the histories and logs the tests build.
var testSyms = &sim.Symbols{}

// sym is the symbol of s.
func sym(s string) sim.Sym { return testSyms.Intern(s) }

// testNames names the tests' clients by number (client 1 is "client1") and
// resolves their symbols.
type testNames struct{}

func (testNames) Name(id sim.NodeID) string { return "client" + strconv.Itoa(int(id)) }
func (testNames) Symbol(s sim.Sym) string   { return testSyms.Symbol(s) }

// linClientName is the tests' Names.
var linClientName testNames

// clientNamed is the id of "clientN": N.
func clientNamed(name string) sim.NodeID {
	n, _ := strconv.Atoi(strings.TrimPrefix(name, "client"))
	return sim.NodeID(n)
}

// errOf reads an error text back into its code and key: "key not found:
// a" is ErrNotFound on a; any other text is ErrNotFound on the text.
func errOf(text string) (protocol.ErrCode, sim.Sym) {
	switch {
	case strings.HasPrefix(text, "key already exists: "):
		return protocol.ErrExists, sym(strings.TrimPrefix(text, "key already exists: "))
	case strings.HasPrefix(text, "key not found: "):
		return protocol.ErrNotFound, sym(strings.TrimPrefix(text, "key not found: "))
	case text == "request superseded":
		return protocol.ErrSuperseded, 0
	}
	return protocol.ErrNotFound, sym(text)
}
