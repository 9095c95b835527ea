package main

import (
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/multipaxos-kv/multipaxos-kv/protocol/cluster"
	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// coverage is what a sweep covered: fault kinds hit, protocol paths taken,
// and the client requests' latencies. Each worker keeps its own and they are
// merged at the end, so the report does not depend on the schedule of the
// workers.
type coverage struct {
	seeds      int
	faultSeeds map[string]int // seeds whose run had this kind of fault
	paths      cluster.Paths  // summed over seeds
	pathSeeds  map[string]int // seeds where this path ran at least once
	latencies  []sim.Time     // every answered request
}

func newCoverage() *coverage {
	return &coverage{faultSeeds: map[string]int{}, pathSeeds: map[string]int{}}
}

// pathCount is one protocol path and how often it ran.
type pathCount struct {
	Name  string
	Count int
}

// pathCounts lists p's paths in a fixed order, named as the report shows them.
func pathCounts(p cluster.Paths) []pathCount {
	return []pathCount{
		{"Phase 1 runs", p.Phase1},
		{"preemptions by a higher ballot", p.Preemptions},
		{"Phase 1 recoveries of accepted slots", p.Recoveries},
		{"holes filled with Noop", p.NoopFills},
		{"Prepare/Accept re-sends", p.Resends},
		{"client redirects", p.Redirects},
		{"replica fetches", p.Fetches},
		{"client retries", p.ClientRetries},
		{"clients that gave up", p.GaveUp},
	}
}

// add records one seed's run.
func (cv *coverage) add(c *cluster.Cluster, s scenarios.Scenario, o cluster.Outcome) {
	cv.seeds++
	if s.Network.Drop > 0 {
		cv.faultSeeds["message loss"]++
	}
	if s.Network.Duplicate > 0 {
		cv.faultSeeds["duplication"]++
	}
	hit := map[string]bool{}
	for _, f := range s.Faults {
		if sim.Duration(f.At.D()) > o.Result.End {
			continue // the run ended before this fault
		}
		hit[f.Kind()] = true
	}
	for k := range hit {
		cv.faultSeeds[k]++
	}
	cv.paths.Add(o.Paths)
	for _, p := range pathCounts(o.Paths) {
		if p.Count > 0 {
			cv.pathSeeds[p.Name]++
		}
	}
	cv.latencies = c.Latencies(cv.latencies)
}

// merge adds o into cv.
func (cv *coverage) merge(o *coverage) {
	cv.seeds += o.seeds
	for k, v := range o.faultSeeds {
		cv.faultSeeds[k] += v
	}
	for k, v := range o.pathSeeds {
		cv.pathSeeds[k] += v
	}
	cv.paths.Add(o.paths)
	cv.latencies = append(cv.latencies, o.latencies...)
}

// bucket is one bar of the latency histogram.
type bucket struct {
	Label  string
	Count  int
	Height int // bar height in px
	X, Y   int
}

// latencyBounds are the histogram's upper bounds, log-spaced.
var latencyBounds = []sim.Time{
	sim.Millisecond, 2 * sim.Millisecond, 5 * sim.Millisecond, 10 * sim.Millisecond,
	20 * sim.Millisecond, 50 * sim.Millisecond, 100 * sim.Millisecond, 200 * sim.Millisecond,
	500 * sim.Millisecond, sim.Second, 2 * sim.Second, 5 * sim.Second,
}

// axisTick is a labelled tick under the histogram: a bucket boundary.
type axisTick struct {
	X     int
	Label string
}

// The histogram's geometry, in pixels: bars barW wide every barStep from
// barX0, rising from barBase.
const (
	barX0   = 10
	barW    = 54
	barStep = 62
	barBase = 180
)

// histogramAxis labels the boundaries between the buckets, "0" at the left
// and each bound at the gap after its bucket: one short label per bar's
// width, so that none runs into the next (a bucket's own range, "100ms–200ms",
// would not fit under its bar).
func histogramAxis() []axisTick {
	ticks := []axisTick{{barX0 - 4, "0"}}
	for i, b := range latencyBounds {
		ticks = append(ticks, axisTick{barX0 + (i+1)*barStep - (barStep-barW)/2, time.Duration(b).String()})
	}
	return ticks
}

// histogram sorts the latencies and buckets them.
func histogram(lat []sim.Time) []bucket {
	slices.Sort(lat)
	bs := make([]bucket, len(latencyBounds)+1)
	lo := sim.Time(0)
	for i, hi := range latencyBounds {
		bs[i].Label = "< " + time.Duration(hi).String()
		if i > 0 {
			bs[i].Label = time.Duration(lo).String() + "–" + time.Duration(hi).String()
		}
		lo = hi
	}
	bs[len(bs)-1].Label = ">= " + time.Duration(lo).String()
	for _, l := range lat {
		// Bucket i holds [bounds[i-1], bounds[i]).
		i, found := slices.BinarySearch(latencyBounds, l)
		if found {
			i++
		}
		bs[i].Count++
	}
	most := 1
	for _, b := range bs {
		most = max(most, b.Count)
	}
	for i := range bs {
		bs[i].Height = 160 * bs[i].Count / most
		bs[i].X = barX0 + i*barStep
		bs[i].Y = barBase - bs[i].Height
	}
	return bs
}

// percentile of sorted latencies, to the microsecond.
func percentile(sorted []sim.Time, p float64) string {
	if len(sorted) == 0 {
		return "-"
	}
	i := min(len(sorted)-1, int(p*float64(len(sorted))))
	return time.Duration(sorted[i]).Round(time.Microsecond).String()
}

// reportData is what the report template shows.
type reportData struct {
	Title    string
	Mode     string
	Range    string
	Seeds    int
	Failures []seedFailure
	Elapsed  string
	Rate     string
	Faults   []pathCount
	Paths    []struct {
		Name         string
		Count, Seeds int
	}
	Buckets            []bucket
	Ticks              []axisTick
	AxisEnd            int
	Requests           int
	P50, P90, P99, Max string
}

// writeReport writes the sweep's HTML report: one offline page.
func writeReport(w io.Writer, name string, f sweepFlags, cv *coverage, failures []seedFailure, elapsed time.Duration) error {
	d := reportData{
		Title:    "multipaxos-kv sweep " + name,
		Range:    fmt.Sprintf("seeds %d..%d, shard %d/%d, %d workers", f.first, f.last, f.shard, f.of, f.workers),
		Seeds:    cv.seeds,
		Failures: failures,
		Elapsed:  elapsed.Round(time.Millisecond).String(),
		Rate:     fmt.Sprintf("%.0f seeds/s", float64(cv.seeds)/max(elapsed.Seconds(), 1e-9)),
		Buckets:  histogram(cv.latencies),
		Ticks:    histogramAxis(),
		AxisEnd:  barX0 + (len(latencyBounds)+1)*barStep,
		Requests: len(cv.latencies),
	}
	if f.swarm {
		d.Mode = "swarm: each seed draws its network and faults"
	}
	for _, k := range []string{"message loss", "duplication", "crash", "restart", "partition", "heal", "cut", "hold"} {
		d.Faults = append(d.Faults, pathCount{k, cv.faultSeeds[k]})
	}
	for _, p := range pathCounts(cv.paths) {
		d.Paths = append(d.Paths, struct {
			Name         string
			Count, Seeds int
		}{p.Name, p.Count, cv.pathSeeds[p.Name]})
	}
	d.P50, d.P90, d.P99 = percentile(cv.latencies, 0.5), percentile(cv.latencies, 0.9), percentile(cv.latencies, 0.99)
	d.Max = percentile(cv.latencies, 1)
	return reportTemplate.Execute(w, d)
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"join": strings.Join,
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#1a7f37;font-weight:bold}.fail{color:#c62828;font-weight:bold}
code{background:#f6f6f6;padding:1px 4px}
</style></head><body>
<h1>{{.Title}}</h1>
<p>{{.Range}}{{if .Mode}}; {{.Mode}}{{end}}.<br>{{.Seeds}} seeds in {{.Elapsed}} ({{.Rate}}).
{{if .Failures}}<span class="fail">{{len .Failures}} failing seeds</span>{{else}}<span class="ok">every seed passed every check</span>{{end}}</p>

<h2>Faults covered</h2>
<table><tr><th>fault</th><th>seeds that had it</th></tr>
{{range .Faults}}<tr><td>{{.Name}}</td><td class="n">{{.Count}}</td></tr>
{{end}}</table>

<h2>Protocol paths</h2>
<table><tr><th>path</th><th>times</th><th>seeds</th></tr>
{{range .Paths}}<tr><td>{{.Name}}</td><td class="n">{{.Count}}</td><td class="n">{{.Seeds}}</td></tr>
{{end}}</table>

<h2>Client request latency (virtual time)</h2>
<p>{{.Requests}} answered requests: p50 {{.P50}}, p90 {{.P90}}, p99 {{.P99}}, max {{.Max}}.</p>
<svg xmlns="http://www.w3.org/2000/svg" width="830" height="236" role="img" aria-label="latency histogram" font-family="system-ui,sans-serif">
{{range .Buckets}}<g class="bar"><rect x="{{.X}}" y="{{.Y}}" width="54" height="{{.Height}}" fill="#4a78c2"><title>{{.Label}}: {{.Count}}</title></rect>
<text x="{{.X}}" y="{{.Y}}" dy="-3" font-size="11">{{.Count}}</text></g>
{{end}}<g class="axis"><line x1="{{(index .Ticks 0).X}}" y1="180" x2="{{.AxisEnd}}" y2="180" stroke="#555"/>
{{range .Ticks}}<line x1="{{.X}}" y1="180" x2="{{.X}}" y2="185" stroke="#555"/><text class="tick" x="{{.X}}" y="198" font-size="10" text-anchor="middle">{{.Label}}</text>
{{end}}<text x="{{(index .Ticks 0).X}}" y="222" font-size="11" fill="#444">latency in virtual time: a bar counts the requests between the ticks either side of it (the last, those of 5s or more); hover a bar for its range</text></g>
</svg>

<h2>Failures</h2>
{{if .Failures}}<table><tr><th>seed</th><th>failed checks</th><th>reproduce</th></tr>
{{range .Failures}}<tr><td class="n">{{.Seed}}</td><td>{{join .Checks "; "}}</td><td><code>{{.Repro}}</code>{{range .Files}}<br><code>{{.}}</code>{{end}}</td></tr>
{{end}}</table>{{else}}<p>None.</p>{{end}}
</body></html>
`))
