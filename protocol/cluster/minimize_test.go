package cluster

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/protocol/check"
)

// TestMinimize: failing runs of catalogued bugs shrink to much smaller
// schedules that fail the same check; the result replays strictly (no
// divergence) to the same failure, twice the same bytes; and the same input
// gives the same output. A schedule that fails nothing is refused.
func TestMinimize(t *testing.T) {
	for _, c := range []struct {
		scenario string
		seed     uint64
		bug      string
		check    check.Name
		most     int // events at most after
	}{
		{"leader-failover", 2, "reply-before-chosen", check.NameLinearizability, 60},
		{"duelling-leaders", 2, "accept-below-promise", check.NameAgreement, 80},
		{"lossy", 3, "replica-unordered", check.NameAgreement, 40},
	} {
		t.Run(c.bug, func(t *testing.T) {
			r := recorded(t, c.scenario, c.seed, c.bug)
			m, err := Minimize(r.Scenario, r.Records, MinimizeOptions{})
			require.NoError(t, err)
			assert.Equal(t, c.check, m.Check)
			assert.Less(t, m.After, m.Before/5, "much smaller: %d -> %d events", m.Before, m.After)
			assert.LessOrEqual(t, m.After, c.most)
			again, _ := Minimize(r.Scenario, r.Records, MinimizeOptions{})
			assert.Equal(t, m.Records, again.Records, "deterministic")

			var traces [2]bytes.Buffer
			for i := range traces {
				rc := New(m.Scenario, Options{Replay: m.Records, Text: &traces[i]})
				o := rc.Run()
				require.Nil(t, o.Result.Diverge, "the minimal schedule replays strictly")
				assert.Contains(t, o.Failed(), string(c.check))
			}
			assert.Equal(t, traces[0].String(), traces[1].String())
		})
	}
	ok := recorded(t, "default", 1)
	_, err := Minimize(ok.Scenario, ok.Records, MinimizeOptions{})
	assert.ErrorContains(t, err, "fails no safety check")
}
