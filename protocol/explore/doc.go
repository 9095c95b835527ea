// Package explore searches every schedule of a small cluster: from a
// scenario's initial state it tries every enabled action (deliver any
// message in flight, fire any pending timer, and within budgets lose or
// duplicate a message, crash or restart a node) over the same node code that
// seeded runs use, and checks the safety properties at every state it
// reaches and linearizability at every terminal state.
//
// States are compared by a fingerprint of their canonical encoding (nodes,
// messages in flight as a multiset, pending timers, budgets left, the client
// history and the votes seen), hashed with FNV-1a's fixed basis, so that the
// same state has the same fingerprint on every machine. Breadth-first search
// (the default) finds a shortest path to a violation; depth-first search and
// seeded random walks reach deeper states with less memory.
//
// What is not explored: latencies (every message takes the scenario's
// latency_min: the order of events is the choice, not their times), timer
// jitter, the network's loss and duplicate probabilities (budgets stand in
// for them), and scheduled [[faults]] (budgets again). Symmetric states are
// not merged.
//
// Anchors: Stateright's model checker and DSLabs' search over the same node
// code; TLC for bounded breadth-first search with fingerprints.
package explore
