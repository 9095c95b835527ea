package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/check"
	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// TestBugCounterexamples: every catalogued bug has its counterexample in
// testdata/bugs (written by the bug searches' tests with -update): replayed
// strictly, with the bug its header switches on, it fails the check its last
// record names, byte for byte the trace kept beside it; replayed leniently
// without the bug, every safety check holds.
func TestBugCounterexamples(t *testing.T) {
	for _, b := range protocol.Catalogue {
		t.Run(b.Name, func(t *testing.T) {
			file := filepath.Join("..", "..", "testdata", "bugs", b.Name+".sched")
			s := checkKept(t, file)
			require.Equal(t, []string{b.Name}, s.Bugs, "the header switches the bug on")
		})
	}
}

// TestRegressionSchedules: every schedule kept with minimize -keep in
// testdata/regress holds to the same promise as the bugs' counterexamples:
// it still fails its check with the bugs its header names, and without
// them every safety check holds, replayed leniently (events that the code
// no longer produces are skipped), and at least half of its events still
// run: the path it was kept for is still reached.
func TestRegressionSchedules(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "regress", "*.sched"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "the regression files are there")
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) { checkKept(t, file) })
	}
}

// checkKept replays a kept failing schedule strictly, with the bugs its
// header switches on (it must fail the check its last record names, and
// print the trace kept beside it), and leniently without them (every safety
// check must hold). It returns the schedule's scenario.
func checkKept(t *testing.T, file string) scenarios.Scenario {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err, "the counterexample is kept")
	s, recs, err := ParseSchedule(data, file)
	require.NoError(t, err)
	last := recs[len(recs)-1]
	require.Equal(t, sim.RecStop, last.Kind, "the schedule stops where the check fails")
	want, _, _ := strings.Cut(last.Text, " ")

	var text strings.Builder
	c := New(s, Options{Replay: recs, Text: &text, Explain: true}) // as Counterexample writes it
	o := c.Run()
	require.Nil(t, o.Result.Diverge, "replays strictly")
	assert.Contains(t, o.Failed(), want)
	trace, err := os.ReadFile(strings.TrimSuffix(file, ".sched") + ".txt")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(trace), text.String()), "the kept trace is the replay's")

	fixed := s
	fixed.Bugs = nil
	c = New(fixed, Options{Replay: recs, Lenient: true})
	o = c.Run()
	// The path it was kept for is still reached: without the bugs the run
	// takes other turns where they acted, so some events are no longer
	// pending, but at least half of the schedule's events still run (a
	// schedule that no longer reaches anything tests nothing).
	events := 0
	for _, r := range recs {
		if r.Kind == sim.RecEvent {
			events++
		}
	}
	assert.GreaterOrEqual(t, 2*(events-o.Result.Skipped), events, "without the bugs, %d of the %d events of the schedule are skipped: the path it was kept for is no longer reached", o.Result.Skipped, events)
	for _, v := range o.Checks {
		if v.Name != check.NameLiveness {
			assert.NoError(t, v.Err, "without the bugs, %s holds on the same schedule", v.Name)
		}
	}
	return s
}
