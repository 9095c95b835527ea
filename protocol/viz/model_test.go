package viz

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/protocol/cluster"
	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
	"github.com/multipaxos-kv/multipaxos-kv/sim/golden"
)

var _ = golden.Update

// runTrace runs an embedded scenario and returns its JSON trace, summary
// included, with the explanations the command line adds by default.
func runTrace(t testing.TB, name string, edit func(*scenarios.Scenario)) []byte {
	t.Helper()
	s, err := scenarios.Load(name)
	require.NoError(t, err)
	if edit != nil {
		edit(&s)
	}
	var js bytes.Buffer
	c := cluster.New(s, cluster.Options{JSON: &js, Explain: true})
	o := c.Run()
	require.NoError(t, c.WriteSummaryJSON(&js, o))
	return js.Bytes()
}

// countRecords counts the trace's records for which keep holds, decoding
// them through the trace's schema rather than matching their bytes.
func countRecords(t testing.TB, js []byte, keep func(sim.TraceRecord) bool) int {
	t.Helper()
	n := 0
	for _, line := range bytes.Split(bytes.TrimSuffix(js, []byte("\n")), []byte("\n")) {
		var r sim.TraceRecord
		require.NoError(t, json.Unmarshal(line, &r), "%s", line)
		if keep(r) {
			n++
		}
	}
	return n
}

func TestParseDefault(t *testing.T) {
	js := runTrace(t, "default", nil)
	tr, err := Parse(bytes.NewReader(js))
	require.NoError(t, err)
	assert.Equal(t, []string{"client1", "client2", "client3", "leader1", "acceptor1", "acceptor2", "acceptor3", "replica1", "replica2"}, tr.Nodes)
	sends := countRecords(t, js, func(r sim.TraceRecord) bool { return r.Ev == sim.EvSend })
	delivers := countRecords(t, js, func(r sim.TraceRecord) bool { return r.Ev == sim.EvDeliver })
	var delivered, inflight int
	for _, m := range tr.Messages {
		switch m.Fate {
		case Delivered:
			delivered++
			assert.GreaterOrEqual(t, m.At, m.Sent)
		case InFlight:
			inflight++
		}
	}
	assert.Equal(t, delivers, delivered)
	assert.Equal(t, sends, delivered+inflight, "no loss: every send is delivered or in flight")
	require.Len(t, tr.Requests, 15)
	for _, r := range tr.Requests {
		assert.True(t, r.Answered)
		assert.Less(t, r.Invoke, r.Return)
	}
	assert.Equal(t, true, tr.Summary[cluster.SummaryOK])
	var accepts int
	for _, m := range tr.Messages {
		if m.Type == "Accept" {
			accepts++
			assert.Positive(t, m.Slot)
			assert.Equal(t, "(1,1)", m.Ballot)
		}
	}
	assert.Equal(t, 45, accepts, "15 slots x 3 acceptors")
}

func TestParseFaults(t *testing.T) {
	js := runTrace(t, "lossy", nil)
	tr, err := Parse(bytes.NewReader(js))
	require.NoError(t, err)
	var dropped, dups int
	for _, m := range tr.Messages {
		if m.Fate == Dropped {
			dropped++
			assert.Equal(t, sim.DropLoss, m.Reason)
		}
		if m.Duplicate {
			dups++
		}
	}
	assert.Equal(t, countRecords(t, js, func(r sim.TraceRecord) bool { return r.Ev == sim.EvDrop }), dropped)
	assert.Equal(t, countRecords(t, js, func(r sim.TraceRecord) bool { return r.Note == sim.NoteDuplicate }), dups)

	tr, err = Parse(bytes.NewReader(runTrace(t, "leader-isolated", nil)))
	require.NoError(t, err)
	require.Len(t, tr.Faults, 2)
	assert.Equal(t, sim.EvPartition, tr.Faults[0].Kind)
	assert.Equal(t, []string{"leader1"}, tr.Faults[0].Groups[0])
	assert.Equal(t, sim.EvHeal, tr.Faults[1].Kind)
}

func TestParseErrors(t *testing.T) {
	_, err := Parse(strings.NewReader("{\"t\":0,\"seq\":1,\"ev\":\"step\"}\nnot json\n"))
	assert.ErrorContains(t, err, "trace line 2:")
	_, err = Parse(strings.NewReader(`{"t":5,"seq":1,"ev":"deliver","mid":7,"from":"a","to":"b","msg":{"type":"X"}}`))
	assert.EqualError(t, err, "trace line 1: deliver of message 7, which was never sent")
}

func TestLaneOrder(t *testing.T) {
	assert.Equal(t,
		[]string{"client2", "client10", "leader1", "server1", "acceptor1", "replica1", "zeta"},
		LaneOrder([]string{"replica1", "zeta", "client10", "acceptor1", "server1", "leader1", "client2"}))
}

func TestWindow(t *testing.T) {
	tr, err := Parse(bytes.NewReader(runTrace(t, "default", nil)))
	require.NoError(t, err)
	w := tr.Window(10*sim.Millisecond, 20*sim.Millisecond)
	require.NotEmpty(t, w.Messages)
	assert.Less(t, len(w.Messages), len(tr.Messages))
	for _, m := range w.Messages {
		assert.True(t, m.At >= 10*sim.Millisecond && m.Sent <= 20*sim.Millisecond)
	}
	for _, s := range w.Steps {
		assert.True(t, s.T >= 10*sim.Millisecond && s.T <= 20*sim.Millisecond)
	}
	assert.Equal(t, 20*sim.Millisecond, w.End)
}

func TestParseKeepsLargeSeeds(t *testing.T) {
	js := runTrace(t, "kvstore", func(s *scenarios.Scenario) { s.Seed = 1<<60 + 1 })
	tr, err := Parse(bytes.NewReader(js))
	require.NoError(t, err)
	assert.Equal(t, json.Number("1152921504606846977"), tr.Summary[cluster.SummarySeed], "no rounding through float64")
}
