package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

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
