// Package scenarios holds the scenario files embedded in the binary and turns
// a scenario file (TOML) into a validated [Scenario].
//
// A scenario says what to run: the protocol, how many nodes of each kind, the
// clients' workload, the network's latency and faults, and the faults to
// inject at given virtual times. Every key has a default (see [Default]), so a
// file states only what it changes; the embedded "default" scenario states
// every key, with a comment on each, and is the reference for the format.
//
// Decoding is strict, because a misspelt key that is silently ignored makes a
// run test something other than what its author meant: an unknown key, a
// value of the wrong type, or a value out of range is an error. Every problem
// is reported on one line of the form
//
//	FILE:LINE: FIELD: what was expected, got what
//
// and all problems of a file are reported at once, in line order (see
// [Error]). BurntSushi/toml does not expose the positions of keys, so the
// loader finds them with a small scanner of its own (lines.go).
//
// The loading pipeline is: start from [Default], check the raw TOML against
// the shape of [Scenario] (unknown keys, types, duration syntax), decode over
// the defaults, then [Scenario.Validate]. [Scenario.Encode] writes the fully
// resolved scenario back as TOML, so that a run can record exactly what it ran.
package scenarios
