package sim

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/sim/golden"
)

// TestGoldenBusyTrace pins the text trace, the JSON trace and the schedule of
// one busy run. Any change to stream derivation, event order, decisions or
// formatting shows up here as a diff; after reviewing it, rewrite the file
// with go test ./sim -update.
//
// busy.golden is the run of legacy pingers, which draw what they decide from
// the stream the engine used to hand them, so that it pins the run from
// before timers became kinds; busy-jitter.golden is the run of today's
// pingers, whose peers are hashed and whose tick jitter is the decider's.
func TestGoldenBusyTrace(t *testing.T) {
	for _, c := range []struct {
		file   string
		legacy bool
		what   string
	}{
		{"testdata/busy.golden", true, "pingers n1 n2 n3 (10 hops, 5 ticks)"},
		{"testdata/busy-jitter.golden", false, "pingers n1 n2 n3 (10 hops, 5 ticks, hashed peers, decided jitter)"},
	} {
		t.Run(c.file, func(t *testing.T) {
			cfg := busyConfig(1)
			var recs []Record
			tr := busyEngineMode(cfg, -1, c.legacy)
			tr.RecordTo(&recs)
			res := tr.Run()
			require.Equal(t, StopQuiescent, res.Reason)

			var out bytes.Buffer
			out.WriteString("# busy run: " + c.what + ", latency 1ms..5ms, drop 0.1, duplicate 0.1,\n")
			out.WriteString("# crash n2 at 7ms, restart at 15ms, partition n1|n3 from 10ms to 20ms; seed 1\n")
			out.WriteString("# --- text ---\n")
			out.Write(tr.text.Bytes())
			out.WriteString("# --- json ---\n")
			out.Write(tr.json.Bytes())
			require.NoError(t, WriteSchedule(&out, nil, recs))
			golden.Check(t, c.file, out.Bytes())
		})
	}
}
