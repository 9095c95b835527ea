package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// side is one measured quantity: a benchmark's name and how to read its
// value out of the metrics of one result.
type side struct {
	bench string
	unit  string // what the value is in, for the table
	what  string // a short label shown in the cell, may be empty
	get   func(map[string]float64) (float64, bool)
}

// Case is one line of the targets: the project's side against the
// floor's (or, for a project-only case, against another project case).
type Case struct {
	Name    string
	Project side
	Floor   side
	// ProjectOnly: Floor is another project benchmark (the project's own
	// scaling), not the floor's.
	ProjectOnly bool
	// Faster: the target is a speedup, floor ÷ project >= Target; otherwise
	// it is a slowdown, project ÷ floor <= Target.
	Faster bool
	Target float64
}

const (
	vs       = "BenchmarkVsFloor/"
	protoDES = "BenchmarkProtoDES/"
	fSweep   = "BenchmarkSweep/"
	gor      = "BenchmarkGoroutines/"
)

// Cases are the targets (issue 10, item 6), each project benchmark
// held against the floor benchmark it is like: the same clients and
// requests flow, the same unit (per delivered message, per seed, per
// request).
var Cases = []Case{
	{
		Name:    "default, sim only (no lin), per message",
		Project: side{bench: vs + "default/sim", unit: "ns/msg", get: metric("ns/msg")},
		Floor:   side{bench: protoDES + "clients=3/heap4", unit: "ns/msg", get: perMsg},
		Target:  1.5,
	},
	{
		Name:    "default, all checks, per message",
		Project: side{bench: vs + "default/checks", unit: "ns/msg", get: metric("ns/msg")},
		Floor:   side{bench: protoDES + "clients=3/heap4", unit: "ns/msg", get: perMsg},
		Target:  2.5,
	},
	{
		Name:    "3 clients x 50k, all checks, per message",
		Project: side{bench: vs + "long", unit: "ns/msg", get: metric("ns/msg")},
		Floor:   side{bench: protoDES + "clients=3/heap4", unit: "ns/msg", get: perMsg},
		Target:  2,
	},
	{
		Name:    "1000 clients, pipeline 1000, per message",
		Project: side{bench: vs + "clients=1000", unit: "ns/msg", get: metric("ns/msg")},
		Floor:   side{bench: protoDES + "clients=1000/heap4", unit: "ns/msg", get: perMsg},
		Target:  2,
	},
	{
		Name:    "sweep with lin, per seed (2 cores)",
		Project: side{bench: vs + "sweep/lin=on", unit: "ns/seed", get: metric("ns/op")},
		Floor:   side{bench: fSweep + "workers=2/reuse+porcupine", unit: "ns/seed", get: metric("ns/op")},
		Target:  2,
	},
	{
		Name:    "sweep without lin, per seed (2 cores)",
		Project: side{bench: vs + "sweep/lin=off", unit: "ns/seed", get: metric("ns/op")},
		Floor:   side{bench: fSweep + "workers=2/reuse", unit: "ns/seed", get: metric("ns/op")},
		Target:  2,
	},
	{
		Name:    "vs goroutine per node, 3 clients, per request",
		Project: side{bench: vs + "long", unit: "ns/req", get: metric("ns/req")},
		Floor:   side{bench: gor + "clients=3", unit: "ns/req", get: metric("ns/op")},
		Faster:  true,
		Target:  2.5,
	},
	{
		Name:    "vs goroutine per node, 1000 clients, per request",
		Project: side{bench: vs + "clients=1000", unit: "ns/req", get: metric("ns/req")},
		Floor:   side{bench: gor + "clients=1000", unit: "ns/req", get: metric("ns/op")},
		Faster:  true,
		Target:  2.5,
	},
	{
		Name:        "per request, 10 -> 10000 clients (project only)",
		Project:     side{bench: vs + "clients=10000", unit: "ns/req", what: "10000 clients", get: metric("ns/req")},
		Floor:       side{bench: vs + "clients=10", unit: "ns/req", what: "project, 10 clients", get: metric("ns/req")},
		ProjectOnly: true,
		Target:      1.5,
	},
	{
		// Not one of issue 10's targets: what batching (its item 4) buys.
		// The same 1000 x 200 requests with as many in Phase 2 at once,
		// pipeline 100 x batch 10 against pipeline 1000 x batch 1; the
		// target is ours.
		Name:        "batch 10 vs 1, 1000 clients, per request (project only)",
		Project:     side{bench: vs + "clients=1000/batch=10", unit: "ns/req", what: "batch 10", get: metric("ns/req")},
		Floor:       side{bench: vs + "clients=1000", unit: "ns/req", what: "project, batch 1", get: metric("ns/req")},
		ProjectOnly: true,
		Faster:      true,
		Target:      1.5,
	},
}

// Row is a Case evaluated on medians.
type Row struct {
	Case
	ProjectMedian, FloorMedian float64
	ProjectN, FloorN           int    // how many rounds each median is of
	ProjectAt, FloorAt         string // e.g. "-cpu 1" when the best of several GOMAXPROCS
	Ratio                      float64
	Met                        bool
	Err                        error // a side could not be measured
}

// Evaluate computes every case from the project's and the floor's results.
func Evaluate(cases []Case, project, floor Series) []Row {
	rows := make([]Row, len(cases))
	for i, c := range cases {
		r := Row{Case: c}
		var err1, err2 error
		r.ProjectMedian, r.ProjectN, r.ProjectAt, err1 = measure(project, c.Project)
		fs := floor
		if c.ProjectOnly {
			fs = project
		}
		r.FloorMedian, r.FloorN, r.FloorAt, err2 = measure(fs, c.Floor)
		switch {
		case err1 != nil:
			r.Err = err1
		case err2 != nil:
			r.Err = err2
		case r.ProjectMedian <= 0 || r.FloorMedian <= 0:
			r.Err = fmt.Errorf("a median is not positive (%g, %g)", r.ProjectMedian, r.FloorMedian)
		case c.Faster:
			r.Ratio = r.FloorMedian / r.ProjectMedian
			r.Met = r.Ratio >= c.Target
		default:
			r.Ratio = r.ProjectMedian / r.FloorMedian
			r.Met = r.Ratio <= c.Target
		}
		rows[i] = r
	}
	return rows
}

func measure(s Series, sd side) (v float64, n int, at string, err error) {
	v, procs, n, groups, err := s.Best(sd.bench, sd.get)
	if err != nil {
		return 0, 0, "", err
	}
	if groups > 1 {
		at = "-cpu " + strconv.Itoa(procs)
	}
	return v, n, at, nil
}

// formatNs prints a duration in ns with 3-4 significant digits.
func formatNs(v float64) string {
	switch {
	case v >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

func (r Row) cell(v float64, sd side, at string) string {
	s := formatNs(v) + " " + sd.unit
	var notes []string
	if sd.what != "" {
		notes = append(notes, sd.what)
	}
	if at != "" {
		notes = append(notes, at)
	}
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, ", ") + ")"
	}
	return s
}

func (r Row) ratioText() string {
	if r.Err != nil {
		return "-"
	}
	s := strconv.FormatFloat(r.Ratio, 'f', 2, 64) + "x"
	switch {
	case r.Faster && r.Ratio >= 1:
		s += " faster"
	case r.Faster:
		// A speedup below 1 is a slowdown: say so in its own terms.
		s += " faster (" + strconv.FormatFloat(1/r.Ratio, 'f', 2, 64) + "x slower)"
	}
	return s
}

func (r Row) targetText() string {
	t := strconv.FormatFloat(r.Target, 'f', -1, 64) + "x"
	if r.Faster {
		return ">= " + t + " faster"
	}
	return "<= " + t
}

func (r Row) verdict() string {
	switch {
	case r.Err != nil:
		return "NOT MEASURED"
	case r.Met:
		return "met"
	default:
		return "NOT MET"
	}
}

// WriteTable writes the rows as a Markdown table (case | project | floor |
// ratio | target), then one line per case saying whether it is met.
func WriteTable(w io.Writer, rows []Row) {
	table := [][]string{{"case", "project", "floor", "ratio", "target"}}
	for _, r := range rows {
		p, f := "-", "-"
		if r.Err == nil {
			p = r.cell(r.ProjectMedian, r.Project, r.ProjectAt)
			f = r.cell(r.FloorMedian, r.Floor, r.FloorAt)
		}
		table = append(table, []string{r.Name, p, f, r.ratioText(), r.targetText()})
	}
	width := make([]int, len(table[0]))
	for _, row := range table {
		for i, c := range row {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	line := func(row []string) {
		var b strings.Builder
		b.WriteString("|")
		for i, c := range row {
			b.WriteString(" " + c + strings.Repeat(" ", width[i]-len([]rune(c))) + " |")
		}
		fmt.Fprintln(w, b.String())
	}
	line(table[0])
	sep := make([]string, len(width))
	for i, n := range width {
		sep[i] = strings.Repeat("-", n)
	}
	line(sep)
	for _, row := range table[1:] {
		line(row)
	}
	fmt.Fprintln(w)
	met := 0
	for _, r := range rows {
		if r.Met {
			met++
		}
		detail := ""
		if r.Err != nil {
			detail = ": " + r.Err.Error()
		} else {
			detail = fmt.Sprintf(": %s, target %s (project %s vs %s)", r.ratioText(), r.targetText(),
				strings.TrimPrefix(r.Project.bench, "Benchmark"), strings.TrimPrefix(r.Floor.bench, "Benchmark"))
		}
		fmt.Fprintf(w, "%-12s %s%s\n", r.verdict(), r.Name, detail)
	}
	fmt.Fprintf(w, "\n%d of %d targets met\n", met, len(rows))
}
