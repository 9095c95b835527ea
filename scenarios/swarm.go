package scenarios

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

// Swarm returns base with its network and faults drawn at random from seed,
// so that a sweep covers many fault mixes, one per seed (swarm testing:
// Groce et al., "Swarm Testing", ISSTA 2012). Each draw comes from the seed's
// own "swarm" stream, so the same seed always gives the same scenario, and
// the run's seed is seed too. What is drawn:
//   - latency_min in [0, 2ms] and latency_max up to 20ms above it;
//   - drop and duplicate: each 0 half of the time, else in [0, 0.2];
//   - snapshot_every: half of the time 1 to 4, so that logs are compacted
//     (and snapshots installed) all through the run;
//   - batch, when base batches (batch above 1): 1 to base's batch, so that
//     slots hold batches of every size up to it, and single requests too;
//   - 0 to 4 faults among: the crash of a faulty acceptor or of a replica,
//     with or without a restart; a partition that cuts the faulty acceptors
//     from the rest, healed or not; a partition that cuts leader1 from the
//     acceptors for a while, always healed; the crash of a leader, always
//     restarted; a one-way cut of a link between a leader and another node,
//     healed (or, when the other node is a faulty acceptor, maybe not); a
//     long hold (1 to 5 election timeouts) of such a link.
//
// The protocol's timeouts are scaled up, all by one factor, when the drawn
// latency_max would exceed a quarter of the election timeout: a standby
// leader that times out before a heartbeat can arrive deposes working leaders
// forever, which is a misconfiguration, not a fault; swarm explores faults.
// One seed in 8 keeps the unscaled timeouts anyway; when they would have
// been scaled, that seed's liveness is off (safety must still hold).
//
// The faulty acceptors are a minority, so a majority always stays up and
// connected but for cuts and holds that end, and crashed leaders come back:
// a protocol that recovers from faults should stay live. The scenario keeps
// base's liveness setting, except for the unscaled seeds. The kvstore
// protocol gets network draws only.
func Swarm(base Scenario, seed uint64) Scenario {
	r := rand.New(rand.NewPCG(seed, 0x5357_4152_4d21)) // "SWARM!"
	s := base
	s.Seed = seed
	// The name stays valid (at most MaxNameLen) even for a long base name
	// and the largest seed, so that the written scenario loads again.
	suffix := "-swarm-" + strconv.FormatUint(seed, 10)
	s.Name = base.Name
	if len(s.Name)+len(suffix) > MaxNameLen {
		s.Name = s.Name[:max(0, MaxNameLen-len(suffix))]
	}
	s.Name += suffix
	s.Description = "swarm draw " + strconv.FormatUint(seed, 10) + " of " + base.Name
	s.Faults = append([]Fault(nil), base.Faults...)

	ms := func(f float64) Duration {
		return Duration(time.Duration(f * float64(time.Millisecond)).Round(time.Microsecond))
	}
	s.Network.LatencyMin = ms(r.Float64() * 2)
	s.Network.LatencyMax = s.Network.LatencyMin + ms(r.Float64()*20)
	chance := func() float64 {
		if r.IntN(2) == 0 {
			return 0
		}
		return float64(int(r.Float64()*200)) / 1000 // three decimals, exact in TOML
	}
	s.Network.Drop = chance()
	s.Network.Duplicate = chance()
	// Log compaction every 1 to 4 slots for half of the seeds, drawn from a
	// stream of its own so that the other draws stay what they were.
	if c := rand.New(rand.NewPCG(seed, 0x434f_4d50_4143_54)); s.SnapshotEvery > 0 && c.IntN(2) == 0 { // "COMPACT"
		s.SnapshotEvery = 1 + c.IntN(4)
	}
	// The batch size, for a scenario that batches, from a stream of its
	// own too: a scenario of one request per slot draws the same as ever.
	if s.Batch > 1 {
		s.Batch = 1 + rand.New(rand.NewPCG(seed, 0x4241_5443_48)).IntN(s.Batch) // "BATCH"
	}
	if r.IntN(8) == 0 && needsScaling(s) {
		s.Liveness = false // misconfigured on purpose: safety only
	} else {
		scaleTimeouts(&s)
	}
	if s.Protocol == ProtocolKVStore {
		return s
	}

	// Faults happen within the time the workload would take on this network.
	span := float64(s.Workload.RequestsPerClient+1) * 4 * (float64(s.Network.LatencyMax.D()) + float64(time.Millisecond))
	at := func() Duration { return Duration(time.Duration(r.Float64() * span).Round(time.Microsecond)) }
	// Only a minority of acceptors, the highest-numbered, is ever faulty,
	// so crashes and partitions together never take a majority away.
	var faulty []string
	for i := range r.IntN((s.Nodes.Acceptors-1)/2 + 1) {
		faulty = append(faulty, fmt.Sprintf("acceptor%d", s.Nodes.Acceptors-i))
	}
	isFaulty := func(name string) bool {
		for _, f := range faulty {
			if f == name {
				return true
			}
		}
		return false
	}
	// link draws a one-way link between a random leader and a random other
	// node, in a random direction.
	link := func() []string {
		leader := fmt.Sprintf("leader%d", 1+r.IntN(s.Nodes.Leaders))
		var others []string
		for _, n := range s.NodeNames() {
			if n != leader {
				others = append(others, n)
			}
		}
		other := others[r.IntN(len(others))]
		if r.IntN(2) == 0 {
			return []string{leader, other}
		}
		return []string{other, leader}
	}
	for range r.IntN(5) {
		t := at()
		later := t + at()/2 + 1
		// crash an acceptor, crash a replica, cut the faulty acceptors, cut
		// leader1, crash a leader, cut a link, hold a link
		kind := r.IntN(7)
		switch {
		case kind == 4:
			name := fmt.Sprintf("leader%d", 1+r.IntN(s.Nodes.Leaders))
			s.Faults = append(s.Faults, Fault{At: t, Crash: name}, Fault{At: later, Restart: name})
		case kind == 5:
			l := link()
			s.Faults = append(s.Faults, Fault{At: t, Cut: l})
			if !isFaulty(l[0]) && !isFaulty(l[1]) || r.IntN(4) > 0 {
				s.Faults = append(s.Faults, Fault{At: later, Heal: true})
			}
		case kind == 6:
			hold := Duration(float64(s.Timeouts.Election) * (1 + 4*r.Float64())).D().Round(time.Microsecond)
			s.Faults = append(s.Faults, Fault{At: t, Hold: link(), For: Duration(hold)})
		case kind == 0 && len(faulty) > 0, kind == 1 && s.Nodes.Replicas > 0:
			name := fmt.Sprintf("replica%d", 1+r.IntN(max(s.Nodes.Replicas, 1)))
			if kind == 0 {
				name = faulty[r.IntN(len(faulty))]
			}
			s.Faults = append(s.Faults, Fault{At: t, Crash: name})
			if r.IntN(3) > 0 {
				s.Faults = append(s.Faults, Fault{At: later, Restart: name})
			}
		case kind == 2 && len(faulty) > 0:
			// The faulty acceptors are cut from the others and the leaders,
			// healed or not.
			var rest []string
			for i := 1; i <= s.Nodes.Acceptors-len(faulty); i++ {
				rest = append(rest, fmt.Sprintf("acceptor%d", i))
			}
			for i := 1; i <= s.Nodes.Leaders; i++ {
				rest = append(rest, fmt.Sprintf("leader%d", i))
			}
			s.Faults = append(s.Faults, Fault{At: t, Partition: [][]string{append([]string(nil), faulty...), rest}})
			if r.IntN(4) > 0 {
				s.Faults = append(s.Faults, Fault{At: later, Heal: true})
			}
		default:
			// leader1 is cut from every acceptor for a while, then healed.
			var accs []string
			for i := 1; i <= s.Nodes.Acceptors; i++ {
				accs = append(accs, fmt.Sprintf("acceptor%d", i))
			}
			s.Faults = append(s.Faults, Fault{At: t, Partition: [][]string{{"leader1"}, accs}}, Fault{At: later, Heal: true})
		}
	}
	return s
}

// needsScaling reports whether s's election timeout is below 4 times
// latency_max, which scaleTimeouts corrects.
func needsScaling(s Scenario) bool {
	return s.Timeouts.Election > 0 && s.Timeouts.Election < 4*s.Network.LatencyMax
}

// scaleTimeouts multiplies every timeout of s by the smallest integer that
// makes the election timeout at least 4 times latency_max.
func scaleTimeouts(s *Scenario) {
	if !needsScaling(*s) {
		return
	}
	need := 4 * s.Network.LatencyMax
	f := (need + s.Timeouts.Election - 1) / s.Timeouts.Election
	s.Timeouts.Heartbeat *= f
	s.Timeouts.Election *= f
	s.Timeouts.Retry *= f
	s.Timeouts.Client *= f
}
