package cluster

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// statesTrace runs s with state records (Options.States) and returns its
// JSON trace, summary included, and the trace of the same run without them.
func statesTrace(t *testing.T, s scenarios.Scenario) (with, without []byte) {
	t.Helper()
	for _, states := range []bool{true, false} {
		var b bytes.Buffer
		c := New(s, Options{JSON: &b, States: states})
		o := c.Run()
		require.NoError(t, c.WriteSummaryJSON(&b, o))
		if states {
			with = b.Bytes()
		} else {
			without = b.Bytes()
		}
	}
	return with, without
}

// handlers names the nodes an event, as a state record names it, may
// change: the receiver of a delivery, the node of a start, a timer, a crash
// or a restart; none for a partition, a heal, a cut or a hold.
func handlers(event string) []string {
	f := strings.Fields(event)
	switch f[0] {
	case "deliver":
		return []string{f[2]}
	case "start", "timer", "crash", "restart":
		return []string{f[1]}
	}
	return nil
}

// TestStateRecords: with Options.States, every event is followed by one
// state record that names the event and holds, as JSON objects, the states
// of only those nodes the event handled and changed, each different from
// the node's state before; every node has one after its start; and the
// trace is otherwise the one without them.
func TestStateRecords(t *testing.T) {
	for _, s := range []scenarios.Scenario{load(t, "default"), faulty(t)} {
		t.Run(s.Name, func(t *testing.T) {
			with, without := statesTrace(t, s)
			last := map[string]string{}
			var states int
			var summary map[string]any
			var rest bytes.Buffer
			seq := 0
			for i, line := range strings.Split(strings.TrimSuffix(string(with), "\n"), "\n") {
				var r sim.TraceRecord
				require.NoError(t, json.Unmarshal([]byte(line), &r), "line %d", i+1)
				if r.Ev == sim.EvSummary {
					require.NoError(t, json.Unmarshal([]byte(line), &summary))
				}
				if r.Ev != sim.EvState {
					seq++
					rest.WriteString(strings.Replace(line, `,"seq":`+strconv.FormatUint(r.Seq, 10)+`,`, `,"seq":`+strconv.Itoa(seq)+`,`, 1) + "\n")
					continue
				}
				states++
				require.NotEmpty(t, r.Event, "line %d", i+1)
				require.NotNil(t, r.Nodes, "line %d: a nodes member, if empty", i+1)
				for name, raw := range r.Nodes {
					var obj map[string]any
					require.NoError(t, json.Unmarshal(raw, &obj), "line %d: %s's state is a JSON object", i+1, name)
					assert.Contains(t, handlers(r.Event), name, "line %d: %s changed in %q, which it did not handle", i+1, name, r.Event)
					assert.NotEqual(t, last[name], string(raw), "line %d: %s listed without a change", i+1, name)
					last[name] = string(raw)
				}
			}
			assert.Equal(t, summary["events"], float64(states), "one state record per event")
			assert.Len(t, last, New(s, Options{}).Engine.NumNodes(), "every node has a state")
			assert.Equal(t, string(without), rest.String(), "the records are only added")
		})
	}
}

// TestStateRecordsDefault reads the default run's state records for what
// its trace shows: leader1 starts as a candidate of ballot (1,1), wins
// Phase 1 on its second promise and proposes client2's PUT in slot 1; at
// the end every acceptor has accepted the 15 commands at (1,1), and every
// node that applies the log has the store of the summary.
func TestStateRecordsDefault(t *testing.T) {
	with, _ := statesTrace(t, load(t, "default"))
	type leaderState struct {
		Role     string   `json:"role"`
		Ballot   [2]int   `json:"ballot"`
		Promises []string `json:"promises"`
		Slots    []struct {
			Slot   int64 `json:"slot"`
			Cmd    map[string]any
			Votes  []string `json:"votes"`
			Chosen bool     `json:"chosen"`
		} `json:"slots"`
		Applied int64             `json:"applied"`
		Store   map[string]string `json:"store"`
	}
	var leader []leaderState
	var events []string
	final := map[string]json.RawMessage{}
	var summary struct {
		Stores map[string]map[string]string `json:"stores"`
	}
	for _, line := range strings.Split(strings.TrimSuffix(string(with), "\n"), "\n") {
		var r sim.TraceRecord
		require.NoError(t, json.Unmarshal([]byte(line), &r))
		if r.Ev == sim.EvSummary {
			require.NoError(t, json.Unmarshal([]byte(line), &summary))
		}
		if r.Ev != sim.EvState {
			continue
		}
		for name, raw := range r.Nodes {
			final[name] = raw
		}
		if raw, ok := r.Nodes["leader1"]; ok {
			var l leaderState
			require.NoError(t, json.Unmarshal(raw, &l))
			leader = append(leader, l)
			events = append(events, r.Event)
		}
	}
	require.NotEmpty(t, leader)
	assert.Equal(t, "start leader1", events[0])
	assert.Equal(t, "candidate", leader[0].Role)
	assert.Equal(t, [2]int{1, 1}, leader[0].Ballot)
	won := -1
	for i, l := range leader {
		if l.Role == "leading" {
			won = i
			break
		}
	}
	require.Positive(t, won)
	assert.Len(t, leader[won-1].Promises, 1, "one promise short of a quorum of 2")
	assert.Regexp(t, `^deliver acceptor\d#1 leader1 Promise$`, events[won])
	require.NotEmpty(t, leader[won].Slots)
	assert.Equal(t, map[string]any{"op": "put", "key": "c", "value": "val_35", "client": "client2", "seq": float64(1)}, leader[won].Slots[0].Cmd)
	assert.Empty(t, leader[won].Slots[0].Votes)
	end := leader[len(leader)-1]
	assert.Equal(t, int64(15), end.Applied)
	assert.Equal(t, summary.Stores["leader1"], end.Store)

	for _, a := range []string{"acceptor1", "acceptor2", "acceptor3"} {
		var st struct {
			Promised [2]int `json:"promised"`
			Accepted []struct {
				Slot   int64  `json:"slot"`
				Ballot [2]int `json:"ballot"`
			} `json:"accepted"`
		}
		require.NoError(t, json.Unmarshal(final[a], &st), a)
		assert.Equal(t, [2]int{1, 1}, st.Promised, a)
		require.Len(t, st.Accepted, 15, a)
		for i, e := range st.Accepted {
			assert.Equal(t, int64(i+1), e.Slot, a)
			assert.Equal(t, [2]int{1, 1}, e.Ballot, a)
		}
	}
	for _, r := range []string{"replica1", "replica2"} {
		var st struct {
			Applied int64             `json:"applied"`
			Store   map[string]string `json:"store"`
		}
		require.NoError(t, json.Unmarshal(final[r], &st), r)
		assert.Equal(t, int64(15), st.Applied, r)
		assert.Equal(t, summary.Stores[r], st.Store, r)
	}
	for _, c := range []string{"client1", "client2", "client3"} {
		assert.JSONEq(t, `{"sent":5,"requests":5}`, string(final[c]), c)
	}
}
