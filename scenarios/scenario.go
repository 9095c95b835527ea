package scenarios

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
)

// Protocol names accepted in a scenario's protocol key.
const (
	// ProtocolMultiPaxos is the replicated key/value store (the default).
	ProtocolMultiPaxos = "multipaxos"
	// ProtocolKVStore is the unreplicated single server, for comparison.
	ProtocolKVStore = "kvstore"
)

// Limits on what a scenario may ask for. Every count has a bound so that a
// typo (an extra zero) fails at load time instead of exhausting memory.
const (
	// MaxNodesPerKind bounds leaders, acceptors and replicas, each.
	MaxNodesPerKind = 1000
	// MaxClients bounds clients: a client costs only its script and its
	// requests, so ten thousand of them run in linear time.
	MaxClients = 10000
	// MaxEventsLimit bounds max_events.
	MaxEventsLimit = 1_000_000_000
	// MaxRequestsPerClient bounds workload.requests_per_client.
	MaxRequestsPerClient = 1_000_000
	// MaxValues bounds workload.values: the value pool is built in memory.
	MaxValues = 1_000_000
	// MaxMixWeight bounds each workload.mix weight, so that their sum cannot
	// overflow in the workload generator.
	MaxMixWeight = 1_000_000
	// MaxKeys bounds the number of workload.keys.
	MaxKeys = 10_000
	// MaxKeyLen bounds the length of each key, in bytes.
	MaxKeyLen = 256
	// MaxFaults bounds the number of [[faults]] entries.
	MaxFaults = 10_000
	// MaxNameLen bounds the length of name: it names files (sweep failures).
	MaxNameLen = 100
	// MaxFileSize bounds a scenario file, in bytes.
	MaxFileSize = 1 << 20
	// MaxSeed is the largest seed, everywhere (TOML, flags, schedules,
	// reproducers): TOML integers are signed 64-bit.
	MaxSeed = math.MaxInt64
)

// MaxDuration bounds every duration of a scenario: time_limit, each fault's
// at, a hold's for, the network's latencies and every timeout. Virtual time
// is int64 nanoseconds (about 292 years); no event is later than time_limit
// plus a hold plus a latency plus a timeout doubled at most 32 times, which
// stays far below that, so virtual time never overflows.
const MaxDuration = Duration(10000 * time.Hour)

// maxDurationText is MaxDuration as error messages show it.
const maxDurationText = "10000h"

// Duration is a TOML duration string such as "250us" or "5ms", parsed with
// time.ParseDuration. It is a distinct type so that TOML files carry readable
// strings rather than nanosecond integers. A negative duration parses, so that
// Validate can report it with the field's name.
type Duration time.Duration

// D returns d as a time.Duration, for arithmetic.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String returns d in Go's syntax ("1ms"), the form used in error messages.
func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalText parses a Go duration string; the error says what syntax is
// expected, since it reaches users verbatim.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := time.ParseDuration(string(text))
	if err != nil {
		return fmt.Errorf("invalid duration %q (expected Go syntax like \"250us\", \"5ms\", \"2s\")", text)
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes d in Go's syntax, which UnmarshalText reads back exactly.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(time.Duration(d).String()), nil
}

// Scenario is one complete, resolved description of a run. Its toml tags are
// the file format; the defaults are those of Default.
type Scenario struct {
	// Name identifies the scenario in traces and summaries; when a file leaves
	// it empty, Parse uses the file's base name without ".toml".
	Name string `toml:"name"`
	// Description is one line for `multipaxos-kv scenarios`.
	Description string `toml:"description"`
	// Seed is the root of all randomness of the run (default 1). It must fit
	// in a signed 64-bit integer, because TOML integers are signed.
	Seed uint64 `toml:"seed"`
	// Protocol is ProtocolMultiPaxos (default) or ProtocolKVStore.
	Protocol string `toml:"protocol"`
	// TimeLimit is the virtual time after which the run stops (default 60s).
	TimeLimit Duration `toml:"time_limit"`
	// MaxEvents bounds the number of events of a run (default 1_000_000).
	MaxEvents int `toml:"max_events"`
	// Liveness says whether every request must be answered before TimeLimit
	// (default true); false for runs that are meant to stall.
	Liveness bool `toml:"liveness"`
	// Pipeline is how many slots of new requests a leader keeps in Phase 2
	// at once (default 1, the original's one at a time; 1..1000).
	Pipeline int `toml:"pipeline"`
	// Batch is how many waiting requests a leader puts in one slot
	// (default 1, one request per slot; 1..1000): the slot's value is the
	// batch, chosen in one Phase 2 and applied in order.
	Batch int `toml:"batch"`
	// SnapshotEvery is how often, in slots applied, the nodes compact their
	// logs into a snapshot (log compaction; default 1000; 0: never): the
	// leader sends it to the acceptors, which then forget the entries it
	// covers, and a node behind it installs it instead of the slots. It
	// bounds the memory of a long run.
	SnapshotEvery int `toml:"snapshot_every"`
	// Bugs switches on catalogued protocol bugs by name (protocol.Catalogue;
	// `multipaxos-kv bugs` lists them), for teaching and for testing the
	// checks; none by default. The -bug flag adds to it.
	Bugs []string `toml:"bugs,omitempty"`

	Nodes    Nodes    `toml:"nodes"`
	Workload Workload `toml:"workload"`
	Network  Network  `toml:"network"`
	Timeouts Timeouts `toml:"timeouts"`
	// Faults are applied at their virtual times; none by default.
	Faults []Fault `toml:"faults"`
}

// Nodes counts the nodes of each kind. For ProtocolKVStore only Clients
// matters: there is always exactly one server and the other counts are
// ignored (neither used nor validated).
type Nodes struct {
	Leaders   int `toml:"leaders"`   // default 1, 1..1000
	Acceptors int `toml:"acceptors"` // default 3, 1..1000
	Replicas  int `toml:"replicas"`  // default 2, 0..1000
	Clients   int `toml:"clients"`   // default 3, 0..10000
}

// Workload describes what every client asks: RequestsPerClient requests,
// each an operation drawn by Mix's weights on a key drawn from Keys, with a
// value (for put) drawn from val_0 .. val_{Values-1}.
type Workload struct {
	RequestsPerClient int      `toml:"requests_per_client"` // default 5, 0..1_000_000
	Keys              []string `toml:"keys"`                // default a..e; non-empty, distinct
	Values            int      `toml:"values"`              // default 100, >= 1
	Mix               Mix      `toml:"mix"`
}

// Mix holds the relative weights of the operations: with the default 1/1/1
// each operation is equally likely. Each weight is 0..MaxMixWeight and at
// least one is positive.
type Mix struct {
	Get    int `toml:"get"`
	Put    int `toml:"put"`
	Delete int `toml:"delete"`
}

// Network is the fault model of the links. The zero value of Drop and
// Duplicate is a reliable network.
type Network struct {
	LatencyMin Duration `toml:"latency_min"` // default 1ms, >= 0
	LatencyMax Duration `toml:"latency_max"` // default 5ms, >= LatencyMin
	Drop       float64  `toml:"drop"`        // probability a message is lost, 0..1
	Duplicate  float64  `toml:"duplicate"`   // probability a message is delivered twice, 0..1
}

// Timeouts are the protocol's timers, in virtual time. With a reliable
// network and one leader none of them ever fires, so the default run is the
// original flow; they are what recovers from loss, crashes and partitions.
type Timeouts struct {
	// Heartbeat is the period of the leader's heartbeats to the other
	// leaders and the replicas (default 10ms).
	Heartbeat Duration `toml:"heartbeat"`
	// Election is how long a standby leader waits without a heartbeat before
	// it runs Phase 1: a random time in [Election, 2*Election] (default 50ms).
	Election Duration `toml:"election"`
	// Retry is how long a leader waits before re-sending Prepare or Accept to
	// the acceptors that have not answered (default 20ms).
	Retry Duration `toml:"retry"`
	// Client is how long a client waits for an answer before it sends the
	// same request again, to the next leader (default 100ms).
	Client Duration `toml:"client"`
	// ClientRetries is how many times a client re-sends one request before
	// it gives up on it and stops (default 50, 0..1000): enough that a
	// request survives 20% loss each way with overwhelming probability.
	ClientRetries int `toml:"client_retries"`
}

// MaxSnapshotEvery bounds snapshot_every.
const MaxSnapshotEvery = 1_000_000_000

// MaxPipeline bounds pipeline.
const MaxPipeline = 1000

// MaxBatch bounds batch.
const MaxBatch = 1000

// MaxClientRetries bounds timeouts.client_retries.
const MaxClientRetries = 1000

// Fault is one fault injected at virtual time At. Exactly one of Crash,
// Restart, Partition, Heal, Cut and Hold is set; an empty string, a nil
// slice and a false Heal mean "not this action".
type Fault struct {
	At        Duration   `toml:"at"`                  // required, >= 0
	Crash     string     `toml:"crash,omitempty"`     // node name
	Restart   string     `toml:"restart,omitempty"`   // node name
	Partition [][]string `toml:"partition,omitempty"` // disjoint groups of node names
	Heal      bool       `toml:"heal,omitempty"`      // undo every partition and every cut
	// Cut is ["from", "to"]: messages from -> to are lost until a heal.
	Cut []string `toml:"cut,omitempty"`
	// Hold is ["from", "to"]: messages sent from -> to in [At, At+For) wait
	// at the link until At+For, then travel with their latency.
	Hold []string `toml:"hold,omitempty"`
	// For is how long a Hold lasts: required with hold, > 0; only with hold.
	For Duration `toml:"for,omitzero"`
	// Line is the line of the fault's [[faults]] header (or of its inline
	// table), filled by Parse so that later stages can point at the fault in
	// their own error messages; 0 when unknown. It is not part of the format.
	Line int `toml:"-"`
}

// Kind names the fault's action: "crash", "restart", "partition", "heal",
// "cut" or "hold" (the first one set, for an invalid fault).
func (f Fault) Kind() string {
	switch {
	case f.Crash != "":
		return "crash"
	case f.Restart != "":
		return "restart"
	case f.Partition != nil:
		return "partition"
	case f.Heal:
		return "heal"
	case f.Cut != nil:
		return "cut"
	case f.Hold != nil:
		return "hold"
	}
	return ""
}

// Default returns the scenario every file starts from: Name is empty (Parse
// replaces an empty name with the file's base name), Description is empty,
// and every other field has its documented default, which matches the
// embedded default.toml. It returns fresh slices on each call, so decoding
// over the result never changes the next call's defaults.
func Default() Scenario {
	return Scenario{
		Seed:          1,
		Protocol:      ProtocolMultiPaxos,
		TimeLimit:     Duration(60 * time.Second),
		MaxEvents:     1_000_000,
		Liveness:      true,
		Pipeline:      1,
		Batch:         1,
		SnapshotEvery: 1000,
		Nodes:         Nodes{Leaders: 1, Acceptors: 3, Replicas: 2, Clients: 3},
		Workload: Workload{
			RequestsPerClient: 5,
			Keys:              []string{"a", "b", "c", "d", "e"},
			Values:            100,
			Mix:               Mix{Get: 1, Put: 1, Delete: 1},
		},
		Network: Network{
			LatencyMin: Duration(time.Millisecond),
			LatencyMax: Duration(5 * time.Millisecond),
		},
		Timeouts: Timeouts{
			Heartbeat:     Duration(10 * time.Millisecond),
			Election:      Duration(50 * time.Millisecond),
			Retry:         Duration(20 * time.Millisecond),
			Client:        Duration(100 * time.Millisecond),
			ClientRetries: 50,
		},
	}
}

// NodeNames returns the names of the scenario's nodes in a stable order, the
// order of node ids: leader1.., acceptor1.., replica1.., client1.. for
// multipaxos; server1, client1.. for kvstore (any other protocol is treated as
// multipaxos, so that callers of an unvalidated scenario still get names).
func (s Scenario) NodeNames() []string {
	var names []string
	for _, k := range s.kinds() {
		for i := 1; i <= k.n; i++ {
			names = append(names, fmt.Sprintf("%s%d", k.name, i))
		}
	}
	return names
}

// kind is a kind of node and how many the scenario has.
type kind struct {
	name string
	n    int
}

// kinds lists the scenario's kinds of node in node-id order.
func (s Scenario) kinds() []kind {
	if s.Protocol == ProtocolKVStore {
		return []kind{{"server", 1}, {"client", s.Nodes.Clients}}
	}
	return []kind{{"leader", s.Nodes.Leaders}, {"acceptor", s.Nodes.Acceptors}, {"replica", s.Nodes.Replicas}, {"client", s.Nodes.Clients}}
}

// nodeSummary lists the scenario's nodes for error messages, shortening a
// kind of more than three nodes to a range ("client1..client10") so that the
// message stays one readable line even with a thousand clients.
func (s Scenario) nodeSummary() string {
	var parts []string
	for _, k := range s.kinds() {
		if k.n > 3 {
			parts = append(parts, fmt.Sprintf("%s1..%s%d", k.name, k.name, k.n))
			continue
		}
		for i := 1; i <= k.n; i++ {
			parts = append(parts, fmt.Sprintf("%s%d", k.name, i))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// BugSet is the set of bugs the scenario switches on. The names must have
// been validated.
func (s Scenario) BugSet() protocol.Bugs {
	var set protocol.Bugs
	for _, name := range s.Bugs {
		if b, err := protocol.LookupBug(name); err == nil {
			set = set.With(b)
		}
	}
	return set
}

// hasNode reports whether name is one of NodeNames(), without building them:
// a scenario with a hundred million clients is refused by its count, not
// after minutes spent naming its nodes.
func (s Scenario) hasNode(name string) bool {
	for _, k := range s.kinds() {
		rest, ok := strings.CutPrefix(name, k.name)
		if !ok || rest == "" || rest[0] < '1' || rest[0] > '9' {
			continue
		}
		i, err := strconv.Atoi(rest)
		if err == nil && i >= 1 && i <= k.n {
			return true
		}
	}
	return false
}

// ValidName reports whether name may name a scenario: 1 to MaxNameLen
// letters, digits, '-', '_' or '.', not starting with '.'. Names become file
// names (a sweep's failures), so they must never be paths.
func ValidName(name string) bool {
	if name == "" || len(name) > MaxNameLen || name[0] == '.' {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !nameByte(name[i]) {
			return false
		}
	}
	return true
}

func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
}

// SafeName turns any text into a valid name: every run of other characters
// becomes '_', leading dots go, and the result is cut to MaxNameLen; it is
// "scenario" if nothing is left. It names a scenario after its file, and
// files after a scenario.
func SafeName(text string) string {
	var b strings.Builder
	under := false
	for i := 0; i < len(text); i++ {
		c := text[i]
		if nameByte(c) {
			if c == '.' && b.Len() == 0 {
				continue
			}
			b.WriteByte(c)
			under = false
		} else if !under && b.Len() > 0 {
			b.WriteByte('_')
			under = true
		}
	}
	name := b.String()
	if len(name) > MaxNameLen {
		name = name[:MaxNameLen]
	}
	if name == "" {
		return "scenario"
	}
	return name
}

// ParseSeed parses a seed given on the command line: an integer in
// 0..MaxSeed. The error says the range.
func ParseSeed(text string) (uint64, error) {
	n, err := strconv.ParseUint(text, 10, 64)
	if err != nil || n > MaxSeed {
		return 0, fmt.Errorf("%q is not a seed: seeds are integers 0..%d", text, uint64(MaxSeed))
	}
	return n, nil
}
