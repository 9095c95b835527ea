package cluster

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jsonTrace runs a scenario with a JSON trace, as run -trace writes it
// (the summary last).
func jsonTrace(t *testing.T, name string, seed uint64, bugs ...string) []byte {
	t.Helper()
	s := load(t, name)
	s.Seed, s.Bugs = seed, bugs
	var b bytes.Buffer
	c := New(s, Options{JSON: &b})
	o := c.Run()
	require.NoError(t, c.WriteSummaryJSON(&b, o))
	return b.Bytes()
}

func parsed(t *testing.T, name string, data []byte) Trace {
	t.Helper()
	tr, err := ParseTrace(data, name)
	require.NoError(t, err)
	return tr
}

// TestDiffTraces: two JSON traces are compared by the logical identity of
// their records. A trace against itself is the same; the same seed with and
// without a bug parts at the same event as the schedules do, with the
// messages in flight in one only named; two seeds part in the clients'
// starts; a reworded step parts the records but not the events; a time
// alone parts the times; a trace cut short ends first.
func TestDiffTraces(t *testing.T) {
	ok := jsonTrace(t, "leader-failover", 2)
	a := parsed(t, "ok.jsonl", ok)
	assert.True(t, DiffTraces(a, a).Same())

	bug := parsed(t, "bug.jsonl", jsonTrace(t, "leader-failover", 2, "reply-before-chosen"))
	d := DiffTraces(a, bug)
	sd, err := Diff(recorded(t, "leader-failover", 2), recorded(t, "leader-failover", 2, "reply-before-chosen"))
	require.NoError(t, err)
	assert.Equal(t, sd.Step, d.Event, "the traces part at the event the schedules part")
	assert.Equal(t, "e 6731862 deliver leader1#7 acceptor3 Accept", sd.A)
	assert.True(t, strings.HasPrefix(d.EventA.Key, "deliver leader1#7 acceptor3 Accept {"), "the same event: %s", d.EventA.Key)
	assert.Equal(t, int64(6731862), d.EventA.T)
	assert.Contains(t, d.OnlyB, "leader1#9 client3 Reply", "the early Reply is in flight in B only")
	assert.Equal(t, 47, d.Record, "the leader's effects part before the events do")
	assert.Equal(t, "deliver acceptor1#1 leader1 Promise", strings.Join(strings.Fields(d.InA.Key)[:4], " "))
	assert.True(t, strings.HasPrefix(d.B.Key, "send leader1#5 client1 Reply "), d.B.Key)
	assert.Empty(t, d.Runs, "the same scenario and seed")
	assert.Contains(t, d.Summary, FieldDiff{Field: "ok", A: "true", B: "false"})
	var w bytes.Buffer
	require.NoError(t, WriteTraceDiff(&w, "ok.jsonl", "bug.jsonl", d))
	assert.Contains(t, w.String(), "events:    the same for 18 events; event 19 differs:\n")
	assert.Contains(t, w.String(), "  ok: true vs false\n")

	one := parsed(t, "1.jsonl", jsonTrace(t, "default", 1))
	two := parsed(t, "2.jsonl", jsonTrace(t, "default", 2))
	d = DiffTraces(one, two)
	assert.Equal(t, "A ran default seed 1, B default seed 2", d.Runs)
	assert.Equal(t, 10, d.Event, "as the schedules: the nine starts are the same events")
	assert.Equal(t, "start client1", d.InA.Key, "client1 drew another first request in its start")
	assert.Contains(t, d.History, `history event 1: A invoke client1 #1 get "e" (line 13), B invoke client1 #1 get "c" (line 13)`)
	assert.Contains(t, d.Summary, FieldDiff{Field: "seed", A: "1", B: "2"})

	// A step reworded (another build's wording): the records part, the
	// events do not.
	lines := strings.SplitAfter(string(ok), "\n")
	reworded := strings.Replace(string(ok), `"text":"Starting"`, `"text":"Up and running"`, 1)
	d = DiffTraces(a, parsed(t, "re.jsonl", []byte(reworded)))
	assert.Zero(t, d.Event)
	assert.NotZero(t, d.Record)
	assert.Equal(t, "step acceptor1 Up and running", d.B.Key)
	assert.False(t, d.Same())

	// A time alone.
	retimed := strings.Join(append(append([]string{}, lines[:30]...), strings.Replace(lines[30], `"t":`, `"t":1`, 1)), "") + strings.Join(lines[31:], "")
	d = DiffTraces(a, parsed(t, "t.jsonl", []byte(retimed)))
	assert.Zero(t, d.Event)
	assert.Zero(t, d.Record)
	assert.Contains(t, d.Time, "record 31 ")
	assert.False(t, d.Same())

	// Cut short: B ends (no summary either).
	cut := parsed(t, "cut.jsonl", []byte(strings.Join(lines[:100], "")))
	d = DiffTraces(a, cut)
	assert.Equal(t, 101, d.Record)
	assert.Zero(t, d.B.Line, "past B's end")
	assert.Equal(t, []FieldDiff{{Field: "summary", A: "the last record"}}, d.Summary)
	w.Reset()
	require.NoError(t, WriteTraceDiff(&w, "a", "b", d))
	assert.Contains(t, w.String(), "  B: (the trace has ended)\n")
}

// TestParseTraceErrors: what is not a JSON trace is refused, naming the
// file and line.
func TestParseTraceErrors(t *testing.T) {
	for _, c := range []struct{ data, err string }{
		{"", "t.jsonl: an empty trace"},
		{"\n\n", "t.jsonl: an empty trace"},
		{`{"t":0,`, "t.jsonl:1: not a JSON trace record: unexpected end of JSON input"},
		{"{\"t\":0,\"seq\":1,\"ev\":\"heal\"}\n[1]\n", "t.jsonl:2: not a JSON trace record:"},
		{`{"t":1}`, `t.jsonl:1: a record without "ev"`},
		{`{"t":0,"seq":1,"ev":"deliver","mid":4,"from":"a","to":"b","msg":{"type":"X"}}`, "t.jsonl:1: deliver of message 4, which was never sent"},
		{"{\"t\":0,\"seq\":1,\"ev\":\"summary\",\"ok\":true}\n{\"t\":0,\"seq\":2,\"ev\":\"heal\"}\n", "t.jsonl:2: a record after the summary"},
		{`{"t":0,"seq":1,"ev":"summary","events":"many"}`, "t.jsonl:1: a summary record that does not decode"},
	} {
		_, err := ParseTrace([]byte(c.data), "t.jsonl")
		assert.ErrorContains(t, err, c.err, "%q", c.data)
	}
}
