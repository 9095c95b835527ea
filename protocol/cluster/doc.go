// Package cluster turns a scenario into a running simulation: it builds the
// nodes the scenario names (multipaxos or the kvstore baseline), wires their
// faults into the engine, runs it, runs the checkers, and writes the summary.
// It is the one place where the simulator, the protocol and the scenario
// format meet; the CLI, the tests and the benchmarks all go through it.
package cluster
