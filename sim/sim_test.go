package sim

import (
	"bytes"
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

func (m tmsg) AppendJSON(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = AppendJSONString(b, m.Kind)
	b = AppendJSONInt(b, "n", m.N)
	return append(b, '}')
}

// action is something a scripted test node does at a fixed virtual time of
// its first incarnation.
type action struct {
	at Time
	do func(env *Env[tmsg])
}

// tnode is a scriptable test node. It logs every start, delivery and
// (non-script) timer into the shared log, then calls the optional hooks.
type tnode struct {
	log     *[]string
	actions []action
	start   func(env *Env[tmsg])
	recv    func(env *Env[tmsg], from NodeID, m tmsg)
	timer   func(env *Env[tmsg], name string, arg int64)
	starts  int
	crashes int
}

func (n *tnode) logf(env *Env[tmsg], format string, args ...any) {
	if n.log != nil {
		*n.log = append(*n.log, fmt.Sprintf("%s %s: ", env.Now().Stamp(), env.Name(env.Self()))+fmt.Sprintf(format, args...))
	}
}

func (n *tnode) Start(env *Env[tmsg]) {
	n.starts++
	n.logf(env, "start")
	if n.starts == 1 {
		for i, a := range n.actions {
			env.SetTimer("act", int64(i), a.at-env.Now())
		}
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

func (n *tnode) Timer(env *Env[tmsg], name string, arg int64) {
	if name == "act" {
		n.actions[arg].do(env)
		return
	}
	n.logf(env, "timer %s %d", name, arg)
	if n.timer != nil {
		n.timer(env, name, arg)
	}
}

func (n *tnode) Crash() { n.crashes++ }

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
		if ev, ok := rec["ev"].(string); !ok || ev == "" {
			t.Fatalf("line %d: no \"ev\" string: %s", i+1, line)
		}
		out = append(out, rec)
	}
	return out
}

// only returns the records of the given kind, without their "seq".
func only(recs []map[string]any, ev string) []map[string]any {
	var out []map[string]any
	for _, r := range recs {
		if r["ev"] == ev {
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
