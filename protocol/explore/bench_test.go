package explore

import (
	"testing"

	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// BenchmarkExplore measures distinct states per second on the tiny
// scenarios, searched completely (breadth-first).
func BenchmarkExplore(b *testing.B) {
	for _, c := range []struct {
		scenario string
		budget   sim.Budget
	}{
		{"explore-basic", sim.Budget{Timers: 1}},
	} {
		b.Run(c.scenario, func(b *testing.B) {
			s, err := scenarios.Load(c.scenario)
			if err != nil {
				b.Fatal(err)
			}
			states := 0
			for b.Loop() {
				res, err := Run(s, Options{Budget: c.budget})
				if err != nil || res.Violation != nil || !res.Complete {
					b.Fatalf("%v %+v", err, res)
				}
				states += res.States
			}
			b.ReportMetric(float64(states)/b.Elapsed().Seconds(), "states/s")
		})
	}
}
