package main

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/multipaxos-kv/multipaxos-kv/protocol/check"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/cluster"
	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
	"github.com/multipaxos-kv/multipaxos-kv/sim/textdiff"
)

// outputFlags are the output flags shared by run and replay.
type outputFlags struct {
	json     bool
	trace    string
	quiet    bool
	lin      string
	diagram  string
	window   string
	shiviz   string
	timeline string
	states   bool // -node-states: state records in the JSON trace
	// The linearizability check's switches (sweep has the same).
	linCheck  bool
	linBudget int
	lenient   bool // replay leniently (replay -lenient)
	// The text trace's switches: trace text only, the run is the same.
	explain    bool
	heartbeats bool
}

func (o *outputFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&o.json, "json", false, "print the JSON-lines trace on stdout instead of the text trace")
	fs.StringVar(&o.trace, "trace", "", "also write the JSON-lines trace to `FILE`")
	fs.BoolVar(&o.quiet, "q", false, "print only the summary")
	fs.StringVar(&o.lin, "lin", "", "write the linearizability picture of the client history to `FILE.html` (porcupine's visualisation, with the run's faults marked)")
	fs.StringVar(&o.diagram, "diagram", "", "write a picture of the run to `FILE`: .svg (space-time diagram), .html (the diagram with the summary and trace, offline) or .mmd (Mermaid sequence diagram)")
	fs.StringVar(&o.window, "window", "", "draw only virtual times `FROM..TO` in -diagram, -shiviz and -timeline (e.g. 20ms..60ms)")
	fs.StringVar(&o.shiviz, "shiviz", "", "write a ShiViz log of the run to `FILE` (open it at ShiViz with the regular expression in the README)")
	fs.StringVar(&o.timeline, "timeline", "", "write a Chrome/Perfetto trace of the run to `FILE.json` (open in ui.perfetto.dev or chrome://tracing)")
	fs.BoolVar(&o.states, "node-states", false, "add to the JSON trace, after every event, a state record of the nodes it changed (promised ballot, accepted entries, log, store, ...), which the -diagram .html page steps through")
	fs.BoolVar(&o.explain, "explain", true, "at the first occurrence of each protocol rule in the run, add a \"why:\" line that explains it; =false leaves them out")
	fs.BoolVar(&o.heartbeats, "heartbeats", false, "trace the heartbeats too (the leader's sends and the answers), which the trace leaves out by default")
	fs.BoolVar(&o.linCheck, "linearizability", true, "run the linearizability check (the costliest); =false skips it")
	registerLinBudget(fs, &o.linBudget)
}

// registerLinBudget registers -lin-budget, for run, replay and sweep.
func registerLinBudget(fs *flag.FlagSet, n *int) {
	fs.IntVar(n, "lin-budget", check.DefaultLinBudget, "bound the linearizability search to `N` steps (it runs only where the log order is no linearization); past it the check is inconclusive, a failure, on any machine")
}

// checkLinBudget validates -lin-budget.
func checkLinBudget(n int) error {
	if n < 1 || n > check.LinBudgetMax {
		return fmt.Errorf("-lin-budget %d: expected 1 <= N <= %d", n, check.LinBudgetMax)
	}
	return nil
}

// linArgs are the flags that reproduce the check's settings, for a
// reproducer: "" for the defaults.
func linArgs(lin bool, budget int) string {
	s := ""
	if !lin {
		s += " -linearizability=false"
	}
	if budget != check.DefaultLinBudget {
		s += " -lin-budget " + fmt.Sprint(budget)
	}
	return s
}

// pictures reports whether any picture of the run is asked for.
func (o *outputFlags) pictures() bool { return o.diagram != "" || o.shiviz != "" || o.timeline != "" }

// check validates the output flags before the run, so that a typo costs no
// run: exit 2 with what was expected. Every output file, and extra ones
// (run's -schedule), must be writable.
func (o *outputFlags) check(extra ...output) error {
	if err := checkLinBudget(o.linBudget); err != nil {
		return err
	}
	if o.lin != "" && !o.linCheck {
		return fmt.Errorf("-lin %q draws the linearizability check, which -linearizability=false skips", o.lin)
	}
	if o.lin != "" {
		switch strings.ToLower(filepath.Ext(o.lin)) {
		case ".html", ".htm":
		default:
			return usageError{fmt.Errorf("-lin %q: the linearizability picture is an HTML page, expected a .html file", o.lin)}
		}
	}
	if o.diagram != "" {
		switch strings.ToLower(filepath.Ext(o.diagram)) {
		case ".svg", ".html", ".htm", ".mmd":
		default:
			return usageError{fmt.Errorf("-diagram %q: the extension picks the form, expected .svg, .html or .mmd", o.diagram)}
		}
	}
	if o.window != "" {
		if _, _, err := parseWindow(o.window); err != nil {
			return usageError{err}
		}
	}
	outs := append([]output{{"trace", o.trace}, {"lin", o.lin}, {"diagram", o.diagram}, {"shiviz", o.shiviz}, {"timeline", o.timeline}}, extra...)
	return checkOutputs(outs...)
}

// parseWindow parses "FROM..TO" in Go duration syntax.
func parseWindow(w string) (sim.Time, sim.Time, error) {
	a, b, ok := strings.Cut(w, "..")
	from, err1 := time.ParseDuration(a)
	to, err2 := time.ParseDuration(b)
	if !ok || err1 != nil || err2 != nil || from < 0 || to < from {
		return 0, 0, fmt.Errorf("-window %q: expected FROM..TO with durations 0 <= FROM <= TO, e.g. 20ms..60ms", w)
	}
	return sim.Duration(from), sim.Duration(to), nil
}

const runUsage = `Usage: multipaxos-kv [run] [flags] [SCENARIO]

Runs one scenario (an embedded name, or a path to a .toml file; default
"default"), prints its trace and a summary with the checks' verdicts.

Flags:
%s
Examples:
  multipaxos-kv                                  the default scenario
  multipaxos-kv run -seed 7 -clients 5 default   another seed, five clients
  multipaxos-kv -q -schedule run.sched kvstore   summary only; record the schedule
`

// cmdRun runs one scenario.
func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var out outputFlags
	out.register(fs)
	seed := new(uint64)
	fs.Var(seedValue{seed}, "seed", "override the scenario's seed (`N`: 0..9223372036854775807)")
	clients := fs.Int("clients", 0, "override the number of clients (the original's num_clients)")
	pipeline := fs.Int("pipeline", 0, "override the scenario's pipeline: slots of new requests a leader keeps in Phase 2 at once (1..1000)")
	batch := fs.Int("batch", 0, "override the scenario's batch: requests a leader puts in one slot (1..1000)")
	schedule := fs.String("schedule", "", "write the execution schedule to `FILE` (replay it with: multipaxos-kv replay FILE)")
	determinism := fs.Bool("check-determinism", false, "run twice more and check that the JSON traces are identical, naming the first differing event")
	var bugs bugFlag
	bugs.register(fs)
	fs.Usage = func() { fmt.Fprintf(fs.Output(), runUsage, flagDefaults(fs)) }
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return report(stderr, "run", err)
	}
	name := "default"
	switch len(pos) {
	case 0:
	case 1:
		name = pos[0]
	default:
		return report(stderr, "run", usageError{fmt.Errorf("expected one scenario, got %d arguments: %s", len(pos), strings.Join(pos, " "))})
	}
	if err := out.check(output{"schedule", *schedule}); err != nil {
		return report(stderr, "run", err)
	}
	s, err := scenarios.Load(name)
	if err != nil {
		return report(stderr, "run", usageError{err})
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["seed"] {
		s.Seed = *seed
	}
	overrides := []struct {
		flag  string
		value int
		field *int
	}{
		{"clients", *clients, &s.Nodes.Clients},
		{"pipeline", *pipeline, &s.Pipeline},
		{"batch", *batch, &s.Batch},
	}
	repro := ""
	for _, o := range overrides {
		if !set[o.flag] {
			continue
		}
		*o.field = o.value
		if err := s.Validate(); err != nil {
			return report(stderr, "run", usageError{fmt.Errorf("-%s %d: %v", o.flag, o.value, err)})
		}
		repro += fmt.Sprintf(" -%s %d", o.flag, o.value)
	}
	bugs.apply(&s)
	repro = command("run -seed "+fmt.Sprint(s.Seed)+bugs.args()) + repro
	repro += linArgs(out.linCheck, out.linBudget) + " " + name
	if *determinism {
		if err := checkDeterminism(s, stderr); err != nil {
			return report(stderr, "run", err)
		}
	}
	return report(stderr, "run", execute(s, nil, out, *schedule, repro, stdout, stderr))
}

const replayUsage = `Usage: multipaxos-kv replay [flags] SCHEDULE

Re-executes a schedule written by "run -schedule" exactly and prints the
same trace. If the code no longer matches the schedule, it stops at the
first event that differs, names it, and exits 1.

Flags:
%s
Example:
  multipaxos-kv run -q -schedule run.sched default && multipaxos-kv replay run.sched
`

// cmdReplay re-executes a recorded schedule.
func cmdReplay(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	var out outputFlags
	out.register(fs)
	lenient := fs.Bool("lenient", false, "skip events the schedule names that are no longer pending (after a code change), take missing decisions at their least, do not check times; the run ends with the schedule")
	fs.Usage = func() { fmt.Fprintf(fs.Output(), replayUsage, flagDefaults(fs)) }
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return report(stderr, "replay", err)
	}
	if len(pos) != 1 {
		return report(stderr, "replay", usageError{fmt.Errorf("expected one schedule file, got %d arguments", len(pos))})
	}
	if err := out.check(); err != nil { // before the schedule is read
		return report(stderr, "replay", usageError{err})
	}
	file := pos[0]
	if err := out.check(); err != nil {
		return report(stderr, "replay", err)
	}
	data, err := readUserFile(file, "schedule", maxScheduleSize)
	if err != nil {
		return report(stderr, "replay", err)
	}
	s, recs, err := cluster.ParseSchedule(data, file)
	if err != nil {
		return report(stderr, "replay", usageError{err})
	}
	repro := command("replay " + file)
	if *lenient {
		repro = command("replay -lenient " + file)
	}
	out.lenient = *lenient
	return report(stderr, "replay", execute(s, recs, out, "", repro, stdout, stderr))
}

// execute runs s (replaying recs when non-nil), writes the traces, the
// summary and the schedule as asked, and returns a failure when a check
// failed or the replay diverged.
// The output flags have been checked (outputFlags.check) before.
func execute(s scenarios.Scenario, recs []sim.Record, out outputFlags, schedule, repro string, stdout, stderr io.Writer) error {
	opt := cluster.Options{Replay: recs, Lenient: out.lenient, Record: schedule != "", SkipLin: !out.linCheck, LinBudget: out.linBudget, Explain: out.explain, Heartbeats: out.heartbeats, States: out.states}
	var jsonOut []io.Writer
	if out.json && !out.quiet {
		jsonOut = append(jsonOut, stdout)
	}
	if !out.json && !out.quiet {
		opt.Text = stdout
	}
	// Pictures are drawn from the JSON trace, and the HTML page shows the
	// text trace too: keep both in memory.
	var picJSON, picText bytes.Buffer
	if out.pictures() {
		jsonOut = append(jsonOut, &picJSON)
		if opt.Text != nil {
			opt.Text = io.MultiWriter(opt.Text, &picText)
		} else {
			opt.Text = &picText
		}
	}
	if out.trace != "" {
		f, err := os.Create(out.trace)
		if err != nil {
			return usageError{err}
		}
		defer f.Close()
		jsonOut = append(jsonOut, f)
	}
	if len(jsonOut) > 0 {
		opt.JSON = io.MultiWriter(jsonOut...)
	}
	c := cluster.New(s, opt)
	var prog *runProgress
	if !out.quiet {
		prog = newRunProgress(stderr, c)
		c.Engine.OnProgress(prog.tick)
	}
	o := c.Run()
	prog.finish()
	if err := c.TraceErr(); err != nil {
		return usageError{fmt.Errorf("writing the trace: %v", err)}
	}
	summaryJSON := opt.JSON
	if out.json && out.quiet {
		summaryJSON = io.MultiWriter(append(jsonOut, stdout)...)
	}
	if summaryJSON != nil {
		if err := c.WriteSummaryJSON(summaryJSON, o); err != nil {
			return usageError{fmt.Errorf("writing the trace: %v", err)}
		}
	}
	if !out.json {
		if err := c.WriteSummary(stdout, o); err != nil {
			return usageError{err}
		}
	}
	if schedule != "" {
		if err := c.WriteScheduleFile(schedule); err != nil {
			return usageError{err}
		}
	}
	if out.lin != "" {
		if err := writeLin(out.lin, c, o); err != nil {
			return usageError{err}
		}
	}
	if out.pictures() {
		if err := writePictures(out, s, picJSON.Bytes(), picText.String()); err != nil {
			return usageError{err}
		}
	}
	if d := o.Result.Diverge; d != nil {
		return failure{d}
	}
	if !o.OK {
		var failed []string
		for _, v := range o.Checks {
			if v.Err != nil {
				failed = append(failed, string(v.Name))
			}
		}
		return failure{fmt.Errorf("check failed: %s; reproduce with: %s", strings.Join(failed, ", "), repro)}
	}
	return nil
}

// writeLin writes the linearizability picture of a run.
func writeLin(path string, c *cluster.Cluster, o cluster.Outcome) error {
	var b bytes.Buffer
	if err := o.Lin.WritePage(&b, linPage(c)); err != nil {
		return fmt.Errorf("writing %s: %v", path, err)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// checkDeterminism runs s twice with its JSON trace captured and compares
// the traces' hashes; on a difference it names the first differing record.
func checkDeterminism(s scenarios.Scenario, stderr io.Writer) error {
	var traces [2]bytes.Buffer
	var sums [2][sha256.Size]byte
	var runs [2]cluster.RunFile
	for i := range traces {
		c := cluster.New(s, cluster.Options{JSON: &traces[i], Record: true})
		o := c.Run()
		if err := c.WriteSummaryJSON(&traces[i], o); err != nil {
			return err
		}
		sums[i] = sha256.Sum256(traces[i].Bytes())
		runs[i] = cluster.RunFile{Name: fmt.Sprintf("run %d", i+1), Scenario: s, Records: c.Schedule}
	}
	if sums[0] == sums[1] {
		fmt.Fprintf(stderr, "multipaxos-kv run: determinism: two runs gave identical JSON traces (%d bytes, sha256 %x)\n", traces[0].Len(), sums[0][:8])
		return nil
	}
	// Say where the runs part by their events, as diff does, when they do.
	where := "at " + textdiff.FirstDiff(traces[0].Bytes(), traces[1].Bytes())
	if d, err := cluster.Diff(runs[0], runs[1]); err == nil && !d.Same() {
		where = fmt.Sprintf("at event %d (%s / %s)", d.Step, d.A, d.B)
	}
	return failure{fmt.Errorf("determinism broken: two runs of seed %d differ %s", s.Seed, where)}
}

// flagDefaults renders the flag set's defaults as text.
func flagDefaults(fs *flag.FlagSet) string {
	var b strings.Builder
	o := fs.Output()
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(o)
	return b.String()
}

// runProgress reports a long run's progress on stderr (not with -q): on a
// terminal one line that rewrites itself every second, otherwise (logs, CI)
// a line every runProgressEvery. A run shorter than that prints nothing. It
// reads the wall clock, which the simulation never does: what it prints
// changes nothing in the run.
type runProgress struct {
	w        io.Writer
	c        *cluster.Cluster
	terminal bool
	start    time.Time
	last     time.Duration
	shown    bool
}

// runProgressEvery is how often a run shows its progress when stderr is not
// a terminal (a variable for the tests).
var runProgressEvery = 10 * time.Second

func newRunProgress(w io.Writer, c *cluster.Cluster) *runProgress {
	return &runProgress{w: w, c: c, terminal: isTerminal(w), start: time.Now()}
}

// tick runs every 65536 events (sim.Engine.OnProgress).
func (p *runProgress) tick() {
	elapsed := time.Since(p.start)
	every := runProgressEvery
	if p.terminal {
		every = time.Second
	}
	if elapsed-p.last < every {
		return
	}
	p.last = elapsed
	line := p.line(elapsed)
	if p.terminal {
		fmt.Fprintf(p.w, "\r%s ", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
	p.shown = true
}

func (p *runProgress) line(elapsed time.Duration) string {
	events := p.c.Engine.Stats().Events
	answered, total := p.c.Answered()
	return fmt.Sprintf("run: %d events, virtual time %v, %d of %d requests answered, %.0f events/s",
		events, time.Duration(p.c.Engine.Now()).Round(time.Millisecond), answered, total, float64(events)/max(elapsed.Seconds(), 1e-9))
}

// finish ends a terminal's progress line.
func (p *runProgress) finish() {
	if p != nil && p.terminal && p.shown {
		fmt.Fprintf(p.w, "\r%s\n", p.line(time.Since(p.start)))
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
