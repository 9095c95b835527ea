// Package protocol holds the vocabulary shared by the simulated protocols:
// client commands and their results, Paxos ballots, Msg, the one message
// type that every node of a run exchanges, and the rules that the trace
// explains at their first occurrence (explain.go).
//
// Msg is a plain struct rather than an interface so that the simulator can
// store messages by value in its event queue without boxing them.
//
// The nodes themselves live in the sub-packages: kv (the kv_store semantics,
// the unreplicated server and the client) and multipaxos (acceptor, leader,
// replica).
package protocol
