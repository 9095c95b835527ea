package cluster

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// TestScheduleHeader: a schedule file round-trips; a header edited after
// recording (the seed), an old format, CRLF line endings and a missing digest
// are refused with one clear message each, before any replay.
func TestScheduleHeader(t *testing.T) {
	c := New(load(t, "default"), Options{Record: true})
	c.Run()
	var file bytes.Buffer
	require.NoError(t, c.WriteSchedule(&file))
	good := file.String()
	s, recs, err := ParseSchedule([]byte(good), "ok.sched")
	require.NoError(t, err)
	assert.Equal(t, c.Scenario.Seed, s.Seed)
	assert.Equal(t, c.Schedule, stripLines(recs))

	for _, tc := range []struct {
		name, data, err string
	}{
		{"edited seed", strings.Replace(good, "\nseed = 1\n", "\nseed = 2\n", 1), "x.sched:4: the scenario in the header does not match its digest (edited after it was recorded?): refusing to replay a hybrid of two runs"},
		{"old format", strings.Replace(good, "schedule v2:", "schedule v1:", 1), "x.sched:1: schedule format v1 (events named by position) is no longer read; this build reads v2: record the run again with -schedule"},
		{"not ours", "# something else\n" + good[strings.Index(good, "\n")+1:], `x.sched:1: not a multipaxos-kv schedule v2 header (expected "# multipaxos-kv schedule v2: ...")`},
		{"CRLF", strings.ReplaceAll(good, "\n", "\r\n"), "x.sched: has CRLF line endings; schedules are written with LF only (convert it back, e.g. with dos2unix)"},
		{"no digest", strings.Replace(good, digestPrefix, "# digest: ", 1), `x.sched: the header has no "# scenario-sha256:" line: refusing a schedule whose scenario cannot be verified`},
	} {
		_, _, err := ParseSchedule([]byte(tc.data), "x.sched")
		if assert.Error(t, err, tc.name) {
			assert.Equal(t, tc.err, err.Error(), tc.name)
		}
	}
}

// TestDivergedReplayJudgesNothing: a replay that diverges reports the
// divergence and runs no check (it would judge a hybrid of two runs); its
// summary says DIVERGED.
func TestDivergedReplayJudgesNothing(t *testing.T) {
	s := load(t, "default")
	_, _, sched, _ := traced(t, s, nil)
	changed := append(sched[:0:0], sched...)
	for i := range changed {
		if changed[i].Text == "0 start acceptor1" {
			changed[i].Text = "0 start acceptor2"
			break
		}
	}
	c := New(s, Options{Replay: changed})
	o := c.Run()
	require.NotNil(t, o.Result.Diverge)
	assert.Empty(t, o.Checks, "no check judges a diverged replay")
	assert.False(t, o.OK)
	var sum bytes.Buffer
	require.NoError(t, c.WriteSummary(&sum, o))
	assert.Contains(t, sum.String(), "checks:    not run: the replay diverged")
	assert.Contains(t, sum.String(), "result:    DIVERGED\n")
}

// stripLines drops the parsed records' line numbers, to compare them with
// recorded ones.
func stripLines(recs []sim.Record) []sim.Record {
	out := make([]sim.Record, len(recs))
	for i, r := range recs {
		r.Line = 0
		out[i] = r
	}
	return out
}

// TestMessagesAddUp: every message sent, and every network duplicate, is
// delivered, dropped, or still in flight when the run ends, in every
// embedded scenario and on a few seeds each, swarm draws included; the
// summary says so in those words.
func TestMessagesAddUp(t *testing.T) {
	for _, name := range scenarios.Names() {
		base := load(t, name)
		for seed := uint64(1); seed <= 5; seed++ {
			s := base
			s.Seed = seed
			if seed > 3 {
				s = scenarios.Swarm(base, seed)
			}
			c := New(s, Options{SkipLin: true})
			o := c.Run()
			r := o.Result
			require.Equal(t, r.Sent+r.Duplicated, r.Delivered+r.Dropped+c.Engine.InFlight(), "%s seed %d", name, seed)
			var sum bytes.Buffer
			require.NoError(t, c.WriteSummary(&sum, o))
			assert.Contains(t, sum.String(), fmt.Sprintf("messages:  %d sent + %d duplicated = %d delivered + %d dropped + %d in flight\n", r.Sent, r.Duplicated, r.Delivered, r.Dropped, c.Engine.InFlight()))
		}
	}
}

// TestStopWhereTheRunSettles: a schedule that stops on purpose just where
// its run settles replays to its stop, not to a divergence: the stop says
// why the run ends (and liveness is not judged).
func TestStopWhereTheRunSettles(t *testing.T) {
	r := recorded(t, "default", 1)
	recs := append(slices.Clone(r.Records), sim.Record{Kind: sim.RecStop, Text: "here"})
	o := New(r.Scenario, Options{Replay: recs}).Run()
	require.Nil(t, o.Result.Diverge)
	assert.Equal(t, sim.StopCut, o.Result.Reason)
	o = New(r.Scenario, Options{Replay: r.Records}).Run()
	assert.Equal(t, sim.StopSettled, o.Result.Reason, "without the stop, it settles")
}
