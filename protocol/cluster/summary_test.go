package cluster

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
)

// summaryOf runs s untraced and returns its text summary.
func summaryOf(t *testing.T, s scenarios.Scenario) string {
	t.Helper()
	c := New(s, Options{})
	o := c.Run()
	var b bytes.Buffer
	require.NoError(t, c.WriteSummary(&b, o))
	return b.String()
}

// TestSummaryNodeStates: the summary says what each node ended as: a
// crashed node what its crash kept, a standby leader which ballot
// superseded it, a candidate its promises, a learner its log and how much of
// it is applied (with compaction, what a snapshot covers), and a check that
// does not apply why.
func TestSummaryNodeStates(t *testing.T) {
	compacted := load(t, "leader-failover")
	compacted.SnapshotEvery = 4
	for _, c := range []struct {
		s    scenarios.Scenario
		want []string
	}{
		{load(t, "leader-failover"), []string{
			"  leader1    crashed at 30ms: its log and store are lost, only its highest round (1) is kept\n",
			"  leader2    leading at ballot (2,2); log 16 slots, 16 applied; store {a=val_17, b=val_65}\n",
		}},
		{load(t, "majority-loss"), []string{
			"  leader1    candidate at ballot (2,1) (Phase 1: 1 of 3 promises, quorum 2); log 5 slots, 4 applied; store {c=val_35}\n",
			"  acceptor2  crashed at 30ms; promised (1,1); 4 slots accepted (durable: kept for its restart)\n",
		}},
		{load(t, "leader-cut-off"), []string{"  leader1    standby (its ballot (1,1) superseded by (2,2)); log 5 slots, 4 applied;"}},
		{load(t, "explore-failover"), []string{"  leader2    standby (never campaigned)\n"}},
		{load(t, "replica-catch-up"), []string{"  replica2   crashed at 20ms, restarted at 60ms; log 15 slots, 15 applied;"}},
		{compacted, []string{
			"  leader2    leading at ballot (2,2); log 16 slots (1..16 in a snapshot), 16 applied;",
			"; a snapshot of slots 1..16 and 0 slots accepted above it\n",
			"  replica1   log 16 slots (1..16 compacted), 16 applied;",
		}},
		{load(t, "kvstore"), []string{
			"  server1    15 requests applied, store {c=val_35, d=val_6}\n",
			"  agreement        n/a (one server: no other node's log to agree with)\n",
			"  convergence      n/a (one server: no other store to converge with)\n",
		}},
	} {
		out := summaryOf(t, c.s)
		for _, w := range c.want {
			assert.Contains(t, out, w, "%s", c.s.Name)
		}
	}
}

// TestSummaryMessagesAddUp: for runs with losses, duplicates and messages
// left in flight, the summary's message counts add up.
func TestSummaryMessagesAddUp(t *testing.T) {
	re := regexp.MustCompile(`messages:  (\d+) sent \+ (\d+) duplicated = (\d+) delivered \+ (\d+) dropped \+ (\d+) in flight`)
	for _, name := range []string{"lossy", "leader-failover", "majority-loss", "acceptor-crash"} {
		m := re.FindStringSubmatch(summaryOf(t, load(t, name)))
		require.NotNil(t, m, name)
		var n [5]int
		for i := range n {
			n[i], _ = strconv.Atoi(m[i+1])
		}
		assert.Equal(t, n[0]+n[1], n[2]+n[3]+n[4], "%s: %s", name, fmt.Sprint(n))
	}
}
