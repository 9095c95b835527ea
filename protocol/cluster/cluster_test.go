package cluster

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
	"github.com/multipaxos-kv/multipaxos-kv/sim/golden"
)

var _ = golden.Update

// traced runs s and returns its text trace, its JSON trace (summary
// included), its schedule and outcome.
func traced(t testing.TB, s scenarios.Scenario, replay []sim.Record) (text, js []byte, sched []sim.Record, o Outcome) {
	var tb, jb bytes.Buffer
	c := New(s, Options{Text: &tb, JSON: &jb, Record: true, Replay: replay})
	o = c.Run()
	require.NoError(t, c.WriteSummary(&tb, o))
	require.NoError(t, c.WriteSummaryJSON(&jb, o))
	return tb.Bytes(), jb.Bytes(), c.Schedule, o
}

func load(t testing.TB, name string) scenarios.Scenario {
	s, err := scenarios.Load(name)
	require.NoError(t, err)
	return s
}

// faulty is the default scenario with every fault kind and a lossy,
// duplicating network, to exercise every engine path in one run.
func faulty(t testing.TB) scenarios.Scenario {
	s := load(t, "default")
	s.Name = "faulty"
	s.Liveness = false // the original protocol does not recover from loss yet: it stalls
	s.Network.Drop = 0.05
	s.Network.Duplicate = 0.1
	s.Faults = []scenarios.Fault{
		{At: scenarios.Duration(20 * sim.Millisecond), Crash: "acceptor3"},
		{At: scenarios.Duration(30 * sim.Millisecond), Partition: [][]string{{"leader1", "acceptor1"}, {"acceptor2"}}},
		{At: scenarios.Duration(45 * sim.Millisecond), Heal: true},
		{At: scenarios.Duration(50 * sim.Millisecond), Restart: "acceptor3"},
		{At: scenarios.Duration(60 * sim.Millisecond), Crash: "replica2"},
		{At: scenarios.Duration(70 * sim.Millisecond), Restart: "replica2"},
		{At: scenarios.Duration(10 * sim.Millisecond), Hold: []string{"leader1", "replica1"}, For: scenarios.Duration(40 * sim.Millisecond)},
		{At: scenarios.Duration(35 * sim.Millisecond), Cut: []string{"acceptor1", "leader1"}},
		{At: scenarios.Duration(80 * sim.Millisecond), Heal: true},
	}
	require.NoError(t, s.Validate())
	return s
}

func TestDeterminism(t *testing.T) {
	for _, s := range []scenarios.Scenario{load(t, "default"), load(t, "kvstore"), faulty(t)} {
		t.Run(s.Name, func(t *testing.T) {
			text1, js1, sched1, o1 := traced(t, s, nil)
			text2, js2, sched2, _ := traced(t, s, nil)
			assert.Equal(t, string(text1), string(text2), "same seed, same text trace")
			assert.Equal(t, string(js1), string(js2), "same seed, same JSON trace")
			assert.Equal(t, sched1, sched2)
			assert.True(t, o1.OK, "checks: %+v", o1.Checks)

			old := runtime.GOMAXPROCS(1)
			text3, js3, _, _ := traced(t, s, nil)
			runtime.GOMAXPROCS(old)
			assert.Equal(t, string(text1), string(text3), "GOMAXPROCS=1 gives the same text trace")
			assert.Equal(t, string(js1), string(js3), "GOMAXPROCS=1 gives the same JSON trace")

			other := s
			other.Seed++
			_, js4, sched4, _ := traced(t, other, nil)
			assert.NotEqual(t, sched1, sched4, "another seed, another schedule")
			assert.NotEqual(t, string(js1), string(js4))
		})
	}
}

// TestUntracedRunMatchesTraced checks that tracing does not change what
// happens: the schedule and outcome are the same without any trace writer.
func TestUntracedRunMatchesTraced(t *testing.T) {
	s := faulty(t)
	_, _, sched, o := traced(t, s, nil)
	c := New(s, Options{Record: true})
	o2 := c.Run()
	assert.Equal(t, sched, c.Schedule)
	assert.Equal(t, o.Result, o2.Result)
	assert.Equal(t, o.Stores, o2.Stores)
}

func TestReplayRoundTrip(t *testing.T) {
	for _, s := range []scenarios.Scenario{load(t, "default"), load(t, "kvstore"), faulty(t)} {
		for _, seed := range []uint64{1, 2, 3, 99, 12345} {
			s := s
			s.Seed = seed
			text, js, sched, _ := traced(t, s, nil)
			var file bytes.Buffer
			require.NoError(t, sim.WriteSchedule(&file, []byte("# header\n"), sched))
			_, recs, err := sim.ParseSchedule(file.Bytes(), "x.sched")
			require.NoError(t, err)
			// Replay uses another seed: every decision must come from the
			// schedule, and node randomness from the scenario's seed.
			rtext, rjs, _, ro := traced(t, s, recs)
			require.Nil(t, ro.Result.Diverge, "%s seed %d", s.Name, seed)
			assert.Equal(t, string(text), string(rtext), "%s seed %d: replay text", s.Name, seed)
			assert.Equal(t, string(js), string(rjs), "%s seed %d: replay JSON", s.Name, seed)
		}
	}
}

func TestReplayDivergence(t *testing.T) {
	s := load(t, "default")
	_, _, sched, _ := traced(t, s, nil)
	var file bytes.Buffer
	require.NoError(t, sim.WriteSchedule(&file, nil, sched))
	_, recs, err := sim.ParseSchedule(file.Bytes(), "x.sched")
	require.NoError(t, err)

	// Change the first latency: events from then on happen at other times.
	changed := append([]sim.Record(nil), recs...)
	for i := range changed {
		if changed[i].Kind == sim.RecLatency {
			changed[i].Value++
			break
		}
	}
	_, _, _, o := traced(t, s, changed)
	require.NotNil(t, o.Result.Diverge)
	assert.False(t, o.OK)
	assert.Contains(t, o.Result.Diverge.Error(), "replay diverged at schedule line")

	// Truncated: the run goes on past the schedule's end.
	_, _, _, o = traced(t, s, recs[:len(recs)/2])
	require.NotNil(t, o.Result.Diverge)
	assert.Contains(t, o.Result.Diverge.Error(), "the schedule ended")
}

// BenchmarkScenario runs the default scenario untraced, as a sweep does.
func BenchmarkScenario(b *testing.B) {
	for _, name := range []string{"default", "kvstore"} {
		b.Run(name, func(b *testing.B) {
			s := load(b, name)
			b.ReportAllocs()
			events := 0
			for i := 0; b.Loop(); i++ {
				s.Seed = uint64(i)
				o := New(s, Options{}).Run()
				if !o.OK {
					b.Fatalf("seed %d failed: %+v", i, o.Checks)
				}
				events += o.Result.Events
			}
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(events)/float64(b.N), "events/op")
		})
	}
}

// TestResetMatchesNew: a cluster reused across seeds (as a sweep does) runs
// exactly like a new one built for each seed.
func TestResetMatchesNew(t *testing.T) {
	for _, s := range []scenarios.Scenario{load(t, "default"), load(t, "kvstore"), faulty(t)} {
		reused := New(s, Options{})
		for seed := uint64(1); seed <= 30; seed++ {
			reused.Reset(seed)
			got := reused.Run()
			fresh := s
			fresh.Seed = seed
			fc := New(fresh, Options{})
			want := fc.Run()
			require.Equal(t, want.Result, got.Result, "%s seed %d", s.Name, seed)
			require.Equal(t, want.Stores, got.Stores, "%s seed %d", s.Name, seed)
			require.Equal(t, fc.History(), reused.History(), "%s seed %d", s.Name, seed)
			require.Equal(t, want.Failed(), got.Failed(), "%s seed %d", s.Name, seed)
		}
	}
}

// TestChecksOverSeeds is the property test: every check holds for many seeds
// of the embedded scenarios, and for the faulty mix (safety only).
func TestChecksOverSeeds(t *testing.T) {
	for _, s := range []scenarios.Scenario{load(t, "default"), load(t, "kvstore"), faulty(t)} {
		c := New(s, Options{})
		for seed := uint64(1); seed <= 300; seed++ {
			c.Reset(seed)
			o := c.Run()
			require.True(t, o.OK, "%s seed %d: %v", s.Name, seed, o.Checks)
		}
	}
}

// TestDeterminismManySeeds: two runs of each seed give byte-identical JSON
// traces (the run -check-determinism self-check, over many seeds).
func TestDeterminismManySeeds(t *testing.T) {
	for _, s := range []scenarios.Scenario{load(t, "default"), faulty(t)} {
		for seed := uint64(1); seed <= 100; seed++ {
			s.Seed = seed
			_, a, _, _ := traced(t, s, nil)
			_, b, _, _ := traced(t, s, nil)
			require.Equal(t, string(a), string(b), "%s seed %d", s.Name, seed)
		}
	}
	for seed := uint64(1); seed <= 100; seed++ {
		s := scenarios.Swarm(load(t, "default"), seed)
		_, a, _, _ := traced(t, s, nil)
		_, b, _, _ := traced(t, s, nil)
		require.Equal(t, string(a), string(b), "%s", s.Name)
	}
}

// BenchmarkSweep measures what a sweep does per seed: reset a reused cluster,
// run it untraced, check it; on every core (b.RunParallel), with and without
// the linearizability check.
func BenchmarkSweep(b *testing.B) {
	for _, lin := range []bool{true, false} {
		name := "lin=on"
		if !lin {
			name = "lin=off"
		}
		b.Run(name, func(b *testing.B) { benchSweep(b, lin) })
	}
}
