// Package sim is a single-threaded, seeded discrete-event simulator for
// message-passing protocols.
//
// Nodes are pure state machines (the Node interface): they never start
// goroutines, read the wall clock or draw from the global random source.
// Everything they do goes through their Env: sending messages, setting and
// cancelling timers, reading the virtual time, drawing from their own seeded
// random stream, and emitting trace steps.
//
// The Engine owns the virtual clock and an event queue totally ordered by
// (virtual time, sequence number). Every choice the engine makes (each
// message latency, each drop, each duplicate) is asked of one Decider, so the
// same code path runs from a seed (SeedDecider), from a recorded schedule
// (replay) and from fuzz bytes. The order of events follows from those
// choices and the sequence numbers, so it needs no decision of its own.
//
// The engine is protocol-agnostic: it is generic over the message type, which
// is stored by value in the queue so that delivering a message neither boxes
// nor allocates.
package sim
