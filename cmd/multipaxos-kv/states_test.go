package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNodeStatesFlag: -node-states adds a state record after every event
// to the JSON trace (stdout and -trace alike) and nothing to the text
// trace; the HTML page of such a run holds the step-through viewer, the
// same from run and from replay; without the flag there are none.
func TestNodeStatesFlag(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }

	code, js, errs := cli(t, "run", "-json", "-node-states", "-trace", p("t.jsonl"), "-schedule", p("run.sched"), "-diagram", p("run.html"))
	require.Equal(t, exitOK, code, errs)
	var states int
	var summary struct{ Events int }
	for _, line := range strings.Split(strings.TrimSuffix(js, "\n"), "\n") {
		var r struct {
			Ev    string                     `json:"ev"`
			Event string                     `json:"event"`
			Nodes map[string]json.RawMessage `json:"nodes"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &r), line)
		switch r.Ev {
		case "state":
			states++
			assert.NotEmpty(t, r.Event)
		case "summary":
			require.NoError(t, json.Unmarshal([]byte(line), &summary))
		}
	}
	assert.Equal(t, summary.Events, states, "a state record per event")
	file, err := os.ReadFile(p("t.jsonl"))
	require.NoError(t, err)
	assert.Equal(t, js, string(file), "-trace writes the same records")

	_, plain, _ := cli(t, "run", "-json")
	assert.NotContains(t, plain, `"ev":"state"`, "none without the flag")
	_, text, _ := cli(t, "run")
	_, textStates, _ := cli(t, "run", "-node-states")
	assert.Equal(t, text, textStates, "the text trace is the same")

	page, err := os.ReadFile(p("run.html"))
	require.NoError(t, err)
	assert.Contains(t, string(page), `<script type="application/json" id="viewer-data">`)
	code, _, errs = cli(t, "replay", "-q", "-node-states", "-diagram", p("replay.html"), p("run.sched"))
	require.Equal(t, exitOK, code, errs)
	again, err := os.ReadFile(p("replay.html"))
	require.NoError(t, err)
	assert.Equal(t, string(page), string(again), "replay draws the same page")
}

// TestReadmeStateRecords keeps the README's sample of state records true:
// each is a line of the default run's JSON trace with -node-states.
func TestReadmeStateRecords(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	_, js, _ := cli(t, "run", "-json", "-node-states")
	lines := map[string]bool{}
	for _, l := range strings.Split(js, "\n") {
		lines[l] = true
	}
	var quoted int
	for _, l := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(l, `{"t":`) && strings.Contains(l, `"ev":"state"`) {
			quoted++
			assert.True(t, lines[l], "README quotes a state record that the default run does not write: %s", l)
		}
	}
	assert.GreaterOrEqual(t, quoted, 3, "the README's sample of state records")
}
