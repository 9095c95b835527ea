package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/sim/golden"
)

// TestExploreTableInReadme runs every explore command of the README's table
// of tiny scenarios and checks its state count and coverage, so that the
// table cannot go stale; each search must hold every check, and give the
// same summary (speed aside) twice.
func TestExploreTableInReadme(t *testing.T) {
	if testing.Short() {
		t.Skip("searches take a few seconds")
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	rows := regexp.MustCompile("(?m)^\\| `explore ([^`]*)` \\| (\\d+) \\| ([a-z0-9 ]+) \\|$").FindAllStringSubmatch(string(readme), -1)
	require.GreaterOrEqual(t, len(rows), 6, "the README's table of explore bounds")
	for _, row := range rows {
		t.Run(row[1], func(t *testing.T) {
			args := append([]string{"explore", "-q"}, strings.Fields(row[1])...)
			code, out, errs := cli(t, args...)
			require.Equal(t, exitOK, code, "%s\n%s", out, errs)
			assert.Contains(t, out, "states:      "+row[2]+" distinct,", "the README's count")
			coverage := "coverage:    " + row[3] + ":"
			assert.Contains(t, out, coverage)
			assert.Contains(t, out, "result:      ok")
			_, again, _ := cli(t, args...)
			assert.Equal(t, withoutSpeed(out), withoutSpeed(again), "a search is deterministic")
		})
	}
}

func withoutSpeed(s string) string {
	return regexp.MustCompile(`(?m)^speed:.*$`).ReplaceAllString(s, "")
}

// TestExploreViolationReplays: a bug that explore finds yields a schedule
// that replay reproduces, failing the same check, byte for byte twice; the
// correct code passes the same search.
func TestExploreViolationReplays(t *testing.T) {
	dir := t.TempDir()
	sched := filepath.Join(dir, "v.sched")
	code, out, errs := cli(t, "explore", "-q", "-duplicates", "1", "-bug", "count-duplicate-votes", "-schedule", sched, "explore-basic")
	require.Equal(t, exitFail, code, out)
	assert.Contains(t, out, "VIOLATION:   agreement:")
	assert.Contains(t, errs, "multipaxos-kv explore: agreement failed after")
	code, first, errs := cli(t, "replay", sched)
	require.Equal(t, exitFail, code, errs)
	assert.Regexp(t, `(?m)^  agreement        leader1 applied`, first)
	assert.Contains(t, first, "liveness         not checked: the schedule stops early on purpose")
	assert.Contains(t, errs, "check failed: agreement;")
	_, second, _ := cli(t, "replay", sched)
	assert.Equal(t, first, second)
	data, err := os.ReadFile(sched)
	require.NoError(t, err)
	assert.Contains(t, string(data), `bugs = ["count-duplicate-votes"]`)

	code, out, errs = cli(t, "explore", "-q", "-duplicates", "1", "explore-basic")
	assert.Equal(t, exitOK, code, "%s\n%s", out, errs)
}

// TestExploreBadInput: bounds and scenarios explore cannot search.
func TestExploreBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		err  string
	}{
		{[]string{"-strategy", "astar"}, `-strategy "astar": expected bfs, dfs or random`},
		{[]string{"-timers", "-1"}, "-timers -1: must be between 0 and"},
		{[]string{"-timer-kinds", "alarm", "explore-basic"}, `unknown timer kind "alarm"`},
		{[]string{"-bug", "nosuch"}, `unknown bug "nosuch"`},
		{[]string{"acceptor-crash"}, "explore uses fault budgets"},
	} {
		code, out, errs := cli(t, append([]string{"explore", "-q"}, c.args...)...)
		assert.Equal(t, exitUsage, code, "%v: %s", c.args, out)
		assert.Contains(t, errs, c.err, "%v", c.args)
		assert.Equal(t, 1, strings.Count(errs, "\n"), "one line: %q", errs)
	}
}

// TestBugsCommand lists every catalogued bug with its sentence.
func TestBugsCommand(t *testing.T) {
	code, out, errs := cli(t, "bugs")
	require.Equal(t, exitOK, code, errs)
	assert.GreaterOrEqual(t, strings.Count(out, "\n"), 10, "at least ten bugs")
	assert.Regexp(t, `(?m)^accept-below-promise +acceptor, Phase 2b +the acceptor accepts`, out)
}

// TestBugGoldens keeps the README's walk-through of a catalogued bug true:
// the failing seeded run and the replay of explore's counterexample are
// golden traces in testdata/bugs (go test ./... -update rewrites them), each
// the same twice.
func TestBugGoldens(t *testing.T) {
	dir := t.TempDir()
	sched := filepath.Join(dir, "ns.sched")
	code, out, errs := cli(t, "explore", "-q", "-duplicates", "1", "-bug", "no-sessions", "-schedule", sched, "explore-basic")
	require.Equal(t, exitFail, code, "%s\n%s", out, errs)
	for _, c := range []struct {
		file string
		args []string
	}{
		{"no-sessions-lossy-seed1.txt", []string{"run", "-seed", "1", "-bug", "no-sessions", "lossy"}},
		{"no-sessions-explore.txt", []string{"replay", sched}},
	} {
		t.Run(c.file, func(t *testing.T) {
			code, out, _ := cli(t, c.args...)
			assert.Equal(t, exitFail, code, "the bug fails a check")
			_, again, _ := cli(t, c.args...)
			require.Equal(t, out, again, "two runs differ")
			cmd := strings.Join(c.args, " ")
			if c.args[0] == "replay" {
				cmd = "replay ns.sched (explore -q -duplicates 1 -bug no-sessions -schedule ns.sched explore-basic)"
			}
			golden.Check(t, filepath.Join("..", "..", "testdata", "bugs", c.file), []byte("# golden trace: multipaxos-kv "+cmd+"\n"+out))
		})
	}
}

// TestDiffCommand: diff of two schedules of the same seed, one with a bug,
// names the first differing event and exits 1; of a schedule with itself,
// exits 0; a missing file is exit 2 with one line.
func TestDiffCommand(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.sched"), filepath.Join(dir, "b.sched")
	code, _, errs := cli(t, "run", "-q", "-seed", "2", "-schedule", a, "leader-failover")
	require.Equal(t, exitOK, code, errs)
	code, _, _ = cli(t, "run", "-q", "-seed", "2", "-bug", "reply-before-chosen", "-schedule", b, "leader-failover")
	require.Equal(t, exitFail, code)

	code, out, errs := cli(t, "diff", a, b)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, out, "events:    the same for 18 events; event 19 differs:\n")
	assert.Contains(t, out, "deliver leader1#9 client3 Reply")
	assert.Equal(t, "multipaxos-kv diff: the runs differ (first at event 19)\n", errs)

	code, out, errs = cli(t, "diff", a, a)
	assert.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "events:    the same\n")

	code, _, errs = cli(t, "diff", a, filepath.Join(dir, "none.sched"))
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, 1, strings.Count(errs, "\n"), errs)
	code, _, _ = cli(t, "diff", a)
	assert.Equal(t, exitUsage, code)

	// The node states, field by field.
	c, e := filepath.Join(dir, "c.sched"), filepath.Join(dir, "e.sched")
	code, _, _ = cli(t, "run", "-q", "-seed", "3", "-schedule", c, "lossy")
	require.Equal(t, exitOK, code)
	code, _, _ = cli(t, "run", "-q", "-seed", "3", "-bug", "replica-unordered", "-schedule", e, "lossy")
	require.Equal(t, exitFail, code)
	code, out, _ = cli(t, "diff", c, e)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, out, "nodes:     just before it, these fields differ (A vs B):\n  replica1.applied: 3 vs 4\n")
}

// TestDiffTracesCommand: diff of two JSON traces (run -trace) names the
// first event and the first record where they part and the summaries'
// fields that differ, and exits 1; of a trace with itself, exits 0; a
// trace against a schedule, or a file that is not a trace, is exit 2 with
// one line.
func TestDiffTracesCommand(t *testing.T) {
	dir := t.TempDir()
	a, b, sched := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl"), filepath.Join(dir, "a.sched")
	code, _, errs := cli(t, "run", "-q", "-seed", "2", "-trace", a, "-schedule", sched, "leader-failover")
	require.Equal(t, exitOK, code, errs)
	code, _, _ = cli(t, "run", "-q", "-seed", "2", "-bug", "reply-before-chosen", "-trace", b, "leader-failover")
	require.Equal(t, exitFail, code)

	code, out, errs := cli(t, "diff", a, b)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, out, "events:    the same for 18 events; event 19 differs:\n  A: line 64: deliver leader1#7 acceptor3 Accept {")
	assert.Contains(t, out, "records:   the same for 50 records; record 51 differs, in event 18 (line 45: deliver acceptor1#1 leader1 Promise")
	assert.Contains(t, out, "leader1#9 client3 Reply")
	assert.Contains(t, out, "summary:   these fields differ (A vs B):\n")
	assert.Contains(t, out, "  ok: true vs false\n")
	assert.Equal(t, "multipaxos-kv diff: the traces differ (first at event 19, record 51)\n", errs)

	code, out, errs = cli(t, "diff", a, a)
	assert.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "events:    the same\nrecords:   the same\ntimes:     the same\n")

	bad := filepath.Join(dir, "bad.jsonl")
	require.NoError(t, os.WriteFile(bad, []byte("{\"t\":0,\"seq\":1,\"ev\":\"heal\"}\n{oops\n"), 0o644))
	for _, c := range []struct {
		args []string
		err  string
	}{
		{[]string{a, sched}, "multipaxos-kv diff: " + a + " is a JSON trace but " + sched + " is a schedule: give two schedules or two JSON traces\n"},
		{[]string{bad, a}, "multipaxos-kv diff: " + bad + ":2: not a JSON trace record: invalid character 'o' looking for beginning of object key string\n"},
	} {
		code, out, errs := cli(t, append([]string{"diff"}, c.args...)...)
		assert.Equal(t, exitUsage, code)
		assert.Empty(t, out)
		assert.Equal(t, c.err, errs)
	}
}

// TestMinimizeCommand: minimize writes a smaller schedule and its trace;
// replay of it fails the same check; a schedule that fails nothing is exit 2.
func TestMinimizeCommand(t *testing.T) {
	dir := t.TempDir()
	fail := filepath.Join(dir, "fail.sched")
	code, _, _ := cli(t, "run", "-q", "-seed", "2", "-bug", "reply-before-chosen", "-schedule", fail, "leader-failover")
	require.Equal(t, exitFail, code)
	code, out, errs := cli(t, "minimize", "-q", fail)
	require.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "minimize:  linearizability at key \"a\" fails in both\n")
	for _, line := range []string{`events:    606 -> \d+`, `messages:  627 -> \d+ sent`, `faults:    1 -> 0`, `clients:   3 -> 3`,
		`requests:  15 -> \d+ invoked \(requests_per_client 5 -> \d\)`, `workload:  keys 5 -> 1, values 100 -> 1`, `tries:     \d+ replays in .*`} {
		assert.Regexp(t, "(?m)^"+line+"$", out)
	}
	min := filepath.Join(dir, "fail.min.sched")
	assert.FileExists(t, filepath.Join(dir, "fail.min.txt"))
	code, _, errs = cli(t, "replay", "-q", min)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errs, "check failed: linearizability;")

	good := filepath.Join(dir, "good.sched")
	code, _, _ = cli(t, "run", "-q", "-schedule", good, "default")
	require.Equal(t, exitOK, code)
	code, _, errs = cli(t, "minimize", "-q", good)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "fails no safety check")
}

// TestMinimizeKeep: -keep NAME writes the regression schedule and its trace
// under testdata/regress of the current directory; a name that is a path is
// refused.
func TestMinimizeKeep(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	code, _, _ := cli(t, "run", "-q", "-seed", "2", "-bug", "reply-before-chosen", "-schedule", "fail.sched", "leader-failover")
	require.Equal(t, exitFail, code)
	code, out, errs := cli(t, "minimize", "-q", "-keep", "rbc", "fail.sched")
	require.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "wrote:     testdata/regress/rbc.sched and its trace testdata/regress/rbc.txt\n")
	assert.FileExists(t, filepath.Join(dir, "testdata", "regress", "rbc.sched"))
	assert.FileExists(t, filepath.Join(dir, "testdata", "regress", "rbc.txt"))
	code, _, errs = cli(t, "minimize", "-q", "-keep", "../x", "fail.sched")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "not a path")
}
