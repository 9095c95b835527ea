package multipaxos

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// recoveryTimeouts are the leaders' timers in these tests.
var recoveryTimeouts = Timeouts{Heartbeat: 10 * sim.Millisecond, Election: 50 * sim.Millisecond, Retry: 20 * sim.Millisecond}

// sent is one message a node sent, as the rig's observer saw it.
type sent struct {
	at       sim.Time
	from, to sim.NodeID
	msg      protocol.Msg
}

// slotBallot names what an acceptor accepted: a slot at a ballot.
type slotBallot struct {
	slot   int64
	ballot protocol.Ballot
}

// rig is a MultiPaxos cluster wired by hand, as cluster.New wires it:
// leaders, then acceptors, then replicas, then whatever the test adds. An
// observer keeps every message sent and checks, as the run goes, that no two
// acceptors ever hold different commands for one slot at one ballot (a
// proposer proposes one value per ballot and slot; Lamport, "Paxos Made
// Simple", sections 2.2 and 2.3). It only reads the nodes' state.
type rig struct {
	e         *sim.Engine[protocol.Msg]
	text      *bytes.Buffer
	leaders   []*Leader
	leaderIDs []sim.NodeID
	accs      []*Acceptor
	accIDs    []sim.NodeID
	reps      []*Replica
	repIDs    []sim.NodeID

	sends      []sent
	notes      map[sim.NodeID]*[protocol.NoteCount]int // per node, how often it took each protocol path (Env.Note)
	history    []kv.HistoryEvent                       // the clients' records (Env.Record)
	held       map[slotBallot]protocol.Value           // the command accepted at each (slot, ballot), by any acceptor
	violations []string
}

// newRig builds a rig of n leaders with the recovery timeouts and the given
// pipeline, the given acceptors (their durable state set by the caller) and
// m replicas, on an engine with cfg and a text trace. Nodes start in that
// order at time 0.
func newRig(cfg sim.Config, n int, pipeline int, accs []*Acceptor, m int) *rig {
	if cfg.TimeLimit == 0 {
		cfg.TimeLimit = sim.Second
	}
	if cfg.MaxEvents == 0 {
		cfg.MaxEvents = 200000
	}
	cfg.TimerNames = protocol.TimerNames
	r := &rig{e: sim.New[protocol.Msg](cfg), text: &bytes.Buffer{}, accs: accs, held: map[slotBallot]protocol.Value{}}
	r.e.SetTracer(&sim.Tracer{Text: r.text})
	useNames(r.e)
	for i := 1; i <= n; i++ {
		l := &Leader{ID: int32(i), Timeouts: recoveryTimeouts, Pipeline: pipeline}
		r.leaders = append(r.leaders, l)
		r.leaderIDs = append(r.leaderIDs, r.e.AddNode(fmt.Sprintf("leader%d", i), l))
	}
	for i, a := range accs {
		r.accIDs = append(r.accIDs, r.e.AddNode(fmt.Sprintf("acceptor%d", i+1), a))
	}
	for i := 1; i <= m; i++ {
		rep := &Replica{}
		r.reps = append(r.reps, rep)
		r.repIDs = append(r.repIDs, r.e.AddNode(fmt.Sprintf("replica%d", i), rep))
	}
	for i, l := range r.leaders {
		l.Acceptors, l.Replicas = r.accIDs, r.repIDs
		for j, id := range r.leaderIDs {
			if j != i {
				l.Peers = append(l.Peers, id)
			}
		}
	}
	r.e.OnSend(r.observe)
	r.notes = map[sim.NodeID]*[protocol.NoteCount]int{}
	r.e.OnNote(func(node sim.NodeID, n uint8) {
		if r.notes[node] == nil {
			r.notes[node] = new([protocol.NoteCount]int)
		}
		r.notes[node][n]++
	})
	r.e.OnRecord(func(client sim.NodeID, m protocol.Msg) {
		if h, ok := kv.History(r.e.Now(), client, m); ok {
			r.history = append(r.history, h)
		}
	})
	return r
}

// noted is how often node took protocol path n.
func (r *rig) noted(node sim.NodeID, n uint8) int {
	if c := r.notes[node]; c != nil {
		return c[n]
	}
	return 0
}

// observe keeps msg and, for an acceptor's Accepted, checks what the
// acceptor now holds for the slot against what any acceptor held for that
// slot and ballot before.
func (r *rig) observe(from, to sim.NodeID, msg protocol.Msg) {
	r.sends = append(r.sends, sent{at: r.e.Now(), from: from, to: to, msg: msg})
	if msg.Kind != protocol.Accepted {
		return
	}
	for i, id := range r.accIDs {
		if id != from {
			continue
		}
		// The engine's node, not r.accs[i]: an engine that shares its
		// nodes with a clone (CloneInto) copies a node before changing it.
		e := r.e.Node(id).(*Acceptor).Accepted[msg.Slot-1]
		k := slotBallot{e.Slot, e.Ballot}
		if prev, ok := r.held[k]; ok && !prev.Same(e.Value) {
			r.violations = append(r.violations, fmt.Sprintf("at %v acceptor%d holds %v for slot %d at ballot %v, another acceptor held %v", r.e.Now(), i+1, e.Value, e.Slot, e.Ballot, prev))
		}
		r.held[k] = e.Value
	}
}

// sentBy returns the messages of kind sent by node from, in order.
func (r *rig) sentBy(from sim.NodeID, kind protocol.MsgType) []sent {
	var out []sent
	for _, s := range r.sends {
		if s.from == from && s.msg.Kind == kind {
			out = append(out, s)
		}
	}
	return out
}

// leading returns the indexes (from 0) of the leaders that lead.
func (r *rig) leading() []int {
	var out []int
	for i, l := range r.leaders {
		if ok, _ := l.Leading(); ok {
			out = append(out, i)
		}
	}
	return out
}

// assertTrace checks that every line appears in the text trace, in order.
func (r *rig) assertTrace(t *testing.T, lines ...string) {
	t.Helper()
	rest := r.text.String()
	for _, line := range lines {
		i := strings.Index(rest, line)
		if !assert.True(t, i >= 0, "the trace should show, after the lines before it:\n%s\ntrace:\n%s", line, r.text) {
			return
		}
		rest = rest[i+len(line):]
	}
}

// timedProbe is a scripted client that sends each message of its script at
// its own virtual time to its own target, whatever the answers, and keeps
// every message it receives. A node has at most one timer of a kind, so the
// probe keeps one (protocol.TimerRequest) and re-arms it, after each send,
// for the next message of the script: the script must be in time order.
type timedProbe struct {
	script []timedMsg
	next   int // the next message of the script to send
	got    []protocol.Msg
	gotAt  []sim.Time
}

// timedMsg is one message of a timedProbe's script.
type timedMsg struct {
	at  sim.Time
	to  sim.NodeID
	msg protocol.Msg
}

func (p *timedProbe) Start(env *kv.Env) {
	for i := 1; i < len(p.script); i++ {
		if p.script[i].at < p.script[i-1].at {
			panic("timedProbe: the script is not in time order")
		}
	}
	p.arm(env)
}

// arm sets the timer for the next message of the script, if any is left.
func (p *timedProbe) arm(env *kv.Env) {
	if p.next < len(p.script) {
		env.SetTimer(protocol.TimerRequest, max(p.script[p.next].at-env.Now(), 0), 0)
	}
}

func (p *timedProbe) Timer(env *kv.Env, _ sim.TimerKind) {
	s := p.script[p.next]
	p.next++
	env.Send(s.to, s.msg)
	p.arm(env)
}

func (p *timedProbe) Receive(env *kv.Env, _ sim.NodeID, m protocol.Msg) {
	p.got = append(p.got, m)
	p.gotAt = append(p.gotAt, env.Now())
}

func (p *timedProbe) Crash() {}

func (p *timedProbe) Clone(sim.Node[protocol.Msg]) sim.Node[protocol.Msg] {
	d := *p
	d.got = append([]protocol.Msg(nil), p.got...)
	d.gotAt = append([]sim.Time(nil), p.gotAt...)
	return &d
}

func (p *timedProbe) AppendState(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(p.next))
	return appendMsgs(b, p.got)
}

// msgDecider gives each message the latency latency says, and loses none.
// The rig's observer sees a message just before the engine asks for its
// latency, so the decider reads the last message sent from the rig.
type msgDecider struct {
	r       *rig
	latency func(s sent) sim.Time
}

func (d msgDecider) Latency(lo, hi sim.Time) sim.Time {
	return min(max(d.latency(d.r.sends[len(d.r.sends)-1]), lo), hi)
}

func (d msgDecider) Chance(sim.Decision, float64) bool { return false }

// Jitter draws from the node's own stream, as a seeded run does.
func (d msgDecider) Jitter(r *rand.Rand, hi sim.Time) sim.Time {
	return sim.SeedDecider{}.Jitter(r, hi)
}

// fixed is an engine configuration with a fixed 1ms latency.
var fixed = sim.Config{Seed: 1, LatencyMin: sim.Millisecond, LatencyMax: sim.Millisecond}

// scripted is an engine configuration whose latencies a msgDecider sets,
// between 1ms and 1s.
var scripted = sim.Config{Seed: 1, LatencyMin: sim.Millisecond, LatencyMax: sim.Second}

// cmdOf is cmd as request seq of client.
func cmdOf(client string, seq uint64, op protocol.Op, key, value string) protocol.Command {
	return protocol.Command{Op: op, Key: sym(key), Value: sym(value), Client: clientID(client), Seq: seq}
}

func requestMsg(c protocol.Command) protocol.Msg { return protocol.Msg{Kind: protocol.Request, Cmd: c} }

// noopCmd is what a hole in the log is filled with.
var noopCmd = protocol.Command{Op: protocol.Noop}

// TestRecoverHighestBallot sets up one slot accepted with conflicting
// values: acceptor1 and acceptor3 hold A at (1,1), acceptor2 holds B at
// (2,2), and all promised (2,2). acceptor3 is down, so any quorum is
// {acceptor1, acceptor2}. leader1's first Prepare(1,1) is rejected with
// (2,2); it stands by, campaigns again above round 2, and must recover B,
// the value of the highest-numbered proposal among the promises it counted
// (Lamport, "Paxos Made Simple", section 2.2: "the value of the
// highest-numbered proposal").
func TestRecoverHighestBallot(t *testing.T) {
	a := cmdOf("client1", 1, protocol.Put, "k", "A")
	bv := cmdOf("client2", 1, protocol.Put, "k", "B")
	accs := []*Acceptor{
		{Promised: b(2, 2), Accepted: []protocol.Entry{{Slot: 1, Ballot: b(1, 1), Value: protocol.One(a)}}},
		{Promised: b(2, 2), Accepted: []protocol.Entry{{Slot: 1, Ballot: b(2, 2), Value: protocol.One(bv)}}},
		{Promised: b(2, 2), Accepted: []protocol.Entry{{Slot: 1, Ballot: b(1, 1), Value: protocol.One(a)}}},
	}
	r := newRig(fixed, 1, 1, accs, 0)
	r.e.Crash(0, r.accIDs[2])
	r.e.Run()

	l := r.leaders[0]
	var rejections []protocol.Ballot
	for _, id := range r.accIDs {
		for _, s := range r.sentBy(id, protocol.PrepareRejected) {
			rejections = append(rejections, s.msg.Ballot)
		}
	}
	assert.Equal(t, []protocol.Ballot{b(2, 2), b(2, 2)}, rejections, "acceptor1 and acceptor2 reject Prepare(1,1) with their promise")

	var prepares []protocol.Ballot
	for _, s := range r.sentBy(r.leaderIDs[0], protocol.Prepare) {
		if len(prepares) == 0 || prepares[len(prepares)-1] != s.msg.Ballot {
			prepares = append(prepares, s.msg.Ballot)
		}
	}
	require.Len(t, prepares, 2, "one rejected Phase 1, then one that wins")
	// leader1 stood by at 2ms, when the first rejection arrived; with no
	// heartbeat to re-arm it, its election timer fired after [T, 2T] with T
	// = 100ms (the 50ms election timeout doubled by the first campaign).
	var second sim.Time
	for _, s := range r.sentBy(r.leaderIDs[0], protocol.Prepare) {
		if s.msg.Ballot == prepares[1] {
			second = s.at
			break
		}
	}
	assert.GreaterOrEqual(t, second, 102*sim.Millisecond, "the second campaign waits at least the doubled election timeout")
	assert.LessOrEqual(t, second, 202*sim.Millisecond, "the second campaign waits at most twice the doubled election timeout")
	assert.Equal(t, b(1, 1), prepares[0])
	won := prepares[1]
	assert.Greater(t, won.Round, int32(2), "the new round is above the rejection's")
	assert.Equal(t, int32(1), won.LeaderID)

	leads, unchosen := l.Leading()
	require.True(t, leads, "leader1 leads in the end\n%s", r.text)
	assert.Zero(t, unchosen)
	assert.Equal(t, []protocol.Command{bv}, applied(l.Machine()), "slot 1 recovers B, accepted at the highest ballot")
	assert.Equal(t, map[string]string{"k": "B"}, l.Machine().Store().Map(names))
	assert.Equal(t, 2, r.noted(r.leaderIDs[0], protocol.NotePhase1), "two campaigns")
	assert.Equal(t, 1, r.noted(r.leaderIDs[0], protocol.NotePreempted), "preempted once, by the first rejection; the second finds it standing by")
	assert.Equal(t, 1, r.noted(r.leaderIDs[0], protocol.NoteRecoveredValue))
	for i := range 2 {
		assert.Equal(t, []protocol.Entry{{Slot: 1, Ballot: won, Value: protocol.One(bv)}}, accs[i].Accepted, "acceptor%d holds B at the new ballot", i+1)
	}
	assert.Empty(t, r.violations)

	r.assertTrace(t,
		"[leader1] Phase 1: sending Prepare(1,1) to 3 acceptors",
		"[acceptor1] PREPARE (1,1) rejected (higher ballot (2,2) promised)",
		"[leader1] PREPARE rejected by acceptor1: it promised (2,2) > (1,1); preempted, standing by",
		// The leader no longer measures how long it heard nothing: its
		// election timer, armed when it stood by and re-armed only by
		// heartbeats, fires after the election timeout, which its first
		// campaign doubled (backoff 1): 2 * 50ms.
		"[leader1] no heartbeat from a leader within the election timeout (at least 100ms): starting Phase 1",
		"[leader1] Phase 1: sending Prepare"+won.String()+" to 3 acceptors",
		"[leader1] Phase 1 complete: promises from acceptor1 + acceptor2, 2 of 3 (quorum 2) — leader established at ballot "+won.String(),
		`[leader1] slot 1: recovering PUT "k" = "B" (client2 #1), accepted at ballot (2,2), the highest reported`,
		"[leader1] recovery complete: slots 1..1 chosen again in ballot "+won.String(),
	)
}

// TestRecoverHoleAsNoop sets up a log with a hole: acceptor1 accepted slots
// 1 (X) and 3 (Z), acceptor2 only slot 3, acceptor3 nothing, all at (1,1),
// the ballot of a leader1 that is gone. leader2, alone, campaigns after its
// election timeout with a ballot above (1,1); with a fixed latency the
// promises of acceptor1 and acceptor2 arrive first and form its quorum. No
// acceptor of the quorum accepted anything in slot 2, so it is filled with
// Noop (Lamport, "Paxos Made Simple", section 3: the leader fills gaps with
// "no-op" commands), and the state machine applies X, nothing, Z. A new
// request then gets slot 4.
func TestRecoverHoleAsNoop(t *testing.T) {
	x := cmdOf("client1", 1, protocol.Put, "x", "1")
	z := cmdOf("client2", 1, protocol.Put, "z", "3")
	y := cmdOf("client3", 1, protocol.Put, "y", "2")
	accs := []*Acceptor{
		{Promised: b(1, 1), Accepted: []protocol.Entry{{Slot: 1, Ballot: b(1, 1), Value: protocol.One(x)}, {Slot: 2}, {Slot: 3, Ballot: b(1, 1), Value: protocol.One(z)}}},
		{Promised: b(1, 1), Accepted: []protocol.Entry{{Slot: 1}, {Slot: 2}, {Slot: 3, Ballot: b(1, 1), Value: protocol.One(z)}}},
		{Promised: b(1, 1)},
	}
	r := newRig(fixed, 0, 1, accs, 1)
	l := &Leader{ID: 2, Acceptors: r.accIDs, Replicas: r.repIDs, Timeouts: recoveryTimeouts}
	lid := r.e.AddNode("leader2", l)
	// leader2 campaigns within [Election, 2*Election]: the request comes
	// after recovery.
	p := &timedProbe{script: []timedMsg{{at: 300 * sim.Millisecond, to: lid, msg: requestMsg(y)}}}
	r.e.AddNode("client3", p)
	r.e.Run()

	leads, _ := l.Leading()
	require.True(t, leads, "leader2 leads\n%s", r.text)
	assert.Equal(t, []protocol.Command{x, noopCmd, z, y}, applied(l.Machine()), "X, a Noop in the hole, Z, then the new request in slot 4")
	assert.Equal(t, []protocol.Command{x, z, y}, effects(l.Machine()), "the Noop has no effect")
	assert.Equal(t, map[string]string{"x": "1", "y": "2", "z": "3"}, l.Machine().Store().Map(names))
	assert.Equal(t, applied(l.Machine()), applied(r.reps[0].Machine()), "the replica learns the same log")
	require.Len(t, p.got, 1, "the new request is answered\n%s", r.text)
	assert.Equal(t, protocol.Result{OK: true}, p.got[0].Result)

	ballot := r.sentBy(lid, protocol.Prepare)[0].msg.Ballot
	assert.Equal(t, b(1, 2), ballot, "a round above every ballot seen (none), with leader2's id: above (1,1)")
	for i := range 2 {
		assert.Equal(t, protocol.Entry{Slot: 2, Ballot: ballot, Value: protocol.One(noopCmd)}, accs[i].Accepted[1], "acceptor%d holds the Noop in slot 2", i+1)
	}
	var slots []int64
	for _, s := range r.sentBy(lid, protocol.Accept) {
		if s.msg.Cmd == y && (len(slots) == 0 || slots[len(slots)-1] != s.msg.Slot) {
			slots = append(slots, s.msg.Slot)
		}
	}
	assert.Equal(t, []int64{4}, slots, "the new request is proposed in slot 4 only")
	assert.Equal(t, 1, r.noted(lid, protocol.NotePhase1), "one campaign")
	assert.Equal(t, 1, r.noted(lid, protocol.NoteRecovery), "one Phase 1 win that recovered slots")
	assert.Equal(t, 1, r.noted(lid, protocol.NoteNoopFill), "one hole filled with Noop")
	assert.Equal(t, 2, r.noted(lid, protocol.NoteRecoveredValue), "two values recovered")
	assert.Empty(t, r.violations)

	r.assertTrace(t,
		"[leader2] Phase 1 recovery: the promises report slots up to 3; re-proposing all of them in ballot (1,2)",
		`[leader2] slot 1: recovering PUT "x" = "1" (client1 #1)`,
		"[leader2] slot 2: a hole (no acceptor of the quorum accepted anything): filling it with NOOP",
		`[leader2] slot 3: recovering PUT "z" = "3" (client2 #1)`,
		"[leader2] recovery complete: slots 1..3 chosen again in ballot (1,2) and applied; serving new requests",
		`[leader2] Assigning slot 4 for client3's request 1: PUT "y" = "2"`,
	)
}

// TestRetryTakesEffectOnce sends a request, waits for its answer, and sends
// the very same request again, as a client does when an answer is late. The
// retry must get the first answer and take effect once: the machine's
// session answers it, without a new slot.
func TestRetryTakesEffectOnce(t *testing.T) {
	put := cmdOf("client1", 1, protocol.Put, "x", "v")
	r := newRig(fixed, 1, 1, []*Acceptor{{}, {}, {}}, 1)
	p := &probe{to: r.leaderIDs[0], script: []protocol.Msg{requestMsg(put), requestMsg(put)}}
	r.e.AddNode("client1", p)
	r.e.Run()

	l := r.leaders[0]
	require.Len(t, p.got, 2, "both the request and its retry are answered\n%s", r.text)
	assert.Equal(t, protocol.Result{OK: true}, p.got[0].Result)
	assert.Equal(t, p.got[0], p.got[1], "the retry gets the first answer")
	assert.Equal(t, []protocol.Command{put}, effects(l.Machine()), "one effect")
	assert.Equal(t, []protocol.Command{put}, applied(l.Machine()), "the retry takes no slot")
	assert.Equal(t, []protocol.Command{put}, applied(r.reps[0].Machine()))
	assert.Equal(t, 1, r.noted(r.leaderIDs[0], protocol.NoteSessionAnswer), "the retry is answered from the session")
	assert.Empty(t, r.violations)
	r.assertTrace(t, `[leader1] client1's request 1 (PUT "x" = "v") was already applied: answering again, not applying twice`)
}

// TestRetryAfterFailover runs the retry of TestRetryTakesEffectOnce against
// a new leader: the request is chosen and applied by leader1, which then
// crashes; leader2 takes over, recovers the slot in Phase 1, and answers
// the client's retry from the session it rebuilt. Each subtest sends the
// retry at a different moment.
func TestRetryAfterFailover(t *testing.T) {
	put := cmdOf("client1", 1, protocol.Put, "x", "v")
	cases := []struct {
		name string
		// slowRecovery makes leader2's Accepts take 300ms, so that its
		// recovery of slot 1 is still in Phase 2 when the retry comes.
		slowRecovery bool
	}{
		{name: "retry after recovery"},
		{name: "retry during recovery", slowRecovery: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := fixed
			if c.slowRecovery {
				cfg = scripted
			}
			r := newRig(cfg, 2, 1, []*Acceptor{{}, {}, {}}, 1)
			l1, l2 := r.leaderIDs[0], r.leaderIDs[1]
			p := &timedProbe{script: []timedMsg{
				{at: 0, to: l1, msg: requestMsg(put)},
				{at: 250 * sim.Millisecond, to: l2, msg: requestMsg(put)},
			}}
			r.e.AddNode("client1", p)
			if c.slowRecovery {
				r.e.SetDecider(msgDecider{r: r, latency: func(s sent) sim.Time {
					if s.from == l2 && s.msg.Kind == protocol.Accept {
						return 300 * sim.Millisecond
					}
					return sim.Millisecond
				}})
			}
			r.e.Crash(20*sim.Millisecond, l1)
			r.e.Run()

			require.NotEmpty(t, p.got, "leader1 answers the request\n%s", r.text)
			require.Less(t, p.gotAt[0], 20*sim.Millisecond, "the request was chosen and applied before leader1 crashed")
			leads, _ := r.leaders[1].Leading()
			require.True(t, leads, "leader2 took over\n%s", r.text)
			accepts := r.sentBy(l2, protocol.Accept)
			require.NotEmpty(t, accepts, "leader2 recovers slot 1\n%s", r.text)
			recovery := accepts[0].at // when leader2 won Phase 1 and proposed slot 1 again
			require.Less(t, recovery, 251*sim.Millisecond, "leader2 leads when the retry arrives, at 251ms")
			if c.slowRecovery {
				// slot 1 cannot be chosen again before its Accepts arrive.
				require.Less(t, 251*sim.Millisecond, recovery+300*sim.Millisecond, "the retry arrives while slot 1 is in Phase 2")
			}
			require.Len(t, p.got, 2, "the retry to leader2 is answered\n%s", r.text)
			assert.Equal(t, p.got[0], p.got[1], "the retry gets the first answer")
			for _, n := range []struct {
				name string
				m    *kv.Machine
			}{{"leader2", r.leaders[1].Machine()}, {"replica1", r.reps[0].Machine()}} {
				assert.Equal(t, []protocol.Command{put}, effects(n.m), "%s: one effect", n.name)
				assert.Equal(t, []protocol.Command{put}, applied(n.m), "%s: the retry takes no slot", n.name)
			}
			assert.Empty(t, r.violations)
		})
	}
}

// TestRestartedLeaderNeverReusesBallot crashes and restarts leader1 and
// checks that its next Phase 1 uses a round above the one it used before
// the crash: a proposer must remember the highest-numbered proposal it
// issued, so as never to issue one with the same number (Lamport, "Paxos
// Made Simple", section 2.3). The run is built so that reuse would be
// unsafe: before the crash only acceptor1 accepts A in slot 1 (the others
// are cut off), and after the restart acceptor1 is cut off, so the new
// Phase 1 cannot see A and a new request takes slot 1. Had the ballot been
// reused, acceptor2 and acceptor3 would hold that request in slot 1 at the
// ballot at which acceptor1 holds A.
func TestRestartedLeaderNeverReusesBallot(t *testing.T) {
	a := cmdOf("client1", 1, protocol.Put, "a", "1")
	bv := cmdOf("client1", 2, protocol.Put, "b", "2")
	r := newRig(fixed, 1, 1, []*Acceptor{{}, {}, {}}, 0)
	l1 := r.leaderIDs[0]
	acc := r.accIDs
	p := &timedProbe{script: []timedMsg{
		{at: 0, to: l1, msg: requestMsg(a)},
		{at: 400 * sim.Millisecond, to: l1, msg: requestMsg(bv)},
	}}
	client := r.e.AddNode("client1", p)
	// leader1 wins at 2ms and sends Accept(slot 1, A) at 2ms, delivered at
	// 3ms: only acceptor1 gets it.
	r.e.Partition(2*sim.Millisecond+sim.Microsecond, [][]sim.NodeID{{l1, acc[0], client}, {acc[1], acc[2]}})
	r.e.Crash(10*sim.Millisecond, l1)
	r.e.Partition(15*sim.Millisecond, [][]sim.NodeID{{acc[0]}, {l1, acc[1], acc[2], client}})
	r.e.Restart(20*sim.Millisecond, l1)
	r.e.Run()

	prepares := r.sentBy(l1, protocol.Prepare)
	require.NotEmpty(t, prepares)
	var before, after []protocol.Ballot
	for _, s := range prepares {
		if s.at < 10*sim.Millisecond {
			before = append(before, s.msg.Ballot)
		} else {
			after = append(after, s.msg.Ballot)
		}
	}
	require.NotEmpty(t, before)
	require.NotEmpty(t, after, "leader1 campaigns again after its restart\n%s", r.text)
	for _, bal := range before {
		assert.Equal(t, b(1, 1), bal)
	}
	for _, bal := range after {
		assert.GreaterOrEqual(t, bal.Round, int32(2), "Prepare%v after the restart reuses a round", bal)
	}
	assert.Equal(t, b(1, 1), r.accs[0].Accepted[0].Ballot, "acceptor1 still holds A at (1,1)")
	assert.Equal(t, a, r.accs[0].Accepted[0].Value.Cmd)
	assert.Equal(t, []protocol.Command{bv}, applied(r.leaders[0].Machine()), "the new Phase 1 did not see A: the new request takes slot 1")
	for i := 1; i < 3; i++ {
		assert.Equal(t, bv, r.accs[i].Accepted[0].Value.Cmd)
		assert.Equal(t, after[0], r.accs[i].Accepted[0].Ballot)
	}
	assert.Empty(t, r.violations, "an acceptor holds two commands for one slot at one ballot")
	r.assertTrace(t,
		"[leader1] Restarting: log and store lost, rebuilt by Phase 1 if this node leads again; highest round used so far: 1",
		"[leader1] Phase 1: sending Prepare(2,1) to 3 acceptors",
	)
}

// TestDuellingCandidatesTerminate crashes leader1 at the start, so that
// leader2 and leader3 both stand by and then campaign, with a random latency
// of 1..5ms. Their randomised election timeouts must end any duel: within a
// second of virtual time exactly one of them leads and a client's request
// is answered. With a 5ms election timeout, about a latency, the two
// campaigns overlap and preempt each other far more often than with 50ms.
// Each seed is its own subtest, so a failure names the seed.
func TestDuellingCandidatesTerminate(t *testing.T) {
	configs := []struct {
		name     string
		timeouts Timeouts
	}{
		{"election=50ms", recoveryTimeouts},
		{"election=5ms", Timeouts{Heartbeat: 2 * sim.Millisecond, Election: 5 * sim.Millisecond, Retry: 10 * sim.Millisecond}},
	}
	for _, cf := range configs {
		t.Run(cf.name, func(t *testing.T) {
			duels := 0 // seeds in which both leader2 and leader3 campaigned
			for seed := uint64(1); seed <= 50; seed++ {
				t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
					repro := fmt.Sprintf("reproduce: go test ./protocol/multipaxos -run 'TestDuellingCandidatesTerminate/%s/seed=%d$' -v", cf.name, seed)
					cfg := sim.Config{Seed: seed, LatencyMin: sim.Millisecond, LatencyMax: 5 * sim.Millisecond}
					r := newRig(cfg, 3, 1, []*Acceptor{{}, {}, {}}, 1)
					for _, l := range r.leaders {
						l.Timeouts = cf.timeouts
					}
					w := kv.NewWorkload(r.e.Symbols(), 1, []string{"x"}, 2, 0, 1, 0)
					// The client's own stream of the seed, as cluster draws it.
					c := &kv.Client{Targets: r.leaderIDs, Work: w, Timeout: 100 * sim.Millisecond, Retries: 20}
					c.SetStream(sim.PCG(seed, "node/client1"))
					r.e.AddNode("client1", c)
					r.e.Crash(0, r.leaderIDs[0])
					res := r.e.Run()
					if len(r.sentBy(r.leaderIDs[1], protocol.Prepare)) > 0 && len(r.sentBy(r.leaderIDs[2], protocol.Prepare)) > 0 {
						duels++
					}

					require.Equal(t, sim.StopTimeLimit, res.Reason, "the run ends at the time limit, not the event limit: %s; %s", res.Describe(r.e.Config()), repro)
					leading := r.leading()
					require.Len(t, leading, 1, "exactly one leader leads, got indexes %v; %s\n%s", leading, repro, r.text)
					assert.NotEqual(t, 0, leading[0], "leader1 is down; %s", repro)
					var answered bool
					for _, h := range r.history {
						answered = answered || !h.Invoke && h.Ret.OK
					}
					assert.True(t, answered, "the client's request is answered; %s\n%s", repro, r.text)
					assert.True(t, c.Done(), "the client finished; %s", repro)
					assert.Empty(t, r.violations, repro)
				})
			}
			assert.Positive(t, duels, "no seed made leader2 and leader3 both campaign: the test does not exercise a duel")
		})
	}
}

// TestPipelineAppliesInSlotOrder puts three requests in Phase 2 at once
// (Pipeline 3) and makes slot 1's Accepts slow, so that slots 2 and 3 are
// chosen before slot 1. The leader and the replica must still apply them
// in slot order (Lamport, "Paxos Made Simple", section 3: a command is
// executed only once every command before it has been), which the
// answers show: the get in slot 2 sees the put of slot 1.
func TestPipelineAppliesInSlotOrder(t *testing.T) {
	cmds := []protocol.Command{
		cmdOf("client1", 1, protocol.Put, "x", "1"),
		cmdOf("client2", 1, protocol.Get, "x", ""),
		cmdOf("client3", 1, protocol.Delete, "x", ""),
	}
	r := newRig(scripted, 1, 3, []*Acceptor{{}, {}, {}}, 1)
	l1 := r.leaderIDs[0]
	r.e.SetDecider(msgDecider{r: r, latency: func(s sent) sim.Time {
		if s.from == l1 && s.msg.Kind == protocol.Accept && s.msg.Slot == 1 {
			return 10 * sim.Millisecond
		}
		return sim.Millisecond
	}})
	p := &probe{to: l1, burst: true, script: []protocol.Msg{requestMsg(cmds[0]), requestMsg(cmds[1]), requestMsg(cmds[2])}}
	r.e.AddNode("clients", p)
	r.e.Run()

	l := r.leaders[0]
	accepts := r.sentBy(l1, protocol.Accept)
	require.Len(t, accepts, 9, "three slots, each to three acceptors, none re-sent\n%s", r.text)
	for _, s := range accepts {
		assert.Equal(t, accepts[0].at, s.at, "the three slots are in Phase 2 at once")
	}
	assert.Equal(t, cmds, applied(l.Machine()), "applied in slot order")
	assert.Equal(t, cmds, applied(r.reps[0].Machine()), "the replica applies in slot order")
	require.Len(t, p.got, 3, "every request is answered\n%s", r.text)
	want := []protocol.Result{{OK: true}, {OK: true, Value: sym("1")}, {OK: true}}
	for i, m := range p.got {
		assert.Equal(t, cmds[i], m.Cmd, "answers come in slot order")
		assert.Equal(t, want[i], m.Result, "answer to %v", m.Cmd)
	}
	assert.Empty(t, r.violations)
	r.assertTrace(t,
		"[leader1] Phase 2 for slot 2: chosen: acceptor1 + acceptor2, 2 of 3 (quorum 2)",
		"[leader1] Phase 2 for slot 3: chosen: acceptor1 + acceptor2, 2 of 3 (quorum 2)",
		"[leader1] Phase 2 for slot 1: chosen: acceptor1 + acceptor2, 2 of 3 (quorum 2)",
		`[leader1] PUT "x" = "1" -> OK`,
		"[leader1] sending Reply to clients: OK",
		"[leader1] sending Commit for slot 1 to replica1",
		`[leader1] GET "x" -> "1"`,
		`[leader1] DELETE "x" -> OK`,
	)
}
