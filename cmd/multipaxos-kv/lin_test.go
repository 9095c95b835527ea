package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestLinFlags: run, replay and sweep take -lin-budget, run and replay
// -linearizability (sweep's switch); a run is proven by its log order, so
// even a budget of one step gives ok; a budget out of range is bad usage.
func TestLinFlags(t *testing.T) {
	code, out, _ := cli(t, "-q", "-lin-budget", "1")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "linearizability  ok")

	code, out, _ = cli(t, "run", "-q", "-linearizability=false")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "linearizability  skipped")

	for _, args := range [][]string{{"run", "-lin-budget", "0"}, {"sweep", "-seeds", "1", "-lin-budget", "-5"}, {"replay", "-lin-budget", "0", "x.sched"}} {
		code, _, errs := cli(t, args...)
		assert.Equal(t, exitUsage, code, "%v", args)
		assert.Contains(t, errs, "-lin-budget", "%v", args)
	}

	dir := t.TempDir()
	code, _, errs := cli(t, "-q", "-linearizability=false", "-lin", filepath.Join(dir, "lin.html"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "-linearizability=false skips")

	sched := filepath.Join(dir, "run.sched")
	code, _, _ = cli(t, "-q", "-schedule", sched)
	assert.Equal(t, 0, code)
	code, out, _ = cli(t, "replay", "-q", "-lin-budget", "1", sched)
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "linearizability  ok")

	code, _, _ = cli(t, "sweep", "-seeds", "1..3", "-lin-budget", "1", "-out", dir)
	assert.Equal(t, 0, code)
}
