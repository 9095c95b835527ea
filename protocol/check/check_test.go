package check

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
	"github.com/multipaxos-kv/multipaxos-kv/sim/golden"
)

var _ = golden.Update

var (
	put1 = protocol.Command{Op: protocol.Put, Key: sym("a"), Value: sym("v1"), Client: clientNamed("client1"), Seq: 1}
	put2 = protocol.Command{Op: protocol.Put, Key: sym("a"), Value: sym("v2"), Client: clientNamed("client2"), Seq: 1}
	get3 = protocol.Command{Op: protocol.Get, Key: sym("a"), Client: clientNamed("client3"), Seq: 1}
)

func TestAgreement(t *testing.T) {
	cases := []struct {
		name string
		ls   []Learner
		err  string
	}{
		{"empty", nil, ""},
		{"equal logs", []Learner{{Name: "l", Applied: []protocol.Command{put1, get3}}, {Name: "r", Applied: []protocol.Command{put1, get3}}}, ""},
		{"prefixes agree", []Learner{{Name: "l", Applied: []protocol.Command{put1, get3}}, {Name: "r", Applied: []protocol.Command{put1}}, {Name: "s"}}, ""},
		{"two commands in slot 1", []Learner{{Name: "leader1", Applied: []protocol.Command{put1}}, {Name: "replica1", Applied: []protocol.Command{put2}}},
			`slot 1: leader1 applied PUT "a" = "v1" (client1 #1) but replica1 applied PUT "a" = "v2" (client2 #1)`},
		{"disagreement behind a longer log", []Learner{{Name: "r1", Applied: []protocol.Command{put1}}, {Name: "r2", Applied: []protocol.Command{put1, get3}}, {Name: "r3", Applied: []protocol.Command{put1, put2}}},
			`slot 2: r2 applied GET "a" (client3 #1) but r3 applied PUT "a" = "v2" (client2 #1)`},
		{"same op from another request", []Learner{{Name: "a", Applied: []protocol.Command{put1}}, {Name: "b", Applied: []protocol.Command{{Op: protocol.Put, Key: sym("a"), Value: sym("v1"), Client: clientNamed("client1"), Seq: 2}}}},
			`slot 1: a applied PUT "a" = "v1" (client1 #1) but b applied PUT "a" = "v1" (client1 #2)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Agreement(c.ls, linClientName)
			if c.err == "" {
				assert.NoError(t, err)
			} else {
				assert.EqualError(t, err, c.err)
			}
		})
	}
}

func TestConvergence(t *testing.T) {
	log := []protocol.Command{put1}
	cases := []struct {
		name string
		ls   []Learner
		err  string
	}{
		{"same prefix same store", []Learner{{Name: "a", Applied: log, Store: map[string]string{"a": "v1"}}, {Name: "b", Applied: log, Store: map[string]string{"a": "v1"}}}, ""},
		{"different prefixes may differ", []Learner{{Name: "a", Applied: log, Store: map[string]string{"a": "v1"}}, {Name: "b", Store: map[string]string{}}}, ""},
		{"same prefix, different store", []Learner{{Name: "a", Applied: log, Store: map[string]string{"a": "v1"}}, {Name: "b", Applied: log, Store: map[string]string{"a": "v2"}}},
			"a and b both applied 1 slots but hold different stores: {a=v1} vs {a=v2}"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Convergence(c.ls)
			if c.err == "" {
				assert.NoError(t, err)
			} else {
				assert.EqualError(t, err, c.err)
			}
		})
	}
}

func TestVerdictText(t *testing.T) {
	assert.Equal(t, "ok", Verdict{Name: "x"}.Text())
	assert.Equal(t, Agreement([]Learner{{Name: "a", Applied: []protocol.Command{put1}}, {Name: "b", Applied: []protocol.Command{put2}}}, linClientName).Error(),
		Verdict{Name: "agreement", Err: Agreement([]Learner{{Name: "a", Applied: []protocol.Command{put1}}, {Name: "b", Applied: []protocol.Command{put2}}}, linClientName)}.Text())
}

func TestExactlyOnce(t *testing.T) {
	noop := protocol.Command{Op: protocol.Noop}
	assert.NoError(t, ExactlyOnce([]Learner{{Name: "l", Effects: []protocol.Command{put1, noop, get3, noop}}}, linClientName), "noops are not requests")
	assert.NoError(t, ExactlyOnce([]Learner{{Name: "a", Effects: []protocol.Command{put1}}, {Name: "b", Effects: []protocol.Command{put1}}}, linClientName), "one effect in each learner")
	assert.NoError(t, ExactlyOnce([]Learner{{Name: "l", Applied: []protocol.Command{put1, get3, put1}, Effects: []protocol.Command{put1, get3}}}, linClientName),
		"a retry may reach the log twice if it takes effect once")
	err := ExactlyOnce([]Learner{{Name: "replica1", Effects: []protocol.Command{put1, get3, put1}}}, linClientName)
	assert.EqualError(t, err, `client1 #1 took effect twice on replica1: effects 1 and 3 (PUT "a" = "v1")`)
}

func TestLiveness(t *testing.T) {
	name := linClientName
	inv := func(c sim.NodeID, id uint64, op, key string) kv.HistoryEvent {
		o, _ := protocol.ParseOp(op)
		return kv.HistoryEvent{Client: c, Invoke: true, Op: kv.Op{ID: id, Op: o, Key: sym(key)}}
	}
	ret := func(c sim.NodeID, id uint64) kv.HistoryEvent {
		return kv.HistoryEvent{Client: c, Ret: kv.Ret{ID: id, OK: true}}
	}
	done := []kv.HistoryEvent{inv(1, 1, "get", "a"), inv(2, 1, "put", "b"), ret(1, 1), ret(2, 1)}
	err, note := Liveness(done, name, true, "no events left")
	assert.NoError(t, err)
	assert.Empty(t, note)

	stuck := []kv.HistoryEvent{inv(1, 1, "get", "a"), inv(2, 1, "put", "b"), ret(1, 1), inv(1, 2, "delete", "c"), ret(1, 9)}
	err, note = Liveness(stuck, name, true, "time limit 1m0s reached")
	assert.EqualError(t, err, "2 of 3 requests unanswered when the run ended (time limit 1m0s reached): client1 #2 (delete c), client2 #1 (put b)")
	assert.Empty(t, note)

	err, note = Liveness(stuck, name, false, "no events left")
	assert.NoError(t, err, "liveness = false reports a stall, it does not fail")
	assert.Equal(t, "stalled as allowed (liveness = false): 2 of 3 requests unanswered when the run ended (no events left): client1 #2 (delete c), client2 #1 (put b)", note)
	assert.Equal(t, note, Verdict{Name: "liveness", Note: note}.Text())
}

// TestChosen feeds the watcher votes (Paxos Made Simple, 2.1: "only a single
// value is chosen").
func TestChosen(t *testing.T) {
	b1 := protocol.Ballot{Round: 1, LeaderID: 1}
	b2 := protocol.Ballot{Round: 2, LeaderID: 2}
	c := NewChosen(2, linClientName)
	c.Accepted(0, 1, b1, put1)
	c.Accepted(0, 1, b1, put1) // a duplicate vote counts once
	assert.Equal(t, 0, c.Slots())
	c.Accepted(1, 1, b1, put1)
	assert.Equal(t, 1, c.Slots())
	// A later ballot choosing the same command is fine (that is what Phase 1
	// recovery does).
	c.Accepted(1, 1, b2, put1)
	c.Accepted(2, 1, b2, put1)
	assert.NoError(t, c.Err())
	assert.NoError(t, c.Applied([]Learner{{Name: "leader1", Applied: []protocol.Command{put1}}}))
	assert.EqualError(t, c.Applied([]Learner{{Name: "leader1", Applied: []protocol.Command{put2}}}),
		`leader1 applied PUT "a" = "v2" (client2 #1) at slot 1, where PUT "a" = "v1" (client1 #1) was chosen`)
	assert.EqualError(t, c.Applied([]Learner{{Name: "replica1", Applied: []protocol.Command{put1, get3}}}),
		`replica1 applied GET "a" at slot 2, where nothing was chosen`)

	// Votes for another command at another ballot: a second choice for slot 1.
	b3 := protocol.Ballot{Round: 3, LeaderID: 1}
	c.Accepted(0, 1, b3, put2)
	assert.NoError(t, c.Err(), "one vote chooses nothing")
	c.Accepted(2, 1, b3, put2)
	assert.EqualError(t, c.Err(), `slot 1: PUT "a" = "v1" (client1 #1) was chosen at ballot (1,1), then PUT "a" = "v2" (client2 #1) at ballot (3,1)`)

	c.Reset()
	assert.NoError(t, c.Err())
	assert.Equal(t, 0, c.Slots())

	// One ballot proposing two commands for a slot (a leader restarted with
	// its old ballot) is caught at its source, even by the same acceptor.
	c.Accepted(0, 1, b1, put1)
	c.Accepted(1, 1, b1, put1)
	c.Accepted(0, 1, b1, put2)
	assert.EqualError(t, c.Err(), `slot 1: ballot (1,1) proposed two commands: PUT "a" = "v1" (client1 #1) and PUT "a" = "v2" (client2 #1), the latter accepted by acceptor1`)
}
