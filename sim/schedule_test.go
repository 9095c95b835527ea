package sim

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testHeader = "# test schedule\nseed = 5\n"

// recordBusy runs the busy scenario under cfg, recording its schedule.
func recordBusy(t *testing.T, cfg Config) (Result, *traced, []Record) {
	t.Helper()
	var recs []Record
	tr := busyEngine(cfg, -1)
	tr.RecordTo(&recs)
	res := tr.Run()
	require.NotEqual(t, StopDivergence, res.Reason)
	return res, tr, recs
}

// withoutLines returns recs with Line cleared: Line says where a record was
// read, not what it is.
func withoutLines(recs []Record) []Record {
	out := append([]Record(nil), recs...)
	for i := range out {
		out[i].Line = 0
	}
	return out
}

// writeParse writes a schedule and parses it back.
func writeParse(t *testing.T, header []byte, recs []Record) ([]byte, []Record) {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, WriteSchedule(&b, header, recs))
	hdr, got, err := ParseSchedule(b.Bytes(), "run.sched")
	require.NoError(t, err)
	return hdr, got
}

func TestScheduleRoundTrip(t *testing.T) {
	_, _, recs := recordBusy(t, busyConfig(5))
	kinds := map[RecordKind]int{}
	for _, r := range recs {
		kinds[r.Kind]++
	}
	for _, k := range []RecordKind{RecEvent, RecLatency, RecDrop, RecDuplicate, RecJitter} {
		require.Positive(t, kinds[k], "the run must record %c records", k)
	}

	hdr, got := writeParse(t, []byte(testHeader), recs)
	assert.Equal(t, testHeader, string(hdr))
	assert.Equal(t, recs, withoutLines(got))
	// The header has two lines and the marker is line 3.
	for i, r := range got {
		require.Equal(t, 4+i, r.Line, "record %d", i)
	}

	// A header without its final newline gets one.
	hdr, got = writeParse(t, []byte(strings.TrimSuffix(testHeader, "\n")), recs)
	assert.Equal(t, testHeader, string(hdr))
	assert.Equal(t, recs, withoutLines(got))
}

func TestScheduleRoundTripEmptyHeader(t *testing.T) {
	recs := []Record{{Kind: RecEvent, Text: "0 start a"}, {Kind: RecLatency, Value: 7}}
	hdr, got := writeParse(t, nil, recs)
	assert.Empty(t, hdr)
	assert.Equal(t, recs, withoutLines(got))
	assert.Equal(t, 2, got[0].Line, "the marker is line 1")

	hdr, got = writeParse(t, []byte(testHeader), nil)
	assert.Equal(t, testHeader, string(hdr))
	assert.Empty(t, got)
}

func TestScheduleFormat(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteSchedule(&b, []byte("h\n"), []Record{
		{Kind: RecEvent, Text: "0 start a"},
		{Kind: RecLatency, Value: 1500000},
		{Kind: RecDrop, Value: 0},
		{Kind: RecDuplicate, Value: 1},
		{Kind: RecJitter, Value: 250},
		{Kind: RecEvent, Text: "1500000 deliver a#1 b ping dup"},
		{Kind: RecEvent, Text: "1500250 timer a tick"},
		{Kind: RecStop, Text: "cut here"},
	}))
	assert.Equal(t, "h\n# --- schedule ---\ne 0 start a\nl 1500000\nd 0\nu 1\nj 250\n"+
		"e 1500000 deliver a#1 b ping dup\ne 1500250 timer a tick\ns cut here\n", b.String())
}

func TestScheduleParseSkipsCommentsAndBlanks(t *testing.T) {
	data := "h1\nh2\n# --- schedule ---\n\n# a comment\ne 0 start a\n\nl 3\nj 0\ns found by hand\n"
	hdr, recs, err := ParseSchedule([]byte(data), "x.sched")
	require.NoError(t, err)
	assert.Equal(t, "h1\nh2\n", string(hdr))
	assert.Equal(t, []Record{
		{Kind: RecEvent, Text: "0 start a", Line: 6},
		{Kind: RecLatency, Value: 3, Line: 8},
		{Kind: RecJitter, Value: 0, Line: 9},
		{Kind: RecStop, Text: "found by hand", Line: 10},
	}, recs)
}

func TestScheduleParseErrors(t *testing.T) {
	long := strings.Repeat("9", 70) + "x"
	cases := []struct {
		name, body, want string
	}{
		{"unknown kind", "e 0 start a\nx 1\n",
			`s.sched:4: unknown record kind "x" (expected e, l, d, u, j or s)`},
		{"non-integer latency", "l 1.5ms\n",
			`s.sched:3: latency "1.5ms" is not a non-negative integer of nanoseconds`},
		{"negative latency", "e 0 start a\n\nl -1\n",
			`s.sched:5: latency "-1" is not a non-negative integer of nanoseconds`},
		{"long latency is clipped", "l " + long + "\n",
			`s.sched:3: latency "` + long[:60] + `..." is not a non-negative integer of nanoseconds`},
		{"non-integer jitter", "j 2us\n",
			`s.sched:3: jitter "2us" is not a non-negative integer of nanoseconds`},
		{"negative jitter", "j -4\n",
			`s.sched:3: jitter "-4" is not a non-negative integer of nanoseconds`},
		{"stop without a reason", "s\n",
			`s.sched:3: malformed record "s" (expected "<e|l|d|u|j|s> <value>")`},
		{"bad drop decision", "d 2\n",
			`s.sched:3: decision "2" must be 0 or 1`},
		{"bad duplicate decision", "# c\nu yes\n",
			`s.sched:4: decision "yes" must be 0 or 1`},
		{"missing value", "l\n",
			`s.sched:3: malformed record "l" (expected "<e|l|d|u|j|s> <value>")`},
		{"missing space", "l50\n",
			`s.sched:3: malformed record "l50" (expected "<e|l|d|u|j|s> <value>")`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hdr, recs, err := ParseSchedule([]byte("h\n"+ScheduleMarker+"\n"+c.body), "s.sched")
			require.EqualError(t, err, c.want)
			assert.Nil(t, hdr)
			assert.Nil(t, recs)
		})
	}
	for _, data := range []string{"", "seed = 1\ne 0 start a\n", "x# --- schedule ---\n", "h\n# --- schedule --- \ne 0 start a\n"} {
		_, _, err := ParseSchedule([]byte(data), "s.sched")
		assert.EqualError(t, err, `s.sched: not a schedule: no "# --- schedule ---" line (expected a file written by -schedule)`, "input %q", data)
	}
}

// replay runs the busy scenario from recs.
func replay(cfg Config, recs []Record) (Result, *traced) {
	tr := busyEngine(cfg, -1)
	tr.ReplayFrom(recs)
	return tr.Run(), tr
}

func TestReplayReproducesTrace(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		cfg := busyConfig(seed)
		want, orig, recs := recordBusy(t, cfg)
		_, parsed := writeParse(t, []byte(testHeader), recs)
		got, tr := replay(cfg, parsed)
		require.Nil(t, got.Diverge, "seed %d", seed)
		assert.Equal(t, want, got, "seed %d", seed)
		assert.Equal(t, orig.json.String(), tr.json.String(), "seed %d: the replayed JSON trace differs", seed)
		assert.Equal(t, orig.text.String(), tr.text.String(), "seed %d: the replayed text trace differs", seed)
	}
}

// TestReplayTakesDecisionsFromSchedule replays under other drop and
// duplicate probabilities: every decision comes from the schedule, so the
// trace is the same.
func TestReplayTakesDecisionsFromSchedule(t *testing.T) {
	cfg := busyConfig(4)
	want, orig, recs := recordBusy(t, cfg)
	cfg.Drop, cfg.Duplicate = 0.9, 0.9
	got, tr := replay(cfg, recs)
	require.Nil(t, got.Diverge)
	assert.Equal(t, want, got)
	assert.Equal(t, orig.json.String(), tr.json.String())
}

// pingRun builds a one-message run: a sends ping to b at time 0 with
// a latency in [1ms, 5ms].
func pingRun() (*Engine[tmsg], Config) {
	cfg := limits()
	cfg.Seed = 1
	cfg.LatencyMin, cfg.LatencyMax = Millisecond, 5*Millisecond
	e := New[tmsg](cfg)
	e.AddNode("a", &tnode{start: func(env *Env[tmsg]) { env.Send(1, tmsg{"ping", 0}) }})
	e.AddNode("b", &tnode{})
	return e, cfg
}

// pingRecords records pingRun and checks the schedule's shape.
func pingRecords(t *testing.T) []Record {
	var recs []Record
	e, _ := pingRun()
	e.RecordTo(&recs)
	e.Run()
	_, parsed := writeParse(t, []byte(testHeader), recs)
	require.Len(t, parsed, 4)
	// a's Start sends (deciding the latency) before b starts.
	require.Equal(t, "e 0 start a", parsed[0].String())
	require.Equal(t, RecLatency, parsed[1].Kind)
	require.Equal(t, "e 0 start b", parsed[2].String())
	require.Equal(t, fmt.Sprintf("e %d deliver a#1 b ping", parsed[1].Value), parsed[3].String())
	return parsed
}

func TestReplayDivergence(t *testing.T) {
	base := pingRecords(t)
	lat := base[1].Value
	other := int64(Millisecond)
	if lat == other {
		other++
	}
	cases := []struct {
		name   string
		edit   func([]Record) []Record
		want   Divergence
		errMsg string
	}{
		{
			name: "latency changed within range",
			edit: func(r []Record) []Record { r[1].Value = other; return r },
			want: Divergence{Line: 7, Want: fmt.Sprintf("e %d deliver a#1 b ping", lat), Got: fmt.Sprintf("e %d deliver a#1 b ping", other)},
			errMsg: fmt.Sprintf(`replay diverged at schedule line 7: the schedule has "e %d deliver a#1 b ping", the run did "e %d deliver a#1 b ping"`,
				lat, other),
		},
		{
			name:   "latency above the maximum",
			edit:   func(r []Record) []Record { r[1].Value = int64(5*Millisecond + 1); return r },
			want:   Divergence{Line: 5, Want: "l 5000001", Got: "l <latency in [1000000, 5000000]>"},
			errMsg: `replay diverged at schedule line 5: the schedule has "l 5000001", the run did "l <latency in [1000000, 5000000]>"`,
		},
		{
			name: "latency below the minimum",
			edit: func(r []Record) []Record { r[1].Value = 0; return r },
			want: Divergence{Line: 5, Want: "l 0", Got: "l <latency in [1000000, 5000000]>"},
		},
		{
			name:   "event changed",
			edit:   func(r []Record) []Record { r[2].Text = "0 start c"; return r },
			want:   Divergence{Line: 6, Want: "e 0 start c", Got: "no such event is pending"},
			errMsg: `replay diverged at schedule line 6: the schedule has "e 0 start c", the run did "no such event is pending"`,
		},
		{
			// The schedule steers: it may name any pending event, but the
			// run checks the time it ran at.
			name: "event time changed",
			edit: func(r []Record) []Record { r[2].Text = "5 start b"; return r },
			want: Divergence{Line: 6, Want: "e 5 start b", Got: "e 0 start b"},
		},
		{
			name: "message number changed",
			edit: func(r []Record) []Record { r[3].Text = fmt.Sprintf("%d deliver a#2 b ping", lat); return r },
			want: Divergence{Line: 7, Want: fmt.Sprintf("e %d deliver a#2 b ping", lat), Got: "no such event is pending"},
		},
		{
			name: "decision where the schedule has an event",
			edit: func(r []Record) []Record { r[1], r[2] = r[2], r[1]; return r },
			want: Divergence{Line: 6, Want: "e 0 start b", Got: "l <latency in [1000000, 5000000]>"}, // the record keeps its line
		},
		{
			name: "decision where the run runs an event",
			edit: func(r []Record) []Record {
				return append(r[:2:2], append([]Record{{Kind: RecJitter, Value: 0, Line: 98}}, r[2:]...)...)
			},
			want: Divergence{Line: 98, Want: "j 0", Got: "the next event (no decision is asked here)"},
		},
		{
			name: "decision where the run makes none",
			edit: func(r []Record) []Record {
				return append(r[:1:1], append([]Record{{Kind: RecDrop, Value: 0, Line: 99}}, r[1:]...)...)
			},
			want: Divergence{Line: 99, Want: "d 0", Got: "l <latency in [1000000, 5000000]>"},
		},
		{
			name:   "truncated",
			edit:   func(r []Record) []Record { return r[:3] },
			want:   Divergence{Want: "", Got: fmt.Sprintf("e %d deliver a#1 b ping", lat)},
			errMsg: fmt.Sprintf(`replay diverged: the schedule ended, but the run went on with "e %d deliver a#1 b ping"`, lat),
		},
		{
			name:   "truncated before a decision",
			edit:   func(r []Record) []Record { return r[:1] },
			want:   Divergence{Want: "", Got: "l <latency in [1000000, 5000000]>"},
			errMsg: `replay diverged: the schedule ended, but the run went on with "l <latency in [1000000, 5000000]>"`,
		},
		{
			name: "extra records",
			edit: func(r []Record) []Record {
				return append(r, Record{Kind: RecEvent, Text: "9 start z", Line: 8}, Record{Kind: RecLatency, Value: 1, Line: 9})
			},
			want:   Divergence{Line: 8, Want: "e 9 start z", Got: "no such event is pending"},
			errMsg: `replay diverged at schedule line 8: the schedule has "e 9 start z", the run did "no such event is pending"`,
		},
		{
			name:   "extra records at a stop",
			edit:   func(r []Record) []Record { return append(r, Record{Kind: RecLatency, Value: 1, Line: 8}) },
			want:   Divergence{Line: 8, Want: "l 1", Got: "the next event (no decision is asked here)"},
			errMsg: `replay diverged at schedule line 8: the schedule has "l 1", the run did "the next event (no decision is asked here)"`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs := c.edit(append([]Record(nil), base...))
			e, cfg := pingRun()
			e.ReplayFrom(recs)
			res := e.Run()
			require.Equal(t, StopDivergence, res.Reason)
			require.NotNil(t, res.Diverge)
			assert.Equal(t, c.want, *res.Diverge)
			if c.errMsg != "" {
				assert.Equal(t, c.errMsg, res.Diverge.Error())
				assert.Equal(t, c.errMsg, res.Describe(cfg))
			}
		})
	}
}

// TestReplayMutatedBusySchedule changes one latency of a long schedule to
// another value in range: the replay diverges at that line or later, naming
// the line, and never panics.
func TestReplayMutatedBusySchedule(t *testing.T) {
	cfg := busyConfig(9)
	_, _, recs := recordBusy(t, cfg)
	_, parsed := writeParse(t, []byte(testHeader), recs)
	mutated := 0
	for i, r := range parsed {
		if r.Kind != RecLatency || i%7 != 0 {
			continue
		}
		mutated++
		edited := append([]Record(nil), parsed...)
		edited[i].Value = int64(cfg.LatencyMin) + (r.Value-int64(cfg.LatencyMin)+1234567)%int64(cfg.LatencyMax-cfg.LatencyMin+1)
		require.NotEqual(t, r.Value, edited[i].Value)
		res, _ := replay(cfg, edited)
		require.Equal(t, StopDivergence, res.Reason, "latency on line %d changed", r.Line)
		d := res.Diverge
		require.NotNil(t, d)
		assert.GreaterOrEqual(t, d.Line, r.Line, "the divergence cannot precede the edit")
		assert.NotEmpty(t, d.Want)
		assert.NotEmpty(t, d.Got)
		assert.Contains(t, d.Error(), fmt.Sprintf("schedule line %d:", d.Line))
	}
	require.Greater(t, mutated, 5)
}

// TestReplayExtraRecordsAtTimeLimit: a run that stops at its time limit has
// consumed its whole schedule, so records beyond it are a divergence too.
func TestReplayExtraRecordsAtTimeLimit(t *testing.T) {
	cfg := busyConfig(3)
	cfg.TimeLimit = 12 * Millisecond
	want, orig, recs := recordBusy(t, cfg)
	require.Equal(t, StopTimeLimit, want.Reason)

	got, tr := replay(cfg, recs)
	require.Nil(t, got.Diverge)
	assert.Equal(t, want, got)
	assert.Equal(t, orig.json.String(), tr.json.String())

	extra := append(append([]Record(nil), recs...), Record{Kind: RecEvent, Text: "13000000 timer n1 tick9", Line: 1000})
	got, _ = replay(cfg, extra)
	require.Equal(t, StopDivergence, got.Reason)
	assert.Equal(t, Divergence{Line: 1000, Want: "e 13000000 timer n1 tick9", Got: "no such event is pending"}, *got.Diverge)

	// A schedule cut short of the time limit diverges at its end: the run
	// would go on.
	got, _ = replay(cfg, recs[:len(recs)-1])
	require.Equal(t, StopDivergence, got.Reason)
	assert.Zero(t, got.Diverge.Line)
	assert.Empty(t, got.Diverge.Want)
}

// TestParseScheduleRecordLimit: a record longer than MaxRecordLength is
// refused with its line and the limit, before anything is built from it.
func TestParseScheduleRecordLimit(t *testing.T) {
	data := []byte(ScheduleMarker + "\ne 0 start a\ne 0 " + strings.Repeat("x", MaxRecordLength) + "\n")
	_, _, err := ParseSchedule(data, "big.sched")
	require.Error(t, err)
	assert.Equal(t, fmt.Sprintf("big.sched:3: a record of %d bytes (limit %d): not a schedule written by this tool", MaxRecordLength+4, MaxRecordLength), err.Error())
}

// TestReplayLinkFaultsAndRepeatedFaults replays a run with cuts, holds and
// two heals scheduled out of time order: events of the same identity (the
// heals) replay in the order the recorded run ran them, by time.
func TestReplayLinkFaultsAndRepeatedFaults(t *testing.T) {
	build := func(cfg Config) *traced {
		tr := busyEngine(cfg, -1)
		n1, n2, n3 := NodeID(0), NodeID(1), NodeID(2)
		tr.Cut(25*Millisecond, n1, n2)
		tr.Hold(12*Millisecond, n3, n1, 6*Millisecond)
		tr.Heal(40 * Millisecond)
		tr.Heal(30 * Millisecond) // listed later, runs earlier
		tr.Cut(31*Millisecond, n2, n3)
		return tr
	}
	for _, seed := range []uint64{1, 2, 3} {
		cfg := busyConfig(seed)
		var recs []Record
		orig := build(cfg)
		orig.RecordTo(&recs)
		want := orig.Run()
		require.NotEqual(t, StopDivergence, want.Reason)
		assert.Contains(t, orig.text.String(), "[fault] cut n1 -> n2\n")
		assert.Contains(t, orig.text.String(), "[fault] hold n3 -> n1 for 6ms\n")
		_, parsed := writeParse(t, []byte(testHeader), recs)
		tr := build(cfg)
		tr.ReplayFrom(parsed)
		got := tr.Run()
		require.Nil(t, got.Diverge, "seed %d", seed)
		assert.Equal(t, want, got, "seed %d", seed)
		assert.Equal(t, orig.json.String(), tr.json.String(), "seed %d: the replayed JSON trace differs", seed)
	}
}
