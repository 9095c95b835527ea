// Package multipaxos replicates the kv_store with MultiPaxos, as the original
// Gleam emulation did, on the simulator's message-passing nodes:
//
//	client --Request--> leader
//	leader --Prepare(b)--> acceptors --Promise--> leader        (Phase 1, once)
//	leader --Accept(b, slot, cmd)--> acceptors --Accepted--> leader (Phase 2)
//	leader applies cmd, --Reply--> client, --Commit(slot, cmd)--> replicas
//
// Acceptors vote (acceptor.go); the leader is proposer, learner and the KV
// state machine, one file per concern: its state and its roles as step
// functions (leader.go), election and standing by (election.go), Phase 1 and
// recovery (phase1.go), Phase 2 (phase2.go), the client front end and
// fetches (frontend.go), heartbeats (heartbeat.go), and the one quorum
// helper (quorum.go); replicas are passive learners that apply commits in
// slot order (replica.go). Every node is plain, copyable state with a
// canonical encoding (Clone, AppendState), so the explorer can search it. Like the original, the leader has one
// request in Phase 2 at a time and queues the others in arrival order, and
// reads go through the log like writes.
//
// Reference: Lamport, "Paxos Made Simple" (2001), sections 2.2 (the
// synod algorithm) and 3 (implementing a state machine).
package multipaxos
