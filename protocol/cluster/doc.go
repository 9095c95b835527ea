// Package cluster turns a scenario into a running simulation: it builds the
// nodes the scenario names (multipaxos or the kvstore baseline), wires their
// faults into the engine, runs it, runs the checkers, and writes the summary.
// It is the one place where the simulator, the protocol and the scenario
// format meet; the CLI, the explorer, the tests and the benchmarks all go
// through it. topology.go lays out who is who, outcome.go holds the checks,
// summary.go and schedule.go write what a run leaves behind.
package cluster
