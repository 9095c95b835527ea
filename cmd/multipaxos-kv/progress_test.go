package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunProgress: a long run reports its progress on stderr (here every
// 65536 events, as a run does on a terminal every second), in a line that
// names the events, the virtual time and the requests answered; -q keeps
// it quiet; stdout is the same either way.
func TestRunProgress(t *testing.T) {
	defer func(d time.Duration) { runProgressEvery = d }(runProgressEvery)
	runProgressEvery = 0
	file := filepath.Join(t.TempDir(), "long.toml")
	require.NoError(t, os.WriteFile(file, []byte("name = \"long\"\ntime_limit = \"1h\"\n[workload]\nrequests_per_client = 5000\n"), 0o644))

	code, out, errs := cli(t, "-q", file)
	require.Equal(t, 0, code, errs)
	assert.Empty(t, errs, "-q: no progress")

	code, out2, errs := cli(t, "-linearizability=true", file)
	require.Equal(t, 0, code, errs)
	line := regexp.MustCompile(`(?m)^run: [0-9]+ events, virtual time [0-9.]+m?s, [0-9]+ of 15000 requests answered, [0-9]+ events/s$`)
	assert.Regexp(t, line, errs, "a progress line")
	assert.NotContains(t, out2, "run: ", "progress goes to stderr only")
	assert.Contains(t, out, "result:    ok")
}
