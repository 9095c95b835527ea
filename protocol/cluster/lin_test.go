package cluster

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
)

// TestLinWitnessProvesRuns: on a correct run the longest learner's log
// order is a linearization of the client history, so the linearizability
// check never needs its search (and its cost is linear): every embedded
// scenario, with and without swarm faults.
func TestLinWitnessProvesRuns(t *testing.T) {
	for _, name := range scenarios.Names() {
		base := load(t, name)
		for seed := uint64(1); seed <= 40; seed++ {
			for _, s := range []scenarios.Scenario{base, scenarios.Swarm(base, seed)} {
				s.Seed = seed
				o := New(s, Options{}).Run()
				assert.NoError(t, o.Lin.Err(), "%s seed %d", s.Name, seed)
				assert.Zero(t, o.Lin.Searched, "%s seed %d: %d keys searched", s.Name, seed, o.Lin.Searched)
				assert.Zero(t, o.Lin.Steps, "%s seed %d", s.Name, seed)
			}
		}
	}
}
