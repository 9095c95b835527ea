package multipaxos

import (
	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// names resolves the symbols and client names of the commands the tests
// build by hand; the test engines (testEngine, newRig) share it.
var names = &sim.Table{}

// sym is the symbol of s in names.
func sym(s string) sim.Sym { return names.Intern(s) }

// clientBase is where the ids of hand-built commands' clients start: above
// every node of a test engine, which names them with testNames.
const clientBase = 1000

// clientID is the id of the client named name in hand-built commands.
func clientID(name string) sim.NodeID { return clientBase + names.Node(name) }

// testNames names the clients of hand-built commands for the test engines
// (sim.Engine.SetNames).
type testNames struct{}

func (testNames) Name(id sim.NodeID) string { return names.Name(id - clientBase) }
func (testNames) Symbol(s sim.Sym) string   { return names.Symbol(s) }

// useNames makes e resolve the tests' symbols and clients.
func useNames(e *sim.Engine[protocol.Msg]) {
	e.SetSymbols(&names.Symbols)
	e.SetNames(testNames{})
}

// applied is the commands m applied (the tests' machines never compact).
func applied(m *kv.Machine) []protocol.Command { return m.Commands() }

// effects is the commands of m's log that took effect: m's log applied
// again to a new machine, keeping those that were neither a Noop nor a
// retry.
func effects(m *kv.Machine) []protocol.Command {
	var out []protocol.Command
	f := kv.Machine{NoSessions: m.NoSessions}
	for _, c := range applied(m) {
		if !f.Apply(protocol.One(c))[0].Dup && c.Op != protocol.Noop {
			out = append(out, c)
		}
	}
	return out
}
