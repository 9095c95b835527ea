package main

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

func TestHistogram(t *testing.T) {
	lat := []sim.Time{500 * sim.Microsecond, sim.Millisecond, 3 * sim.Millisecond, 3 * sim.Millisecond, 10 * sim.Second}
	bs := histogram(lat)
	require.Len(t, bs, len(latencyBounds)+1)
	assert.Equal(t, "< 1ms", bs[0].Label)
	assert.Equal(t, 1, bs[0].Count, "500µs")
	assert.Equal(t, "1ms–2ms", bs[1].Label)
	assert.Equal(t, 1, bs[1].Count, "exactly 1ms: a bucket holds [low, high)")
	assert.Equal(t, "2ms–5ms", bs[2].Label)
	assert.Equal(t, 2, bs[2].Count)
	assert.Equal(t, ">= 5s", bs[len(bs)-1].Label)
	assert.Equal(t, 1, bs[len(bs)-1].Count)
	assert.Equal(t, 160, bs[2].Height, "the tallest bar is full height")
	assert.Equal(t, 80, bs[0].Height)
	assert.Equal(t, "3ms", percentile(lat, 0.5))
	assert.Equal(t, "10s", percentile(lat, 1))
	assert.Equal(t, "-", percentile(nil, 0.5))
}

// TestSweepReport: the report says what the sweep covered, and its counts
// agree with the sweep.
func TestSweepReport(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "r.html")
	code, out, errs := cli(t, "sweep", "-swarm", "-seeds", "1..300", "-report", report, "leader-failover")
	require.Equal(t, exitOK, code, out+errs)
	assert.Contains(t, out, "report: "+report)
	data, err := os.ReadFile(report)
	require.NoError(t, err)
	page := string(data)
	assert.Contains(t, page, "300 seeds in")
	assert.Contains(t, page, "every seed passed every check")
	assert.NotRegexp(t, `(src|href)="https?:`, page, "offline: no fetches")
	count := func(row string) int {
		m := regexp.MustCompile(`<td>` + regexp.QuoteMeta(row) + `</td><td class="n">(\d+)</td>`).FindStringSubmatch(page)
		require.NotNil(t, m, "row %q in\n%s", row, page)
		n, _ := strconv.Atoi(m[1])
		return n
	}
	assert.Greater(t, count("Phase 1 runs"), 300, "leader1 at start in every seed, leader2 after the crash in most")
	assert.Positive(t, count("Phase 1 recoveries of accepted slots"))
	assert.Positive(t, count("client retries"))
	assert.Positive(t, count("message loss"))
	assert.Positive(t, count("crash"))
	m := regexp.MustCompile(`(\d+) answered requests`).FindStringSubmatch(page)
	require.NotNil(t, m)
	n, _ := strconv.Atoi(m[1])
	assert.Equal(t, 300*15, n, "every request answered")
}

// TestReportHistogramAxis: the labels under the latency histogram do not
// run into each other: each is short enough for the room between its
// neighbours (at 10 px, a character is taken as 6 px wide, which is
// generous for the report's sans-serif).
func TestReportHistogramAxis(t *testing.T) {
	cv := newCoverage()
	cv.seeds = 1
	for _, ms := range []int64{1, 3, 30, 150, 300, 700, 1500, 7000} {
		cv.latencies = append(cv.latencies, sim.Time(ms)*sim.Millisecond)
	}
	var b strings.Builder
	require.NoError(t, writeReport(&b, "x", sweepFlags{first: 1, last: 1, of: 1, workers: 1}, cv, nil, time.Second))
	svg := b.String()[strings.Index(b.String(), "<svg"):]
	svg = svg[:strings.Index(svg, "</svg>")+len("</svg>")]
	var doc struct {
		Texts []struct {
			X      int    `xml:"x,attr"`
			Y      int    `xml:"y,attr"`
			Anchor string `xml:"text-anchor,attr"`
			Text   string `xml:",chardata"`
		} `xml:"g>text"`
	}
	require.NoError(t, xml.Unmarshal([]byte(svg), &doc), "the histogram is well-formed SVG")
	type span struct {
		x0, x1 int
		text   string
	}
	var axis []span
	for _, tx := range doc.Texts {
		if tx.Y != 198 { // the axis's row
			continue
		}
		w := 6 * len([]rune(tx.Text))
		x0 := tx.X
		if tx.Anchor == "middle" {
			x0 -= w / 2
		}
		axis = append(axis, span{x0, x0 + w, tx.Text})
	}
	require.Len(t, axis, len(latencyBounds)+1, "a label at every bound, and 0")
	assert.Equal(t, "0", axis[0].text)
	assert.Equal(t, "1ms", axis[1].text)
	assert.Equal(t, "5s", axis[len(axis)-1].text)
	for i := 1; i < len(axis); i++ {
		assert.Less(t, axis[i-1].x1+4, axis[i].x0, "%q runs into %q", axis[i-1].text, axis[i].text)
	}
	assert.Contains(t, b.String(), "p50 300ms")
}
