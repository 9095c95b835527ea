// Package multipaxos replicates the kv_store with MultiPaxos, as the original
// Gleam emulation did, on the simulator's message-passing nodes:
//
//	client --Request--> leader
//	leader --Prepare(b)--> acceptors --Promise--> leader        (Phase 1, once)
//	leader --Accept(b, slot, cmd)--> acceptors --Accepted--> leader (Phase 2)
//	leader applies cmd, --Reply--> client, --Commit(slot, cmd)--> replicas
//
// Acceptors vote (acceptor.go); the leader is proposer, learner and the KV
// state machine (leader.go); replicas are passive learners that apply
// commits in slot order (replica.go). Like the original, the leader has one
// request in Phase 2 at a time and queues the others in arrival order, and
// reads go through the log like writes.
//
// Reference: Lamport, "Paxos Made Simple" (2001), sections 2.2 (the
// synod algorithm) and 3 (implementing a state machine).
package multipaxos
