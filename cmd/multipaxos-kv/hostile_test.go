//go:build unix

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
)

// TestHostileInput feeds the CLI what a careless or hostile user would, one
// class of issue 9 after another: sizes, special files, virtual time past
// int64, seeds out of range, names that are paths, unwritable outputs, and
// unknown commands. Every one must be refused quickly, before any run, with
// exit status 2 and exactly one line on stderr that names the file, field
// or flag, and never a panic.
func TestHostileInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	sparse := func(name string, size int64) string {
		p := write(name, "")
		require.NoError(t, os.Truncate(p, size)) // no disk, no memory
		return p
	}
	fifo := filepath.Join(dir, "fifo.toml")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	schedFIFO := filepath.Join(dir, "fifo.sched")
	require.NoError(t, syscall.Mkfifo(schedFIFO, 0o644))
	aFile := write("plain", "x")
	missing := filepath.Join(dir, "missing")

	manyClients := write("clients.toml", "[nodes]\nclients = 100000000\n")
	manyKeys := write("keys.toml", "[workload]\nkeys = ["+strings.Repeat(`"k", `, scenarios.MaxKeys+1)+"]\n")
	longKey := write("longkey.toml", "[workload]\nkeys = [\""+strings.Repeat("k", scenarios.MaxKeyLen+1)+"\"]\n")
	manyFaults := write("faults.toml", "faults = ["+strings.Repeat(`{ at = "1ms", heal = true }, `, scenarios.MaxFaults+1)+"]\n")
	manyEvents := write("events.toml", "max_events = 2000000000\n")
	bigScenario := sparse("big.toml", scenarios.MaxFileSize+1)
	bigSchedule := sparse("big.sched", maxScheduleSize+1)
	bigTrace := sparse("big.jsonl", maxTraceSize+1)
	overflow := write("overflow.toml", "time_limit = \"2000000h\"\n")
	overflowSum := write("overflow-sum.toml", "[network]\nlatency_min = \"1ms\"\nlatency_max = \"2562047h\"\n")
	bigSeed := write("seed.toml", "seed = 9223372036854775808\n")
	escaped := write("escaped.toml", "name = \"../../escaped\"\n")
	subdir := write("subdir.toml", "name = \"sub/dir\"\n")

	re := regexp.QuoteMeta
	cases := []struct {
		class string
		args  []string
		err   string // a regular expression for the one line, after "multipaxos-kv CMD: "
	}{
		// 1. Sizes are checked before any work.
		{"sizes", []string{"-clients", "100000000"}, `-clients 100000000: nodes\.clients: must be between 0 and 10000, got 100000000`},
		{"sizes", []string{manyClients}, re(manyClients) + `:2: nodes\.clients: must be between 0 and 10000, got 100000000`},
		{"sizes", []string{"sweep", "-clients", "1"}, `flag provided but not defined: -clients`},
		{"sizes", []string{manyKeys}, re(manyKeys) + `:2: workload\.keys: must list at most 10000 keys, got 10001`},
		{"sizes", []string{longKey}, re(longKey) + `:2: workload\.keys\[0\]: must be at most 256 bytes long, got 257 bytes`},
		{"sizes", []string{manyFaults}, re(manyFaults) + `:1: faults: must have at most 10000 entries, got 10001`},
		{"sizes", []string{manyEvents}, re(manyEvents) + `:1: max_events: must be between 1 and 1000000000, got 2000000000`},
		{"sizes", []string{bigScenario}, re(bigScenario) + `: cannot read the scenario: too large: 1048577 bytes \(limit 1048576\)`},
		{"sizes", []string{"replay", bigSchedule}, re(bigSchedule) + `: cannot read the schedule: too large: 134217729 bytes \(limit 134217728\)`},
		{"sizes", []string{"diff", bigTrace, bigTrace}, re(bigTrace) + `: cannot read the schedule or trace: too large: 268435457 bytes \(limit 268435456\)`},
		{"sizes", []string{"sweep", "-workers", "100000000"}, `-workers 100000000: expected at most 1024 \(limit 1024\)`},
		// 2. Special files are refused, never read or opened.
		{"special files", []string{"/dev/zero"}, `/dev/zero: cannot read the scenario: not a regular file \(a character device\)`},
		{"special files", []string{"replay", "/dev/urandom"}, `/dev/urandom: cannot read the schedule: not a regular file \(a character device\)`},
		{"special files", []string{"replay", "/dev/zero"}, `/dev/zero: cannot read the schedule: not a regular file`},
		{"special files", []string{fifo}, re(fifo) + `: cannot read the scenario: not a regular file \(a named pipe\)`},
		{"special files", []string{"diff", schedFIFO, bigTrace}, re(schedFIFO) + `: cannot read the schedule or trace: not a regular file \(a named pipe\)`},
		{"special files", []string{"diff", "/dev/zero", "/dev/zero"}, `/dev/zero: cannot read the schedule or trace: not a regular file`},
		{"special files", []string{"sweep", fifo}, re(fifo) + `: cannot read the scenario: not a regular file \(a named pipe\)`},
		{"special files", []string{"replay", schedFIFO}, re(schedFIFO) + `: cannot read the schedule: not a regular file \(a named pipe\)`},
		{"special files", []string{dir + "/"}, re(dir) + `/: cannot read the scenario: not a regular file \(a directory\)`},
		// 3. Virtual time never overflows.
		{"virtual time", []string{overflow}, re(overflow) + `:1: time_limit: must be at most 10000h, so that virtual time cannot overflow, got 2000000h0m0s`},
		{"virtual time", []string{overflowSum}, re(overflowSum) + `:3: network\.latency_max: must be at most 10000h, so that virtual time cannot overflow, got 2562047h0m0s`},
		// 4. One range of seeds everywhere.
		{"seeds", []string{"-seed", "18446744073709551615"}, `invalid value "18446744073709551615" for flag -seed: seeds are integers 0\.\.9223372036854775807`},
		{"seeds", []string{"-seed", "-1"}, `invalid value "-1" for flag -seed: seeds are integers 0\.\.9223372036854775807`},
		{"seeds", []string{"sweep", "-seeds", "1..18446744073709551615"}, `-seeds "1\.\.18446744073709551615": seeds are integers 0\.\.9223372036854775807`},
		{"seeds", []string{"sweep", "-seeds", "-1"}, `-seeds "-1": seeds are integers 0\.\.9223372036854775807`},
		{"seeds", []string{"sweep", "-guided", "-shard", "1/2"}, `-guided with -shard 1/2: a guided sweep steers by every run before, so it cannot be split`},
		{"seeds", []string{bigSeed}, re(bigSeed) + `:1: 9223372036854775808 is out of range for int64 \(TOML integers are signed 64-bit`},
		// 5. Names are not paths.
		{"names", []string{escaped}, re(escaped) + `:1: name: must be 1 to 100 letters, digits, '-', '_' or '\.', not starting with '\.' \(it names files\), got "\.\./\.\./escaped"`},
		{"names", []string{"sweep", "-out", filepath.Join(dir, "out"), escaped}, re(escaped) + `:1: name: must be`},
		{"names", []string{"sweep", subdir}, re(subdir) + `:1: name: must be 1 to 100 letters, digits, '-', '_' or '\.', not starting with '\.' \(it names files\), got "sub/dir"`},
		// 7. Outputs are checked before the run.
		{"outputs", []string{"-diagram", filepath.Join(missing, "x.svg")}, `-diagram ` + re(filepath.Join(missing, "x.svg")) + `: cannot create: no such file or directory`},
		{"outputs", []string{"-trace", filepath.Join(missing, "t.jsonl")}, `-trace .*: cannot create: no such file or directory`},
		{"outputs", []string{"-schedule", filepath.Join(missing, "s.sched")}, `-schedule .*: cannot create: no such file or directory`},
		{"outputs", []string{"-lin", filepath.Join(missing, "l.html")}, `-lin .*: cannot create: no such file or directory`},
		{"outputs", []string{"-shiviz", filepath.Join(aFile, "x.log")}, `-shiviz .*: cannot write: not a directory`},
		{"outputs", []string{"-timeline", dir}, `-timeline .*: is a directory, expected a file to write`},
		{"outputs", []string{"-lin", "x.svg"}, `-lin "x\.svg": the linearizability picture is an HTML page, expected a \.html file`},
		{"outputs", []string{"replay", "-diagram", filepath.Join(missing, "x.svg"), bigSchedule}, `-diagram .*: cannot create: no such file or directory`},
		{"outputs", []string{"sweep", "-report", filepath.Join(missing, "r.html")}, `-report .*: cannot create: no such file or directory`},
		{"outputs", []string{"sweep", "-out", filepath.Join(aFile, "out")}, `-out .*: not a directory`},
		{"outputs", []string{"sweep", "-out", aFile}, `-out .*: not a directory`},
		{"outputs", []string{"sweep", "-keep", "-1"}, `-keep -1: expected a number of failing seeds >= 0`},
		// 10. Commands.
		{"commands", []string{"help", "nope"}, `unknown command "nope"`},
		{"commands", []string{"scenarios", "-show", "nope"}, `-show "nope": no such embedded scenario`},
		{"commands", []string{"version", "x"}, `unexpected argument "x"`},
	}
	for _, c := range cases {
		t.Run(c.class+": "+strings.Join(c.args, " "), func(t *testing.T) {
			type result struct {
				code     int
				out, err string
			}
			done := make(chan result, 1)
			start := time.Now()
			go func() {
				var r result
				r.code, r.out, r.err = cli(t, c.args...)
				done <- r
			}()
			var r result
			select {
			case r = <-done:
			case <-time.After(20 * time.Second):
				t.Fatalf("still running after 20s")
			}
			assert.Less(t, time.Since(start), 5*time.Second, "refused before any work")
			assert.Equal(t, exitUsage, r.code)
			assert.Empty(t, r.out)
			assert.NotContains(t, r.err, "goroutine")
			assert.NotContains(t, r.err, "panic:")
			assert.Equal(t, 1, strings.Count(r.err, "\n"), "exactly one line: %q", r.err)
			assert.Regexp(t, `^multipaxos-kv [a-z]+: `+c.err, r.err)
		})
	}
	// Nothing was left behind by the output checks, nor written outside -out.
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.NotContains(t, []string{"missing", "out", "escaped", "sub"}, e.Name())
	}
	_, err = os.Stat(filepath.Join(filepath.Dir(filepath.Dir(dir)), "escaped-seed1.sched"))
	assert.True(t, os.IsNotExist(err))
}

// TestConveniences covers version, help COMMAND, scenarios -show and
// sweep -json.
func TestConveniences(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		code, out, errs := cli(t, args...)
		assert.Equal(t, exitOK, code, "%v", args)
		assert.Empty(t, errs)
		assert.Regexp(t, `^multipaxos-kv \S+ revision \S+.* go\S+\n$`, out, "%v", args)
	}
	for _, cmd := range []string{"run", "replay", "sweep", "scenarios", "version"} {
		code, out, errs := cli(t, "help", cmd)
		assert.Equal(t, exitOK, code, cmd)
		assert.Empty(t, errs)
		_, direct, _ := cli(t, cmd, "-h")
		assert.Equal(t, direct, out, "help %s prints %s -h", cmd, cmd)
		assert.Regexp(t, `^Usage: multipaxos-kv \[?`+cmd, out)
	}

	code, out, _ := cli(t, "scenarios", "-show", "lossy")
	assert.Equal(t, exitOK, code)
	want, _ := scenarios.Embedded("lossy")
	assert.Equal(t, string(want), out)

	dir := t.TempDir()
	lost := filepath.Join(dir, "lost.toml")
	require.NoError(t, os.WriteFile(lost, []byte("time_limit = \"1s\"\n[timeouts]\nclient_retries = 1\n"+
		"[[faults]]\nat = \"0s\"\ncrash = \"acceptor2\"\n[[faults]]\nat = \"0s\"\ncrash = \"acceptor3\"\n"), 0o644))
	code, out, _ = cli(t, "sweep", "-json", "-seeds", "1..3", "-workers", "1", "-linearizability=false", "-keep", "1", "-out", filepath.Join(dir, "out"), lost)
	assert.Equal(t, exitFail, code)
	var r sweepResult
	require.NoError(t, json.Unmarshal([]byte(out), &r), out)
	assert.Equal(t, 1, strings.Count(out, "\n"), "one JSON object")
	assert.Equal(t, seedSpan{1, 3}, r.Seeds)
	assert.Equal(t, uint64(3), r.Run)
	assert.Equal(t, 3, r.Failed)
	assert.False(t, r.OK)
	assert.Equal(t, map[string]int{"liveness": 3}, r.FailedChecks)
	assert.Equal(t, 2, r.FilesLeftOut)
	require.Len(t, r.Failures, 3)
	assert.Equal(t, "multipaxos-kv run -seed 1 -linearizability=false "+lost, r.Failures[0].Reproduce, "the reproducer runs the checks the sweep ran")
	assert.Equal(t, "liveness", r.Failures[0].Checks[0].Name)
	assert.Equal(t, []string{filepath.Join(dir, "out", "lost-seed1.sched")}, r.Failures[0].Files)
	assert.FileExists(t, r.Failures[0].Files[0])
	assert.Empty(t, r.Failures[1].Files, "beyond -keep: no files")

	clean := filepath.Join(dir, "clean")
	code, out, _ = cli(t, "sweep", "-json", "-seeds", "1..5", "-linearizability=false", "-out", clean, "kvstore")
	assert.Equal(t, exitOK, code)
	require.NoError(t, json.Unmarshal([]byte(out), &r), out)
	assert.True(t, r.OK)
	assert.Equal(t, []failureResult{}, r.Failures)
	assert.NoDirExists(t, clean, "checking -out before the sweep leaves no directory behind")
}

// TestFailureFilesStayInOut: even a scenario whose name was never validated
// cannot make a sweep write outside -out.
func TestFailureFilesStayInOut(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "a", "out")
	base := scenarios.Default()
	base.Name = "../../escaped"
	fl := seedFailure{Seed: 1}
	require.NoError(t, writeFailure(base, "x", sweepFlags{out: out}, &fl))
	assert.Equal(t, []string{filepath.Join(out, "escaped-seed1.sched")}, fl.Paths)
	assert.FileExists(t, fl.Paths[0])
	assert.NoFileExists(t, filepath.Join(dir, "escaped-seed1.sched"))
}
