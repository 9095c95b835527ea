package kv

import "github.com/multipaxos-kv/multipaxos-kv/protocol"

// Explain adds rule's "why" step (protocol.Why) at the rule's first
// occurrence in the run, when the trace asks for explanations
// (sim.Env.Explain); otherwise it does nothing, and costs a test.
func Explain(env *Env, rule uint8) {
	if env.Explain(rule) {
		env.Step(protocol.WhyPrefix + protocol.Why[rule])
	}
}
