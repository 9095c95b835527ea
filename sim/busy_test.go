package sim

import (
	"encoding/binary"
	"math/rand/v2"
)

// Timer kinds of the pinger.
const pingerTick TimerKind = 0

// pinger is the test protocol of the "busy" runs: each node starts a chain
// of messages, ticks a few times with a jittered delay and forwards every
// message it receives to a peer until the message has made hops hops.
//
// Nodes draw no randomness: a pinger picks its peer by a hash of its name and
// the number of messages it has sent, and its ticks' jitter is the engine's
// decision (SetTimer's jitter). So a run is a function of the seed and the
// decider's choices, and a pinger can be cloned and compared.
//
// With legacy set, a pinger instead draws its picks and its delays from its
// own stream, Stream(seed, "node/"+name), in the order the engine's former
// Env.Rand stream gave them, and sets its timers without jitter: the run is
// then the one the golden trace pinned before timers became kinds and
// jitter a decision, so that the golden file only changes its format.
type pinger struct {
	peers   []NodeID // filled in once all nodes are added
	hops    int64
	tickMax int
	legacy  *rand.Rand
	ticks   int
	sent    uint64 // messages sent: the input of the next pick
}

func (p *pinger) pick(env *Env[tmsg]) NodeID {
	if p.legacy != nil {
		return p.peers[p.legacy.IntN(len(p.peers))]
	}
	// The node's name, not its id: adding a node elsewhere changes ids.
	x := labelHash(env.Name(env.Self())) + p.sent*0x9e3779b97f4a7c15
	p.sent++
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return p.peers[x%uint64(len(p.peers))]
}

// setTick sets the tick timer to fire after base plus a delay in [0, span).
func (p *pinger) setTick(env *Env[tmsg], base, span Time) {
	if p.legacy != nil {
		env.SetTimer(pingerTick, base+Time(p.legacy.Int64N(int64(span))), 0)
		return
	}
	env.SetTimer(pingerTick, base, span-1)
}

func (p *pinger) Start(env *Env[tmsg]) {
	p.ticks = 0
	env.Step(`start "` + env.Name(env.Self()) + `"`)
	env.Send(p.pick(env), tmsg{Kind: "ping"})
	p.setTick(env, 0, 3*Millisecond)
}

func (p *pinger) Receive(env *Env[tmsg], from NodeID, m tmsg) {
	env.Stepf("got %s #%d from %s — \"ok\"\t✓", m.Kind, m.N, env.Name(from))
	if m.N < p.hops {
		kind := "ping"
		if m.Kind == "ping" {
			kind = "pong"
		}
		env.Send(p.pick(env), tmsg{Kind: kind, N: m.N + 1})
	}
}

func (p *pinger) Timer(env *Env[tmsg], kind TimerKind) {
	p.ticks++
	env.Stepf("tick %d", p.ticks-1)
	env.Send(p.pick(env), tmsg{Kind: "tick", N: 0})
	if p.ticks < p.tickMax {
		p.setTick(env, Millisecond, 4*Millisecond)
	}
}

func (p *pinger) Crash() {}

func (p *pinger) Clone(into Node[tmsg]) Node[tmsg] {
	d, ok := into.(*pinger)
	if !ok || d == nil {
		d = new(pinger)
	}
	*d = *p // peers is configuration, shared; legacy runs are not cloned
	return d
}

func (p *pinger) AppendState(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(p.ticks))
	return binary.AppendUvarint(b, p.sent)
}

// busyConfig is the network of the busy runs: jittery, lossy, duplicating.
func busyConfig(seed uint64) Config {
	return Config{
		Seed:       seed,
		LatencyMin: Millisecond,
		LatencyMax: 5 * Millisecond,
		Drop:       0.1,
		Duplicate:  0.1,
		TimeLimit:  500 * Millisecond,
		MaxEvents:  20000,
		TimerNames: []string{"tick"},
	}
}

// busyEngine builds the busy run: pingers n1, n2, n3 (plus, when idleAt is
// 0..3, a node "idle" that does nothing, added before the pinger of that
// index), a crash and restart of n2 and a partition of n1 from n3.
func busyEngine(cfg Config, idleAt int) *traced { return busyEngineMode(cfg, idleAt, false) }

// busyEngineMode is busyEngine with legacy pingers when legacy is set.
func busyEngineMode(cfg Config, idleAt int, legacy bool) *traced {
	tr := newTraced(cfg)
	var ids []NodeID
	var ps []*pinger
	for i, name := range []string{"n1", "n2", "n3"} {
		if i == idleAt {
			tr.add("idle", &tnode{})
		}
		p := &pinger{hops: 10, tickMax: 5}
		if legacy {
			p.legacy = Stream(cfg.Seed, "node/"+name)
		}
		ps = append(ps, p)
		ids = append(ids, tr.AddNode(name, p))
	}
	if idleAt == 3 {
		tr.add("idle", &tnode{})
	}
	for _, p := range ps {
		p.peers = ids
	}
	tr.Crash(7*Millisecond, ids[1])
	tr.Restart(15*Millisecond, ids[1])
	tr.Partition(10*Millisecond, [][]NodeID{{ids[0]}, {ids[2]}})
	tr.Heal(20 * Millisecond)
	return tr
}
