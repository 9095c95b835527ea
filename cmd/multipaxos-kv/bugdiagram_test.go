package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/sim/golden"
)

// TestBugDiagrams: every catalogued bug's counterexample in testdata/bugs
// has its space-time diagram beside it (NAME.svg), the picture that
// `replay -diagram NAME.svg testdata/bugs/NAME.sched` draws: the few
// events of the failure, with the markers of Phase 1, the choices and the
// stand-bys (go test ./... -update rewrites them; read them before
// committing).
func TestBugDiagrams(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "bugs", "*.sched"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".sched")
		t.Run(name, func(t *testing.T) {
			svg := filepath.Join(t.TempDir(), name+".svg")
			code, _, errs := cli(t, "replay", "-q", "-diagram", svg, file)
			assert.Equal(t, exitFail, code, "the counterexample fails a check: %s", errs)
			data, err := os.ReadFile(svg)
			require.NoError(t, err)
			golden.Check(t, strings.TrimSuffix(file, ".sched")+".svg", data)
		})
	}
}
