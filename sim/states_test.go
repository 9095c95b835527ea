package sim

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// counter is a node with a readable state: it counts the "inc" messages it
// receives and ignores the others, so that some deliveries change its state
// and some do not.
type counter struct {
	tnode
	count int
}

func (c *counter) Receive(env *Env[tmsg], from NodeID, m tmsg) {
	if m.Kind == "inc" {
		c.count++
	}
	c.tnode.Receive(env, from, m)
}

func (c *counter) Crash() { c.count = 0 }

func (c *counter) Clone(into Node[tmsg]) Node[tmsg] {
	d := *c
	return &d
}

func (c *counter) AppendState(b []byte) []byte { return strconv.AppendInt(b, int64(c.count), 10) }

func (c *counter) AppendStateJSON(b []byte, _ Names) []byte {
	b = append(b, `{"count":`...)
	b = strconv.AppendInt(b, int64(c.count), 10)
	return append(b, '}')
}

// statesRun runs a sender that sends inc, noop, inc to a counter (and one
// noop to itself), crashes and restarts the counter, with state records
// when states is set.
func statesRun(t *testing.T, states bool) *traced {
	t.Helper()
	tr := newTraced(timerNames(Config{TimeLimit: Second, MaxEvents: 1000, LatencyMin: Millisecond, LatencyMax: Millisecond}))
	var c *counter
	sender := &tnode{}
	sender.actions = []action{
		sendAt(1*Millisecond, 1, tmsg{Kind: "inc"}),
		sendAt(2*Millisecond, 1, tmsg{Kind: "noop"}),
		sendAt(3*Millisecond, 1, tmsg{Kind: "inc"}),
		sendAt(4*Millisecond, 0, tmsg{Kind: "noop"}),
	}
	tr.add("sender", sender)
	c = &counter{}
	tr.AddNode("counter", c)
	tr.Crash(10*Millisecond, 1)
	tr.Restart(11*Millisecond, 1)
	tr.TraceStates(states)
	tr.Run()
	return tr
}

// TestTraceStates: with TraceStates, every event is followed by one state
// record naming it, which lists exactly the nodes whose readable state the
// event changed (every node once, after its start), in the form the node
// gives (a fingerprint for a node without one); without it, the trace is
// the same as with it, less the state records.
func TestTraceStates(t *testing.T) {
	tr := statesRun(t, true)
	recs := schemaRecords(t, tr.json.Bytes())
	var states []TraceRecord
	for _, r := range recs {
		if r.Ev == EvState {
			states = append(states, r)
		}
	}
	require.Equal(t, tr.Stats().Events, len(states), "one state record per event")
	assert.Equal(t, EvState, recs[len(recs)-1].Ev, "the last event's record ends the trace")

	type rec struct{ event, nodes string }
	var got []rec
	for _, r := range states {
		var names []string
		for name, raw := range r.Nodes {
			names = append(names, name+"="+string(raw))
		}
		if len(names) > 1 {
			t.Fatalf("one node per event here: %v", names)
		}
		got = append(got, rec{r.Event, strings.Join(names, "")})
	}
	fp := func(n Node[tmsg]) string {
		return string(tr.appendStateJSON(nil, n))
	}
	sender := fp(&tnode{starts: 1})
	assert.Equal(t, []rec{
		{"start sender", "sender=" + sender},
		{"start counter", `counter={"count":0}`},
		{"timer sender act", "sender=" + fp(&tnode{starts: 1, next: 1})},
		{"deliver sender#1 counter inc", `counter={"count":1}`},
		{"timer sender act", "sender=" + fp(&tnode{starts: 1, next: 2})},
		{"deliver sender#2 counter noop", ""}, // handled, unchanged
		{"timer sender act", "sender=" + fp(&tnode{starts: 1, next: 3})},
		{"deliver sender#3 counter inc", `counter={"count":2}`},
		{"timer sender act", "sender=" + fp(&tnode{starts: 1, next: 4})},
		{"deliver sender#4 sender noop", ""},
		{"crash counter", `counter={"count":0}`},
		{"restart counter", ""}, // its start changes nothing the record shows
	}, got)
	assert.Regexp(t, `^\{"fingerprint":"[0-9a-f]{16}"\}$`, sender)

	// The records are only added.
	plain := statesRun(t, false)
	var without bytes.Buffer
	seq := 0
	for _, line := range strings.SplitAfter(tr.json.String(), "\n") {
		if line == "" || strings.Contains(line, `"ev":"state"`) {
			continue
		}
		seq++
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal([]byte(line), &m))
		old := `,"seq":` + string(m[FieldSeq]) + `,`
		without.WriteString(strings.Replace(line, old, `,"seq":`+strconv.Itoa(seq)+`,`, 1))
	}
	assert.Equal(t, plain.json.String(), without.String())
	assert.Equal(t, plain.text.String(), tr.text.String(), "the text trace has no state records")
}

// TestTraceStatesOff: an engine reset, or a clone, does not write state
// records until asked again.
func TestTraceStatesOff(t *testing.T) {
	tr := statesRun(t, true)
	require.NotNil(t, tr.states)
	assert.Nil(t, tr.CloneInto(nil).states)
	tr.Reset(2)
	assert.Nil(t, tr.states)
}
