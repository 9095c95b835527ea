package kv

import (
	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// names resolves the symbols and node names of the commands the tests
// build by hand.
var names = &sim.Table{}

// sym is the symbol of s in names.
func sym(s string) sim.Sym { return names.Intern(s) }

// node is the id of the node named name in names; "" is no node.
func node(name string) sim.NodeID {
	if name == "" {
		return sim.NoNode
	}
	return names.Node(name)
}

// logOf is the commands m applied, its slots' in order (the tests'
// machines never compact).
func logOf(m *Machine) []protocol.Command { return m.Commands() }

// effectsOf is the commands of m's log that took effect: the log applied
// again to a new machine, keeping those that were neither a Noop nor a
// retry.
func effectsOf(m *Machine) []protocol.Command {
	var out []protocol.Command
	f := Machine{NoSessions: m.NoSessions}
	for _, c := range logOf(m) {
		if _, dup := apply1(&f, c); !dup && c.Op != protocol.Noop {
			out = append(out, c)
		}
	}
	return out
}
