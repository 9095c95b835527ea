package multipaxos

import (
	"bytes"
	"encoding/binary"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/kv"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// probe is a scripted test node: it sends its script one message at a time,
// the next when an answer arrives (or all at once when burst is set), and
// keeps every message it receives.
type probe struct {
	to     sim.NodeID
	script []protocol.Msg
	burst  bool
	next   int
	got    []protocol.Msg
}

func (p *probe) Start(env *kv.Env) {
	if p.burst {
		for _, m := range p.script {
			env.Send(p.to, m)
		}
		p.next = len(p.script)
		return
	}
	p.sendNext(env)
}

func (p *probe) sendNext(env *kv.Env) {
	if p.next < len(p.script) {
		env.Send(p.to, p.script[p.next])
		p.next++
	}
}

func (p *probe) Receive(env *kv.Env, _ sim.NodeID, m protocol.Msg) {
	p.got = append(p.got, m)
	p.sendNext(env)
}

func (p *probe) Timer(*kv.Env, sim.TimerKind) {}
func (p *probe) Crash()                       {}

func (p *probe) Clone(sim.Node[protocol.Msg]) sim.Node[protocol.Msg] {
	d := *p
	d.got = append([]protocol.Msg(nil), p.got...)
	return &d
}

func (p *probe) AppendState(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(p.next))
	return appendMsgs(b, p.got)
}

// appendMsgs appends a canonical encoding of msgs, for the probes'
// AppendState.
func appendMsgs(b []byte, msgs []protocol.Msg) []byte {
	b = binary.AppendUvarint(b, uint64(len(msgs)))
	for _, m := range msgs {
		b = m.AppendState(b)
	}
	return b
}

// testEngine is an engine with a fixed latency, traced to text.
func testEngine(latency sim.Time) (*sim.Engine[protocol.Msg], *bytes.Buffer) {
	e := sim.New[protocol.Msg](sim.Config{Seed: 1, LatencyMin: latency, LatencyMax: latency, TimeLimit: sim.Second, MaxEvents: 100000, TimerNames: protocol.TimerNames})
	useNames(e)
	var text bytes.Buffer
	e.SetTracer(&sim.Tracer{Text: &text})
	return e, &text
}
