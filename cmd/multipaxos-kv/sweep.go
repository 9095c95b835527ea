package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/multipaxos-kv/multipaxos-kv/protocol/cluster"
	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
)

const sweepUsage = `Usage: multipaxos-kv sweep [flags] [SCENARIO]

Runs SCENARIO (default "default") for every seed of a range, in parallel,
checks every run, shows progress on stderr, and reports every failing seed
with the command that reproduces it; a schedule file is written for each
failure (-keep limits how many). Exit status 1 if any seed failed.

With -swarm, each seed also draws the network (latency, drop, duplicate) and
faults (crashes and restarts, leaders' included, partitions of a minority,
one-way cuts and long holds of links) from the seed, so one sweep covers
many fault mixes; one seed in 8 keeps timeouts too short for its latency
and is checked for safety only. A failure then also writes the concrete
scenario as TOML beside its schedule.

With -minimize, each failing seed's schedule that is written is minimised
(as multipaxos-kv minimize does, at most -minimize-tries replays each) and
the minimal one written beside it, NAME-seedN.min.sched with its trace
NAME-seedN.min.txt; the report names both.

With -guided, the runs steer by coverage (AFL style): swarm scenarios that
reach a new combination of protocol paths are kept, and later runs are
mutations of them; -seeds A..B gives the number of runs, B-A+1. The runs
are the same for any -workers; a failing run's scenario is written as TOML.
Every sweep reports its coverage: the path combinations reached, and the
paths never taken.

-shard i/n runs only the seeds whose position in the range is i modulo n
(0 <= i < n), so that n machines split one sweep: on a Kubernetes Indexed
Job, -shard $JOB_COMPLETION_INDEX/N; on a Slurm array, -shard $SLURM_ARRAY_TASK_ID/N.

Flags:
%s
Examples:
  multipaxos-kv sweep -seeds 1..100000 default
  multipaxos-kv sweep -swarm -seeds 1..10000 -out failures default
  multipaxos-kv sweep -seeds 1..1000000 -shard 3/8 default
  multipaxos-kv sweep -guided -seeds 1..2000 -bug accept-below-promise duelling-leaders
  multipaxos-kv sweep -seeds 1..2 -bug reply-before-chosen -minimize leader-failover
`

// sweepFlags are sweep's options.
type sweepFlags struct {
	first, last uint64
	workers     int
	shard, of   uint64
	swarm       bool
	lin         bool
	linBudget   int
	out         string
	keep        int
	report      string
	json        bool
	bugs        bugFlag
	// minimize shrinks each failing seed's schedule that is written, with
	// at most minimizeTries replays each.
	minimize      bool
	minimizeTries int
	// guided runs mutated swarm scenarios that reached new path
	// combinations instead of seeds in order (see guided.go).
	guided bool
}

// seedRange parses "A..B" (inclusive) or "N"; seeds are 0..scenarios.MaxSeed.
func seedRange(s string) (uint64, uint64, error) {
	a, b, ok := strings.Cut(s, "..")
	if !ok {
		b = a
	}
	first, err1 := scenarios.ParseSeed(a)
	last, err2 := scenarios.ParseSeed(b)
	if (err1 != nil || err2 != nil) && isInteger(a) && isInteger(b) {
		return 0, 0, fmt.Errorf("-seeds %q: seeds are integers 0..%d", s, uint64(scenarios.MaxSeed))
	}
	if err1 != nil || err2 != nil || first > last {
		return 0, 0, fmt.Errorf("-seeds %q: expected A..B with integers 0 <= A <= B, or one seed N", s)
	}
	return first, last, nil
}

// isInteger reports whether s is a decimal integer, maybe negative, of any size.
func isInteger(s string) bool {
	s = strings.TrimPrefix(s, "-")
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// shardSpec parses "i/n" with 0 <= i < n.
func shardSpec(s string) (uint64, uint64, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.ParseUint(a, 10, 64)
	n, err2 := strconv.ParseUint(b, 10, 64)
	if !ok || err1 != nil || err2 != nil || n == 0 || i >= n {
		return 0, 0, fmt.Errorf("-shard %q: expected i/n with 0 <= i < n, e.g. 0/4", s)
	}
	return i, n, nil
}

// failure of one seed.
type seedFailure struct {
	Seed   uint64
	Checks []string // "name: text" of each failed check
	Repro  string
	Files  []string // as the text report shows them
	Paths  []string // the files written
	// Minimized is the minimisation of the seed's schedule (sweep
	// -minimize), when it was made; NotMinimized says why it was not.
	Minimized    *cluster.Minimized
	MinPath      string // the minimal schedule written
	NotMinimized string
	// Scenario is the run's scenario when no seed alone derives it (a
	// guided sweep's mutated child); Seed is then the run's number.
	Scenario *scenarios.Scenario
}

// sweepRuns is what the runs of a sweep produced, whichever way they were
// chosen.
type sweepRuns struct {
	done, events uint64
	failures     []seedFailure
	combos       map[cluster.PathSet]bool // the distinct path combinations reached
	corpus       int                      // guided: scenarios kept for reaching a new combination
}

func cmdSweep(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	var f sweepFlags
	seeds := fs.String("seeds", "1..1000", "the seeds to run, `A..B` inclusive")
	fs.IntVar(&f.workers, "workers", runtime.NumCPU(), "parallel workers")
	shard := fs.String("shard", "0/1", "run only part `i/n` of the seeds (0 <= i < n)")
	fs.BoolVar(&f.swarm, "swarm", false, "draw each seed's network and faults from the seed")
	fs.BoolVar(&f.lin, "linearizability", true, "run the linearizability check (the costliest)")
	registerLinBudget(fs, &f.linBudget)
	fs.StringVar(&f.out, "out", "sweep-failures", "write failing seeds' schedules (and swarm scenarios) to `DIR`")
	fs.IntVar(&f.keep, "keep", defaultKeep, "write files and details for at most `N` failing seeds (0: none); the others get one line each with their reproducer")
	fs.StringVar(&f.report, "report", "", "write an HTML report of the sweep to `FILE.html`: faults and protocol paths covered, request latencies, failures")
	f.bugs.register(fs)
	fs.BoolVar(&f.minimize, "minimize", false, "minimize each failing seed's schedule that is written (see -keep) and write the minimal one beside it, as NAME-seedN.min.sched with its trace")
	fs.IntVar(&f.minimizeTries, "minimize-tries", cluster.DefaultMinimizeTries, "with -minimize, replays at most `N` for each failing seed")
	fs.BoolVar(&f.guided, "guided", false, "coverage-guided: keep swarm scenarios that reach a new combination of protocol paths and run mutations of them (the -seeds range gives the number of runs; implies -swarm)")
	fs.BoolVar(&f.json, "json", false, "print the result as one JSON object on stdout (seeds, rates, failures with their checks, reproducers and files) instead of text")
	fs.Usage = func() { fmt.Fprintf(fs.Output(), sweepUsage, flagDefaults(fs)) }
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return report(stderr, "sweep", err)
	}
	if f.first, f.last, err = seedRange(*seeds); err == nil {
		f.shard, f.of, err = shardSpec(*shard)
	}
	if err == nil {
		err = checkLinBudget(f.linBudget)
	}
	if err == nil && f.workers < 1 {
		err = fmt.Errorf("-workers %d: expected at least 1", f.workers)
	}
	if err == nil && f.workers > maxWorkers {
		err = fmt.Errorf("-workers %d: expected at most %d (limit %d)", f.workers, maxWorkers, maxWorkers)
	}
	if err == nil && f.keep < 0 {
		err = fmt.Errorf("-keep %d: expected a number of failing seeds >= 0 (0: write no files)", f.keep)
	}
	if err == nil && (f.minimizeTries < 1 || f.minimizeTries > maxExploreBound) {
		err = fmt.Errorf("-minimize-tries %d: must be between 1 and %d", f.minimizeTries, maxExploreBound)
	}
	if err == nil && f.guided && f.of != 1 {
		err = fmt.Errorf("-guided with -shard %s: a guided sweep steers by every run before, so it cannot be split", *shard)
	}
	if err == nil && len(pos) > 1 {
		err = fmt.Errorf("expected one scenario, got %d arguments: %s", len(pos), strings.Join(pos, " "))
	}
	if err != nil {
		return report(stderr, "sweep", usageError{err})
	}
	name := "default"
	if len(pos) == 1 {
		name = pos[0]
	}
	// The outputs first, so that a typo costs no sweep.
	if err := checkOutputs(output{"report", f.report}); err != nil {
		return report(stderr, "sweep", err)
	}
	if f.keep > 0 {
		if err := checkOutputDir("out", f.out); err != nil {
			return report(stderr, "sweep", err)
		}
	}
	base, err := scenarios.Load(name)
	if err != nil {
		return report(stderr, "sweep", usageError{err})
	}
	f.bugs.apply(&base)
	f.swarm = f.swarm || f.guided
	return report(stderr, "sweep", sweep(base, name, f, stdout, stderr))
}

// sweep runs the seeds of f over base (or, with -guided, as many runs as
// f's range has seeds) and reports.
func sweep(base scenarios.Scenario, name string, f sweepFlags, stdout, stderr io.Writer) error {
	total := shardCount(f.first, f.last, f.shard, f.of)
	var (
		next   atomic.Uint64 // index of the next failure to write
		done   atomic.Uint64
		failed atomic.Uint64
		wg     sync.WaitGroup
		cover  = newCoverage()
	)
	start := time.Now()
	prog := newProgress(stderr, total)
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				prog.show(done.Load(), failed.Load(), time.Since(start))
			}
		}
	}()
	var runs sweepRuns
	if f.guided {
		runs = guidedSweep(base, f, total, &done, &failed, cover)
	} else {
		runs = seedSweep(base, f, total, &done, &failed, cover)
	}
	close(stop)
	<-stopped // the ticker may be mid-line; finish writes to the same stderr
	elapsed := time.Since(start)
	prog.finish(done.Load(), failed.Load(), elapsed)
	failures := runs.failures

	slices.SortFunc(failures, func(a, b seedFailure) int { return cmp.Compare(a.Seed, b.Seed) })
	for i := range failures {
		fl := &failures[i]
		fl.Repro = command(fmt.Sprintf("run -seed %d%s%s %s", fl.Seed, f.bugs.args(), linArgs(f.lin, f.linBudget), name))
		if f.guided {
			// The guided sweep that ends with this run runs it again (and
			// writes its scenario, if it is among the first -keep failures).
			fl.Repro = command(fmt.Sprintf("sweep -guided -seeds %d..%d%s%s %s", f.first, fl.Seed, f.bugs.args(), linArgs(f.lin, f.linBudget), name))
		} else if f.swarm {
			// Re-running the seed's sweep writes its concrete scenario.
			fl.Repro = command(fmt.Sprintf("sweep -swarm -seeds %d%s%s %s", fl.Seed, f.bugs.args(), linArgs(f.lin, f.linBudget), name))
		}
	}
	// The files of the first -keep failures, written (and minimised) by
	// the workers in parallel: each failure's files are its own.
	written := min(len(failures), f.keep)
	fileErrs := make([]error, written)
	next.Store(0)
	for range min(f.workers, written) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= uint64(written) {
					return
				}
				fileErrs[i] = writeFailure(base, name, f, &failures[i])
			}
		}()
	}
	wg.Wait()
	var errs []error
	for _, err := range fileErrs {
		if err != nil {
			errs = append(errs, err)
		}
	}
	leftOut := max(0, len(failures)-f.keep)
	if f.json {
		if err := writeSweepJSON(stdout, name, f, runs, elapsed, failures, leftOut); err != nil {
			errs = append(errs, err)
		}
	} else {
		writeSweepText(stdout, name, f, runs, elapsed, failures, leftOut)
	}
	if f.report != "" {
		var b strings.Builder
		if err := writeReport(&b, name, f, cover, failures, elapsed); err != nil {
			errs = append(errs, err)
		} else if err := os.WriteFile(f.report, []byte(b.String()), 0o644); err != nil {
			errs = append(errs, err)
		} else if !f.json {
			fmt.Fprintf(stdout, "report: %s\n", f.report)
		}
	}
	if len(errs) > 0 {
		return usageError{errors.Join(errs...)}
	}
	if len(failures) > 0 {
		return failure{fmt.Errorf("%d of %d seeds failed", len(failures), runs.done)}
	}
	return nil
}

// seedSweep runs the seeds of f's range and shard over base, -workers at a
// time, counting into done and failed as it goes; cover, when f has a
// report, gets every run.
func seedSweep(base scenarios.Scenario, f sweepFlags, total uint64, done, failed *atomic.Uint64, cover *coverage) sweepRuns {
	var (
		next     atomic.Uint64 // index of the next seed to take
		events   atomic.Uint64
		mu       sync.Mutex
		failures []seedFailure
		wg       sync.WaitGroup
		combos   = map[cluster.PathSet]bool{}
	)
	opt := cluster.Options{SkipLin: !f.lin, LinBudget: f.linBudget}
	for range f.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var cv *coverage
			if f.report != "" {
				cv = newCoverage()
				defer func() {
					mu.Lock()
					cover.merge(cv)
					mu.Unlock()
				}()
			}
			seen := map[cluster.PathSet]bool{} // this worker's, to spare the lock
			var c *cluster.Cluster             // reused across seeds when not swarming
			for {
				i := next.Add(1) - 1
				if i >= total {
					return
				}
				seed := f.first + f.shard + i*f.of
				s := base
				if f.swarm {
					s = scenarios.Swarm(base, seed)
					c = cluster.New(s, opt)
				} else if c == nil {
					s.Seed = seed
					c = cluster.New(s, opt)
				} else {
					c.Reset(seed)
				}
				o := c.Run()
				events.Add(uint64(o.Result.Events))
				if cv != nil {
					cv.add(c, c.Scenario, o)
				}
				if set := o.Paths.Set(); !seen[set] {
					seen[set] = true
					mu.Lock()
					combos[set] = true
					mu.Unlock()
				}
				if !o.OK {
					failed.Add(1)
					fl := seedFailure{Seed: seed}
					for _, v := range o.Checks {
						if v.Err != nil {
							fl.Checks = append(fl.Checks, string(v.Name)+": "+v.Text())
						}
					}
					mu.Lock()
					failures = append(failures, fl)
					mu.Unlock()
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	return sweepRuns{done: done.Load(), events: events.Load(), failures: failures, combos: combos}
}

// writeSweepText prints the sweep's result for people: rates, failures by
// check, and every failing seed with its reproducer (and its files, for the
// first -keep).
func writeSweepText(stdout io.Writer, name string, f sweepFlags, runs sweepRuns, elapsed time.Duration, failures []seedFailure, leftOut int) {
	done, events := runs.done, runs.events
	mode := ""
	if f.guided {
		mode = " (guided)"
	} else if f.swarm {
		mode = " (swarm)"
	}
	fmt.Fprintf(stdout, "sweep %s%s: seeds %d..%d, shard %d/%d, %d workers\n", name, mode, f.first, f.last, f.shard, f.of, f.workers)
	secs := max(elapsed.Seconds(), 1e-9)
	fmt.Fprintf(stdout, "  %d seeds in %v: %.0f seeds/s, %.0f events/s\n", done, elapsed.Round(time.Millisecond), float64(done)/secs, float64(events)/secs)
	fmt.Fprintf(stdout, "  coverage: %s\n", coverageLine(runs))
	fmt.Fprintf(stdout, "  failures: %d", len(failures))
	if len(failures) > 0 {
		fmt.Fprintf(stdout, " (first at run %d)", firstFailureRun(f, failures))
	}
	fmt.Fprintln(stdout)
	tally := map[string]int{}
	for _, fl := range failures {
		for _, c := range fl.Checks {
			check, _, _ := strings.Cut(c, ":")
			tally[check]++
		}
	}
	for _, check := range slices.Sorted(maps.Keys(tally)) {
		fmt.Fprintf(stdout, "    %-16s failed for %d seeds\n", check, tally[check])
	}
	if leftOut > 0 {
		fmt.Fprintf(stdout, "  files left out: %d failing seeds beyond -keep %d have no files, only their reproducer\n", leftOut, f.keep)
	}
	for i := range failures {
		fl := &failures[i]
		if i >= f.keep {
			var checks []string
			for _, c := range fl.Checks {
				check, _, _ := strings.Cut(c, ":")
				checks = append(checks, check)
			}
			fmt.Fprintf(stdout, "FAIL %s %d (%s): reproduce: %s\n", failWord(f), fl.Seed, strings.Join(checks, ", "), fl.Repro)
			continue
		}
		fmt.Fprintf(stdout, "FAIL %s %d\n", failWord(f), fl.Seed)
		if fl.Scenario != nil {
			fmt.Fprintf(stdout, "  scenario: %s\n", fl.Scenario.Description)
		}
		for _, c := range fl.Checks {
			fmt.Fprintf(stdout, "  %s\n", c)
		}
		fmt.Fprintf(stdout, "  reproduce: %s\n", fl.Repro)
		for _, file := range fl.Files {
			fmt.Fprintf(stdout, "  wrote:     %s\n", file)
		}
		if m := fl.Minimized; m != nil {
			fmt.Fprintf(stdout, "  minimized: %s fails in both; events %d -> %d, messages %d -> %d, faults %d -> %d, clients %d -> %d, requests %d -> %d (%d replays)\n",
				m.Signature, m.Before.Events, m.After.Events, m.Before.Messages, m.After.Messages, m.Before.Faults, m.After.Faults,
				m.Before.Clients, m.After.Clients, m.Before.Requests, m.After.Requests, m.Tries)
		}
		if fl.NotMinimized != "" {
			fmt.Fprintf(stdout, "  minimized: none: %s\n", fl.NotMinimized)
		}
	}
}

// shardCount is how many seeds shard i of n runs out of first..last: those
// at positions i, i+n, i+2n, ... of the range. It counts without overflow,
// even for the range 0..2^64-1.
func shardCount(first, last, i, n uint64) uint64 {
	span := last - first
	if i > span {
		return 0
	}
	total := span/n + 1
	if span%n < i {
		total--
	}
	return total
}

// writeFailure re-runs a failing seed with recording, writes its schedule
// (and for swarm, its concrete scenario), and sets its reproduction command.
func writeFailure(base scenarios.Scenario, name string, f sweepFlags, fl *seedFailure) error {
	s := base
	s.Seed = fl.Seed
	if fl.Scenario != nil {
		s = *fl.Scenario
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return err
	}
	// Validated names are never paths; SafeName keeps it so for any
	// scenario, so that nothing is written outside -out.
	stem := filepath.Join(f.out, scenarios.SafeName(filepath.Base(s.Name))+"-seed"+strconv.FormatUint(fl.Seed, 10))
	if f.swarm {
		if fl.Scenario == nil {
			s = scenarios.Swarm(base, fl.Seed)
		}
		stem = filepath.Join(f.out, scenarios.SafeName(filepath.Base(s.Name)))
		enc, err := s.Encode()
		if err != nil {
			return err
		}
		if err := os.WriteFile(stem+".toml", enc, 0o644); err != nil {
			return err
		}
		fl.Files = append(fl.Files, stem+".toml")
		fl.Paths = append(fl.Paths, stem+".toml")
		fl.Repro = command("run" + linArgs(f.lin, f.linBudget) + " " + stem + ".toml")
	}
	c := cluster.New(s, cluster.Options{Record: true, SkipLin: !f.lin, LinBudget: f.linBudget})
	c.Run()
	if err := c.WriteScheduleFile(stem + ".sched"); err != nil {
		return err
	}
	fl.Files = append(fl.Files, stem+".sched ("+command("replay "+stem+".sched")+")")
	fl.Paths = append(fl.Paths, stem+".sched")
	if !f.minimize {
		return nil
	}
	// Minimise the schedule just written: the same one replay reads.
	m, err := cluster.Minimize(s, c.Schedule, cluster.MinimizeOptions{Tries: f.minimizeTries})
	if err != nil {
		fl.NotMinimized = err.Error()
		return nil
	}
	fl.Minimized, fl.MinPath = &m, stem+".min.sched"
	if err := writeMinimized(m, stem+".min.sched", stem+".min.txt"); err != nil {
		return err
	}
	fl.Files = append(fl.Files, stem+".min.sched (minimized: "+command("replay "+stem+".min.sched")+")", stem+".min.txt")
	fl.Paths = append(fl.Paths, stem+".min.sched", stem+".min.txt")
	return nil
}

// progress shows a sweep's progress on stderr: a bar redrawn in place on a
// terminal, a plain line every few seconds otherwise (logs, CI).
type progress struct {
	w        io.Writer
	total    uint64
	terminal bool
	last     time.Duration
}

func newProgress(w io.Writer, total uint64) *progress {
	return &progress{w: w, total: total, terminal: isTerminal(w)}
}

func (p *progress) line(done, failed uint64, elapsed time.Duration) string {
	pct := 100.0
	if p.total > 0 {
		pct = 100 * float64(done) / float64(p.total)
	}
	rate := float64(done) / max(elapsed.Seconds(), 1e-9)
	return fmt.Sprintf("%d/%d seeds (%.0f%%), %d failed, %.0f seeds/s", done, p.total, pct, failed, rate)
}

func (p *progress) show(done, failed uint64, elapsed time.Duration) {
	if p.terminal {
		const width = 30
		n := width
		if p.total > 0 {
			n = int(width * done / p.total)
		}
		fmt.Fprintf(p.w, "\r[%s%s] %s ", strings.Repeat("=", n), strings.Repeat(" ", width-n), p.line(done, failed, elapsed))
		return
	}
	if elapsed-p.last >= 5*time.Second {
		p.last = elapsed
		fmt.Fprintf(p.w, "sweep: %s\n", p.line(done, failed, elapsed))
	}
}

func (p *progress) finish(done, failed uint64, elapsed time.Duration) {
	if p.terminal {
		p.show(done, failed, elapsed)
		fmt.Fprintln(p.w)
		return
	}
	fmt.Fprintf(p.w, "sweep: %s, done\n", p.line(done, failed, elapsed))
}

// sweepResult is sweep -json's output: one object, the whole result.
type sweepResult struct {
	Scenario        string          `json:"scenario"`
	Swarm           bool            `json:"swarm"`
	Seeds           seedSpan        `json:"seeds"`
	Shard           string          `json:"shard"`
	Workers         int             `json:"workers"`
	Linearizability bool            `json:"linearizability"`
	Run             uint64          `json:"run"`
	Failed          int             `json:"failed"`
	Events          uint64          `json:"events"`
	ElapsedSeconds  float64         `json:"elapsed_seconds"`
	SeedsPerSecond  float64         `json:"seeds_per_second"`
	EventsPerSecond float64         `json:"events_per_second"`
	FailedChecks    map[string]int  `json:"failed_checks"`
	FilesLeftOut    int             `json:"files_left_out"`
	Failures        []failureResult `json:"failures"`
	OK              bool            `json:"ok"`
	Guided          bool            `json:"guided"`
	Coverage        coverageResult  `json:"coverage"`
	// FirstFailureRun is the position in the sweep (1 for the first run)
	// of the first failing run, 0 if none failed.
	FirstFailureRun uint64 `json:"first_failure_run"`
}

// coverageResult is a sweep's path coverage, in sweep -json.
type coverageResult struct {
	Combinations int      `json:"combinations"` // distinct path combinations reached
	NeverTaken   []string `json:"never_taken"`  // paths no run took
	Corpus       int      `json:"corpus"`       // guided: scenarios kept for a new combination
}

type seedSpan struct {
	First uint64 `json:"first"`
	Last  uint64 `json:"last"`
}

type failureResult struct {
	Seed      uint64        `json:"seed"`
	Checks    []checkResult `json:"checks"`
	Reproduce string        `json:"reproduce"`
	Files     []string      `json:"files"`
	// Minimized is the seed's minimisation (-minimize), or absent;
	// NotMinimized says why a seed with files has none.
	Minimized    *minimizedResult `json:"minimized,omitempty"`
	NotMinimized string           `json:"not_minimized,omitempty"`
	// Mutations is a guided run's scenario's lineage: its swarm seed and
	// the mutations that made it (seed is then the run's number).
	Mutations string `json:"mutations,omitempty"`
}

// minimizedResult is one failing seed's minimisation, in sweep -json.
type minimizedResult struct {
	Schedule  string       `json:"schedule"`
	Signature string       `json:"signature"`
	Before    cluster.Size `json:"before"`
	After     cluster.Size `json:"after"`
	Tries     int          `json:"tries"`
}

type checkResult struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

// writeSweepJSON prints the sweep's result as one JSON object and a newline.
func writeSweepJSON(stdout io.Writer, name string, f sweepFlags, runs sweepRuns, elapsed time.Duration, failures []seedFailure, leftOut int) error {
	done, events := runs.done, runs.events
	secs := max(elapsed.Seconds(), 1e-9)
	r := sweepResult{
		Scenario: name, Swarm: f.swarm, Seeds: seedSpan{f.first, f.last},
		Shard: fmt.Sprintf("%d/%d", f.shard, f.of), Workers: f.workers, Linearizability: f.lin,
		Run: done, Failed: len(failures), Events: events,
		ElapsedSeconds: elapsed.Seconds(), SeedsPerSecond: float64(done) / secs, EventsPerSecond: float64(events) / secs,
		FailedChecks: map[string]int{}, FilesLeftOut: leftOut, Failures: []failureResult{}, OK: len(failures) == 0,
		Guided:   f.guided,
		Coverage: coverageResult{Combinations: len(runs.combos), NeverTaken: neverTaken(runs.combos), Corpus: runs.corpus},
	}
	if len(failures) > 0 {
		r.FirstFailureRun = firstFailureRun(f, failures)
	}
	for _, fl := range failures {
		fr := failureResult{Seed: fl.Seed, Reproduce: fl.Repro, Files: append([]string{}, fl.Paths...), NotMinimized: fl.NotMinimized}
		if fl.Scenario != nil {
			fr.Mutations = fl.Scenario.Description
		}
		if m := fl.Minimized; m != nil {
			fr.Minimized = &minimizedResult{Schedule: fl.MinPath, Signature: m.Signature.String(), Before: m.Before, After: m.After, Tries: m.Tries}
		}
		for _, c := range fl.Checks {
			check, text, _ := strings.Cut(c, ": ")
			fr.Checks = append(fr.Checks, checkResult{check, text})
			r.FailedChecks[check]++
		}
		r.Failures = append(r.Failures, fr)
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = stdout.Write(append(b, '\n'))
	return err
}
