package main

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Result is one line of `go test -bench` output: a benchmark's name, the
// GOMAXPROCS it ran with (its "-N" suffix; 1 when there is none), its
// iteration count and every metric it reported, by unit ("ns/op",
// "B/op", and custom ones such as "ns/msg").
type Result struct {
	Pkg     string // from the preceding "pkg:" line, if any
	Name    string // without the -N suffix, e.g. "BenchmarkProtoDES/clients=3/heap4"
	Procs   int
	N       int64
	Metrics map[string]float64
}

// Parse reads the benchmark lines of `go test -bench` output and ignores
// every other line (goos:, PASS, ok, log output). A benchmark line is
// "BenchmarkNAME[-PROCS] N (VALUE UNIT)+", whitespace-separated, as the
// testing package prints it; a line that does not have that shape (an
// interleaved log line starting with "Benchmark", a truncated line) is
// skipped rather than misread.
func Parse(out []byte) []Result {
	var rs []Result
	pkg := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		if r, ok := parseLine(line); ok {
			r.Pkg = pkg
			rs = append(rs, r)
		}
	}
	return rs
}

func parseLine(line string) (Result, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || len(f)%2 != 0 || !strings.HasPrefix(f[0], "Benchmark") {
		return Result{}, false
	}
	n, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || n <= 0 {
		return Result{}, false
	}
	name, procs := splitProcs(f[0])
	r := Result{Name: name, Procs: procs, N: n, Metrics: make(map[string]float64, (len(f)-2)/2)}
	for i := 2; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return Result{}, false
		}
		r.Metrics[f[i+1]] = v
	}
	return r, true
}

// splitProcs splits the "-N" GOMAXPROCS suffix the testing package adds to
// a benchmark's name when GOMAXPROCS is not 1. (A sub-benchmark whose own
// name ends in "-digits" would be misread; none of the ones read here does.)
func splitProcs(s string) (string, int) {
	i := strings.LastIndexByte(s, '-')
	if i < 0 || i == len(s)-1 {
		return s, 1
	}
	p, err := strconv.Atoi(s[i+1:])
	if err != nil || p <= 0 || s[i+1] == '+' {
		return s, 1
	}
	return s[:i], p
}

// Median is the median of xs (the mean of the middle two for an even
// count); ok is false for none.
func Median(xs []float64) (m float64, ok bool) {
	if len(xs) == 0 {
		return 0, false
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	h := len(s) / 2
	if len(s)%2 == 1 {
		return s[h], true
	}
	return (s[h-1] + s[h]) / 2, true
}

// Series holds every round's results, in order, and answers medians.
type Series []Result

// values returns, per GOMAXPROCS, the values f derives from each result
// named name (f returns false when a metric is missing).
func (s Series) values(name string, f func(map[string]float64) (float64, bool)) (map[int][]float64, error) {
	by := map[int][]float64{}
	found := false
	for _, r := range s {
		if r.Name != name {
			continue
		}
		found = true
		v, ok := f(r.Metrics)
		if !ok {
			return nil, fmt.Errorf("%s: a metric is missing from its output", name)
		}
		by[r.Procs] = append(by[r.Procs], v)
	}
	if !found {
		return nil, fmt.Errorf("%s: not in the output", name)
	}
	return by, nil
}

// Best is the lowest, over the GOMAXPROCS values name ran with, of the
// median of f's values; it also says at which GOMAXPROCS, how many values
// that median is of, and how many GOMAXPROCS values there were.
func (s Series) Best(name string, f func(map[string]float64) (float64, bool)) (best float64, procs, n, groups int, err error) {
	by, err := s.values(name, f)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	first := true
	for _, p := range slices.Sorted(maps.Keys(by)) {
		m, _ := Median(by[p])
		if first || m < best {
			best, procs, n, first = m, p, len(by[p]), false
		}
	}
	return best, procs, n, len(by), nil
}

// metric returns f for one reported unit.
func metric(unit string) func(map[string]float64) (float64, bool) {
	return func(m map[string]float64) (float64, bool) {
		v, ok := m[unit]
		return v, ok
	}
}

// perMsg is ns/op ÷ msgs/req: the floor's ProtoDES reports per request
// (b.N counts requests) and its messages per request.
func perMsg(m map[string]float64) (float64, bool) {
	ns, ok1 := m["ns/op"]
	mr, ok2 := m["msgs/req"]
	if !ok1 || !ok2 || mr <= 0 {
		return 0, false
	}
	return ns / mr, true
}
