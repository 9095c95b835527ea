package kv

import "github.com/multipaxos-kv/multipaxos-kv/protocol"

// apply1 applies a slot of the one command c, and returns what it did.
func apply1(m *Machine, c protocol.Command) (protocol.Result, bool) {
	o := m.Apply(protocol.One(c))[0]
	return o.Result, o.Dup
}
