package sim

// pinger is the test protocol of the "busy" runs: each node starts a chain
// of messages, ticks a few times with a random delay and forwards every
// message it receives to a random peer until the message has made hops
// hops. Its choices come from env.Rand(), so a run is a function of the seed
// and the network's decisions.
type pinger struct {
	peers   []NodeID // filled in once all nodes are added
	hops    int64
	tickMax int
	ticks   int
}

func (p *pinger) pick(env *Env[tmsg]) NodeID { return p.peers[env.Rand().IntN(len(p.peers))] }

func (p *pinger) Start(env *Env[tmsg]) {
	p.ticks = 0
	env.Step(`start "` + env.Name(env.Self()) + `"`)
	env.Send(p.pick(env), tmsg{Kind: "ping"})
	env.SetTimer("tick", 0, Time(env.Rand().Int64N(int64(3*Millisecond))))
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

func (p *pinger) Timer(env *Env[tmsg], name string, arg int64) {
	p.ticks++
	env.Stepf("%s %d", name, arg)
	env.Send(p.pick(env), tmsg{Kind: "tick", N: 0})
	if p.ticks < p.tickMax {
		env.SetTimer(name, arg+1, Millisecond+Time(env.Rand().Int64N(int64(4*Millisecond))))
	}
}

func (p *pinger) Crash() {}

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
	}
}

// busyEngine builds the busy run: pingers n1, n2, n3 (plus, when idleAt is
// 0..3, a node "idle" that does nothing, added before the pinger of that
// index), a crash and restart of n2 and a partition of n1 from n3.
func busyEngine(cfg Config, idleAt int) *traced {
	tr := newTraced(cfg)
	var ids []NodeID
	var ps []*pinger
	for i, name := range []string{"n1", "n2", "n3"} {
		if i == idleAt {
			tr.add("idle", &tnode{})
		}
		p := &pinger{hops: 10, tickMax: 5}
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
