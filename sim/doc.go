// Package sim is a single-threaded, seeded discrete-event simulator for
// message-passing protocols.
//
// Nodes are pure state machines (the Node interface): they never start
// goroutines, read the wall clock or draw random numbers, and they hold no
// engine ids or absolute times. A handler appends its effects to the Env it
// is handed, an outbox (etcd raft's msgs): sends, timers set or cancelled by
// kind (at most one pending per kind), trace steps, client history, path
// notes. The engine applies them, in order, when the handler returns. A node
// that panics has broken an invariant: the run stops there and says which
// node and why.
//
// The Engine owns the virtual clock and the pending events. In ordered mode
// (seeded runs, fuzzing) they run in (virtual time, sequence number) order,
// and every choice (each message latency, each drop, each duplicate, each
// timer's jitter) is asked of one Decider, so the same code path runs from a
// seed (SeedDecider) and from fuzz bytes. In steered mode the order is the
// choice: Enabled lists what may happen next (every message in flight, every
// pending timer, and within a Budget a loss, a duplicate, a crash, a
// restart) and Do runs any of it; a replayed schedule steers by naming every
// event by its logical identity, so a schedule can express any order.
// CloneInto copies a run (nodes copied on write) and AppendState encodes it
// canonically, which is what an explorer needs to search every order.
//
// The engine is protocol-agnostic: it is generic over the message type, which
// is stored by value in the event slab so that delivering a message neither
// boxes nor allocates. The JSON trace's record kinds and members are one
// typed schema (schema.go) shared with every reader.
package sim
