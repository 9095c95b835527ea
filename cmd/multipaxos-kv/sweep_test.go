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

func TestShardCount(t *testing.T) {
	for first := uint64(0); first < 6; first++ {
		for last := first; last < first+20; last++ {
			for n := uint64(1); n < 7; n++ {
				var sum uint64
				for i := uint64(0); i < n; i++ {
					want := uint64(0)
					for pos := uint64(0); pos <= last-first; pos++ {
						if pos%n == i {
							want++
						}
					}
					got := shardCount(first, last, i, n)
					require.Equal(t, want, got, "%d..%d shard %d/%d", first, last, i, n)
					sum += got
				}
				require.Equal(t, last-first+1, sum, "the shards cover the range")
			}
		}
	}
	assert.Equal(t, uint64(1<<63), shardCount(0, ^uint64(0), 1, 2), "the whole uint64 range without overflow")
}

// timing drops the wall-clock line of a sweep report.
var timing = regexp.MustCompile(`(?m)^  \d+ seeds in .*\n`)

func TestSweepClean(t *testing.T) {
	code, out, errs := cli(t, "sweep", "-seeds", "1..200", "default")
	require.Equal(t, exitOK, code, out+errs)
	assert.Contains(t, out, "sweep default: seeds 1..200, shard 0/1")
	assert.Regexp(t, `200 seeds in .*: \d+ seeds/s, \d+ events/s`, out)
	assert.Contains(t, out, "failures: 0")
	assert.Contains(t, errs, "200/200 seeds (100%), 0 failed", "progress on stderr")

	// Shards split the range: their seed counts add up.
	total := 0
	for _, sh := range []string{"0/3", "1/3", "2/3"} {
		code, out, _ := cli(t, "sweep", "-seeds", "1..200", "-shard", sh, "-linearizability=false", "kvstore")
		require.Equal(t, exitOK, code)
		m := regexp.MustCompile(`(\d+) seeds in`).FindStringSubmatch(out)
		require.NotNil(t, m, out)
		n := 0
		for _, c := range m[1] {
			n = n*10 + int(c-'0')
		}
		total += n
	}
	assert.Equal(t, 200, total)
}

// TestSweepFailures sweeps the swarm over a scenario that loses a majority of
// acceptors but still asks for liveness: most seeds fail liveness (those
// where the swarm restarts acceptor3 pass). Every
// failure must be reported with a command that reproduces it, the same
// whatever the number of workers, and the files written must reproduce it
// too.
func TestSweepFailures(t *testing.T) {
	dir := t.TempDir()
	lost := filepath.Join(dir, "lost.toml")
	require.NoError(t, os.WriteFile(lost, []byte("time_limit = \"2s\"\n[timeouts]\nclient_retries = 2\n"+
		"[[faults]]\nat = \"0s\"\ncrash = \"acceptor2\"\n[[faults]]\nat = \"0s\"\ncrash = \"acceptor3\"\n"), 0o644))
	out1 := filepath.Join(dir, "w1")
	code, rep1, _ := cli(t, "sweep", "-swarm", "-seeds", "1..60", "-workers", "1", "-out", out1, "-keep", "3", lost)
	require.Equal(t, exitFail, code, rep1)
	code, rep2, _ := cli(t, "sweep", "-swarm", "-seeds", "1..60", "-workers", "2", "-out", filepath.Join(dir, "w2"), "-keep", "3", lost)
	require.Equal(t, exitFail, code)
	norm := func(s string) string {
		s = timing.ReplaceAllString(s, "")
		s = strings.ReplaceAll(s, ", 1 workers", ", N workers")
		s = strings.ReplaceAll(s, ", 2 workers", ", N workers")
		return strings.ReplaceAll(s, filepath.Join(dir, "w2"), filepath.Join(dir, "w1"))
	}
	assert.Equal(t, norm(rep1), norm(rep2), "the report does not depend on the number of workers")
	assert.Contains(t, rep1, "liveness         failed for")
	assert.Regexp(t, `(?m)^FAIL seed \d+ \(liveness\): reproduce: multipaxos-kv sweep -swarm -seeds \d+ `+regexp.QuoteMeta(lost)+`$`, rep1,
		"past -keep, every failing seed still gets its reproducer")
	m0 := regexp.MustCompile(`failures: (\d+)`).FindStringSubmatch(rep1)
	require.NotNil(t, m0)
	assert.Equal(t, m0[1], strconv.Itoa(strings.Count(rep1, "FAIL seed ")), "every failing seed is reported")
	nFail, _ := strconv.Atoi(m0[1])
	assert.Contains(t, rep1, "  files left out: "+strconv.Itoa(nFail-3)+" failing seeds beyond -keep 3 have no files, only their reproducer\n",
		"the summary says how many failing seeds got no files")
	assert.Equal(t, 3, strings.Count(rep1, "  reproduce: "), "files and details for -keep seeds only")

	m := regexp.MustCompile(`(?m)^FAIL seed (\d+)\n  liveness: (.*)\n  reproduce: multipaxos-kv run (\S+\.toml)\n`).FindStringSubmatch(rep1)
	require.NotNil(t, m, rep1)
	seed, failure, toml := m[1], m[2], m[3]
	require.FileExists(t, toml)
	sched := strings.TrimSuffix(toml, ".toml") + ".sched"
	require.FileExists(t, sched)

	code, out, errs := cli(t, "run", "-q", toml)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, out, "liveness         "+failure, "the reproduction fails the same way")
	assert.Contains(t, errs, "check failed: liveness")
	code, rout, _ := cli(t, "replay", "-q", sched)
	assert.Equal(t, exitFail, code)
	assert.Equal(t, out, rout, "the schedule replays the same run")
	data, err := os.ReadFile(toml)
	require.NoError(t, err)
	assert.Contains(t, string(data), "seed = "+seed)
}

func TestSweepBadUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		err  string
	}{
		{[]string{"-seeds", "5..1"}, `multipaxos-kv sweep: -seeds "5..1": expected A..B with integers 0 <= A <= B, or one seed N` + "\n"},
		{[]string{"-seeds", "x"}, `multipaxos-kv sweep: -seeds "x": expected A..B with integers 0 <= A <= B, or one seed N` + "\n"},
		{[]string{"-shard", "2/2"}, `multipaxos-kv sweep: -shard "2/2": expected i/n with 0 <= i < n, e.g. 0/4` + "\n"},
		{[]string{"-shard", "1"}, `multipaxos-kv sweep: -shard "1": expected i/n with 0 <= i < n, e.g. 0/4` + "\n"},
		{[]string{"-workers", "0"}, "multipaxos-kv sweep: -workers 0: expected at least 1\n"},
		{[]string{"a", "b"}, "multipaxos-kv sweep: expected one scenario, got 2 arguments: a b\n"},
	} {
		code, out, errs := cli(t, append([]string{"sweep"}, c.args...)...)
		assert.Equal(t, exitUsage, code, "%v", c.args)
		assert.Empty(t, out)
		assert.Equal(t, c.err, errs)
	}
	code, out, _ := cli(t, "sweep", "-h")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "JOB_COMPLETION_INDEX")
}

// TestSweepMinimize: -minimize writes each failing seed's minimal schedule
// beside its schedule, and the report names both (text and JSON, the same
// whatever the number of workers); replay of the minimal one fails the
// same check. A seed that fails liveness alone has none, and says why.
func TestSweepMinimize(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "f")
	args := []string{"sweep", "-seeds", "1..2", "-bug", "reply-before-chosen", "-minimize", "-out", out, "leader-failover"}
	code, rep, errs := cli(t, append(args[:1:1], append([]string{"-workers", "1"}, args[1:]...)...)...)
	require.Equal(t, exitFail, code, errs)
	stem := filepath.Join(out, "leader-failover-seed2")
	assert.Contains(t, rep, "  wrote:     "+stem+".sched (multipaxos-kv replay "+stem+".sched)\n")
	assert.Contains(t, rep, "  wrote:     "+stem+".min.sched (minimized: multipaxos-kv replay "+stem+".min.sched)\n")
	assert.Contains(t, rep, "  wrote:     "+stem+".min.txt\n")
	assert.Regexp(t, `(?m)^  minimized: linearizability at key "a" fails in both; events 606 -> \d+, messages 627 -> \d+, faults 1 -> 0, clients 3 -> 3, requests 15 -> \d+ \(\d+ replays\)$`, rep)
	code, _, errs = cli(t, "replay", "-q", stem+".min.sched")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errs, "check failed: linearizability;")
	assert.FileExists(t, stem+".min.txt")

	_, rep2, _ := cli(t, append(args[:1:1], append([]string{"-workers", "2"}, args[1:]...)...)...)
	assert.Equal(t, timing.ReplaceAllString(strings.ReplaceAll(rep, ", 1 workers", ", 2 workers"), ""), timing.ReplaceAllString(rep2, ""))

	code, js, _ := cli(t, append(args[:1:1], append([]string{"-json"}, args[1:]...)...)...)
	require.Equal(t, exitFail, code)
	var r sweepResult
	require.NoError(t, json.Unmarshal([]byte(js), &r))
	require.Len(t, r.Failures, 1)
	fr := r.Failures[0]
	assert.Equal(t, []string{stem + ".sched", stem + ".min.sched", stem + ".min.txt"}, fr.Files)
	require.NotNil(t, fr.Minimized)
	assert.Equal(t, stem+".min.sched", fr.Minimized.Schedule)
	assert.Equal(t, `linearizability at key "a"`, fr.Minimized.Signature)
	assert.Equal(t, 606, fr.Minimized.Before.Events)
	assert.Less(t, fr.Minimized.After.Events, 100)

	lost := filepath.Join(dir, "lost.toml")
	require.NoError(t, os.WriteFile(lost, []byte("time_limit = \"2s\"\n[timeouts]\nclient_retries = 2\n"+
		"[[faults]]\nat = \"0s\"\ncrash = \"acceptor2\"\n[[faults]]\nat = \"0s\"\ncrash = \"acceptor3\"\n"), 0o644))
	code, rep, _ = cli(t, "sweep", "-seeds", "1..1", "-minimize", "-out", out, lost)
	require.Equal(t, exitFail, code)
	assert.Contains(t, rep, "  minimized: none: the schedule fails no safety check when replayed (liveness is not minimised: a shorter run always stalls)\n")

	code, rep, errs = cli(t, "sweep", "-minimize", "-minimize-tries", "0", "default")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, rep)
	assert.Equal(t, "multipaxos-kv sweep: -minimize-tries 0: must be between 1 and 1000000000\n", errs)
}
