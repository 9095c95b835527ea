package sim

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/sim/golden"
)

// The module's test binaries all accept -update (go test ./... -update);
// golden defines the flag.
var _ = golden.Update

// tmsg is the test protocol's message: a kind and a number.
type tmsg struct {
	Kind string
	N    int64
}

func (m tmsg) Type() string { return m.Kind }

func (m tmsg) AppendJSON(b []byte, _ Names) []byte {
	b = append(b, `{"type":`...)
	b = AppendJSONString(b, m.Kind)
	b = AppendJSONInt(b, "n", m.N)
	return append(b, '}')
}

func (m tmsg) AppendState(b []byte) []byte {
	b = AppendStateString(b, m.Kind)
	return binary.AppendVarint(b, m.N)
}

// actKind is the timer kind of a tnode's script: one timer, armed for the
// next scripted action. The tests name the other kinds with timerNames.
const actKind TimerKind = MaxTimerKinds - 1

// timerNames returns cfg naming the timer kinds 0, 1, ... as names, and the
// script's kind "act".
func timerNames(cfg Config, names ...string) Config {
	if len(names) > int(actKind) {
		panic("too many timer names")
	}
	cfg.TimerNames = make([]string, MaxTimerKinds)
	copy(cfg.TimerNames, names)
	cfg.TimerNames[actKind] = "act"
	return cfg
}

// action is something a scripted test node does at a fixed virtual time of
// its first incarnation.
type action struct {
	at Time
	do func(env *Env[tmsg])
}

// tnode is a scriptable test node. It logs every start, delivery and
// (non-script) timer into the shared log, then calls the optional hooks.
// Its script runs from one timer of kind actKind: each firing does the next
// action and arms the timer for the one after it. Its state, for Clone and
// AppendState, is its counters and its place in the script.
type tnode struct {
	log     *[]string
	actions []action
	start   func(env *Env[tmsg])
	recv    func(env *Env[tmsg], from NodeID, m tmsg)
	timer   func(env *Env[tmsg], kind TimerKind)
	starts  int
	crashes int
	next    int // the next scripted action
}

func (n *tnode) logf(env *Env[tmsg], format string, args ...any) {
	if n.log != nil {
		*n.log = append(*n.log, fmt.Sprintf("%s %s: ", env.Now().Stamp(), env.Name(env.Self()))+fmt.Sprintf(format, args...))
	}
}

// arm sets the script's timer for the next action, if any.
func (n *tnode) arm(env *Env[tmsg]) {
	if n.next < len(n.actions) {
		env.SetTimer(actKind, n.actions[n.next].at-env.Now(), 0)
	}
}

func (n *tnode) Start(env *Env[tmsg]) {
	n.starts++
	n.logf(env, "start")
	if n.starts == 1 {
		n.arm(env)
	}
	if n.start != nil {
		n.start(env)
	}
}

func (n *tnode) Receive(env *Env[tmsg], from NodeID, m tmsg) {
	n.logf(env, "recv %s %d from %s", m.Kind, m.N, env.Name(from))
	if n.recv != nil {
		n.recv(env, from, m)
	}
}

func (n *tnode) Timer(env *Env[tmsg], kind TimerKind) {
	if kind == actKind {
		a := n.actions[n.next]
		n.next++
		a.do(env)
		n.arm(env)
		return
	}
	n.logf(env, "timer %s", env.e.timerName(kind))
	if n.timer != nil {
		n.timer(env, kind)
	}
}

func (n *tnode) Crash() { n.crashes++ }

func (n *tnode) Clone(into Node[tmsg]) Node[tmsg] {
	d, ok := into.(*tnode)
	if !ok || d == nil {
		d = new(tnode)
	}
	*d = *n
	return d
}

func (n *tnode) AppendState(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(n.starts))
	b = binary.AppendUvarint(b, uint64(n.crashes))
	return binary.AppendUvarint(b, uint64(n.next))
}

// traced is an engine with both trace forms captured.
type traced struct {
	*Engine[tmsg]
	text, json bytes.Buffer
	log        []string
}

func newTraced(cfg Config) *traced {
	tr := &traced{Engine: New[tmsg](cfg)}
	tr.SetTracer(&Tracer{Text: &tr.text, JSON: &tr.json})
	return tr
}

// add adds a tnode logging into tr.log.
func (tr *traced) add(name string, n *tnode) NodeID {
	n.log = &tr.log
	return tr.AddNode(name, n)
}

// sendAt is an action sending m to node to.
func sendAt(at Time, to NodeID, m tmsg) action {
	return action{at: at, do: func(env *Env[tmsg]) { env.Send(to, m) }}
}

// jsonRecords decodes a JSON-lines trace, requiring every line to be one
// valid JSON object with "t", "seq" (strictly increasing from 1) and "ev",
// and "t" never decreasing. (Plain checks, not testify: this runs on every
// line of every fuzz input.)
func jsonRecords(t testing.TB, trace []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	lines := strings.Split(string(trace), "\n")
	require.Equal(t, "", lines[len(lines)-1], "the JSON trace must end with a newline")
	var lastT float64
	for i, line := range lines[:len(lines)-1] {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i+1, err, line)
		}
		tt, ok := rec["t"].(float64)
		if !ok {
			t.Fatalf("line %d: no numeric \"t\": %s", i+1, line)
		}
		if tt < lastT {
			t.Fatalf("line %d: time went back from %v: %s", i+1, lastT, line)
		}
		lastT = tt
		if seq, ok := rec["seq"].(float64); !ok || seq != float64(i+1) {
			t.Fatalf("line %d: \"seq\" must count from 1 without gaps: %s", i+1, line)
		}
		if ev, ok := rec[FieldEv].(string); !ok || ev == "" {
			t.Fatalf("line %d: no \"ev\" string: %s", i+1, line)
		}
		out = append(out, rec)
	}
	return out
}

// only returns the records of the given kind, without their "seq".
func only(recs []map[string]any, ev TraceEv) []map[string]any {
	var out []map[string]any
	for _, r := range recs {
		if r[FieldEv] == string(ev) {
			c := make(map[string]any, len(r))
			for k, v := range r {
				if k != "seq" {
					c[k] = v
				}
			}
			out = append(out, c)
		}
	}
	return out
}

// ms is n milliseconds as a JSON-decoded "t".
func ms(n float64) float64 { return n * float64(Millisecond) }
