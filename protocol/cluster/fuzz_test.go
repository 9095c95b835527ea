package cluster

// The fuzz targets of a whole cluster.
//
// FuzzClusterDecisions lets the fuzzer's bytes make every decision of the
// engine (each message's latency, each drop and duplicate) over a few small
// scenarios, and asserts that every check holds. FuzzReplaySchedule feeds
// whole schedule files to the parser and the replayer, which must never
// panic. Run them with:
//
//	go test ./protocol/cluster -run XXX -fuzz FuzzClusterDecisions -fuzztime 60s -fuzzminimizetime 5s
//	go test ./protocol/cluster -run XXX -fuzz FuzzReplaySchedule -fuzztime 60s -fuzzminimizetime 5s
//
// (-fuzzminimizetime 5s keeps the fuzzer from spending up to a minute
// minimizing each new interesting input, which shows as "0/sec").
//
// A failing input (a file in testdata/fuzz/FuzzClusterDecisions/, where the
// fuzzer writes it) becomes a schedule file that the CLI replays:
//
//	go test ./protocol/cluster -run 'FuzzClusterDecisions/NAME' -fuzz-schedule /tmp/out
//	go run ./cmd/multipaxos-kv replay /tmp/out/SCENARIO-HASH.sched
//
// where NAME is the corpus file's name; the test logs the schedule's path.
// Next to each schedule, SCENARIO-HASH.txt holds the text trace and summary
// of the fuzzed run: exactly what the replay prints on stdout.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// fuzzSchedule is the directory where FuzzClusterDecisions writes the
// schedule of every input it runs, so that a crasher can be replayed with
// `multipaxos-kv replay`. Meant for -run on one corpus entry; empty (the
// default) writes nothing.
var fuzzSchedule = flag.String("fuzz-schedule", "", "write the schedule of each FuzzClusterDecisions input run to this `DIR`, as SCENARIO-HASH.sched (replay it with: go run ./cmd/multipaxos-kv replay FILE)")

// fuzzMaxEvents bounds every run of FuzzClusterDecisions, so that no input
// runs long: the fuzzer should try thousands of inputs a second.
const fuzzMaxEvents = 20000

// fuzzScenarios are the scenarios FuzzClusterDecisions runs; the first byte
// of an input picks one. Each is small, and each is built in code from the
// embedded scenarios, so that the schedules written with -fuzz-schedule
// carry them whole.
var fuzzScenarios = sync.OnceValues(func() ([]scenarios.Scenario, error) {
	base, err := scenarios.Load("default")
	if err != nil {
		return nil, err
	}
	kvs, err := scenarios.Load("kvstore")
	if err != nil {
		return nil, err
	}
	ms := func(d int) scenarios.Duration { return scenarios.Duration(time.Duration(d) * time.Millisecond) }
	// clone copies base with fresh slices, so that no two scenarios share
	// a backing array.
	clone := func(s scenarios.Scenario, name, desc string) scenarios.Scenario {
		s.Name, s.Description = name, desc
		s.Workload.Keys = append([]string(nil), s.Workload.Keys...)
		s.Faults = append([]scenarios.Fault(nil), s.Faults...)
		s.MaxEvents = min(s.MaxEvents, fuzzMaxEvents)
		return s
	}

	def := clone(base, "fuzz-default", "the default scenario, every network decision taken by the fuzzer")

	ties := clone(base, "fuzz-ties", "2 clients x 4 requests on 2 keys, latency 0..20ms: much reordering and many ties")
	ties.Nodes.Clients = 2
	ties.Workload.RequestsPerClient = 4
	ties.Workload.Keys = []string{"a", "b"}
	ties.Network.LatencyMin, ties.Network.LatencyMax = 0, ms(20)

	lossy := clone(base, "fuzz-lossy", "the default scenario on a network that drops and duplicates 20% of messages")
	lossy.Network.Drop, lossy.Network.Duplicate = 0.2, 0.2
	lossy.Liveness = false // the original protocol stalls on a lost message: expected, not a bug

	faults := clone(base, "fuzz-faults", "the default scenario with a crash and restart of acceptor3, a partition and a heal")
	faults.Faults = []scenarios.Fault{
		{At: ms(15), Crash: "acceptor3"},
		{At: ms(25), Partition: [][]string{{"leader1", "acceptor1", "replica1"}, {"acceptor2", "acceptor3", "replica2"}}},
		{At: ms(45), Heal: true},
		{At: ms(55), Restart: "acceptor3"},
	}
	faults.Liveness = false // messages lost to the crash and the partition stall the original protocol

	kvstore := clone(kvs, "fuzz-kvstore", "the unreplicated kv_store, every network decision taken by the fuzzer")

	all := []scenarios.Scenario{def, ties, lossy, faults, kvstore}
	for i := range all {
		if err := all[i].Validate(); err != nil {
			return nil, fmt.Errorf("fuzz scenario %s: %w", all[i].Name, err)
		}
	}
	return all, nil
})

// fuzzScenario splits a FuzzClusterDecisions input: its first byte picks the
// scenario (modulo 5: 0 fuzz-default, 1 fuzz-ties, 2 fuzz-lossy, 3
// fuzz-faults, 4 fuzz-kvstore; an empty input runs fuzz-default), the rest
// makes the engine's decisions.
func fuzzScenario(t testing.TB, data []byte) (scenarios.Scenario, []byte) {
	all, err := fuzzScenarios()
	require.NoError(t, err)
	if len(data) == 0 {
		return all[0], nil
	}
	return all[int(data[0])%len(all)], data[1:]
}

// fuzzDecider makes the engine's decisions from the input's bytes, then,
// when they run out, from a stream of the scenario's seed, so that a short
// input still finishes its run and every input gives one run only.
func fuzzDecider(s scenarios.Scenario, decisions []byte) sim.Decider {
	return &sim.ByteDecider{Data: decisions, Fallback: sim.SeedDecider{R: sim.Stream(s.Seed, "fuzz-fallback")}}
}

// fuzzScheduleName is the base name of the files -fuzz-schedule writes for
// an input: the scenario's name and the start of the input's SHA-256.
func fuzzScheduleName(s scenarios.Scenario, data []byte) string {
	sum := sha256.Sum256(data)
	return s.Name + "-" + hex.EncodeToString(sum[:8])
}

// failedChecks renders the failing verdicts of o, one per line.
func failedChecks(o Outcome) string {
	var b strings.Builder
	for _, v := range o.Checks {
		if v.Err != nil {
			fmt.Fprintf(&b, "\n  %s: %s", v.Name, v.Text())
		}
	}
	if d := o.Result.Diverge; d != nil {
		fmt.Fprintf(&b, "\n  replay: %s", d.Error())
	}
	return b.String()
}

// fuzzSeeds are the seed corpus of FuzzClusterDecisions besides the files in
// testdata/fuzz/FuzzClusterDecisions.
func fuzzSeeds() [][]byte {
	seeds := [][]byte{
		{},                             // scenario 0 (default), every decision from the fallback stream
		bytes.Repeat([]byte{0}, 64),    // default: minimum latencies
		bytes.Repeat([]byte{0xff}, 64), // scenario 0xff%5 = 0 as well: maximum latencies
		bytes.Repeat([]byte{2}, 400),   // lossy: each drop byte is 2, and 2/256 < 0.2: every message is lost
		// lossy: a send takes a drop byte, two latency bytes, a duplicate
		// byte and, for a copy, two more: here no drop, every message twice.
		append([]byte{2}, bytes.Repeat([]byte{0xff, 0x12, 0x34, 0x00, 0x56, 0x78}, 200)...),
		append([]byte{1}, bytes.Repeat([]byte{0, 0}, 200)...),       // ties: every latency 0, everything at once
		append([]byte{3}, bytes.Repeat([]byte{0xff, 0xff}, 200)...), // faults: longest latencies, into the partition
		append([]byte{4}, bytes.Repeat([]byte{0x80, 0x00}, 100)...), // kvstore: mid-range latencies
		[]byte("the quick brown fox jumps over the lazy dog"),
	}
	// A few random inputs, one per scenario; fixed seeds keep the corpus stable.
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 5 {
		b := make([]byte, 1+r.IntN(600))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		b[0] = byte(i)
		seeds = append(seeds, b)
	}
	return seeds
}

// FuzzClusterDecisions runs a small scenario (picked by the first byte) with
// every decision of the engine taken from the input, and asserts that every
// check holds: whatever the network does within the scenario's model, the
// protocol stays safe, and live where the scenario asks for liveness.
func FuzzClusterDecisions(f *testing.F) {
	for _, seed := range fuzzSeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, decisions := fuzzScenario(t, data)
		opt := Options{Decider: fuzzDecider(s, decisions)}
		var text bytes.Buffer
		if *fuzzSchedule != "" {
			opt.Record, opt.Text = true, &text
		}
		c := New(s, opt)
		o := c.Run()
		require.LessOrEqual(t, o.Result.Events, s.MaxEvents)

		repro := "go test ./protocol/cluster -run 'FuzzClusterDecisions/<corpus file>' -fuzz-schedule DIR"
		if dir := *fuzzSchedule; dir != "" {
			// The schedule is written before the checks are asserted, so that
			// a failing input leaves its schedule behind.
			require.NoError(t, os.MkdirAll(dir, 0o755))
			path := filepath.Join(dir, fuzzScheduleName(s, data)+".sched")
			require.NoError(t, c.WriteScheduleFile(path))
			require.NoError(t, c.WriteSummary(&text, o))
			require.NoError(t, os.WriteFile(strings.TrimSuffix(path, ".sched")+".txt", text.Bytes(), 0o644))
			t.Logf("schedule written; replay it with: go run ./cmd/multipaxos-kv replay %s", path)
			repro = "go run ./cmd/multipaxos-kv replay " + path
		}
		if !o.OK {
			t.Fatalf("%s (%d decision bytes): checks failed:%s\nreproduce with: %s", s.Name, len(decisions), failedChecks(o), repro)
		}
	})
}

// recordFuzzInput runs a FuzzClusterDecisions input with recording and both
// traces, and returns the cluster, its outcome, and its text and JSON traces
// with the summaries.
func recordFuzzInput(t testing.TB, data []byte) (*Cluster, Outcome, []byte, []byte) {
	s, decisions := fuzzScenario(t, data)
	var text, js bytes.Buffer
	c := New(s, Options{Decider: fuzzDecider(s, decisions), Record: true, Text: &text, JSON: &js})
	o := c.Run()
	require.NoError(t, c.WriteSummary(&text, o))
	require.NoError(t, c.WriteSummaryJSON(&js, o))
	require.NoError(t, c.TraceErr())
	return c, o, text.Bytes(), js.Bytes()
}

// TestFuzzScheduleReplays does in-process what -fuzz-schedule and
// `multipaxos-kv replay` do: a run whose decisions come from fuzz bytes is
// written as a schedule file, parsed back, and replayed from the file alone;
// the replay must not diverge and must give byte-identical traces. This is
// what makes a crasher of FuzzClusterDecisions reproducible with the CLI.
func TestFuzzScheduleReplays(t *testing.T) {
	for i, data := range fuzzSeeds() {
		c, o, text, js := recordFuzzInput(t, data)
		name := fmt.Sprintf("%d-%s", i, c.Scenario.Name)
		t.Run(name, func(t *testing.T) {
			require.True(t, o.OK, "the seed input's run fails:%s", failedChecks(o))
			path := filepath.Join(t.TempDir(), fuzzScheduleName(c.Scenario, data)+".sched")
			require.NoError(t, c.WriteScheduleFile(path))

			file, err := os.ReadFile(path)
			require.NoError(t, err)
			s, recs, err := ParseSchedule(file, path)
			require.NoError(t, err)
			require.Len(t, recs, len(c.Schedule))
			want, err := c.Scenario.Encode()
			require.NoError(t, err)
			got, err := s.Encode()
			require.NoError(t, err)
			require.Equal(t, string(want), string(got), "the schedule's header is the scenario that ran")

			var rtext, rjs bytes.Buffer
			rc := New(s, Options{Replay: recs, Text: &rtext, JSON: &rjs})
			ro := rc.Run()
			require.NoError(t, rc.WriteSummary(&rtext, ro))
			require.NoError(t, rc.WriteSummaryJSON(&rjs, ro))
			require.Nil(t, ro.Result.Diverge, "replay of %s", path)
			assert.Equal(t, string(js), rjs.String(), "replay JSON trace")
			assert.Equal(t, string(text), rtext.String(), "replay text trace")
			assert.Equal(t, o.Result, ro.Result)
			assert.True(t, ro.OK, "replay checks:%s", failedChecks(ro))
		})
	}
}

// Bounds on the scenarios FuzzReplaySchedule replays. A schedule names its
// own scenario, and a valid scenario may ask for a thousand nodes of each
// kind or a million requests per client; such inputs are skipped (the run
// would take seconds and teach the fuzzer nothing new about parsing or
// replay). Within them, one replay takes about a millisecond.
const (
	replayMaxNodes     = 8    // leaders, acceptors, replicas and clients, each
	replayMaxRequests  = 64   // requests of all clients together
	replayMaxValues    = 1000 // workload.values: kv.Values allocates a table that large, even 1e18
	replayMaxFaults    = 32
	replayMaxEvents    = 5000
	replayMaxTimeLimit = time.Minute
)

// replaySmall reports whether s is small enough for FuzzReplaySchedule to
// replay quickly.
func replaySmall(s scenarios.Scenario) bool {
	n := s.Nodes
	if s.Protocol == scenarios.ProtocolKVStore {
		n.Leaders, n.Acceptors, n.Replicas = 0, 0, 0 // ignored: there is one server
	}
	return n.Leaders <= replayMaxNodes && n.Acceptors <= replayMaxNodes && n.Replicas <= replayMaxNodes &&
		n.Clients <= replayMaxNodes &&
		n.Clients*s.Workload.RequestsPerClient <= replayMaxRequests &&
		s.Workload.Values <= replayMaxValues &&
		len(s.Faults) <= replayMaxFaults
}

// replaySeeds are the seed corpus of FuzzReplaySchedule: real schedules
// recorded from seeded and fuzzed runs, then broken in every way a file can
// be: truncated, with a corrupt record, with a record that parses but does not
// match the run, garbage.
func replaySeeds(t testing.TB) [][]byte {
	var files [][]byte
	record := func(s scenarios.Scenario, opt Options) []byte {
		opt.Record = true
		c := New(s, opt)
		c.Run()
		var b bytes.Buffer
		require.NoError(t, c.WriteSchedule(&b))
		return b.Bytes()
	}
	for _, name := range []string{"default", "kvstore"} {
		s := load(t, name)
		for _, seed := range []uint64{1, 7} {
			s.Seed = seed
			files = append(files, record(s, Options{}))
		}
	}
	for _, data := range [][]byte{{2, 0x10, 0x00, 0x40}, {3, 0xff, 0xff}} { // lossy, faults
		s, decisions := fuzzScenario(t, data)
		files = append(files, record(s, Options{Decider: fuzzDecider(s, decisions)}))
	}

	def := files[0]
	marker := bytes.Index(def, []byte(sim.ScheduleMarker))
	require.Positive(t, marker)
	mark := marker + len(sim.ScheduleMarker) + 1 // just past the marker line
	replace := func(old, new string) []byte {
		return bytes.Replace(def, []byte("\n"+old+"\n"), []byte("\n"+new+"\n"), 1)
	}
	firstLatency := def[mark:]
	firstLatency = firstLatency[bytes.Index(firstLatency, []byte("\nl "))+1:]
	firstLatency = firstLatency[:bytes.IndexByte(firstLatency, '\n')]
	files = append(files,
		def[:len(def)/2], // truncated in the records
		def[:mark],       // the header and the marker, no records
		def[:marker/2],   // truncated in the header: no marker
		def[mark:],       // the records without a header
		replace(string(firstLatency), "l 1000000"),         // parses, diverges
		replace(string(firstLatency), "l -5"),              // corrupt: a negative latency
		replace(string(firstLatency), "d 2"),               // corrupt: a decision that is not 0 or 1
		replace(string(firstLatency), "x 1"),               // corrupt: an unknown kind
		replace(string(firstLatency), "e 0 start leader1"), // an event where a decision was
		append(append([]byte(nil), def[:mark]...), "e 0 start leader1\nl 99999999999\n"...),
		bytes.Replace(def, []byte("max_events = 1000000"), []byte("max_events = 10"), 1), // stops early: records left over
		[]byte(sim.ScheduleMarker+"\n"),
		[]byte{},
		[]byte("\x00\xff garbage \n# --- schedule ---\n\xfe"),
	)
	return files
}

// FuzzReplaySchedule feeds a whole schedule file to ParseSchedule and, when it
// parses and its scenario is small, replays it. Nothing may panic: a bad file
// is an error, a schedule that does not match the run is a divergence with a
// message, and a schedule that replays without divergence is exactly what the
// replayed run records.
func FuzzReplaySchedule(f *testing.F) {
	for _, file := range replaySeeds(f) {
		f.Add(file)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, recs, err := ParseSchedule(data, "fuzz.sched")
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				require.True(t, strings.HasPrefix(line, "fuzz.sched"), "every error line names the file: %q", line)
			}
			return
		}
		require.NotNil(t, recs, "a parsed schedule has records, possibly none")
		if !replaySmall(s) {
			return // too large to replay quickly; the parse above is still fuzzed
		}
		s.MaxEvents = min(s.MaxEvents, replayMaxEvents)
		s.TimeLimit = min(s.TimeLimit, scenarios.Duration(replayMaxTimeLimit))
		require.NoError(t, s.Validate())

		c := New(s, Options{Replay: recs, Record: true})
		o := c.Run()
		got, r := c.Schedule, o.Result
		require.LessOrEqual(t, r.Events, s.MaxEvents)
		if r.Diverge != nil {
			require.Equal(t, sim.StopDivergence, r.Reason)
			require.NotEmpty(t, r.Diverge.Error())
			require.False(t, o.OK, "a diverged replay is not ok")
			return
		}
		require.NotEqual(t, sim.StopDivergence, r.Reason, "stopped for a divergence without saying which")
		// No divergence: the schedule is exactly the replayed run's recording.
		require.Len(t, got, len(recs))
		for i := range recs {
			want := recs[i]
			want.Line = 0
			require.Equal(t, want, got[i], "record %d (schedule line %d)", i, recs[i].Line)
		}
	})
}
