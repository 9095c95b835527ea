package cluster

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
)

// BenchmarkVsFloor holds the project against the hand-written floor
// (../shared/floor), case by case; `go run ./cmd/benchfloor` runs both,
// alternating, and prints the ratios. Each case names the floor benchmark
// it is read against:
//
//	default/sim     default scenario, no linearizability check: ns/msg
//	                vs proto BenchmarkProtoDES/clients=3/heap4
//	default/checks  default scenario, every check: ns/msg, same floor
//	long            3 clients x 50000 requests, every check: ns/msg
//	                (same floor) and ns/req (vs gor clients=3)
//	clients=1000    1000 x 200 requests, pipeline 1000, every check:
//	                ns/msg vs ProtoDES/clients=1000/heap4, ns/req vs gor
//	                clients=1000
//	clients=1000/batch=10
//	                the same requests, pipeline 100, batch 10 (as many in
//	                Phase 2 at once): ns/req, read as a ratio to
//	                clients=1000 (what batching saves)
//	clients=10      10 x 200 requests, pipeline 10, every check: ns/req
//	clients=10000   10000 x 20 requests, pipeline 1000 (the most a
//	                scenario allows), every check: ns/req, read as a ratio
//	                to clients=10 (the project's own scaling)
//	sweep/lin=on    per seed, a reused cluster per core, every check:
//	                vs sweep workers=2/reuse+porcupine
//	sweep/lin=off   the same without the linearizability check: vs
//	                sweep workers=2/reuse
//
// Every case fails if a run is not OK, so that no case measures a broken
// run. The floor measures a steady state and builds its simulator once, so
// the single-run cases reuse one cluster (Reset per seed) too; a long case
// that takes longer than -benchtime runs once, so it measures a first run,
// whose buffers grow as it goes.
//
// "default/sim" has every check but linearizability: SkipLin is the only
// option that makes the checks cheaper.
func BenchmarkVsFloor(b *testing.B) {
	b.Run("default/sim", func(b *testing.B) {
		benchRuns(b, load(b, "default"), Options{SkipLin: true}, false)
	})
	b.Run("default/checks", func(b *testing.B) {
		benchRuns(b, load(b, "default"), Options{}, false)
	})
	b.Run("long", func(b *testing.B) {
		benchRuns(b, big(b, 3, 50000, 1), Options{}, true)
	})
	b.Run("clients=1000", func(b *testing.B) {
		benchRuns(b, big(b, 1000, 200, 1000), Options{}, true)
	})
	b.Run("clients=1000/batch=10", func(b *testing.B) {
		s := big(b, 1000, 200, 100)
		s.Batch = 10
		benchRuns(b, s, Options{}, true)
	})
	b.Run("clients=10", func(b *testing.B) {
		benchRuns(b, big(b, 10, 200, 10), Options{}, true)
	})
	b.Run("clients=10000", func(b *testing.B) {
		benchRuns(b, big(b, 10000, 20, min(10000, scenarios.MaxPipeline)), Options{}, true)
	})
	for _, lin := range []bool{true, false} {
		name := "sweep/lin=on"
		if !lin {
			name = "sweep/lin=off"
		}
		b.Run(name, func(b *testing.B) { benchSweep(b, lin) })
	}
}

// big is the default scenario with clients x requests, the given pipeline,
// and limits that a long run does not reach. The fields are set directly:
// clients=10000 is above the scenario files' limit (MaxNodesPerKind), which
// New does not enforce.
func big(b *testing.B, clients, requests, pipeline int) scenarios.Scenario {
	s := load(b, "default")
	s.Nodes.Clients = clients
	s.Workload.RequestsPerClient = requests
	s.Pipeline = pipeline
	s.TimeLimit = scenarios.Duration(10000 * time.Hour)
	s.MaxEvents = scenarios.MaxEventsLimit
	return s
}

// benchRuns runs s once per iteration on a reused cluster, a new seed each
// time, and reports the cost per delivered message (and per request when
// perReq).
func benchRuns(b *testing.B, s scenarios.Scenario, opt Options, perReq bool) {
	c := New(s, opt)
	b.ReportAllocs()
	msgs, runs := 0, 0
	for b.Loop() {
		runs++
		c.Reset(uint64(runs))
		o := c.Run()
		if !o.OK || o.Unanswered != 0 {
			b.Fatalf("seed %d: not OK (failed checks %v, %d clients unanswered, %s)",
				runs, o.Failed(), o.Unanswered, o.Result.Describe(c.Engine.Config()))
		}
		msgs += o.Result.Delivered
	}
	ns := float64(b.Elapsed().Nanoseconds())
	reqs := runs * s.Nodes.Clients * s.Workload.RequestsPerClient
	b.ReportMetric(ns/float64(msgs), "ns/msg")
	b.ReportMetric(float64(msgs)/float64(reqs), "msgs/req")
	if perReq {
		b.ReportMetric(ns/float64(reqs), "ns/req")
	}
}

// benchSweep is BenchmarkSweep: per seed, reset a reused cluster on every
// core, run it, check it. A failed seed fails the benchmark once every
// worker has stopped (b.Fatal may not be called from RunParallel's
// goroutines).
func benchSweep(b *testing.B, lin bool) {
	s := load(b, "default")
	var seeds atomic.Uint64
	var once sync.Once
	var failure string
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		c := New(s, Options{SkipLin: !lin})
		for pb.Next() {
			c.Reset(seeds.Add(1))
			if o := c.Run(); !o.OK {
				once.Do(func() {
					failure = fmt.Sprintf("seed %d failed: %v", c.Scenario.Seed, o.Failed())
				})
			}
		}
	})
	if failure != "" {
		b.Fatal(failure)
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/sec, "seeds/s")
	b.ReportMetric(sec*1e9/float64(b.N), "ns/seed")
}
