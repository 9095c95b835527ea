package cluster

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
)

// TestExplainChangesTextOnly: explanations and traced heartbeats add trace
// lines and change nothing else. The run with them takes the same schedule
// and ends the same, and its text without the added lines is the text of
// the run without them.
func TestExplainChangesTextOnly(t *testing.T) {
	for _, name := range []string{"default", "lossy", "leader-failover", "duelling-leaders", "leader-cut-off", "kvstore"} {
		s := load(t, name)
		run := func(opt Options) (string, Outcome, int) {
			var text bytes.Buffer
			opt.Text, opt.Record = &text, true
			c := New(s, opt)
			o := c.Run()
			return text.String(), o, len(c.Schedule)
		}
		plain, po, pn := run(Options{})
		rich, ro, rn := run(Options{Explain: true, Heartbeats: true})
		assert.Equal(t, pn, rn, "%s: the same schedule", name)
		assert.Equal(t, po.Result, ro.Result, "%s: the same run", name)
		assert.Equal(t, po.Checks, ro.Checks, "%s: the same verdicts", name)
		var kept []string
		for _, line := range strings.SplitAfter(rich, "\n") {
			if !strings.Contains(line, "] "+protocol.WhyPrefix) && !strings.Contains(line, "] sending Heartbeat (") && !strings.Contains(line, "] heartbeat from ") {
				kept = append(kept, line)
			}
		}
		assert.Equal(t, plain, strings.Join(kept, ""), "%s: the text, less the added lines", name)
		if name != "kvstore" {
			assert.Contains(t, rich, "] sending Heartbeat (", name)
			assert.Contains(t, rich, "] heartbeat from ", name)
		}
	}
}

// TestEveryRuleExplained: every rule's explanation shows in the trace of
// some embedded scenario, once per run at most, so that a rule whose step
// no scenario reaches, or whose call was lost, is noticed.
func TestEveryRuleExplained(t *testing.T) {
	seen := map[string]bool{}
	for _, name := range scenarios.Names() {
		var text bytes.Buffer
		New(load(t, name), Options{Text: &text, Explain: true}).Run()
		for _, why := range protocol.Why {
			n := strings.Count(text.String(), "] "+protocol.WhyPrefix+why+"\n")
			require.LessOrEqual(t, n, 1, "%s explains %q more than once", name, why)
			seen[why] = seen[why] || n == 1
		}
	}
	for r, why := range protocol.Why {
		assert.True(t, seen[why], "rule %d is never explained in an embedded scenario: %q", r, why)
	}
}
