package cluster

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// TestFieldsCoverState: every node type of both protocols lists its state
// as fields, and the fields follow the canonical state: whenever a node's
// AppendState changes from one event to the next, so do its fields, on
// runs with loss, duplicates, crashes, failovers and compaction.
func TestFieldsCoverState(t *testing.T) {
	for _, c := range []struct {
		scenario string
		seed     uint64
	}{
		{"lossy", 1}, {"leader-failover", 2}, {"acceptor-crash", 1}, {"replica-catch-up", 1}, {"kvstore", 1},
	} {
		t.Run(c.scenario, func(t *testing.T) {
			s := load(t, c.scenario)
			s.Seed = c.seed
			if c.scenario == "lossy" {
				s.SnapshotEvery = 5 // compaction too
			}
			cl := New(s, Options{SkipLin: true})
			e := cl.Engine
			n := len(cl.Topology.Names)
			states, fields := make([]string, n), make([]string, n)
			snap := func(i int) (string, string) {
				node := e.Node(sim.NodeID(i))
				f, ok := node.(sim.Fielder)
				require.True(t, ok, "%T lists its fields", node)
				return string(node.AppendState(nil)), fmt.Sprint(f.AppendFields(nil, e))
			}
			for i := range n {
				states[i], fields[i] = snap(i)
			}
			changes := 0
			for e.Step() {
				for i := range n {
					st, fs := snap(i)
					if st != states[i] {
						changes++
						require.NotEqual(t, fields[i], fs, "%s changed state at event %d but not its fields", cl.Topology.Names[i], e.Stats().Events)
					}
					states[i], fields[i] = st, fs
				}
			}
			assert.Greater(t, changes, 30, "the run changes its nodes")
		})
	}
}

// TestDiffFields: a field-level difference names each field that differs
// or that one side lacks, in the fields' order.
func TestDiffFields(t *testing.T) {
	f := func(kv ...string) []sim.Field {
		var out []sim.Field
		for i := 0; i < len(kv); i += 2 {
			out = append(out, sim.Field{Name: kv[i], Value: kv[i+1]})
		}
		return out
	}
	for _, c := range []struct {
		name string
		a, b []sim.Field
		want []string
	}{
		{"same", f("applied", "3", "store[a]", "1"), f("applied", "3", "store[a]", "1"), nil},
		{"changed", f("applied", "3"), f("applied", "4"), []string{"n.applied: 3 vs 4"}},
		{"only in A", f("applied", "3", "store[a]", "1"), f("applied", "3"), []string{"n.store[a]: 1 vs (none)"}},
		{"only in B, in B's place", f("applied", "3", "store[b]", "2"), f("applied", "4", "log[4]", "x", "store[a]", "1", "store[b]", "2"),
			[]string{"n.applied: 3 vs 4", "n.log[4]: (none) vs x", "n.store[a]: (none) vs 1"}},
		{"none", nil, f("up", "true"), []string{"n.up: (none) vs true"}},
	} {
		var got []string
		for _, d := range DiffFields("n", c.a, c.b) {
			got = append(got, d.String())
		}
		assert.Equal(t, c.want, got, c.name)
	}
}

// TestWriteDiffBoundsFields: the report shows at most maxFieldLines node
// fields and says how many more differ.
func TestWriteDiffBoundsFields(t *testing.T) {
	d := Divergence{Step: 3, A: "e 1 x", B: "e 2 y"}
	for i := range maxFieldLines + 5 {
		d.Nodes = append(d.Nodes, FieldDiff{Node: "leader1", Field: fmt.Sprintf("log[%d]", i+1), A: "x"})
	}
	var w strings.Builder
	require.NoError(t, WriteDiff(&w, "a", "b", d))
	assert.Contains(t, w.String(), "  leader1.log[40]: x vs (none)\n  ... and 5 more\n")
	assert.NotContains(t, w.String(), "log[41]")
}
