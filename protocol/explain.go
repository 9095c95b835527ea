package protocol

// The rules that the trace explains: at the first occurrence of each in a
// run, the node that meets it adds a "why" step (Why[rule], after
// WhyPrefix), if the trace asks for explanations (sim.Tracer.Explain,
// sim.Env.Explain). Which rules were explained is the tracer's, not the
// nodes': explanations change trace text only.
const (
	RulePhase1        uint8 = iota // a leader starts Phase 1
	RulePromise                    // an acceptor promises a ballot
	RulePhase1Quorum               // a leader wins Phase 1 with a majority of promises
	RuleChosen                     // a majority accepts a slot's value: it is chosen
	RuleLateVote                   // an Accepted arrives after its slot was chosen
	RuleHighestBallot              // recovery keeps the value accepted at the highest ballot
	RuleNoop                       // recovery fills a hole with NOOP
	RuleSession                    // a retry is answered from the client's session
	RuleStandby                    // a leader starts by standing by
	RulePreempted                  // a higher ballot makes a leader stand by
	RuleLostMajority               // a leader that lost its majority stands by
	RuleResend                     // Prepare or Accept re-sent to silent acceptors
	RuleInOrder                    // a replica buffers a slot that arrives past a gap
	RuleCatchUp                    // a replica behind the leader fetches what it missed
	RuleDurable                    // an acceptor restarts with its promise and votes
	RuleRedirect                   // a standby leader redirects a client
	RuleBatch                      // a leader puts several requests in one slot
	RuleCount                      // the number of rules
)

// WhyPrefix starts every explanation step, so that readers of the trace
// (the pictures) can tell them from the steps they explain.
const WhyPrefix = "why: "

// Why is each rule's explanation, one line: what the step just traced
// establishes, or why the protocol needs it.
var Why = [RuleCount]string{
	RulePhase1:        "Phase 1 asks the acceptors to promise the ballot, a (round, leader id) pair that no other leader uses, and to report what they accepted, so that the new leader learns any value already chosen",
	RulePromise:       "a promise is durable: the acceptor now rejects every Prepare and Accept below this ballot, so no older leader can get a value chosen any more",
	RulePhase1Quorum:  "any two majorities share an acceptor, so these promises report whatever a majority accepted before, and no lower ballot can gather a majority now",
	RuleChosen:        "a majority accepted it at one ballot, so it is chosen for good: any later leader's Phase 1 majority shares an acceptor with this one and proposes the value again",
	RuleLateVote:      "a majority was enough; later votes change nothing, so a slow or crashed acceptor never holds up the log",
	RuleHighestBallot: "once a slot's value is chosen, every higher ballot proposes that same value, so only the value at the highest ballot reported can have been chosen: proposing it again keeps any choice",
	RuleNoop:          "a chosen value would be on at least one acceptor of every majority, so nothing was chosen here; NOOP fills the hole so that the later slots can be applied in order",
	RuleSession:       "a late answer makes a client re-send, so a request can reach the leader or the log twice; each client's session (its last request and answer) makes the copy take effect once and get the first answer",
	RuleStandby:       "one leader at a time: the others watch its heartbeats and campaign only when they stop, since rival ballots keep preempting each other",
	RulePreempted:     "acceptors that promised a higher ballot reject this one, so this leader can choose nothing more; it defers, and campaigns again only if heartbeats stop",
	RuleLostMajority:  "without a majority this leader can choose nothing, and its heartbeats would keep the other leaders from taking over",
	RuleResend:        "messages can be lost; re-sending is safe, as an acceptor answers the same Prepare or Accept the same way every time",
	RuleInOrder:       "every learner applies the log in slot order, so that all reach the same state; a slot that arrives early waits for the gap before it",
	RuleCatchUp:       "a Commit can be lost, or a replica restart empty; the leader's heartbeat says how far it applied, so a replica that is behind fetches what it misses",
	RuleDurable:       "promises and votes are on disk: an acceptor that forgot them could break a promise or drop the vote that chose a value, and a second value could be chosen",
	RuleRedirect:      "only the leader proposes; a standby points the client at the leader whose ballot it last saw",
	RuleBatch:         "a slot's value may be a batch of requests: Paxos chooses it as one value, one Phase 2 for all of them, and every learner applies its requests in order, so fewer messages serve the same requests",
}
