package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadmeDivergenceExample: the README's replay example (the default
// run's schedule with its first latency edited from 1014153 to 1000000)
// fails with the very message the README quotes, line number included.
func TestReadmeDivergenceExample(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	m := regexp.MustCompile("`(replay diverged at schedule line [0-9]+: [^`]*)`").FindSubmatch(readme)
	require.NotNil(t, m, "the README quotes a divergence")

	file := filepath.Join(t.TempDir(), "d.sched")
	code, _, errs := cli(t, "-q", "-schedule", file, "default")
	require.Equal(t, 0, code, errs)
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	edited := strings.Replace(string(data), "\nl 1014153\n", "\nl 1000000\n", 1)
	require.NotEqual(t, string(data), edited, "the schedule has the latency the README edits")
	require.NoError(t, os.WriteFile(file, []byte(edited), 0o644))
	code, _, errs = cli(t, "replay", file)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, string(m[1]))
}
