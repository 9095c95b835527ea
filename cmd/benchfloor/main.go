// Command benchfloor runs the project's benchmarks beside the hand-written
// floor (../shared/floor), alternating, and prints the ratios against the
// targets of issue 10. Run it from the repository root:
//
//	go run ./cmd/benchfloor [-floor DIR] [-count N] [-benchtime D]
//
// Each of the N rounds runs, in this order, the project's
// BenchmarkVsFloor (protocol/cluster) and then the floor's BenchmarkProtoDES
// and BenchmarkSweep (proto, sweep) and BenchmarkGoroutines (gor, with
// -cpu 1,2: the better of the two is used). Absolute times on a shared
// machine are noise; alternating the two in one session and comparing
// medians keeps the ratios meaningful.
//
// Exit status: 0 when every case was measured (whether or not its target
// is met: the report says), 1 when a benchmark failed or a case could not be
// measured, 2 for bad flags or a missing floor directory.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, env{root: ".", exec: execGo}))
}

// env is what run needs from the world: the repository root and a way to
// run a command, so that tests can give canned output.
type env struct {
	root string
	exec func(c Command) ([]byte, error)
}

// config is the parsed flags.
type config struct {
	floor     string
	count     int
	benchtime string
}

const usage = `usage: go run ./cmd/benchfloor [-floor DIR] [-count N] [-benchtime D]

Runs the project's BenchmarkVsFloor and the floor's benchmarks, alternating,
N rounds, and prints the medians' ratios against issue 10's targets. Run it
from the repository root.

`

func parseFlags(args []string, stderr io.Writer) (config, int, bool) {
	fs := flag.NewFlagSet("benchfloor", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg := config{}
	fs.StringVar(&cfg.floor, "floor", filepath.Join("..", "shared", "floor"), "the floor's directory (a Go module with proto/, sweep/, gor/), relative to the repository root")
	fs.IntVar(&cfg.count, "count", 3, "rounds (project then floor), 1..100; the table shows medians")
	fs.StringVar(&cfg.benchtime, "benchtime", "1s", "go test -benchtime for every benchmark: a duration (2s) or an iteration count (1x)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, usage)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return cfg, exitOK, false
		}
		fmt.Fprintf(stderr, "benchfloor: %v (see -h)\n", err)
		return cfg, exitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "benchfloor: unexpected argument %q (see -h)\n", fs.Arg(0))
		return cfg, exitUsage, false
	}
	if cfg.count < 1 || cfg.count > 100 {
		fmt.Fprintf(stderr, "benchfloor: -count must be between 1 and 100, got %d\n", cfg.count)
		return cfg, exitUsage, false
	}
	if err := checkBenchtime(cfg.benchtime); err != nil {
		fmt.Fprintf(stderr, "benchfloor: -benchtime %q: %v\n", cfg.benchtime, err)
		return cfg, exitUsage, false
	}
	return cfg, exitOK, true
}

// checkBenchtime accepts what go test does: a positive duration or a
// positive iteration count written Nx.
func checkBenchtime(s string) error {
	if n, ok := strings.CutSuffix(s, "x"); ok {
		if v, err := strconv.Atoi(n); err != nil || v <= 0 {
			return errors.New("want a positive count such as 1x")
		}
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return errors.New("want a positive duration such as 2s, or a count such as 1x")
	}
	return nil
}

// checkDirs says in one line what is wrong with the repository root or the
// floor directory.
func checkDirs(root, floor string) error {
	if fi, err := os.Stat(filepath.Join(root, "protocol", "cluster")); err != nil || !fi.IsDir() {
		return errors.New("run it from the repository root (there is no ./protocol/cluster here)")
	}
	if fi, err := os.Stat(floor); err != nil || !fi.IsDir() {
		return fmt.Errorf("floor directory %s: not found (give it with -floor DIR)", floor)
	}
	for _, p := range []string{"go.mod", "proto", "sweep", "gor"} {
		if _, err := os.Stat(filepath.Join(floor, p)); err != nil {
			return fmt.Errorf("floor directory %s: no %s in it: is it the floor? (give it with -floor DIR)", floor, p)
		}
	}
	return nil
}

// Command is one go command, run in Dir.
type Command struct {
	Dir  string // "" for the repository root
	Args []string
}

// String is the command as a shell would take it.
func (c Command) String() string {
	q := make([]string, len(c.Args))
	for i, a := range c.Args {
		q[i] = shellQuote(a)
	}
	s := strings.Join(q, " ")
	if c.Dir != "" {
		s = "(cd " + shellQuote(c.Dir) + " && " + s + ")"
	}
	return s
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=,:+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// commands are one round: the project's, then the floor's.
func commands(cfg config) (project Command, floor []Command) {
	bt := []string{"-benchtime", cfg.benchtime, "-timeout", "2h"}
	project = Command{Args: append(append([]string{"go", "test", "-run", "XXX", "-bench", "BenchmarkVsFloor"}, bt...), "./protocol/cluster")}
	floor = []Command{
		{Dir: cfg.floor, Args: append(append([]string{"go", "test", "-run", "XXX", "-bench", "BenchmarkProtoDES|BenchmarkSweep"}, bt...), "./proto", "./sweep")},
		{Dir: cfg.floor, Args: append(append([]string{"go", "test", "-run", "XXX", "-bench", "BenchmarkGoroutines", "-cpu", "1,2"}, bt...), "./gor")},
	}
	return project, floor
}

// execGo runs c with its output (stdout and stderr) captured.
func execGo(c Command) ([]byte, error) {
	cmd := exec.Command(c.Args[0], c.Args[1:]...)
	cmd.Dir = c.Dir
	return cmd.CombinedOutput()
}

// tail is the last n lines of out.
func tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func run(args []string, stdout, stderr io.Writer, e env) int {
	cfg, code, ok := parseFlags(args, stderr)
	if !ok {
		return code
	}
	floorDir := cfg.floor
	if !filepath.IsAbs(floorDir) {
		floorDir = filepath.Join(e.root, floorDir)
	}
	if err := checkDirs(e.root, floorDir); err != nil {
		fmt.Fprintf(stderr, "benchfloor: %v\n", err)
		return exitUsage
	}
	spc, sfcs := commands(cfg) // as shown: relative to the repository root
	pc, fcs := commands(cfg)   // as run
	pc.Dir = e.root
	for i := range fcs {
		fcs[i].Dir = floorDir
	}

	version, err := e.exec(Command{Dir: pc.Dir, Args: []string{"go", "version"}})
	if err != nil {
		fmt.Fprintf(stderr, "benchfloor: go version: %v\n", err)
		return exitFail
	}

	var project, floor Series
	step := func(round int, what string, c Command, into *Series) bool {
		fmt.Fprintf(stderr, "benchfloor: round %d/%d: %s ...", round, cfg.count, what)
		start := time.Now()
		out, err := e.exec(c)
		fmt.Fprintf(stderr, " %.0fs\n", time.Since(start).Seconds())
		if err != nil {
			fmt.Fprintf(stderr, "benchfloor: %s failed (%v); the end of its output:\n%s\n", c, err, tail(out, 40))
			return false
		}
		rs := Parse(out)
		if len(rs) == 0 {
			fmt.Fprintf(stderr, "benchfloor: %s printed no benchmark line; the end of its output:\n%s\n", c, tail(out, 40))
			return false
		}
		*into = append(*into, rs...)
		return true
	}
	for round := 1; round <= cfg.count; round++ {
		if !step(round, "project", pc, &project) {
			return exitFail
		}
		for _, fc := range fcs {
			pkgs := strings.Join(fc.Args[slices.IndexFunc(fc.Args, func(a string) bool { return strings.HasPrefix(a, "./") }):], " ")
			if !step(round, "floor "+pkgs, fc, &floor) {
				return exitFail
			}
		}
	}

	rows := Evaluate(Cases, project, floor)
	fmt.Fprintf(stdout, "benchfloor: the project against the floor (%s), medians of %d rounds, alternating\n", cfg.floor, cfg.count)
	fmt.Fprintf(stdout, "%s (GOMAXPROCS %d, %d CPUs)\n", strings.TrimSpace(string(version)), runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Fprintf(stdout, "each round ran, from the repository root:\n  %s\n", spc)
	for _, c := range sfcs {
		fmt.Fprintf(stdout, "  %s\n", c)
	}
	fmt.Fprintln(stdout)
	WriteTable(stdout, rows)
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, "medians of every benchmark read [min..max of ns/op]:")
	WriteMedians(stdout, "project", project)
	WriteMedians(stdout, "floor", floor)
	for _, r := range rows {
		if r.Err != nil {
			fmt.Fprintf(stderr, "benchfloor: a case could not be measured: %s: %v\n", r.Name, r.Err)
			return exitFail
		}
	}
	return exitOK
}

// WriteMedians lists every benchmark of s (by name and GOMAXPROCS, in the
// order first seen) with the median of each of its metrics.
func WriteMedians(w io.Writer, label string, s Series) {
	type key struct {
		name  string
		procs int
	}
	var order []key
	groups := map[key][]Result{}
	for _, r := range s {
		k := key{r.Name, r.Procs}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	for _, k := range order {
		rs := groups[k]
		var units []string
		seen := map[string]bool{}
		for _, r := range rs {
			for _, u := range sortedUnits(r.Metrics) {
				if !seen[u] {
					seen[u] = true
					units = append(units, u)
				}
			}
		}
		var b bytes.Buffer
		name := k.name
		if k.procs != 1 {
			name += "-" + strconv.Itoa(k.procs)
		}
		fmt.Fprintf(&b, "  %-7s %-48s n=%d", label, name, len(rs))
		for _, u := range units {
			var xs []float64
			for _, r := range rs {
				if v, ok := r.Metrics[u]; ok {
					xs = append(xs, v)
				}
			}
			m, _ := Median(xs)
			fmt.Fprintf(&b, "  %s %s", formatNum(m), u)
			if u == "ns/op" && len(xs) > 1 {
				lo, hi := xs[0], xs[0]
				for _, x := range xs {
					lo, hi = min(lo, x), max(hi, x)
				}
				fmt.Fprintf(&b, " [%s..%s]", formatNum(lo), formatNum(hi))
			}
		}
		fmt.Fprintln(w, b.String())
	}
}

// formatNum prints a metric: whole numbers from 1000 up, four
// significant digits below.
func formatNum(v float64) string {
	if math.Abs(v) >= 1000 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// sortedUnits puts ns/op first, the custom metrics next and the
// allocation counts last, each group sorted.
func sortedUnits(m map[string]float64) []string {
	rank := func(u string) int {
		switch u {
		case "ns/op":
			return 0
		case "B/op", "allocs/op":
			return 2
		}
		return 1
	}
	us := make([]string, 0, len(m))
	for u := range m {
		us = append(us, u)
	}
	slices.SortFunc(us, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
	return us
}
