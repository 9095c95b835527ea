package check

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

// watchLogs feeds w the learners' logs, one command of each learner in turn
// (the order of a run, roughly), each command taking effect unless listed
// in retries.
func watchLogs(w *LogWatch, logs [][]protocol.Command, retries map[int]bool, chosen ...*Chosen) {
	var ch *Chosen
	if len(chosen) > 0 {
		ch = chosen[0]
	}
	for i := 0; ; i++ {
		any := false
		for l, log := range logs {
			if i < len(log) {
				any = true
				w.Applied(l, protocol.One(log[i]), 0, !retries[i] && log[i].Op != protocol.Noop, ch)
			}
		}
		if !any {
			return
		}
	}
}

func TestLogWatchAgreement(t *testing.T) {
	cases := []struct {
		name  string
		names []string
		logs  [][]protocol.Command
		err   string
	}{
		{"empty", nil, nil, ""},
		{"equal logs", []string{"l", "r"}, [][]protocol.Command{{put1, get3}, {put1, get3}}, ""},
		{"prefixes agree", []string{"l", "r", "s"}, [][]protocol.Command{{put1, get3}, {put1}, nil}, ""},
		{"two commands in slot 1", []string{"leader1", "replica1"}, [][]protocol.Command{{put1}, {put2}},
			`slot 1: leader1 applied PUT "a" = "v1" (client1 #1) but replica1 applied PUT "a" = "v2" (client2 #1)`},
		{"disagreement behind a longer log", []string{"r1", "r2", "r3"}, [][]protocol.Command{{put1}, {put1, get3}, {put1, put2}},
			`slot 2: r2 applied GET "a" (client3 #1) but r3 applied PUT "a" = "v2" (client2 #1)`},
		{"same op from another request", []string{"a", "b"}, [][]protocol.Command{{put1}, {{Op: protocol.Put, Key: sym("a"), Value: sym("v1"), Client: clientNamed("client1"), Seq: 2}}},
			`slot 1: a applied PUT "a" = "v1" (client1 #1) but b applied PUT "a" = "v1" (client1 #2)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var first []protocol.Command
			w := NewLogWatch(linClientName, c.names, false, func(cmd protocol.Command) { first = append(first, cmd) })
			watchLogs(w, c.logs, nil)
			if c.err == "" {
				assert.NoError(t, w.Agreement())
				var longest []protocol.Command
				for _, l := range c.logs {
					if len(l) > len(longest) {
						longest = l
					}
				}
				assert.Equal(t, longest, first, "each slot's first command, in slot order")
			} else {
				assert.EqualError(t, w.Agreement(), c.err)
			}
		})
	}
}

// TestLogWatchRestart: a learner whose machine restarts applies the log
// again and is checked again; one that installs a snapshot goes on from its
// slot, and a snapshot that differs from the log applied is a disagreement.
func TestLogWatchRestart(t *testing.T) {
	w := NewLogWatch(linClientName, []string{"leader1", "replica1"}, false, nil)
	watchLogs(w, [][]protocol.Command{{put1, get3}, {put1, get3}}, nil)
	w.Restart(1, 0, 0)
	w.Applied(1, protocol.One(put1), 0, true, nil)
	assert.NoError(t, w.Agreement())
	assert.NoError(t, w.ExactlyOnce(), "a restarted machine is a new learner for exactly-once")
	w.Applied(1, protocol.One(put2), 0, true, nil)
	assert.EqualError(t, w.Agreement(), `slot 2: leader1 applied GET "a" (client3 #1) but replica1 applied PUT "a" = "v2" (client2 #1)`)

	w = NewLogWatch(linClientName, []string{"leader1", "replica1"}, false, nil)
	watchLogs(w, [][]protocol.Command{{put1, get3, put2}, {put1}}, nil)
	d := protocol.Chain(protocol.Chain(0, put1), get3)
	w.Restart(1, 2, d)
	w.Applied(1, protocol.One(put2), 0, true, nil)
	assert.NoError(t, w.Agreement(), "a snapshot of slots 1..2, then slot 3")
	w.Restart(1, 2, d+1)
	assert.EqualError(t, w.Agreement(), "replica1 installed a snapshot of slots 1..2 that differs from the log leader1 applied")
}

// TestLogWatchForget: the slots every learner passed are dropped once the
// floor allows it, and a learner applying one of them again is caught.
func TestLogWatchForget(t *testing.T) {
	w := NewLogWatch(linClientName, []string{"l", "r"}, false, nil)
	watchLogs(w, [][]protocol.Command{{put1, get3, put2}, {put1, get3}}, nil)
	w.Forget(1)
	assert.Equal(t, 2, w.Kept(), "the floor keeps slot 2 and up")
	w.Forget(9)
	assert.Equal(t, 1, w.Kept(), "r has not passed slot 3")
	w.Applied(1, protocol.One(put2), 0, true, nil)
	assert.NoError(t, w.Agreement())
	w.Restart(1, 0, 0)
	w.Applied(1, protocol.One(put1), 0, true, nil)
	assert.EqualError(t, w.Agreement(), `slot 1: r applied PUT "a" = "v1" (client1 #1) again, below slot 3, from which every node recovers by snapshot`)
}

// applySlot feeds w learner l's next slot, value v, one record per
// command as kv.RecordApplied makes them; dup marks the commands that were
// retries (no effect).
func applySlot(w *LogWatch, l int, v protocol.Value, ch *Chosen, dup ...int) {
	for i := range v.Len() {
		effect := v.At(i).Op != protocol.Noop
		for _, d := range dup {
			effect = effect && d != i
		}
		w.Applied(l, v, i, effect, ch)
	}
}

// TestLogWatchBatches: a slot's value may be a batch. Learners agree when
// they apply the same batch at the same slot, and disagree when the same
// commands are batched differently; the first application hands each of
// its commands to onFirst in order; a command of a batch that takes effect
// twice is caught; and a batch must be the value chosen for its slot.
func TestLogWatchBatches(t *testing.T) {
	ab, c := protocol.Batch([]protocol.Command{put1, put2}), protocol.One(get3)
	var first []protocol.Command
	w := NewLogWatch(linClientName, []string{"leader1", "replica1"}, false, func(cmd protocol.Command) { first = append(first, cmd) })
	applySlot(w, 0, ab, nil)
	applySlot(w, 0, c, nil)
	applySlot(w, 1, protocol.Batch([]protocol.Command{put1, put2}), nil)
	applySlot(w, 1, c, nil)
	assert.NoError(t, w.Agreement())
	assert.NoError(t, w.ExactlyOnce())
	assert.Equal(t, []protocol.Command{put1, put2, get3}, first, "log order: the batch's commands, then slot 2's")
	assert.Equal(t, int64(2), w.Pos(1), "two slots, three commands")

	w = NewLogWatch(linClientName, []string{"leader1", "replica1"}, false, nil)
	applySlot(w, 0, ab, nil)
	applySlot(w, 1, protocol.One(put1), nil)
	applySlot(w, 1, protocol.One(put2), nil)
	assert.EqualError(t, w.Agreement(), `slot 1: leader1 applied [PUT "a" = "v1" (client1 #1), PUT "a" = "v2" (client2 #1)] but replica1 applied PUT "a" = "v1" (client1 #1)`)

	w = NewLogWatch(linClientName, []string{"leader1"}, false, nil)
	applySlot(w, 0, protocol.Batch([]protocol.Command{put1, get3, put1}), nil, 2)
	assert.NoError(t, w.ExactlyOnce(), "the retry in the batch had no effect")
	applySlot(w, 0, protocol.Batch([]protocol.Command{put2, put1}), nil)
	assert.EqualError(t, w.ExactlyOnce(), `client1 #1 took effect twice on leader1: again at slot 2 (PUT "a" = "v1")`)

	ch := NewChosen(2, linClientName)
	ch.Accepted(0, 1, protocol.Ballot{Round: 1, LeaderID: 1}, ab)
	ch.Accepted(1, 1, protocol.Ballot{Round: 1, LeaderID: 1}, protocol.Batch([]protocol.Command{put1, put2}))
	assert.NoError(t, ch.Err(), "the same batch, held by two acceptors")
	w = NewLogWatch(linClientName, []string{"leader1", "replica1"}, false, nil)
	applySlot(w, 0, ab, ch)
	assert.NoError(t, w.Agreement())
	w = NewLogWatch(linClientName, []string{"leader1"}, false, nil)
	applySlot(w, 0, protocol.Batch([]protocol.Command{put2, put1}), ch)
	assert.ErrorContains(t, w.Agreement(), `leader1 applied [PUT "a" = "v2" (client2 #1), PUT "a" = "v1" (client1 #1)] at slot 1, where [PUT "a" = "v1" (client1 #1), PUT "a" = "v2" (client2 #1)] was chosen`)
	ch.Accepted(2, 1, protocol.Ballot{Round: 1, LeaderID: 1}, protocol.One(put1))
	assert.ErrorContains(t, ch.Err(), "ballot (1,1) proposed two commands", "one ballot, two values for one slot: a batch and a single command")
}

func TestConvergence(t *testing.T) {
	cases := []struct {
		name string
		ls   []Learner
		err  string
	}{
		{"same prefix same store", []Learner{{Name: "a", Len: 1, Store: map[string]string{"a": "v1"}}, {Name: "b", Len: 1, Store: map[string]string{"a": "v1"}}}, ""},
		{"different prefixes may differ", []Learner{{Name: "a", Len: 1, Store: map[string]string{"a": "v1"}}, {Name: "b", Store: map[string]string{}}}, ""},
		{"same prefix, different store", []Learner{{Name: "a", Len: 1, Store: map[string]string{"a": "v1"}}, {Name: "b", Len: 1, Store: map[string]string{"a": "v2"}}},
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
	err := errors.New("slot 1: a applied X but b applied Y")
	assert.Equal(t, err.Error(), Verdict{Name: "agreement", Err: err}.Text())
	assert.Equal(t, "n", Verdict{Name: "x", Note: "n"}.Text())
}

func TestLogWatchExactlyOnce(t *testing.T) {
	noop := protocol.Command{Op: protocol.Noop}
	w := NewLogWatch(linClientName, []string{"l"}, false, nil)
	watchLogs(w, [][]protocol.Command{{put1, noop, get3, noop}}, nil)
	assert.NoError(t, w.ExactlyOnce(), "noops are not requests")
	w = NewLogWatch(linClientName, []string{"a", "b"}, false, nil)
	watchLogs(w, [][]protocol.Command{{put1}, {put1}}, nil)
	assert.NoError(t, w.ExactlyOnce(), "one effect in each learner")
	w = NewLogWatch(linClientName, []string{"l"}, false, nil)
	watchLogs(w, [][]protocol.Command{{put1, get3, put1}}, map[int]bool{2: true})
	assert.NoError(t, w.ExactlyOnce(), "a retry may reach the log twice if it takes effect once")
	w = NewLogWatch(linClientName, []string{"replica1"}, false, nil)
	watchLogs(w, [][]protocol.Command{{put1, get3, put1}}, nil)
	assert.EqualError(t, w.ExactlyOnce(), `client1 #1 took effect twice on replica1: again at slot 3 (PUT "a" = "v1")`)
	big := put1
	big.Seq = 1000
	w.Applied(0, protocol.One(big), 0, true, nil)
	big.Seq = 1001
	w.Applied(0, protocol.One(big), 0, true, nil)
	assert.EqualError(t, w.ExactlyOnce(), `client1 #1 took effect twice on replica1: again at slot 3 (PUT "a" = "v1")`, "the first failure stays")
}

func TestLiveness(t *testing.T) {
	name := linClientName
	inv := func(c sim.NodeID, id uint64, op, key string) kv.HistoryEvent {
		o, _ := protocol.ParseOp(op)
		return kv.HistoryEvent{Client: c, Invoke: true, Op: kv.Op{ID: id, Op: o, Key: sym(key)}}
	}
	note, err := Liveness(nil, 2, name, true, "no events left")
	assert.NoError(t, err, "every request answered")
	assert.Empty(t, note)

	stuck := []kv.HistoryEvent{inv(1, 2, "delete", "c"), inv(2, 1, "put", "b")}
	note, err = Liveness(stuck, 3, name, true, "time limit 1m0s reached")
	assert.EqualError(t, err, "2 of 3 requests unanswered when the run ended (time limit 1m0s reached): client1 #2 (delete c), client2 #1 (put b)")
	assert.Empty(t, note)

	note, err = Liveness(stuck, 3, name, false, "no events left")
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
	c.Accepted(0, 1, b1, protocol.One(put1))
	c.Accepted(0, 1, b1, protocol.One(put1)) // a duplicate vote counts once
	assert.Equal(t, 0, c.Slots())
	c.Accepted(1, 1, b1, protocol.One(put1))
	assert.Equal(t, 1, c.Slots())
	// A later ballot choosing the same command is fine (that is what Phase 1
	// recovery does).
	c.Accepted(1, 1, b2, protocol.One(put1))
	c.Accepted(2, 1, b2, protocol.One(put1))
	assert.NoError(t, c.Err())
	applied := func(log ...protocol.Command) error {
		w := NewLogWatch(linClientName, []string{"leader1"}, false, nil)
		watchLogs(w, [][]protocol.Command{log}, nil, c)
		return w.Agreement()
	}
	assert.NoError(t, applied(put1))
	assert.EqualError(t, applied(put2),
		`leader1 applied PUT "a" = "v2" (client2 #1) at slot 1, where PUT "a" = "v1" (client1 #1) was chosen: the votes for slot 1: ballot (1,1) PUT "a" = "v1" (client1 #1) by acceptor1 + acceptor2; ballot (2,2) PUT "a" = "v1" (client1 #1) by acceptor2 + acceptor3 (a quorum is 2)`)
	assert.EqualError(t, applied(put1, get3),
		`leader1 applied GET "a" at slot 2, where nothing was chosen: no acceptor accepted anything at slot 2`)
	if ch, ok := c.Choice(1); assert.True(t, ok) {
		assert.Equal(t, protocol.One(put1), ch)
	}

	// Votes for another command at another ballot: a second choice for slot 1.
	b3 := protocol.Ballot{Round: 3, LeaderID: 1}
	c.Accepted(0, 1, b3, protocol.One(put2))
	assert.NoError(t, c.Err(), "one vote chooses nothing")
	c.Accepted(2, 1, b3, protocol.One(put2))
	assert.EqualError(t, c.Err(), `slot 1: PUT "a" = "v1" (client1 #1) was chosen at ballot (1,1) by acceptor1 + acceptor2, then PUT "a" = "v2" (client2 #1) at ballot (3,1) by acceptor1 + acceptor3`)

	c.Reset()
	assert.NoError(t, c.Err())
	assert.Equal(t, 0, c.Slots())

	// One ballot proposing two commands for a slot (a leader restarted with
	// its old ballot) is caught at its source, even by the same acceptor.
	c.Accepted(0, 1, b1, protocol.One(put1))
	c.Accepted(1, 1, b1, protocol.One(put1))
	c.Accepted(0, 1, b1, protocol.One(put2))
	assert.EqualError(t, c.Err(), `slot 1: ballot (1,1) proposed two commands: PUT "a" = "v1" (client1 #1) and PUT "a" = "v2" (client2 #1), the latter accepted by acceptor1`)
}

// TestChosenForget: forgotten slots keep their count but not their votes;
// a vote for a forgotten slot is ignored (no acceptor votes below its
// snapshot); the slots above are as they were, and a second choice there is
// still caught.
func TestChosenForget(t *testing.T) {
	b1 := protocol.Ballot{Round: 1, LeaderID: 1}
	b2 := protocol.Ballot{Round: 2, LeaderID: 2}
	c := NewChosen(2, linClientName)
	for slot := int64(1); slot <= 3; slot++ {
		c.Accepted(0, slot, b1, protocol.One(put1))
		c.Accepted(1, slot, b1, protocol.One(put1))
	}
	require.Equal(t, 3, c.Slots())
	c.Forget(2)
	assert.Equal(t, 3, c.Slots(), "forgotten slots still count as chosen")
	_, ok := c.Choice(1)
	assert.False(t, ok, "slot 1 is forgotten")
	ch, ok := c.Choice(3)
	assert.True(t, ok)
	assert.Equal(t, protocol.One(put1), ch)
	c.Accepted(0, 1, b2, protocol.One(put2))
	c.Accepted(2, 1, b2, protocol.One(put2))
	assert.NoError(t, c.Err(), "votes below the floor are ignored")
	c.Accepted(0, 3, b2, protocol.One(put2))
	c.Accepted(2, 3, b2, protocol.One(put2))
	assert.EqualError(t, c.Err(), `slot 3: PUT "a" = "v1" (client1 #1) was chosen at ballot (1,1) by acceptor1 + acceptor2, then PUT "a" = "v2" (client2 #1) at ballot (2,2) by acceptor1 + acceptor3`)
	d := c.CloneInto(nil)
	assert.Equal(t, c.AppendState(nil), d.AppendState(nil), "a clone keeps the floor")
}
