package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/protocol/cluster"
	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
	"github.com/multipaxos-kv/multipaxos-kv/sim/golden"
)

// cli runs the command in-process and returns its exit status and outputs.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestGoldenTraces compares the text and JSON traces of the embedded
// scenarios with testdata/ (go test ./... -update rewrites them), and checks
// that a second run gives the same bytes.
func TestGoldenTraces(t *testing.T) {
	for _, name := range scenarios.Names() {
		forms := []struct{ ext, flag string }{{"txt", ""}}
		if name == "default" || name == "kvstore" {
			forms = append(forms, struct{ ext, flag string }{"jsonl", "-json"})
		}
		for _, form := range forms {
			t.Run(name+"."+form.ext, func(t *testing.T) {
				args := []string{"run", name}
				if form.flag != "" {
					args = append(args, form.flag)
				}
				code, out, errs := cli(t, args...)
				require.Equal(t, exitOK, code, errs)
				require.Empty(t, errs)
				_, again, _ := cli(t, args...)
				require.Equal(t, out, again, "two runs with the same seed differ")
				s, err := scenarios.Load(name)
				require.NoError(t, err)
				header := fmt.Sprintf("# golden trace of scenario %s, seed %d: multipaxos-kv %s\n", name, s.Seed, strings.Join(args, " "))
				if form.flag != "" {
					header = "" // JSON lines only: every line must parse
				}
				golden.Check(t, filepath.Join("..", "..", "testdata", name+"."+form.ext), []byte(header+out))
			})
		}
	}
}

// TestJSONTraceShape checks SPEC.md's JSON-lines contract on the default run.
func TestJSONTraceShape(t *testing.T) {
	code, out, _ := cli(t, "-json")
	require.Equal(t, exitOK, code)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	var lastSeq float64
	kinds := map[sim.TraceEv]int{}
	for i, line := range lines {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "line %d: %s", i+1, line)
		require.Contains(t, rec, sim.FieldT)
		seq, ok := rec[sim.FieldSeq].(float64)
		require.True(t, ok, "line %d has no seq", i+1)
		require.Greater(t, seq, lastSeq, "seq must increase strictly")
		lastSeq = seq
		ev := sim.TraceEv(rec[sim.FieldEv].(string))
		kinds[ev]++
		switch ev {
		case sim.EvSend, sim.EvDeliver:
			require.Contains(t, rec, sim.FieldFrom)
			require.Contains(t, rec, sim.FieldTo)
			require.Contains(t, rec[sim.FieldMsg], "type")
		case sim.EvInvoke:
			require.Contains(t, rec, sim.FieldOp)
			require.Contains(t, rec, sim.FieldKey)
		case sim.EvReturn:
			require.Contains(t, rec, sim.FieldOK)
		}
	}
	var last map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &last))
	assert.Equal(t, string(sim.EvSummary), last[sim.FieldEv])
	assert.Equal(t, true, last[cluster.SummaryOK])
	assert.Equal(t, map[string]any{"agreement": "ok", "convergence": "ok", "linearizability": "ok", "exactly-once": "ok", "invariants": "ok", "liveness": "ok"}, last[cluster.SummaryChecks])
	assert.Contains(t, last[cluster.SummaryStores], "replica2")
	assert.Equal(t, 15, kinds[sim.EvInvoke], "3 clients x 5 requests")
	assert.Equal(t, 15, kinds[sim.EvReturn])
	assert.Zero(t, kinds[sim.EvDrop], "a reliable network loses nothing")
	assert.Equal(t, map[string]any{"sent": float64(kinds[sim.EvSend]), "delivered": float64(kinds[sim.EvDeliver]), "dropped": 0.0, "duplicated": 0.0, "in_flight": 0.0}, last[cluster.SummaryMessages])
}

func TestRunFlags(t *testing.T) {
	_, base, _ := cli(t, "-q")
	assert.True(t, strings.HasPrefix(base, "\n--- summary ---\n"), "-q prints only the summary:\n%s", base)
	assert.Contains(t, base, "seed 1,")

	code, out, _ := cli(t, "-q", "-seed", "7")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "seed 7,")
	_, out2, _ := cli(t, "run", "default", "--seed=7", "-q")
	assert.Equal(t, out, out2, "flags after the scenario and --flag=value work too")

	code, out, _ = cli(t, "-q", "-clients", "5")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "5 x 5 requests")

	// -pipeline and -batch override the scenario's keys: eight clients'
	// first requests wait during Phase 1 and fill two slots of four.
	code, out, _ = cli(t, "-clients", "8", "-pipeline", "2", "-batch", "4")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "[leader1] Assigning slot 1 for 4 requests at once (batch 4)")
	assert.Contains(t, out, "[leader1] Assigning slot 2 for 4 requests at once (batch 4)")
	_, plain, _ := cli(t, "-clients", "8")
	assert.NotContains(t, plain, "requests at once")
	// A failure's reproducer carries them.
	code, _, errs := cli(t, "-q", "-batch", "3", "-bug", "promise-without-accepted", "duelling-leaders")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errs, "reproduce with: multipaxos-kv run -seed 25 -bug promise-without-accepted -batch 3 duelling-leaders\n")

	code, out, _ = cli(t, "-q", "-json")
	assert.Equal(t, exitOK, code)
	assert.Equal(t, 1, strings.Count(out, "\n"), "-q -json prints the summary record only")
	assert.Contains(t, out, `"ev":"summary"`)

	dir := t.TempDir()
	trace := filepath.Join(dir, "t.jsonl")
	code, text, _ := cli(t, "-trace", trace)
	assert.Equal(t, exitOK, code)
	_, js, _ := cli(t, "-json")
	data, err := os.ReadFile(trace)
	require.NoError(t, err)
	assert.Equal(t, js, string(data), "-trace writes the same JSON as -json")
	assert.Contains(t, text, "[leader1] Phase 1")
}

func TestScheduleReplayCLI(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"default", "kvstore"} {
		sched := filepath.Join(dir, name+".sched")
		code, out, _ := cli(t, "run", "-seed", "42", "-schedule", sched, name)
		require.Equal(t, exitOK, code)
		code, rout, errs := cli(t, "replay", sched)
		require.Equal(t, exitOK, code, errs)
		assert.Equal(t, out, rout, "replay prints the same trace")
		_, js, _ := cli(t, "run", "-seed", "42", "-json", name)
		_, rjs, _ := cli(t, "replay", "-json", sched)
		assert.Equal(t, js, rjs)
	}

	// An edited schedule diverges: exit 1, naming the line.
	sched := filepath.Join(dir, "default.sched")
	data, err := os.ReadFile(sched)
	require.NoError(t, err)
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "e ") && strings.Contains(l, "deliver") {
			lines[i] = strings.Replace(l, "deliver", "deliver-edited", 1)
			break
		}
	}
	edited := filepath.Join(dir, "edited.sched")
	require.NoError(t, os.WriteFile(edited, []byte(strings.Join(lines, "\n")), 0o644))
	code, _, errs := cli(t, "replay", "-q", edited)
	assert.Equal(t, exitFail, code)
	assert.Regexp(t, `^multipaxos-kv replay: replay diverged at schedule line \d+: the schedule has "e \d+ deliver-edited `, errs)

	// A corrupt record is a parse error: exit 2 with file and line.
	corrupt := filepath.Join(dir, "corrupt.sched")
	require.NoError(t, os.WriteFile(corrupt, []byte(strings.Replace(string(data), "\nl ", "\nl x", 1)), 0o644))
	code, _, errs = cli(t, "replay", corrupt)
	assert.Equal(t, exitUsage, code)
	assert.Regexp(t, `^multipaxos-kv replay: .*corrupt.sched:\d+: latency "x\d+" is not a non-negative integer of nanoseconds\n$`, errs)

	// Not a schedule at all.
	code, _, errs = cli(t, "replay", filepath.Join("..", "..", "scenarios", "default.toml"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "not a schedule")

	code, _, errs = cli(t, "replay", filepath.Join(dir, "missing.sched"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "no such file")
}

// TestBadInput: every kind of bad input is one clear line on stderr and exit
// status 2, never a panic.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	bad := write("bad.toml", "name = \"bad\"\n[network]\nlatency_min = \"9ms\"\nlatency_max = \"2ms\"\nlag = 1\n")
	badRange := write("range.toml", "name = \"bad\"\n[network]\nlatency_min = \"9ms\"\nlatency_max = \"2ms\"\n")
	cases := []struct {
		args []string
		err  string
	}{
		{[]string{"-nope"}, "multipaxos-kv run: flag provided but not defined: -nope (see multipaxos-kv run -h)\n"},
		{[]string{"-seed", "x"}, "multipaxos-kv run: invalid value \"x\" for flag -seed: seeds are integers 0..9223372036854775807 (see multipaxos-kv run -h)\n"},
		{[]string{"no-such-scenario"}, ""},
		{[]string{filepath.Join(dir, "missing.toml")}, ""},
		{[]string{bad}, "multipaxos-kv run: " + bad + ":5: unknown key \"network.lag\" (expected one of: latency_min, latency_max, drop, duplicate)\n"},
		{[]string{badRange}, "multipaxos-kv run: " + badRange + ":3: network.latency_min: must be <= latency_max (2ms), got 9ms\n"},
		{[]string{"-clients", "-1"}, ""},
		{[]string{"-batch", "0"}, "multipaxos-kv run: -batch 0: batch: must be between 1 and 1000, got 0\n"},
		{[]string{"-pipeline", "1001"}, "multipaxos-kv run: -pipeline 1001: pipeline: must be between 1 and 1000, got 1001\n"},
		{[]string{"default", "kvstore"}, "multipaxos-kv run: expected one scenario, got 2 arguments: default kvstore\n"},
		{[]string{"replay"}, "multipaxos-kv replay: expected one schedule file, got 0 arguments\n"},
		{[]string{"scenarios", "x"}, "multipaxos-kv scenarios: unexpected argument \"x\" (scenarios takes none)\n"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, out, errs := cli(t, c.args...)
			assert.Equal(t, exitUsage, code)
			assert.Empty(t, out)
			assert.NotEmpty(t, errs)
			assert.NotContains(t, errs, "goroutine", "no stack traces")
			if c.err != "" {
				assert.Equal(t, c.err, errs)
			}
		})
	}
}

func TestHelpAndScenarios(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"help"}, {"run", "-h"}, {"replay", "-h"}, {"scenarios", "-h"}} {
		code, out, errs := cli(t, args...)
		assert.Equal(t, exitOK, code, "%v", args)
		assert.Empty(t, errs)
		assert.Contains(t, out, "multipaxos-kv", "%v", args)
	}
	_, out, _ := cli(t, "run", "-h")
	assert.Contains(t, out, "Example")
	code, out, _ := cli(t, "scenarios")
	assert.Equal(t, exitOK, code)
	assert.Regexp(t, `(?m)^default +3 acceptors, 2 replicas, 1 leader`, out)
	assert.Regexp(t, `(?m)^kvstore +`, out)
}

func TestLinPictureAndDeterminismCheck(t *testing.T) {
	dir := t.TempDir()
	html := filepath.Join(dir, "lin.html")
	code, out, errs := cli(t, "-q", "-check-determinism", "-lin", html, "default")
	require.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "linearizability  ok")
	assert.Regexp(t, `^multipaxos-kv run: determinism: two runs gave identical JSON traces \(\d+ bytes, sha256 [0-9a-f]{16}\)\n$`, errs)
	data, err := os.ReadFile(html)
	require.NoError(t, err)
	assert.Contains(t, string(data), "<html")

	// The picture marks the run's faults.
	toml := filepath.Join(dir, "crash.toml")
	require.NoError(t, os.WriteFile(toml, []byte("liveness = false\n[[faults]]\nat = \"20ms\"\ncrash = \"acceptor3\"\n"), 0o644))
	code, _, errs = cli(t, "-q", "-lin", html, toml)
	require.Equal(t, exitOK, code, errs)
	data, err = os.ReadFile(html)
	require.NoError(t, err)
	assert.Contains(t, string(data), "crash acceptor3")

	code, _, errs = cli(t, "-q", "-lin", filepath.Join(dir, "no", "such", "dir.html"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "no such file or directory")
}

// TestReadmeMatchesBinary keeps the README true: the Mermaid diagram it
// embeds is the golden one, every flag of run, replay and sweep is in its
// tables, and every embedded scenario is described.
func TestReadmeMatchesBinary(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	mmd, err := os.ReadFile(filepath.Join("..", "..", "protocol", "viz", "testdata", "default.mmd"))
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(readme), "```mermaid\n"+string(mmd)), "README embeds the golden Mermaid diagram of the default run")
	for _, cmd := range []string{"run", "replay", "sweep", "explore", "diff", "minimize"} {
		_, usage, _ := cli(t, cmd, "-h")
		for _, m := range regexp.MustCompile(`(?m)^  -([a-z-]+)`).FindAllStringSubmatch(usage, -1) {
			assert.True(t, strings.Contains(string(readme), "`-"+m[1]), "README documents %s -%s", cmd, m[1])
		}
	}
	for _, name := range scenarios.Names() {
		assert.True(t, strings.Contains(string(readme), "| `"+name+"` |"), "README describes scenario %s", name)
	}
	// Every trace line the README quotes is in a golden trace.
	var goldens strings.Builder
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "*.txt"))
	require.NoError(t, err)
	bugs, err := filepath.Glob(filepath.Join("..", "..", "testdata", "bugs", "*.txt"))
	require.NoError(t, err)
	files = append(files, bugs...)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		goldens.Write(data)
	}
	quoted := regexp.MustCompile(`(?m)^\[ *\d+\.\d{3}ms\] \[[a-z0-9]+\] .*$`).FindAllString(string(readme), -1)
	require.NotEmpty(t, quoted)
	for _, line := range quoted {
		assert.True(t, strings.Contains(goldens.String(), line+"\n"), "README quotes a trace line that no golden trace has: %s", line)
	}
}
