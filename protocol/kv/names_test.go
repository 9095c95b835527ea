package kv

import (
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
