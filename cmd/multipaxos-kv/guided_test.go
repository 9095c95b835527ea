package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// guidedJSON runs a sweep with -json and decodes its result.
func guidedJSON(t *testing.T, args ...string) sweepResult {
	t.Helper()
	_, out, errs := cli(t, append([]string{"sweep", "-json"}, args...)...)
	var r sweepResult
	require.NoError(t, json.Unmarshal([]byte(out), &r), out+errs)
	return r
}

// TestSweepGuidedDeterministic: the runs of a guided sweep do not depend on
// -workers, and a shorter budget runs a prefix of a longer one.
func TestSweepGuidedDeterministic(t *testing.T) {
	args := []string{"-guided", "-keep", "0", "-bug", "accept-below-promise", "duelling-leaders"}
	one := guidedJSON(t, append([]string{"-seeds", "1..200", "-workers", "1"}, args...)...)
	two := guidedJSON(t, append([]string{"-seeds", "1..200", "-workers", "2"}, args...)...)
	assert.True(t, one.Guided && one.Swarm)
	assert.Equal(t, one.Coverage, two.Coverage)
	assert.Equal(t, one.Failures, two.Failures)
	assert.Equal(t, one.Events, two.Events)
	require.NotZero(t, one.FirstFailureRun)
	assert.Equal(t, one.Coverage.Combinations, one.Coverage.Corpus, "every new combination is kept")

	short := guidedJSON(t, append([]string{"-seeds", "1.." + strconv.FormatUint(one.FirstFailureRun, 10)}, args...)...)
	require.Len(t, short.Failures, 1)
	assert.Equal(t, one.Failures[0], short.Failures[0], "the reproducer's shorter sweep ends with the same failing run")
	assert.Contains(t, one.Failures[0].Mutations, "guided run ")
}

// TestSweepGuidedFailureReplays: a guided failure's scenario is written as
// TOML and running it fails the same check.
func TestSweepGuidedFailureReplays(t *testing.T) {
	out := t.TempDir()
	code, text, errs := cli(t, "sweep", "-guided", "-seeds", "1..40", "-out", out, "-bug", "accept-below-promise", "duelling-leaders")
	require.Equal(t, exitFail, code, text+errs)
	assert.Contains(t, text, "sweep duelling-leaders (guided): seeds 1..40")
	assert.Regexp(t, `coverage: \d+ path combinations, corpus \d+; never taken: `, text)
	assert.Contains(t, text, "failures: 1 (first at run 40)")
	assert.Contains(t, text, "FAIL run 40\n  scenario: guided run 40 of duelling-leaders: swarm seed ")
	toml := filepath.Join(out, "duelling-leaders-guided-40.toml")
	assert.Contains(t, text, "reproduce: multipaxos-kv run "+toml+"\n")
	_, err := os.Stat(toml)
	require.NoError(t, err)
	code, text, errs = cli(t, "run", "-q", toml)
	assert.Equal(t, exitFail, code, text+errs)
	assert.Contains(t, text+errs, "agreement")
}

// TestSweepCoverageUnguided: an ordinary sweep reports its coverage too.
func TestSweepCoverageUnguided(t *testing.T) {
	r := guidedJSON(t, "-swarm", "-seeds", "1..50", "default")
	assert.False(t, r.Guided)
	assert.Positive(t, r.Coverage.Combinations)
	assert.Zero(t, r.Coverage.Corpus)
	assert.Zero(t, r.FirstFailureRun)
	assert.NotNil(t, r.Coverage.NeverTaken)
}

// TestReadmeGuidedTable re-measures the README's table of guided against
// unguided sweeps: for each bug, the run of the first failure and the path
// combinations reached in the same budget.
func TestReadmeGuidedTable(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	budget := regexp.MustCompile("(?i)guided and unguided sweeps of `-seeds (1\\.\\.\\d+)`").FindSubmatch(readme)
	require.NotNil(t, budget, "README names the budget")
	row := regexp.MustCompile("(?m)^\\| `([a-z-]+)` \\| `([a-z-]+)` \\| (run \\d+|none), (\\d+) \\| (run \\d+|none), (\\d+) \\|$")
	rows := row.FindAllSubmatch(readme, -1)
	require.GreaterOrEqual(t, len(rows), 3, "README has the guided table")
	show := func(r sweepResult) string {
		first := "none"
		if r.FirstFailureRun > 0 {
			first = "run " + strconv.FormatUint(r.FirstFailureRun, 10)
		}
		return first + ", " + strconv.Itoa(r.Coverage.Combinations)
	}
	for _, m := range rows {
		bug, scen := string(m[1]), string(m[2])
		t.Run(bug+"/"+scen, func(t *testing.T) {
			for i, mode := range []string{"-swarm", "-guided"} {
				r := guidedJSON(t, mode, "-seeds", string(budget[1]), "-keep", "0", "-bug", bug, scen)
				want := string(m[3+2*i]) + ", " + string(m[4+2*i])
				assert.Equal(t, want, show(r), "%s %s", mode, strings.Join([]string{bug, scen}, " "))
			}
		})
	}
}
