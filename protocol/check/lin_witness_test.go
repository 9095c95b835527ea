package check

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// linCmd is request seq of client c as the log holds it: "put a v1", "get a".
func linCmd(c sim.NodeID, seq uint64, op string) protocol.Command {
	o := linHist{}.inv(0, c, seq, op)[0].Op
	cmd, _ := linParseOp(o)
	cmd.Client, cmd.Seq = c, seq
	return cmd
}

// linDecorate adds what a real log holds besides the effects: Noops, retries
// of a request already applied, and an old request that arrives after its
// client moved on. None of them takes effect, so the witness skips them.
func linDecorate(r *rand.Rand, log []protocol.Command) []protocol.Command {
	var out []protocol.Command
	for i, cmd := range log {
		out = append(out, cmd)
		switch r.IntN(6) {
		case 0:
			out = append(out, protocol.Command{Op: protocol.Noop})
		case 1:
			out = append(out, cmd) // a retry
		case 2:
			for _, old := range slices.Backward(log[:i]) {
				if old.Client == cmd.Client {
					out = append(out, old) // superseded
					break
				}
			}
		}
	}
	return out
}

// TestLinWitness: the log's order, verified, is a proof; where it is not one,
// the reason names what failed, and the search decides the verdict from the
// history alone (the log can make a key fail its witness, never pass).
func TestLinWitness(t *testing.T) {
	cases := []struct {
		name    string
		h       linHist
		log     []protocol.Command
		witness string // "" when the witness proves the key; else its error
		err     string // the verdict: "" ok, else a prefix of the error
	}{
		{"log order proves it", linHist{}.
			inv(0, 1, 1, "put a v1").
			inv(1*linMs, 2, 1, "get a").
			ok(2*linMs, 1, 1).
			val(3*linMs, 2, 1, "v1"),
			[]protocol.Command{{Op: protocol.Noop}, linCmd(1, 1, "put a v1"), linCmd(1, 1, "put a v1"), linCmd(2, 1, "get a")}, "", ""},
		{"unanswered op where the log has it", linHist{}.
			inv(0, 1, 1, "put a v1").
			inv(5*linMs, 2, 1, "get a").val(6*linMs, 2, 1, "v1"),
			[]protocol.Command{linCmd(1, 1, "put a v1"), linCmd(2, 1, "get a")}, "", ""},
		{"unanswered op left out", linHist{}.
			inv(0, 1, 1, "put a v1").
			inv(5*linMs, 2, 1, "get a").fail(6*linMs, 2, 1, "key not found: a"),
			[]protocol.Command{linCmd(2, 1, "get a")}, "", ""},
		{"wrong result", linHist{}.
			inv(0, 1, 1, "put a v1").ok(1*linMs, 1, 1).
			inv(2*linMs, 1, 2, "get a").val(3*linMs, 1, 2, "v2"),
			[]protocol.Command{linCmd(1, 1, "put a v1"), linCmd(1, 2, "get a")},
			`in log order, client1 #2 GET "a" -> "v2" [2ms, 3ms] gets "v1"`,
			`not linearizable: key "a": no linearization of 2 operations: after client1 #1 PUT "a" = "v1" -> OK [0s, 1ms] (leaving {a=v1}), none of these can come next: client1 #2 GET "a" -> "v2" [2ms, 3ms]`},
		{"error text naming another key", linHist{}.
			inv(0, 1, 1, "get a").fail(1*linMs, 1, 1, "key not found: b"),
			[]protocol.Command{linCmd(1, 1, "get a")},
			`in log order, client1 #1 GET "a" -> key not found: b [0s, 1ms] gets key not found: a`,
			`not linearizable: key "a"`},
		{"real-time violation, yet linearizable", linHist{}.
			inv(0, 1, 1, "get a").fail(1*linMs, 1, 1, "key not found: a").
			inv(2*linMs, 2, 1, "get a").fail(3*linMs, 2, 1, "key not found: a"),
			[]protocol.Command{linCmd(2, 1, "get a"), linCmd(1, 1, "get a")},
			`client2 #1 GET "a" -> key not found: a [2ms, 3ms] is placed before client1 #1 GET "a" -> key not found: a [0s, 1ms], which returned before it was invoked`, ""},
		{"real-time violation at one instant", linHist{}.
			inv(0, 1, 1, "put a v1").ok(3*linMs, 1, 1).
			inv(3*linMs, 2, 1, "get a").fail(3*linMs, 2, 1, "key not found: a"),
			[]protocol.Command{linCmd(2, 1, "get a"), linCmd(1, 1, "put a v1")},
			`client2 #1 GET "a" -> key not found: a [3ms, 3ms] is placed before client1 #1 PUT "a" = "v1" -> OK [0s, 3ms], which returned before it was invoked`,
			`not linearizable: key "a"`},
		{"answered op missing from the log", linHist{}.
			inv(0, 1, 1, "put a v1").ok(1*linMs, 1, 1),
			nil,
			`client1 #1 PUT "a" = "v1" -> OK [0s, 1ms] was answered but is not in the log`, ""},
		{"op in the log never invoked", linHist{}.
			inv(0, 1, 1, "get a").val(1*linMs, 1, 1, "v1"),
			[]protocol.Command{linCmd(9, 1, "put a v1"), linCmd(1, 1, "get a")},
			`slot 1 holds client9 #1 PUT "a" = "v1", which was never invoked`,
			`not linearizable: key "a": no linearization of 1 operations: from the initial state {}`},
		{"op in the log is not the one invoked", linHist{}.
			inv(0, 1, 1, "put a v1").ok(1*linMs, 1, 1).
			inv(2*linMs, 2, 1, "get a").val(3*linMs, 2, 1, "v2"),
			[]protocol.Command{linCmd(1, 1, "put a v2"), linCmd(2, 1, "get a")},
			`slot 1 holds client1 #1 PUT "a" = "v2", but client1 #1 PUT "a" = "v1" -> OK [0s, 1ms] was invoked`,
			`not linearizable: key "a"`},
		{"a client's old request arrives late and has no effect", linHist{}.
			inv(0, 1, 1, "put a v1").
			inv(1*linMs, 1, 2, "get a").fail(2*linMs, 1, 2, "key not found: a"),
			[]protocol.Command{linCmd(1, 2, "get a"), linCmd(1, 1, "put a v1")}, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			werrs := linWitnessErrs(c.h, c.log)
			require.Len(t, werrs, 1)
			werr := werrs[0]
			r := Linearizable(c.h, linClientName, c.log, 0)
			if c.witness == "" {
				require.NoError(t, werr)
				assert.Zero(t, r.Searched)
				assert.Zero(t, r.Steps)
			} else {
				assert.EqualError(t, werr, c.witness)
				assert.Equal(t, 1, r.Searched)
			}
			if c.err == "" {
				assert.NoError(t, r.Err())
				return
			}
			require.Error(t, r.Err())
			assert.Equal(t, porcupine.Illegal, r.Outcome)
			assert.Contains(t, r.Err().Error(), c.err)
			assert.Equal(t, checkLin(c.h).Err(), r.Err(), "the verdict and its text come from the history alone")
		})
	}
}

// linWitnessErrs is, for each key of h in key order, why the witness of
// log failed, or nil: the history first, then the log, as Linearizable
// feeds them.
func linWitnessErrs(h linHist, log []protocol.Command) []error {
	s := NewLinStream(linClientName, 0, -1)
	s.feed(h, log)
	return s.witnessErrs(s.keysByText())
}

// linSwap swaps two adjacent events of different clients, keeping the
// times in place: each client's order stays, real-time order changes.
func linSwap(r *rand.Rand, h linHist) {
	for range 10 {
		if len(h) < 2 {
			return
		}
		i := r.IntN(len(h) - 1)
		if h[i].Client != h[i+1].Client {
			h[i].T, h[i+1].T = h[i+1].T, h[i].T
			h[i], h[i+1] = h[i+1], h[i]
			return
		}
	}
}

// TestLinearizableMatchesPorcupine: on many random histories, linearizable
// or not (a result corrupted, two events swapped, the log reordered or cut),
// the witness with the search, and the search alone, give porcupine's
// verdict; an intact run is proven by its witness alone.
func TestLinearizableMatchesPorcupine(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var legal, illegal, witnessed int
	for i := range 3000 {
		h, log := linGenRun(r, 1+r.IntN(4), 1+r.IntN(6), []string{"a", "b", "c"}[:1+r.IntN(3)], 2, 0.15)
		log = linDecorate(r, log)
		intact := true
		switch i % 5 {
		case 1:
			linMutate(r, h)
			intact = false
		case 2:
			linSwap(r, h)
			intact = false
		case 3:
			if len(log) > 1 {
				j := r.IntN(len(log) - 1)
				log[j], log[j+1] = log[j+1], log[j]
				intact = false
			}
		case 4:
			if len(log) > 0 {
				j := r.IntN(len(log))
				log = slices.Delete(log, j, j+1)
				intact = false
			}
		}
		ops, err := linOperations(h, linClientName)
		require.NoError(t, err)
		want := porcupine.CheckOperations(linModel, ops)
		got := Linearizable(h, linClientName, log, 0)
		require.Equal(t, want, got.Err() == nil, "history %d: %+v log %v: %v", i, h, log, got.Err())
		require.Equal(t, got.Err(), checkLin(h).Err(), "history %d: the search alone agrees", i)
		require.NotEqual(t, porcupine.Unknown, got.Outcome)
		if intact {
			require.Zero(t, got.Searched, "history %d: an intact run is proven by its log", i)
		}
		if got.Searched == 0 {
			witnessed++
		}
		if want {
			legal++
		} else {
			illegal++
		}
	}
	t.Logf("%d linearizable, %d not, %d proven by the witness alone", legal, illegal, witnessed)
	assert.Greater(t, legal, 1000)
	assert.Greater(t, illegal, 400)
}

// TestLinearizableSameVerdictAnyBudget: the verdict depends on the history
// and the budget only. Run twice, it is identical; under a tiny budget it
// may be inconclusive, but once decided it is the huge budget's verdict.
func TestLinearizableSameVerdictAnyBudget(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	huge := 1 << 30
	var hists []linHist
	for n := 10; n <= 14; n++ {
		hists = append(hists, linHardHistory(n))
	}
	for i := range 300 {
		h := linGenHistory(r, 2+r.IntN(4), 1+r.IntN(5), []string{"a", "b"}, 2, 0.2)
		if i%2 == 0 {
			linMutate(r, h)
		}
		hists = append(hists, h)
	}
	var undecided, decided int
	for i, h := range hists {
		want := Linearizable(h, linClientName, nil, huge)
		require.NotEqual(t, porcupine.Unknown, want.Outcome, "history %d", i)
		for _, budget := range []int{1, 2, 5, 20, 100, 1000, huge} {
			a := Linearizable(h, linClientName, nil, budget)
			b := Linearizable(h, linClientName, nil, budget)
			require.Equal(t, a.Outcome, b.Outcome, "history %d budget %d", i, budget)
			require.Equal(t, a.Err(), b.Err(), "history %d budget %d", i, budget)
			require.Equal(t, a.Steps, b.Steps, "history %d budget %d", i, budget)
			require.LessOrEqual(t, a.Steps, budget+64, "history %d budget %d: at most one step's cost over", i, budget)
			if a.Outcome == porcupine.Unknown {
				undecided++
				require.ErrorContains(t, a.Err(), "inconclusive: search budget of ")
				continue
			}
			decided++
			require.Equal(t, want.Outcome, a.Outcome, "history %d budget %d: %v", i, budget, a.Err())
		}
	}
	t.Logf("%d checks decided, %d inconclusive", decided, undecided)
	assert.Greater(t, undecided, 100)
	assert.Greater(t, decided, 1000)
}
