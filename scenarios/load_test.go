package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/sim/golden"
)

// The -update flag must exist in every test binary (go test ./... -update).
var _ = golden.Update

// withoutLines returns s with every Fault.Line cleared, because Line records
// where a fault was written, not what it is.
func withoutLines(s Scenario) Scenario {
	s.Faults = append([]Fault(nil), s.Faults...)
	for i := range s.Faults {
		s.Faults[i].Line = 0
	}
	return s
}

// roundTrip encodes s, parses the result and requires the same scenario back.
func roundTrip(t testing.TB, s Scenario) {
	t.Helper()
	data, err := s.Encode()
	require.NoError(t, err)
	back, err := Parse(data, "encoded.toml")
	require.NoError(t, err, "encoded:\n%s", data)
	require.Equal(t, withoutLines(s), withoutLines(back), "encoded:\n%s", data)
}

func TestNames(t *testing.T) {
	assert.Equal(t, []string{"acceptor-crash", "batching", "default", "duelling-leaders", "explore-basic", "explore-batch", "explore-failover", "explore-restart", "explore-takeover", "kvstore", "leader-cut-off", "leader-failover", "leader-isolated", "lossy", "majority-loss", "minority-leader", "minority-partition", "replica-catch-up", "retry-twice", "two-values"}, Names())
	_, ok := Embedded("nosuch")
	assert.False(t, ok)
	_, ok = Embedded("../scenarios/default")
	assert.False(t, ok)
}

func TestEmbeddedScenariosLoad(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			s, err := Load(name)
			require.NoError(t, err)
			assert.Equal(t, name, s.Name)
			assert.NotEmpty(t, s.Description)
			require.NoError(t, s.Validate())
			roundTrip(t, s)
		})
	}
}

// TestDefaultFileStatesEveryKey keeps default.toml the complete reference:
// it must state every key of the format, with exactly the values of Default.
func TestDefaultFileStatesEveryKey(t *testing.T) {
	s, err := Load("default")
	require.NoError(t, err)
	want := Default()
	want.Name = "default"
	want.Description = "3 acceptors, 2 replicas, 1 leader, 3 clients x 5 random requests, reliable network"
	assert.Equal(t, want, s)

	data, _ := Embedded("default")
	var stated, all map[string]any
	_, err = toml.Decode(string(data), &stated)
	require.NoError(t, err)
	encoded, err := want.Encode()
	require.NoError(t, err)
	_, err = toml.Decode(string(encoded), &all)
	require.NoError(t, err)
	assert.ElementsMatch(t, keyPaths(all, ""), keyPaths(stated, ""))
}

// keyPaths lists the dotted paths of every leaf key of a decoded table.
func keyPaths(m map[string]any, prefix string) []string {
	var out []string
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			out = append(out, keyPaths(sub, join(prefix, k))...)
		} else {
			out = append(out, join(prefix, k))
		}
	}
	return out
}

func TestKVStoreScenario(t *testing.T) {
	s, err := Load("kvstore")
	require.NoError(t, err)
	assert.Equal(t, ProtocolKVStore, s.Protocol)
	assert.Equal(t, []string{"server1", "client1", "client2", "client3"}, s.NodeNames())
	assert.Equal(t, Default().Workload, s.Workload)
	assert.Equal(t, Default().Network, s.Network)
}

func TestMissingKeysTakeDefaults(t *testing.T) {
	s, err := Parse([]byte(`name = "x"`), "x.toml")
	require.NoError(t, err)
	want := Default()
	want.Name = "x"
	assert.Equal(t, want, s)

	// An empty file is the default scenario, named after its file.
	s, err = Parse(nil, filepath.Join("dir", "quiet.toml"))
	require.NoError(t, err)
	want.Name = "quiet"
	assert.Equal(t, want, s)

	// A partly stated table keeps the defaults of its other keys.
	s, err = Parse([]byte("[nodes]\nclients = 7\n[workload]\nmix = { put = 5 }\n"), "x.toml")
	require.NoError(t, err)
	assert.Equal(t, Nodes{Leaders: 1, Acceptors: 3, Replicas: 2, Clients: 7}, s.Nodes)
	assert.Equal(t, Mix{Get: 1, Put: 5, Delete: 1}, s.Workload.Mix)
}

func TestKeysListIsReplacedNotMerged(t *testing.T) {
	s, err := Parse([]byte("[workload]\nkeys = [\"x\", \"y\"]\n"), "x.toml")
	require.NoError(t, err)
	assert.Equal(t, []string{"x", "y"}, s.Workload.Keys)
	// Decoding over the defaults must not have touched the next defaults.
	assert.Equal(t, []string{"a", "b", "c", "d", "e"}, Default().Workload.Keys)
}

// allFaults states one fault of each kind, one of them as an inline table.
const allFaults = `name = "faulty"
[[faults]]
at = "40ms"
crash = "acceptor3"

[[faults]]
at = "60ms"
restart = "acceptor3"

[[faults]]   # a comment
at = "80ms"
partition = [
  ["leader1", "acceptor1"],
  ["acceptor2", "acceptor3"],
]

[[faults]]
at = "1.5s"
heal = true

[[faults]]
at = "2s"
cut = ["leader1", "acceptor2"]

[[faults]]
at = "2.5s"
hold = ["acceptor1", "leader1"]
for = "200ms"
`

func TestFaults(t *testing.T) {
	s, err := Parse([]byte(allFaults), "faulty.toml")
	require.NoError(t, err)
	assert.Equal(t, []Fault{
		{At: Duration(40 * time.Millisecond), Crash: "acceptor3", Line: 2},
		{At: Duration(60 * time.Millisecond), Restart: "acceptor3", Line: 6},
		{At: Duration(80 * time.Millisecond), Partition: [][]string{{"leader1", "acceptor1"}, {"acceptor2", "acceptor3"}}, Line: 10},
		{At: Duration(1500 * time.Millisecond), Heal: true, Line: 17},
		{At: Duration(2 * time.Second), Cut: []string{"leader1", "acceptor2"}, Line: 21},
		{At: Duration(2500 * time.Millisecond), Hold: []string{"acceptor1", "leader1"}, For: Duration(200 * time.Millisecond), Line: 25},
	}, s.Faults)
	for i, want := range []string{"crash", "restart", "partition", "heal", "cut", "hold"} {
		assert.Equal(t, want, s.Faults[i].Kind())
	}
	roundTrip(t, s)

	// Faults written as an inline array of tables work too.
	s, err = Parse([]byte("faults = [\n  { at = \"1ms\", crash = \"client1\" },\n  { at = \"2ms\", heal = true },\n]\n"), "x.toml")
	require.NoError(t, err)
	assert.Equal(t, []Fault{
		{At: Duration(time.Millisecond), Crash: "client1", Line: 2},
		{At: Duration(2 * time.Millisecond), Heal: true, Line: 3},
	}, s.Faults)
	roundTrip(t, s)
}

func TestKVStoreIgnoresReplicationCounts(t *testing.T) {
	s, err := Parse([]byte("protocol = \"kvstore\"\n[nodes]\nleaders = 0\nacceptors = -1\nclients = 1\n"), "x.toml")
	require.NoError(t, err)
	assert.Equal(t, []string{"server1", "client1"}, s.NodeNames())
}

func TestNodeNames(t *testing.T) {
	assert.Equal(t, []string{
		"leader1", "acceptor1", "acceptor2", "acceptor3", "replica1", "replica2", "client1", "client2", "client3",
	}, Default().NodeNames())
	s := Default()
	s.Nodes = Nodes{Leaders: 2, Acceptors: 5, Replicas: 0, Clients: 0}
	assert.Equal(t, []string{
		"leader1", "leader2", "acceptor1", "acceptor2", "acceptor3", "acceptor4", "acceptor5",
	}, s.NodeNames())
	assert.Equal(t, "leader1, leader2, acceptor1..acceptor5", s.nodeSummary())
}

// TestValidateAfterOverrides covers the command line's use: change a loaded
// scenario, then validate it again; the error has no file and no line.
func TestValidateAfterOverrides(t *testing.T) {
	s := Default()
	s.Nodes.Clients = 10001
	s.Seed = 1 << 63
	err := s.Validate()
	require.Error(t, err)
	assert.Equal(t, "seed: must be at most 9223372036854775807 (TOML integers are signed 64-bit), got 9223372036854775808\n"+
		"nodes.clients: must be between 0 and 10000, got 10001", err.Error())
	var e *Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, []Problem{
		{Field: "seed", Msg: "must be at most 9223372036854775807 (TOML integers are signed 64-bit), got 9223372036854775808"},
		{Field: "nodes.clients", Msg: "must be between 0 and 10000, got 10001"},
	}, e.Problems)

	s = Default()
	assert.NoError(t, s.Validate())
}

func TestLoad(t *testing.T) {
	_, err := Load("nosuch")
	assert.EqualError(t, err, `unknown scenario "nosuch" (embedded scenarios: acceptor-crash, batching, default, duelling-leaders, explore-basic, explore-batch, explore-failover, explore-restart, explore-takeover, kvstore, leader-cut-off, leader-failover, leader-isolated, lossy, majority-loss, minority-leader, minority-partition, replica-catch-up, retry-twice, two-values; a file must be given as a path, like ./nosuch.toml)`)

	dir := t.TempDir()
	path := filepath.Join(dir, "mine.toml")
	require.NoError(t, os.WriteFile(path, []byte("seed = 9\n"), 0o644))
	s, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, "mine", s.Name)
	assert.Equal(t, uint64(9), s.Seed)

	missing := filepath.Join(dir, "gone.toml")
	_, err = Load(missing)
	assert.EqualError(t, err, missing+": cannot read the scenario: no such file or directory")

	require.NoError(t, os.WriteFile(path, []byte("seed = -9\n"), 0o644))
	_, err = Load(path)
	assert.EqualError(t, err, path+`:1: seed: expected an integer >= 0, got integer -9`)
}

func TestDuration(t *testing.T) {
	var d Duration
	require.NoError(t, d.UnmarshalText([]byte("250us")))
	assert.Equal(t, 250*time.Microsecond, d.D())
	text, err := d.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "250µs", string(text))
	assert.EqualError(t, d.UnmarshalText([]byte("5")), `invalid duration "5" (expected Go syntax like "250us", "5ms", "2s")`)
}

// badFiles are scenario files with their exact error, each file named
// bad.toml. Together they cover every rule of the format.
var badFiles = []struct {
	name string
	src  string
	err  string
}{
	{"unknown top-level key", "seed = 2\nnodez = 1\n",
		`bad.toml:2: unknown key "nodez" (expected one of: name, description, seed, protocol, time_limit, max_events, liveness, pipeline, batch, snapshot_every, bugs, nodes, workload, network, timeouts, faults)`},
	{"unknown bug", "seed = 2\nbugs = [\"no-sessions\", \"local-reads\"]\n",
		"bad.toml:2: bugs[1]: unknown bug \"local-reads\" (expected one of: accept-below-promise, promise-without-accepted, acceptor-amnesia, recover-first-value, forget-round, same-ballot, minority-quorum, count-duplicate-votes, count-stale-votes, count-stale-promises, replica-unordered, no-sessions, reply-before-chosen; `multipaxos-kv bugs` describes them)"},
	{"bugs is a list of names", "bugs = \"no-sessions\"\n",
		"bad.toml:1: bugs: expected an array, got string \"no-sessions\""},
	{"key in the wrong case", "Seed = 2\n",
		`bad.toml:1: unknown key "Seed" (expected one of: name, description, seed, protocol, time_limit, max_events, liveness, pipeline, batch, snapshot_every, bugs, nodes, workload, network, timeouts, faults)`},
	{"unknown nested key", "[network]\nlag = 1\n",
		`bad.toml:2: unknown key "network.lag" (expected one of: latency_min, latency_max, drop, duplicate)`},
	{"unknown key in an inline table", "[workload]\nmix = { get = 1, post = 2 }\n",
		`bad.toml:2: unknown key "workload.mix.post" (expected one of: get, put, delete)`},
	{"unknown key in the second fault", "[[faults]]\nat = \"1ms\"\ncrash = \"leader1\"\n\n[[faults]]\nat = \"2ms\"\nrestrat = \"leader1\"\n",
		`bad.toml:7: unknown key "faults[1].restrat" (expected one of: at, crash, restart, partition, heal, cut, hold, for)`},
	{"unknown table", "[nodes]\nclients = 1\n[timers]\nleader = \"1s\"\n",
		`bad.toml:3: unknown key "timers" (expected one of: name, description, seed, protocol, time_limit, max_events, liveness, pipeline, batch, snapshot_every, bugs, nodes, workload, network, timeouts, faults)`},
	{"syntax error", "seed = 1\n[nodes\nclients = 1\n",
		`bad.toml:2: expected '.' or ']' to end table name, but got '\n' instead`},
	{"value missing", "seed = \n",
		`bad.toml:1: expected value but found '\n' instead`},
	{"duplicate key", "seed = 1\nseed = 2\n",
		`bad.toml:2: Key 'seed' has already been defined.`},
	{"wrong type", `seed = "x"`,
		`bad.toml:1: seed: expected an integer >= 0, got string "x"`},
	{"float for an integer", "[nodes]\nclients = 1.5\n",
		`bad.toml:2: nodes.clients: expected an integer, got float 1.5`},
	{"table expected", "nodes = 3\n",
		`bad.toml:1: nodes: expected a table, got integer 3`},
	{"faults not an array", "[faults]\nat = \"1ms\"\n",
		`bad.toml:1: faults: expected an array, got a table`},
	{"wrong element type", "[workload]\nkeys = [\"a\", 2]\n",
		`bad.toml:2: workload.keys[1]: expected a string, got integer 2`},
	{"bad duration", `time_limit = "5 parsecs"`,
		`bad.toml:1: time_limit: invalid duration "5 parsecs" (expected Go syntax like "250us", "5ms", "2s")`},
	{"duration without quotes", "[network]\nlatency_max = 5\n",
		`bad.toml:2: network.latency_max: expected a duration string (Go syntax like "250us", "5ms", "2s"), got integer 5`},
	{"zero time limit", `time_limit = "0s"`,
		`bad.toml:1: time_limit: must be > 0, got 0s`},
	{"max events", "max_events = 0\n",
		`bad.toml:1: max_events: must be between 1 and 1000000000, got 0`},
	{"negative latency", "[network]\nlatency_min = \"-1ms\"\n",
		`bad.toml:2: network.latency_min: must be >= 0, got -1ms`},
	{"latency_min above latency_max", "[network]\nlatency_min = \"10ms\"\nlatency_max = \"5ms\"\n",
		`bad.toml:2: network.latency_min: must be <= latency_max (5ms), got 10ms`},
	{"latency_max below the default latency_min", "[network]\nlatency_max = \"500us\"\n",
		`bad.toml:1: network.latency_min: must be <= latency_max (500µs), got 1ms`},
	{"drop above 1", "[network]\ndrop = 1.5\n",
		`bad.toml:2: network.drop: must be between 0 and 1, got 1.5`},
	{"negative duplicate", "[network]\nduplicate = -0.1\n",
		`bad.toml:2: network.duplicate: must be between 0 and 1, got -0.1`},
	{"nan drop", "network.drop = nan\n",
		`bad.toml:1: network.drop: must be between 0 and 1, got NaN`},
	{"no acceptors", "[nodes]\nacceptors = 0\n",
		`bad.toml:2: nodes.acceptors: must be between 1 and 1000, got 0`},
	{"no leaders", "[nodes]\nleaders = 0\n",
		`bad.toml:2: nodes.leaders: must be between 1 and 1000, got 0`},
	{"too many clients", "[nodes]\nclients = 10001\n",
		`bad.toml:2: nodes.clients: must be between 0 and 10000, got 10001`},
	{"negative requests", "[workload]\nrequests_per_client = -1\n",
		`bad.toml:2: workload.requests_per_client: must be between 0 and 1000000, got -1`},
	{"no values", "[workload]\nvalues = 0\n",
		`bad.toml:2: workload.values: must be between 1 and 1000000, got 0`},
	{"zero timeout", "[timeouts]\nretry = \"0s\"\n",
		`bad.toml:2: timeouts.retry: must be > 0, got 0s`},
	{"election not above heartbeat", "[timeouts]\nheartbeat = \"10ms\"\nelection = \"10ms\"\n",
		`bad.toml:3: timeouts.election: must be > heartbeat (10ms), or standby leaders campaign against a healthy leader, got 10ms`},
	{"negative client retries", "[timeouts]\nclient_retries = -1\n",
		`bad.toml:2: timeouts.client_retries: must be between 0 and 1000, got -1`},
	{"too many values", "[workload]\nvalues = 9000000000000000000\n",
		`bad.toml:2: workload.values: must be between 1 and 1000000, got 9000000000000000000`},
	{"zero mix weights", "[workload]\nmix = { get = 0, put = 0, delete = 0 }\n",
		`bad.toml:2: workload.mix: must have at least one positive weight, got get = 0, put = 0, delete = 0`},
	{"negative mix weight", "[workload.mix]\nput = -1\n",
		`bad.toml:2: workload.mix.put: must be between 0 and 1000000, got -1`},
	{"empty keys", "[workload]\nkeys = []\n",
		`bad.toml:2: workload.keys: must list at least one key, got none`},
	{"empty key", "[workload]\nkeys = [\"a\", \"\"]\n",
		`bad.toml:2: workload.keys[1]: must not be empty, got ""`},
	{"duplicate keys", "[workload]\nkeys = [\n  \"a\",\n  \"b\",\n  \"a\",\n]\n",
		`bad.toml:5: workload.keys[2]: must differ from the other keys, got "a" again (first at keys[0])`},
	{"unknown protocol", `protocol = "raft"`,
		`bad.toml:1: protocol: must be "multipaxos" or "kvstore", got "raft"`},
	{"seed past int64", "seed = 9223372036854775808\n",
		`bad.toml:1: 9223372036854775808 is out of range for int64 (TOML integers are signed 64-bit: seeds and counts are at most 9223372036854775807)`},
	{"negative seed", "seed = -1\n",
		`bad.toml:1: seed: expected an integer >= 0, got integer -1`},
	{"fault with unknown node", "[[faults]]\nat = \"1ms\"\ncrash = \"acceptor9\"\n",
		`bad.toml:3: faults[0].crash: unknown node "acceptor9" (nodes: leader1, acceptor1, acceptor2, acceptor3, replica1, replica2, client1, client2, client3)`},
	{"kvstore fault on a leader", "protocol = \"kvstore\"\n[[faults]]\nat = \"1ms\"\nrestart = \"leader1\"\n",
		`bad.toml:4: faults[0].restart: unknown node "leader1" (nodes: server1, client1, client2, client3)`},
	{"fault with two actions", "[[faults]]\nat = \"1ms\"\ncrash = \"leader1\"\nheal = true\n",
		`bad.toml:1: faults[0]: must have exactly one of crash, restart, partition, heal, cut, hold; got crash and heal`},
	{"fault with no action", "[[faults]]\nat = \"1ms\"\n",
		`bad.toml:1: faults[0]: must have exactly one of crash, restart, partition, heal, cut, hold; got none`},
	{"negative fault time", "[[faults]]\nat = \"-5ms\"\nheal = true\n",
		`bad.toml:2: faults[0].at: must be >= 0, got -5ms`},
	{"fault without time", "[[faults]]\nheal = true\n",
		`bad.toml:1: faults[0].at: must be given (the virtual time of the fault, like at = "40ms"), got nothing`},
	{"overlapping partition groups", "[[faults]]\nat = \"1ms\"\npartition = [[\"leader1\", \"acceptor1\"], [\"acceptor1\", \"acceptor2\"]]\n",
		`bad.toml:3: faults[0].partition[1][0]: must not be in two groups, got "acceptor1" in partition[0] and partition[1]`},
	{"node twice in a group", "faults = [{ at = \"1ms\", partition = [[\"leader1\", \"leader1\"]] }]\n",
		`bad.toml:1: faults[0].partition[0][1]: must not repeat a node within a group, got "leader1" twice in partition[0]`},
	{"partition of empty groups", "[[faults]]\nat = \"1ms\"\npartition = [[], []]\n",
		`bad.toml:3: faults[0].partition: must have at least one non-empty group of node names, got none`},
	{"cut of one node", "[[faults]]\nat = \"1ms\"\ncut = [\"leader1\"]\n",
		`bad.toml:3: faults[0].cut: must name two nodes, ["from", "to"], got 1`},
	{"cut of three nodes", "[[faults]]\nat = \"1ms\"\ncut = [\"leader1\", \"acceptor1\", \"acceptor2\"]\n",
		`bad.toml:3: faults[0].cut: must name two nodes, ["from", "to"], got 3`},
	{"empty cut", "[[faults]]\nat = \"1ms\"\ncut = []\n",
		`bad.toml:3: faults[0].cut: must name two nodes, ["from", "to"], got 0`},
	{"cut to an unknown node", "[[faults]]\nat = \"1ms\"\ncut = [\"leader1\", \"acceptor9\"]\n",
		`bad.toml:3: faults[0].cut[1]: unknown node "acceptor9" (nodes: leader1, acceptor1, acceptor2, acceptor3, replica1, replica2, client1, client2, client3)`},
	{"cut of a node to itself", "[[faults]]\nat = \"1ms\"\ncut = [\"acceptor1\", \"acceptor1\"]\n",
		`bad.toml:3: faults[0].cut: must name two different nodes, got "acceptor1" twice`},
	{"cut not a list", "[[faults]]\nat = \"1ms\"\ncut = \"leader1\"\n",
		`bad.toml:3: faults[0].cut: expected an array, got string "leader1"`},
	{"cut and heal at once", "[[faults]]\nat = \"1ms\"\ncut = [\"leader1\", \"acceptor1\"]\nheal = true\n",
		`bad.toml:1: faults[0]: must have exactly one of crash, restart, partition, heal, cut, hold; got heal and cut`},
	{"hold without for", "[[faults]]\nat = \"1ms\"\nhold = [\"leader1\", \"acceptor1\"]\n",
		`bad.toml:1: faults[0].for: must be given and > 0 (how long the link is held, like for = "200ms"), got 0s`},
	{"hold for nothing", "[[faults]]\nat = \"1ms\"\nhold = [\"leader1\", \"acceptor1\"]\nfor = \"0s\"\n",
		`bad.toml:4: faults[0].for: must be given and > 0 (how long the link is held, like for = "200ms"), got 0s`},
	{"negative hold", "[[faults]]\nat = \"1ms\"\nhold = [\"leader1\", \"acceptor1\"]\nfor = \"-2ms\"\n",
		`bad.toml:4: faults[0].for: must be given and > 0 (how long the link is held, like for = "200ms"), got -2ms`},
	{"hold too long", "[[faults]]\nat = \"1ms\"\nhold = [\"leader1\", \"acceptor1\"]\nfor = \"20000h\"\n",
		`bad.toml:4: faults[0].for: must be at most 10000h, so that virtual time cannot overflow, got 20000h0m0s`},
	{"hold of a node to itself", "[[faults]]\nat = \"1ms\"\nhold = [\"client1\", \"client1\"]\nfor = \"1ms\"\n",
		`bad.toml:3: faults[0].hold: must name two different nodes, got "client1" twice`},
	{"hold of an unknown node", "[[faults]]\nat = \"1ms\"\nhold = [\"leader7\", \"acceptor1\"]\nfor = \"1ms\"\n",
		`bad.toml:3: faults[0].hold[0]: unknown node "leader7" (nodes: leader1, acceptor1, acceptor2, acceptor3, replica1, replica2, client1, client2, client3)`},
	{"for without hold", "[[faults]]\nat = \"1ms\"\ncrash = \"leader1\"\nfor = \"5ms\"\n",
		`bad.toml:4: faults[0].for: only a hold takes for, got for = "5ms" with crash`},
	{"zero for without hold", "[[faults]]\nat = \"1ms\"\ncut = [\"leader1\", \"acceptor1\"]\nfor = \"0s\"\n",
		`bad.toml:4: faults[0].for: only a hold takes for, got for = "0s" with cut`},
	{"name is a path", "name = \"../../escaped\"\n",
		`bad.toml:1: name: must be 1 to 100 letters, digits, '-', '_' or '.', not starting with '.' (it names files), got "../../escaped"`},
	{"name with a directory", "name = \"sub/dir\"\n",
		`bad.toml:1: name: must be 1 to 100 letters, digits, '-', '_' or '.', not starting with '.' (it names files), got "sub/dir"`},
	{"hidden name", "name = \".hidden\"\n",
		`bad.toml:1: name: must be 1 to 100 letters, digits, '-', '_' or '.', not starting with '.' (it names files), got ".hidden"`},
	{"name too long", "name = \"" + strings.Repeat("n", 101) + "\"\n",
		`bad.toml:1: name: must be 1 to 100 letters, digits, '-', '_' or '.', not starting with '.' (it names files), got "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"...`},
	{"a hundred million clients", "[nodes]\nclients = 100000000\n",
		`bad.toml:2: nodes.clients: must be between 0 and 10000, got 100000000`},
	{"too many acceptors", "[nodes]\nacceptors = 1001\n",
		`bad.toml:2: nodes.acceptors: must be between 1 and 1000, got 1001`},
	{"too many requests", "[workload]\nrequests_per_client = 1000001\n",
		`bad.toml:2: workload.requests_per_client: must be between 0 and 1000000, got 1000001`},
	{"too many keys", "[workload]\nkeys = [" + strings.Repeat("\"k\", ", MaxKeys+1) + "]\n",
		`bad.toml:2: workload.keys: must list at most 10000 keys, got 10001`},
	{"key too long", "[workload]\nkeys = [\"a\", \"" + strings.Repeat("k", MaxKeyLen+1) + "\"]\n",
		`bad.toml:2: workload.keys[1]: must be at most 256 bytes long, got 257 bytes`},
	{"too many faults", "faults = [" + strings.Repeat("{ at = \"1ms\", heal = true }, ", MaxFaults+1) + "]\n",
		`bad.toml:1: faults: must have at most 10000 entries, got 10001`},
	{"time limit too long", "time_limit = \"10001h\"\n",
		`bad.toml:1: time_limit: must be at most 10000h, so that virtual time cannot overflow, got 10001h0m0s`},
	{"durations that would add past int64", "time_limit = \"2000000h\"\n[[faults]]\nat = \"2000000h\"\nheal = true\n",
		"bad.toml:1: time_limit: must be at most 10000h, so that virtual time cannot overflow, got 2000000h0m0s\n" +
			"bad.toml:3: faults[0].at: must be at most 10000h, so that virtual time cannot overflow, got 2000000h0m0s"},
	{"latency too long", "[network]\nlatency_max = \"10000h1s\"\n",
		`bad.toml:2: network.latency_max: must be at most 10000h, so that virtual time cannot overflow, got 10000h0m1s`},
	{"timeout too long", "[timeouts]\nelection = \"20000h\"\n",
		`bad.toml:2: timeouts.election: must be at most 10000h, so that virtual time cannot overflow, got 20000h0m0s`},
	{"duration past int64", "time_limit = \"3000000h\"\n",
		`bad.toml:1: time_limit: invalid duration "3000000h" (expected Go syntax like "250us", "5ms", "2s")`},
	{"file too large", "# " + strings.Repeat("x", MaxFileSize-2) + "\n",
		`bad.toml: too large: 1048577 bytes (limit 1048576)`},
	{"several problems, in line order", "protocol = \"paxos\"\n[network]\ndrop = 2\n[nodes]\nclients = -1\n[[faults]]\nat = \"1ms\"\n",
		"bad.toml:1: protocol: must be \"multipaxos\" or \"kvstore\", got \"paxos\"\n" +
			"bad.toml:3: network.drop: must be between 0 and 1, got 2\n" +
			"bad.toml:5: nodes.clients: must be between 0 and 10000, got -1\n" +
			"bad.toml:6: faults[0]: must have exactly one of crash, restart, partition, heal, cut, hold; got none"},
	{"several type problems, in line order", "[workload]\nvalues = \"many\"\n[nodes]\nclients = true\n",
		"bad.toml:2: workload.values: expected an integer, got string \"many\"\n" +
			"bad.toml:4: nodes.clients: expected an integer, got boolean true"},
}

func TestBadFiles(t *testing.T) {
	for _, tc := range badFiles {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.src), "bad.toml")
			require.Error(t, err)
			assert.Equal(t, tc.err, err.Error())
			var e *Error
			require.True(t, errors.As(err, &e))
			assert.Equal(t, "bad.toml", e.File)
			for _, line := range strings.Split(err.Error(), "\n") {
				assert.True(t, strings.HasPrefix(line, "bad.toml"), "every line names the file: %q", line)
			}
		})
	}
}

// FuzzParse checks that no input makes Parse panic, and that whatever Parse
// accepts survives a trip through Encode.
func FuzzParse(f *testing.F) {
	for _, name := range Names() {
		data, _ := Embedded(name)
		f.Add(data)
	}
	f.Add([]byte(allFaults))
	for _, tc := range badFiles {
		f.Add([]byte(tc.src))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "fuzz.toml")
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "fuzz.toml") {
					t.Fatalf("error line does not name the file: %q", line)
				}
			}
			return
		}
		roundTrip(t, s)
	})
}

func TestNamesAndSeeds(t *testing.T) {
	for _, n := range []string{"default", "a", "lossy-swarm-7", "x.y_z", strings.Repeat("n", MaxNameLen)} {
		assert.True(t, ValidName(n), n)
	}
	for _, n := range []string{"", ".", "..", ".x", "a/b", `a\b`, "a b", "é", strings.Repeat("n", MaxNameLen+1)} {
		assert.False(t, ValidName(n), n)
	}
	assert.Equal(t, "escaped", SafeName("../../escaped"))
	assert.Equal(t, "my_file", SafeName("my file"))
	assert.Equal(t, "scenario", SafeName("..."))
	assert.Equal(t, strings.Repeat("n", MaxNameLen), SafeName(strings.Repeat("n", 300)))

	// A file whose name is not a valid scenario name still loads, named
	// after it safely.
	s, err := Parse(nil, filepath.Join("dir", "my file (2).toml"))
	require.NoError(t, err)
	assert.Equal(t, "my_file_2_", s.Name)

	// The swarm's names stay valid for the longest base name and seed.
	base := Default()
	base.Name = strings.Repeat("n", MaxNameLen)
	sw := Swarm(base, MaxSeed)
	assert.True(t, ValidName(sw.Name), sw.Name)
	assert.True(t, strings.HasSuffix(sw.Name, "-swarm-9223372036854775807"), sw.Name)

	n, err := ParseSeed("9223372036854775807")
	require.NoError(t, err)
	assert.Equal(t, uint64(MaxSeed), n)
	for _, bad := range []string{"-1", "18446744073709551615", "9223372036854775808", "x", ""} {
		_, err := ParseSeed(bad)
		assert.EqualError(t, err, `"`+bad+`" is not a seed: seeds are integers 0..9223372036854775807`)
	}
}

func TestHasNode(t *testing.T) {
	s := Default()
	s.Nodes.Clients = 100_000_000 // never named: hasNode parses
	for _, n := range []string{"leader1", "acceptor3", "replica2", "client1", "client100000000"} {
		assert.True(t, s.hasNode(n), n)
	}
	for _, n := range []string{"leader0", "leader2", "acceptor4", "acceptor03", "client100000001", "client", "server1", "x1", "client-1", "client1 "} {
		assert.False(t, s.hasNode(n), n)
	}
	s = Default()
	s.Protocol = ProtocolKVStore
	assert.True(t, s.hasNode("server1"))
	assert.False(t, s.hasNode("leader1"))
}

func TestLoadSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.toml")
	require.NoError(t, os.WriteFile(big, nil, 0o644))
	require.NoError(t, os.Truncate(big, MaxFileSize+1)) // sparse
	_, err := Load(big)
	assert.EqualError(t, err, big+": cannot read the scenario: too large: 1048577 bytes (limit 1048576)")
	_, err = Load(dir + "/")
	assert.EqualError(t, err, dir+"/: cannot read the scenario: not a regular file (a directory); expected a file on disk")
}
