package explore

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

func load(t *testing.T, name string) scenarios.Scenario {
	t.Helper()
	s, err := scenarios.Load(name)
	require.NoError(t, err)
	return s
}

// summary is a result without its wall-clock parts, to compare searches.
func summary(r Result) Result {
	r.Elapsed = 0
	return r
}

// TestStrategiesAgree: breadth- and depth-first search reach the same
// distinct states of a space they both cover completely (the set of
// reachable states does not depend on the order it is searched in), and
// every search is the same twice.
func TestStrategiesAgree(t *testing.T) {
	for _, c := range []struct {
		scenario string
		budget   sim.Budget
	}{
		{"explore-basic", sim.Budget{}},
		{"explore-basic", sim.Budget{Losses: 1}},
		{"explore-failover", sim.Budget{Crashes: 1}},
	} {
		s := load(t, c.scenario)
		bfs, err := Run(s, Options{Budget: c.budget})
		require.NoError(t, err)
		dfs, err := Run(s, Options{Strategy: DFS, Budget: c.budget})
		require.NoError(t, err)
		require.True(t, bfs.Complete, "%s %+v", c.scenario, c.budget)
		require.True(t, dfs.Complete)
		assert.Nil(t, bfs.Violation)
		assert.Equal(t, bfs.States, dfs.States, "%s %+v: the same states", c.scenario, c.budget)
		assert.Equal(t, bfs.Terminal, dfs.Terminal)
		assert.Equal(t, bfs.Sometimes, dfs.Sometimes)
		again, _ := Run(s, Options{Budget: c.budget})
		assert.Equal(t, summary(bfs), summary(again), "a search is deterministic")
	}
}

// TestBounds: each bound cuts the search and says so; with bfs a depth
// bound is "complete to depth N"; the memory bound is a function of the
// states' contents, so it cuts at the same state every time; random walks
// are the same for the same seed and differ for another.
func TestBounds(t *testing.T) {
	s := load(t, "explore-basic")
	full, err := Run(s, Options{Budget: sim.Budget{Timers: 1}})
	require.NoError(t, err)
	require.True(t, full.Complete)

	states, _ := Run(s, Options{States: 1000, Budget: sim.Budget{Timers: 1}})
	assert.False(t, states.Complete)
	assert.Equal(t, 1000, states.States)
	assert.Equal(t, "state limit 1000 reached", states.Cut)

	depth, _ := Run(s, Options{Depth: 10, Budget: sim.Budget{Timers: 1}})
	assert.False(t, depth.Complete)
	assert.Equal(t, 10, depth.CompleteTo)
	assert.Equal(t, 10, depth.Depth)
	assert.Less(t, depth.States, full.States)

	dfsDepth, _ := Run(s, Options{Strategy: DFS, Depth: 10, Budget: sim.Budget{Timers: 1}})
	assert.Zero(t, dfsDepth.CompleteTo, "depth-first search merges states reached at different depths: no completeness claim")

	mem1, _ := Run(s, Options{Memory: 1 << 20, Budget: sim.Budget{Timers: 1}})
	mem2, _ := Run(s, Options{Memory: 1 << 20, Budget: sim.Budget{Timers: 1}})
	assert.Contains(t, mem1.Cut, "memory limit reached")
	assert.Equal(t, summary(mem1), summary(mem2), "the memory bound cuts at the same state every time")

	w1, _ := Run(s, Options{Strategy: Random, Walks: 50, Seed: 1, Budget: sim.Budget{Timers: 1}})
	w2, _ := Run(s, Options{Strategy: Random, Walks: 50, Seed: 1, Budget: sim.Budget{Timers: 1}})
	w3, _ := Run(s, Options{Strategy: Random, Walks: 50, Seed: 2, Budget: sim.Budget{Timers: 1}})
	assert.Equal(t, summary(w1), summary(w2))
	assert.NotEqual(t, w1.States, w3.States, "another seed walks elsewhere")
	assert.Equal(t, "50 random walks (a sample, not the whole space)", w1.Cut)
	assert.LessOrEqual(t, w1.States, full.States, "walks reach only reachable states")
}

// TestRefused: scheduled faults and unknown timer kinds are refused.
func TestRefused(t *testing.T) {
	_, err := Run(load(t, "acceptor-crash"), Options{})
	assert.ErrorContains(t, err, "explore uses fault budgets")
	_, err = Run(load(t, "explore-basic"), Options{TimerKinds: []string{"alarm"}})
	assert.ErrorContains(t, err, `unknown timer kind "alarm"`)
}
