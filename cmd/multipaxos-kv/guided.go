package main

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/multipaxos-kv/multipaxos-kv/protocol/cluster"
	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
)

// guidedBatch is how many runs a guided sweep's generation has: they are
// made up front from the corpus as it stood, run in parallel, and merged
// in order, so that the workers never change what runs.
const guidedBatch = 16

// guidedFresh is the chance, 1 in guidedFresh, that a run is a fresh
// swarm seed rather than a mutation, so that the corpus keeps growing
// from new draws too.
const guidedFresh = 4

// guidedLineageMax bounds how many mutations a scenario's description
// names; older ones are counted, not named.
const guidedLineageMax = 6

// corpusEntry is a scenario that reached a new path combination, with its
// lineage: the swarm seed it started from and the mutations since.
type corpusEntry struct {
	s       scenarios.Scenario
	seed    uint64   // the swarm seed it descends from
	muts    []string // its mutations, oldest first
	mutsCut int      // mutations left out of muts (guidedLineageMax)
}

// guidedSweep runs total runs, numbered f.first on: the first generation
// is fresh swarm seeds from f.first on; every later run is a child of a
// corpus entry (Mutate, one to three times) or, one in guidedFresh, the
// next fresh seed; a run whose path combination is new joins the corpus.
// Each run's choices come from an RNG seeded by (f.first, run number), so
// the runs are the same on every machine for any -workers, and the runs of
// a shorter budget are a prefix of those of a longer one.
func guidedSweep(base scenarios.Scenario, f sweepFlags, total uint64, done, failed *atomic.Uint64, cover *coverage) sweepRuns {
	runs := sweepRuns{combos: map[cluster.PathSet]bool{}}
	opt := cluster.Options{SkipLin: !f.lin, LinBudget: f.linBudget}
	var corpus []corpusEntry
	fresh := f.first // the next fresh swarm seed
	for gen := uint64(0); gen < total; gen += guidedBatch {
		n := min(guidedBatch, total-gen)
		children := make([]corpusEntry, n)
		for j := range children {
			run := f.first + gen + uint64(j)
			r := rand.New(rand.NewPCG(f.first, run^0x4755_4944_4544)) // "GUIDED"
			if len(corpus) == 0 || r.IntN(guidedFresh) == 0 {
				children[j] = corpusEntry{s: scenarios.Swarm(base, fresh), seed: fresh}
				fresh++
			} else {
				p := corpus[r.IntN(len(corpus))]
				c := corpusEntry{s: p.s, seed: p.seed, muts: p.muts, mutsCut: p.mutsCut}
				for range 1 + r.IntN(3) {
					var what string
					c.s, what = scenarios.Mutate(base, c.s, r)
					c.muts = append(c.muts[:len(c.muts):len(c.muts)], what)
				}
				if cut := len(c.muts) - guidedLineageMax; cut > 0 {
					c.muts, c.mutsCut = c.muts[cut:], c.mutsCut+cut
				}
				children[j] = c
			}
			children[j].s.Name, children[j].s.Description = guidedName(base.Name, run), children[j].lineage(base.Name, run)
		}
		outs := make([]cluster.Outcome, n)
		var next atomic.Uint64
		var wg sync.WaitGroup
		for range min(uint64(f.workers), n) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					j := next.Add(1) - 1
					if j >= n {
						return
					}
					outs[j] = cluster.New(children[j].s, opt).Run()
					if !outs[j].OK {
						failed.Add(1)
					}
					done.Add(1)
				}
			}()
		}
		wg.Wait()
		for j, o := range outs {
			runs.done++
			runs.events += uint64(o.Result.Events)
			if f.report != "" {
				// The report's latencies need the run's cluster: run it
				// again, as cheaply as the report asks.
				c := cluster.New(children[j].s, opt)
				cover.add(c, c.Scenario, c.Run())
			}
			if set := o.Paths.Set(); !runs.combos[set] {
				runs.combos[set] = true
				corpus = append(corpus, children[j])
			}
			if !o.OK {
				fl := seedFailure{Seed: f.first + gen + uint64(j), Scenario: &children[j].s}
				for _, v := range o.Checks {
					if v.Err != nil {
						fl.Checks = append(fl.Checks, string(v.Name)+": "+v.Text())
					}
				}
				runs.failures = append(runs.failures, fl)
			}
		}
	}
	runs.corpus = len(corpus)
	return runs
}

// guidedName names guided run run of base, within MaxNameLen.
func guidedName(base string, run uint64) string {
	suffix := "-guided-" + strconv.FormatUint(run, 10)
	if len(base)+len(suffix) > scenarios.MaxNameLen {
		base = base[:max(0, scenarios.MaxNameLen-len(suffix))]
	}
	return base + suffix
}

// lineage is the description of guided run run: where its scenario came
// from, so that a failure's TOML says how it was made.
func (c corpusEntry) lineage(base string, run uint64) string {
	var b strings.Builder
	b.WriteString("guided run " + strconv.FormatUint(run, 10) + " of " + base + ": swarm seed " + strconv.FormatUint(c.seed, 10))
	if c.mutsCut > 0 {
		b.WriteString(", " + strconv.Itoa(c.mutsCut) + " mutations")
	}
	for _, m := range c.muts {
		b.WriteString(", " + m)
	}
	return b.String()
}

// neverTaken lists the paths that no combination of combos has.
func neverTaken(combos map[cluster.PathSet]bool) []string {
	var all cluster.PathSet
	for s := range combos {
		all |= s
	}
	never := []string{}
	for i, name := range cluster.PathNames {
		if all&(1<<i) == 0 {
			never = append(never, name)
		}
	}
	return never
}

// coverageLine is the text report's coverage: how many path combinations
// the runs reached and which paths none took.
func coverageLine(runs sweepRuns) string {
	line := strconv.Itoa(len(runs.combos)) + " path combinations"
	if runs.corpus > 0 {
		line += ", corpus " + strconv.Itoa(runs.corpus)
	}
	if never := neverTaken(runs.combos); len(never) > 0 {
		line += "; never taken: " + strings.Join(never, ", ")
	} else {
		line += "; every path taken"
	}
	return line
}

// firstFailureRun is the position in the sweep (1 for its first run) of
// the first of failures, sorted by seed (or, guided, by run number).
func firstFailureRun(f sweepFlags, failures []seedFailure) uint64 {
	if f.guided {
		return failures[0].Seed - f.first + 1
	}
	return (failures[0].Seed-f.first-f.shard)/f.of + 1
}

// failWord is what a failure's number counts: a seed, or a guided run.
func failWord(f sweepFlags) string {
	if f.guided {
		return "run"
	}
	return "seed"
}
