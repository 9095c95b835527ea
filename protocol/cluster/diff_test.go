package cluster

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// recorded runs s and returns it as a RunFile.
func recorded(t *testing.T, name string, seed uint64, bugs ...string) RunFile {
	t.Helper()
	s := load(t, name)
	s.Seed = seed
	s.Bugs = bugs
	c := New(s, Options{Record: true, SkipLin: true})
	c.Run()
	return RunFile{Name: name, Scenario: s, Records: append([]sim.Record(nil), c.Schedule...)}
}

// TestDiff: a run against itself is the same; against the same seed with a
// bug switched on it parts at the first event the bug changes, with the
// messages pending in one run only named; against another seed the
// scenarios and the histories differ.
func TestDiff(t *testing.T) {
	a := recorded(t, "leader-failover", 2)
	d, err := Diff(a, a)
	require.NoError(t, err)
	assert.True(t, d.Same())

	b := recorded(t, "leader-failover", 2, "reply-before-chosen")
	d, err = Diff(a, b)
	require.NoError(t, err)
	assert.False(t, d.Same())
	assert.Equal(t, `A has "", B has "bugs = [\"reply-before-chosen\"]"`, d.Scenario)
	assert.Equal(t, 19, d.Step, "the first 18 events are the same: the bug acts when the leader first proposes")
	assert.Contains(t, d.OnlyB, "deliver leader1#9 client3 Reply", "the early Reply is pending in B only")
	assert.Empty(t, d.History, "no client has its answer yet")

	c := recorded(t, "default", 1)
	e := recorded(t, "default", 2)
	d, err = Diff(c, e)
	require.NoError(t, err)
	assert.Equal(t, `A has "seed = 1", B has "seed = 2"`, d.Scenario)
	assert.Contains(t, d.History, `history event 1: A client1 invokes #1 get "e" at 0s, B client1 invokes #1 get "c" at 0s`)
	assert.Equal(t, FieldDiff{Node: "client1", Field: "request", A: `GET "e" (client1 #1)`, B: `GET "c" (client1 #1)`}, d.Nodes[0],
		"the clients drew other first requests")

	// A bug that changes a node's state: the field-level difference names
	// the fields, node by node.
	ok, bug := recorded(t, "lossy", 3), recorded(t, "lossy", 3, "replica-unordered")
	d, err = Diff(ok, bug)
	require.NoError(t, err)
	var fields []string
	for _, f := range d.Nodes {
		fields = append(fields, f.String())
	}
	assert.Equal(t, []string{
		"replica1.applied: 3 vs 4",
		`replica1.log[4]: (none) vs GET "e" (client3 #3)`,
		"replica1.session[client3]: #2 not found vs #3 not found",
		"replica2.applied: 4 vs 5",
		`replica2.log[5]: (none) vs PUT "a" = "val_39" (client1 #3)`,
		"replica2.store[a]: (none) vs val_39",
		"replica2.session[client1]: #2 not found vs #3 ok",
	}, fields, "the unordered replicas applied a slot past a gap")
	var w0 bytes.Buffer
	require.NoError(t, WriteDiff(&w0, "ok", "bug", d))
	assert.Contains(t, w0.String(), "nodes:     just before it, these fields differ (A vs B):\n  replica1.applied: 3 vs 4\n")

	// One run cut short: B ends where A goes on.
	short := c
	cut := len(short.Records) / 2
	for short.Records[cut].Kind != sim.RecEvent {
		cut++ // cut before an event, not among the decisions of the one before
	}
	short.Records = short.Records[:cut]
	d, err = Diff(c, short)
	require.NoError(t, err)
	assert.NotZero(t, d.Step)
	assert.Empty(t, d.B, "B's schedule has ended")
	var w bytes.Buffer
	require.NoError(t, WriteDiff(&w, "a", "b", d))
	assert.Contains(t, w.String(), "  B: (the schedule has ended)\n")
}
