package kv

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
)

// TestMachineBugs shows, for each catalogued bug that acts in the state
// machine, the rule with the bug off and the broken rule with it on, on a
// Machine: the same log applied, the answers, and the state it is left in.
func TestMachineBugs(t *testing.T) {
	ok := protocol.Result{OK: true}
	type outcome struct {
		results  []protocol.Result
		dups     []bool
		effects  []protocol.Command
		store    string
		answered bool // whether Answered(client1, the last seq) answers
	}
	putx := asRequest("client1", 1, put("x", "1"))
	delx := asRequest("client1", 2, del("x"))
	cases := []struct {
		name    string
		bug     protocol.Bug
		rule    string
		log     []protocol.Command
		off, on outcome
	}{
		{
			// A retried request that reaches the log twice must take
			// effect once (Lamport, "Paxos Made Simple", section 3: the
			// servers execute the log as one state machine; the session
			// makes the client's retries exactly-once).
			name: "a retried put",
			bug:  protocol.BugNoSessions,
			rule: "a put applied twice takes effect once and gets its first answer; with the bug it is applied again and fails with key exists",
			log:  []protocol.Command{putx, putx},
			off:  outcome{results: []protocol.Result{ok, ok}, dups: []bool{false, true}, effects: []protocol.Command{putx}, store: "{x=1}", answered: true},
			on:   outcome{results: []protocol.Result{ok, {Err: protocol.ErrExists}}, dups: []bool{false, false}, effects: []protocol.Command{putx, putx}, store: "{x=1}"},
		},
		{
			name: "a retried delete",
			bug:  protocol.BugNoSessions,
			rule: "a delete applied twice answers OK both times; with the bug the second is applied again and finds no key",
			log:  []protocol.Command{putx, delx, delx},
			off:  outcome{results: []protocol.Result{ok, ok, ok}, dups: []bool{false, false, true}, effects: []protocol.Command{putx, delx}, store: "{}", answered: true},
			on:   outcome{results: []protocol.Result{ok, ok, {Err: protocol.ErrNotFound}}, dups: []bool{false, false, false}, effects: []protocol.Command{putx, delx, delx}, store: "{}"},
		},
	}
	covered := map[protocol.Bug]bool{}
	for _, c := range cases {
		covered[c.bug] = true
		t.Run(c.bug.String()+"/"+c.name, func(t *testing.T) {
			for _, on := range []bool{false, true} {
				want := c.off
				if on {
					want = c.on
				}
				m := Machine{NoSessions: on}
				var got outcome
				for _, cmd := range c.log {
					r, dup := apply1(&m, cmd)
					got.results = append(got.results, r)
					got.dups = append(got.dups, dup)
				}
				got.effects = effectsOf(&m)
				got.store = m.Store().Text(names)
				last := c.log[len(c.log)-1]
				_, got.answered = m.Answered(last.Client, last.Seq)
				assert.Equal(t, want, got, "bug on: %v: %s", on, c.rule)
				assert.Equal(t, c.log, logOf(&m), "bug on: %v: every command is in the log either way", on)

				m.Reset()
				assert.Equal(t, on, m.NoSessions, "Reset keeps the bug switched on: it is configuration")
			}
		})
	}
	for i, info := range protocol.Catalogue {
		if strings.HasPrefix(info.Where, "state machine") {
			assert.True(t, covered[protocol.Bug(i)], "no row for %s (%s)", info.Name, info.Where)
		}
	}
}
