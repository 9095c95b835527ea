package main

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Canned output, as go test -bench prints it (trimmed from real runs).
const projectOut = `goos: linux
goarch: amd64
pkg: github.com/multipaxos-kv/multipaxos-kv/protocol/cluster
cpu: Intel(R) Xeon(R) Processor
BenchmarkVsFloor/default/sim-2         	    6000	    100000 ns/op	        10.00 msgs/req	       120.0 ns/msg	   66952 B/op	     235 allocs/op
BenchmarkVsFloor/default/checks-2      	    5000	    200000 ns/op	        10.00 msgs/req	       200.0 ns/msg	   78152 B/op	     349 allocs/op
BenchmarkVsFloor/long-2                	       1	2918865545 ns/op	        14.80 msgs/req	       150.0 ns/msg	      400.0 ns/req	1210115880 B/op	 1728092 allocs/op
BenchmarkVsFloor/clients=1000-2        	       1	4984080353 ns/op	        10.85 msgs/req	       300.0 ns/msg	     1000 ns/req	1653199616 B/op	 2477891 allocs/op
BenchmarkVsFloor/clients=1000/batch=10-2	       1	3184080353 ns/op	         3.66 msgs/req	       800.0 ns/msg	      500 ns/req	1753199616 B/op	 2777891 allocs/op
BenchmarkVsFloor/clients=10-2          	      30	  33887206 ns/op	        11.82 msgs/req	      1433 ns/msg	     1000 ns/req	11635200 B/op	   24607 allocs/op
BenchmarkVsFloor/clients=10000-2       	       1	20704429545 ns/op	        10.82 msgs/req	      9567 ns/msg	     2000 ns/req	1749450256 B/op	 2472107 allocs/op
BenchmarkVsFloor/sweep/lin=on-2        	   20000	     50000 ns/op	     50000 ns/seed	     20000 seeds/s	  215520 B/op	    1404 allocs/op
BenchmarkVsFloor/sweep/lin=off-2       	   30000	     30000 ns/op	     30000 ns/seed	     33333 seeds/s	  197800 B/op	    1281 allocs/op
PASS
ok  	github.com/multipaxos-kv/multipaxos-kv/protocol/cluster	40.071s
`

const floorOut = `goos: linux
goarch: amd64
pkg: perfprobe/proto
cpu: Intel(R) Xeon(R) Processor
BenchmarkProtoDES/clients=3/heap4-2         	 1216226	      1000 ns/op	        10.00 msgs/req	   8923408 msgs/s	    892341 req/s	       0 B/op	       0 allocs/op
BenchmarkProtoDES/clients=3/wheel-2         	 1349854	       940.8 ns/op	        10.00 msgs/req	  10629353 msgs/s	   1062935 req/s	       0 B/op	       0 allocs/op
BenchmarkProtoDES/clients=1000/heap4-2      	  599052	      2000 ns/op	        10.00 msgs/req	   3754091 msgs/s	    375361 req/s	       0 B/op	       0 allocs/op
BenchmarkProtoDES/clients=1000/wheel-2      	 1000000	      1017 ns/op	        10.00 msgs/req	   9837126 msgs/s	    983661 req/s	       2 B/op	       0 allocs/op
PASS
ok  	perfprobe/proto	14.356s
goos: linux
goarch: amd64
pkg: perfprobe/sweep
cpu: Intel(R) Xeon(R) Processor
BenchmarkSweep/workers=1/reuse-2         	   77916	     14200 ns/op	  10563470 events/s	     70423 sims/s	       0 B/op	       0 allocs/op
BenchmarkSweep/workers=2/reuse-2                   	  154518	      10000 ns/op	  18084069 events/s	    120560 sims/s	       0 B/op	       0 allocs/op
BenchmarkSweep/workers=2/reuse+porcupine-2         	   49573	     25000 ns/op	   5970469 events/s	     39803 sims/s	   12975 B/op	     182 allocs/op
PASS
ok  	perfprobe/sweep	17.472s
`

const gorOut = `goos: linux
goarch: amd64
pkg: perfprobe/gor
cpu: Intel(R) Xeon(R) Processor
BenchmarkGoroutines/clients=3           	  431449	      2000 ns/op	    411096 req/s	       0 B/op	       0 allocs/op
BenchmarkGoroutines/clients=3-2         	  437638	      3000 ns/op	    343383 req/s	       0 B/op	       0 allocs/op
BenchmarkGoroutines/clients=1000        	  611622	      2500 ns/op	    517700 req/s	       1 B/op	       0 allocs/op
BenchmarkGoroutines/clients=1000-2      	  623121	      2000 ns/op	    526563 req/s	       1 B/op	       0 allocs/op
PASS
ok  	perfprobe/gor	4.807s
`

func TestParse(t *testing.T) {
	out := `pkg: a/b
BenchmarkX/clients=1000-2   	  10	  1234.5 ns/op	  15.20 msgs/req	  846.7 ns/msg	  0 B/op	  0 allocs/op
BenchmarkY/clients=3 	 7	 99 ns/op
BenchmarkZ some log line the benchmark printed
BenchmarkOdd-2 	 1	 5 ns/op	 6
BenchmarkBadN-2 	 x	 5 ns/op
BenchmarkBadV-2 	 3	 five ns/op
--- FAIL: BenchmarkW
PASS
pkg: c/d
BenchmarkW/a-b-4 	 2	 3 ns/op
`
	rs := Parse([]byte(out))
	if len(rs) != 3 {
		t.Fatalf("got %d results, want 3: %+v", len(rs), rs)
	}
	r := rs[0]
	if r.Pkg != "a/b" || r.Name != "BenchmarkX/clients=1000" || r.Procs != 2 || r.N != 10 {
		t.Errorf("first: %+v", r)
	}
	for u, v := range map[string]float64{"ns/op": 1234.5, "msgs/req": 15.2, "ns/msg": 846.7, "B/op": 0, "allocs/op": 0} {
		if got, ok := r.Metrics[u]; !ok || got != v {
			t.Errorf("%s = %v (%v), want %v", u, got, ok, v)
		}
	}
	if rs[1].Name != "BenchmarkY/clients=3" || rs[1].Procs != 1 || rs[1].Metrics["ns/op"] != 99 {
		t.Errorf("second (no -N suffix, GOMAXPROCS 1): %+v", rs[1])
	}
	if rs[2].Pkg != "c/d" || rs[2].Name != "BenchmarkW/a-b" || rs[2].Procs != 4 {
		t.Errorf("third: %+v", rs[2])
	}
	if got := Parse([]byte(projectOut + floorOut + gorOut)); len(got) != 9+4+3+4 {
		t.Errorf("canned output: %d results, want 20", len(got))
	}
}

func TestSplitProcs(t *testing.T) {
	for in, want := range map[string]struct {
		name  string
		procs int
	}{
		"BenchmarkA":                       {"BenchmarkA", 1},
		"BenchmarkA-2":                     {"BenchmarkA", 2},
		"BenchmarkA/clients=1000":          {"BenchmarkA/clients=1000", 1},
		"BenchmarkA/workers=2/reuse-16":    {"BenchmarkA/workers=2/reuse", 16},
		"BenchmarkA/x-":                    {"BenchmarkA/x-", 1},
		"BenchmarkA/x-y":                   {"BenchmarkA/x-y", 1},
		"BenchmarkA/x-0":                   {"BenchmarkA/x-0", 1},
		"BenchmarkA/x-+3":                  {"BenchmarkA/x-+3", 1},
		"BenchmarkSweep/reuse+porcupine":   {"BenchmarkSweep/reuse+porcupine", 1},
		"BenchmarkSweep/reuse+porcupine-2": {"BenchmarkSweep/reuse+porcupine", 2},
	} {
		name, procs := splitProcs(in)
		if name != want.name || procs != want.procs {
			t.Errorf("splitProcs(%q) = %q, %d; want %q, %d", in, name, procs, want.name, want.procs)
		}
	}
}

func TestMedian(t *testing.T) {
	if _, ok := Median(nil); ok {
		t.Error("median of nothing")
	}
	xs := []float64{5, 1, 3}
	if m, _ := Median(xs); m != 3 {
		t.Errorf("odd: %v", m)
	}
	if xs[0] != 5 {
		t.Error("Median sorted its argument")
	}
	if m, _ := Median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("even: %v", m)
	}
}

// rounds repeats canned output with ns/op scaled per round, as three
// rounds of one session would print.
func rounds(out string) Series {
	var s Series
	for _, k := range []float64{1, 1.2, 0.9} {
		for _, r := range Parse([]byte(out)) {
			m := map[string]float64{}
			for u, v := range r.Metrics {
				if strings.HasPrefix(u, "ns/") {
					v *= k
				}
				m[u] = v
			}
			r.Metrics = m
			s = append(s, r)
		}
	}
	return s
}

func TestEvaluate(t *testing.T) {
	rows := Evaluate(Cases, rounds(projectOut), rounds(floorOut+gorOut))
	if len(rows) != 10 {
		t.Fatalf("%d rows", len(rows))
	}
	want := []struct {
		project, floor, ratio float64
		met                   bool
		floorAt               string
	}{
		{120, 100, 1.2, true, ""},        // default/sim ns/msg vs ProtoDES 1000 ns/op / 10 msgs/req
		{200, 100, 2, true, ""},          // default/checks
		{150, 100, 1.5, true, ""},        // long
		{300, 200, 1.5, true, ""},        // clients=1000 vs ProtoDES/clients=1000
		{50000, 25000, 2, true, ""},      // sweep lin=on vs reuse+porcupine
		{30000, 10000, 3, false, ""},     // sweep lin=off vs reuse
		{400, 2000, 5, true, "-cpu 1"},   // gor clients=3: the better is -cpu 1 (2000 < 3000)
		{1000, 2000, 2, false, "-cpu 2"}, // gor clients=1000: the better is -cpu 2
		{2000, 1000, 2, false, ""},       // 10000 clients vs 10 clients, project only
		{500, 1000, 2, true, ""},         // batch 10 vs batch 1, project only: 2x faster
	}
	for i, w := range want {
		r := rows[i]
		if r.Err != nil {
			t.Errorf("%s: %v", r.Name, r.Err)
			continue
		}
		if !near(r.ProjectMedian, w.project) || !near(r.FloorMedian, w.floor) || !near(r.Ratio, w.ratio) || r.Met != w.met || r.FloorAt != w.floorAt {
			t.Errorf("%s: project %v floor %v ratio %v met %v at %q; want %+v", r.Name, r.ProjectMedian, r.FloorMedian, r.Ratio, r.Met, r.FloorAt, w)
		}
		if r.ProjectN != 3 || r.FloorN != 3 {
			t.Errorf("%s: medians of %d and %d rounds, want 3", r.Name, r.ProjectN, r.FloorN)
		}
	}

	// A benchmark missing from the output, or a metric missing from a
	// line: that case is not measured, the others still are.
	noLong := strings.ReplaceAll(projectOut, "BenchmarkVsFloor/long-2", "BenchmarkVsFloor/other-2")
	noMsgs := strings.ReplaceAll(floorOut, "msgs/req", "msgs/xyz")
	rows = Evaluate(Cases, rounds(noLong), rounds(noMsgs+gorOut))
	if rows[0].Err == nil || !strings.Contains(rows[0].Err.Error(), "metric is missing") {
		t.Errorf("no msgs/req: %v", rows[0].Err)
	}
	if rows[6].Err == nil || !strings.Contains(rows[6].Err.Error(), "BenchmarkVsFloor/long: not in the output") {
		t.Errorf("no long: %v", rows[6].Err)
	}
	if rows[4].Err != nil {
		t.Errorf("sweep: %v", rows[4].Err)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestWriteTable(t *testing.T) {
	rows := Evaluate(Cases, rounds(projectOut), rounds(floorOut+gorOut))
	rows[7].Ratio = 0.25 // a speedup below 1 is a slowdown
	rows[1].Err = errors.New("BenchmarkVsFloor/default/checks: not in the output")
	rows[1].Met = false
	var b bytes.Buffer
	WriteTable(&b, rows)
	out := b.String()
	for _, s := range []string{
		"| case ", "| project ", "| floor ", "| ratio ", "| target ",
		"| default, sim only (no lin), per message ", "| 120.0 ns/msg ", "| 100.0 ns/msg ", "| 1.20x ", "| <= 1.5x ",
		"| 5.00x faster ", "| >= 2.5x faster ", "2000 ns/req (-cpu 1)",
		"2000 ns/req (10000 clients)", "1000 ns/req (project, 10 clients)",
		"met          default, sim only (no lin), per message: 1.20x, target <= 1.5x (project VsFloor/default/sim vs ProtoDES/clients=3/heap4)",
		"NOT MEASURED default, all checks, per message: BenchmarkVsFloor/default/checks: not in the output",
		"NOT MET      sweep without lin, per seed (2 cores): 3.00x, target <= 2x",
		"NOT MET      vs goroutine per node, 1000 clients, per request: 0.25x faster (4.00x slower), target >= 2.5x faster",
		"| batch 10 vs 1, 1000 clients, per request (project only) | 500.0 ns/req (batch 10)",
		"| 2.00x faster ",
		"6 of 10 targets met",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("table lacks %q:\n%s", s, out)
		}
	}
	// Every table line has the same width.
	var width int
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "|") {
			continue
		}
		if n := len([]rune(l)); width == 0 {
			width = n
		} else if n != width {
			t.Errorf("ragged table line (%d, want %d): %q", n, width, l)
		}
	}
}

func TestCheckBenchtime(t *testing.T) {
	for _, ok := range []string{"1s", "2s", "500ms", "1x", "100x"} {
		if err := checkBenchtime(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "0s", "-1s", "0x", "-3x", "x", "1.5x", "fast", "10"} {
		if checkBenchtime(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCommandString(t *testing.T) {
	project, floor := commands(config{floor: "../shared/floor", count: 3, benchtime: "1s"})
	if got, want := project.String(), "go test -run XXX -bench BenchmarkVsFloor -benchtime 1s -timeout 2h ./protocol/cluster"; got != want {
		t.Errorf("project: %s\nwant     %s", got, want)
	}
	if got, want := floor[0].String(), "(cd ../shared/floor && go test -run XXX -bench 'BenchmarkProtoDES|BenchmarkSweep' -benchtime 1s -timeout 2h ./proto ./sweep)"; got != want {
		t.Errorf("floor: %s\nwant   %s", got, want)
	}
	if got, want := floor[1].String(), "(cd ../shared/floor && go test -run XXX -bench BenchmarkGoroutines -cpu 1,2 -benchtime 1s -timeout 2h ./gor)"; got != want {
		t.Errorf("gor: %s\nwant %s", got, want)
	}
	if got := (Command{Dir: "a b", Args: []string{"it's"}}).String(); got != `(cd 'a b' && 'it'\''s')` {
		t.Errorf("quoting: %s", got)
	}
}

// dirs makes a repository root and a floor directory as run expects them.
func dirs(t *testing.T) (root, floor string) {
	base := t.TempDir()
	root = filepath.Join(base, "repo")
	floor = filepath.Join(base, "shared", "floor")
	for _, d := range []string{filepath.Join(root, "protocol", "cluster"), filepath.Join(floor, "proto"), filepath.Join(floor, "sweep"), filepath.Join(floor, "gor")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(floor, "go.mod"), []byte("module perfprobe\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root, floor
}

// fake answers each command with canned output and logs what ran.
type fake struct {
	ran  []string
	fail string // a package whose go test fails
}

func (f *fake) exec(c Command) ([]byte, error) {
	last := c.Args[len(c.Args)-1]
	f.ran = append(f.ran, last)
	if last == f.fail {
		return []byte("line 1\n--- FAIL: BenchmarkVsFloor/long\n    seed 1: not OK\nFAIL\nexit status 1\n"), errors.New("exit status 1")
	}
	switch last {
	case "version":
		return []byte("go version go1.26.8 linux/amd64\n"), nil
	case "./protocol/cluster":
		return []byte(projectOut), nil
	case "./sweep":
		return []byte(floorOut), nil
	case "./gor":
		return []byte(gorOut), nil
	}
	return nil, errors.New("unexpected command " + c.String())
}

func TestRun(t *testing.T) {
	root, _ := dirs(t)
	f := &fake{}
	var stdout, stderr bytes.Buffer
	code := run([]string{"-count", "2", "-benchtime", "1x"}, &stdout, &stderr, env{root: root, exec: f.exec})
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	if got, want := strings.Join(f.ran, " "), "version ./protocol/cluster ./sweep ./gor ./protocol/cluster ./sweep ./gor"; got != want {
		t.Errorf("ran %s\nwant %s (alternating)", got, want)
	}
	out := stdout.String()
	for _, s := range []string{
		"medians of 2 rounds",
		"go version go1.26.8 linux/amd64",
		"go test -run XXX -bench BenchmarkVsFloor -benchtime 1x -timeout 2h ./protocol/cluster",
		"(cd ../shared/floor && go test -run XXX -bench 'BenchmarkProtoDES|BenchmarkSweep' -benchtime 1x",
		"-cpu 1,2 -benchtime 1x -timeout 2h ./gor)",
		"| case ", "7 of 10 targets met",
		"project BenchmarkVsFloor/default/sim-2", "floor   BenchmarkGoroutines/clients=3 ",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	if strings.Count(stderr.String(), "benchfloor: round ") != 6 {
		t.Errorf("progress:\n%s", stderr.String())
	}
}

func TestRunBenchmarkFails(t *testing.T) {
	root, _ := dirs(t)
	var stdout, stderr bytes.Buffer
	code := run(nil, &stdout, &stderr, env{root: root, exec: (&fake{fail: "./protocol/cluster"}).exec})
	if code != exitFail {
		t.Errorf("exit %d, want %d", code, exitFail)
	}
	if !strings.Contains(stderr.String(), "failed (exit status 1)") || !strings.Contains(stderr.String(), "--- FAIL: BenchmarkVsFloor/long") {
		t.Errorf("stderr lacks the output's tail:\n%s", stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("a table after a failure:\n%s", stdout.String())
	}

	// A benchmark the tables need is missing: the table is printed, the
	// exit status says so.
	f := &fake{}
	exec := func(c Command) ([]byte, error) {
		out, err := f.exec(c)
		return bytes.ReplaceAll(out, []byte("BenchmarkVsFloor/long-2"), []byte("BenchmarkVsFloor/renamed-2")), err
	}
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"-count", "1"}, &stdout, &stderr, env{root: root, exec: exec}); code != exitFail {
		t.Errorf("missing case: exit %d, want %d", code, exitFail)
	}
	if !strings.Contains(stdout.String(), "NOT MEASURED") || !strings.Contains(stderr.String(), "could not be measured") {
		t.Errorf("missing case:\n%s\n%s", stdout.String(), stderr.String())
	}
}

func TestRunBadUsage(t *testing.T) {
	root, floor := dirs(t)
	for _, args := range [][]string{
		{"-count", "0"},
		{"-count", "x"},
		{"-count", "101"},
		{"-benchtime", "soon"},
		{"-benchtime", "0x"},
		{"-nosuch"},
		{"extra"},
		{"-floor", filepath.Join(floor, "..", "nosuch")},
		{"-floor", filepath.Join(floor, "proto")}, // not the floor: no go.mod, proto, ...
	} {
		var stdout, stderr bytes.Buffer
		f := &fake{}
		code := run(args, &stdout, &stderr, env{root: root, exec: f.exec})
		if code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
		if lines := strings.Count(stderr.String(), "\n"); lines != 1 || !strings.HasPrefix(stderr.String(), "benchfloor: ") {
			t.Errorf("%q: want one line on stderr, got %q", args, stderr.String())
		}
		if len(f.ran) != 0 || stdout.Len() != 0 {
			t.Errorf("%q: ran %v, printed %q", args, f.ran, stdout.String())
		}
	}

	// Not at the repository root.
	var stderr bytes.Buffer
	if code := run(nil, &bytes.Buffer{}, &stderr, env{root: floor, exec: (&fake{}).exec}); code != exitUsage || !strings.Contains(stderr.String(), "repository root") {
		t.Errorf("not at the root: exit %d, %q", code, stderr.String())
	}

	// -h: the usage, exit 0.
	stderr.Reset()
	if code := run([]string{"-h"}, &bytes.Buffer{}, &stderr, env{root: root, exec: (&fake{}).exec}); code != exitOK || !strings.Contains(stderr.String(), "-benchtime") {
		t.Errorf("-h: exit %d, %q", code, stderr.String())
	}
}
