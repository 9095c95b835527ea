package scenarios

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
)

// Mutate derives a child of parent, a swarm draw of base (or a child of
// one), by changing one draw, as AFL mutates an input that reached new
// coverage: the latency bounds, the drop or duplicate probability, the
// engine's seed, every fault time (scaled by one factor), the time of one
// crash and its restart, removing a crash with its restart or a hold, or
// adding the faults of another swarm draw. Every choice comes from r, so
// the same r gives the same child. It returns the child and what changed,
// in words, for the child's description.
//
// The child keeps Swarm's promises, so that a correct protocol passes it:
// the faulty acceptors stay a minority (another draw's are the same
// highest-numbered ones), every crashed leader is restarted later, every
// cut or partition of non-faulty nodes is healed later, and the timeouts
// stay scaled to latency_max when liveness is checked.
func Mutate(base, parent Scenario, r *rand.Rand) (Scenario, string) {
	s := parent
	s.Faults = slices.Clone(parent.Faults)
	ms := func(f float64) Duration {
		return Duration(time.Duration(f * float64(time.Millisecond)).Round(time.Microsecond))
	}
	for {
		switch r.IntN(8) {
		case 0:
			s.Network.LatencyMin = ms(r.Float64() * 2)
			s.Network.LatencyMax = s.Network.LatencyMin + ms(r.Float64()*20)
			if s.Liveness {
				s.Timeouts = base.Timeouts
				scaleTimeouts(&s)
			}
			return s, "latency " + s.Network.LatencyMin.D().String() + ".." + s.Network.LatencyMax.D().String()
		case 1:
			s.Network.Drop = float64(r.IntN(201)) / 1000
			return s, "drop " + strconv.FormatFloat(s.Network.Drop, 'f', -1, 64)
		case 2:
			s.Network.Duplicate = float64(r.IntN(201)) / 1000
			return s, "duplicate " + strconv.FormatFloat(s.Network.Duplicate, 'f', -1, 64)
		case 3:
			s.Seed = r.Uint64N(MaxSeed + 1)
			return s, "seed " + strconv.FormatUint(s.Seed, 10)
		case 4:
			if len(s.Faults) == 0 {
				continue
			}
			k := 0.25 + 1.75*r.Float64()
			for i := range s.Faults {
				s.Faults[i].At = Duration(time.Duration(float64(s.Faults[i].At) * k).Round(time.Microsecond))
			}
			return s, fmt.Sprintf("fault times x%.2f", k)
		case 5, 6:
			crashes := s.crashes()
			if len(crashes) == 0 {
				continue
			}
			c := crashes[r.IntN(len(crashes))]
			if r.IntN(2) == 0 {
				// Move the crash and its restart by one delta, not below 0.
				f := s.Faults[c[0]]
				d := Duration(time.Duration((r.Float64()*2 - 1) * float64(f.At+Duration(time.Millisecond))).Round(time.Microsecond))
				d = max(d, -f.At)
				for _, i := range c {
					if i >= 0 {
						s.Faults[i].At += d
					}
				}
				if !s.leadersRestart() {
					s.Faults = slices.Clone(parent.Faults)
					continue
				}
				return s, "move crash of " + f.Crash + " by " + d.D().String()
			}
			name := s.Faults[c[0]].Crash
			s.Faults = removeAt(s.Faults, c)
			if !s.leadersRestart() {
				s.Faults = slices.Clone(parent.Faults)
				continue
			}
			return s, "remove crash of " + name
		case 7:
			other := Swarm(base, r.Uint64N(MaxSeed+1))
			added := other.Faults[len(base.Faults):]
			if len(added) == 0 {
				continue
			}
			s.Faults = append(s.Faults, added...)
			return s, "add faults of swarm seed " + strconv.FormatUint(other.Seed, 10)
		}
	}
}

// crashes lists each crash fault's index with the index of the first
// restart of the same node after it (-1 when there is none), for the
// crashes that can move or go: a crash with its restart keeps every
// crashed node's last crash followed by a restart.
func (s Scenario) crashes() [][2]int {
	var out [][2]int
	for i, f := range s.Faults {
		if f.Crash == "" {
			continue
		}
		restart := -1
		for j, g := range s.Faults {
			if g.Restart == f.Crash && g.At > f.At && (restart < 0 || g.At < s.Faults[restart].At) {
				restart = j
			}
		}
		if restart < 0 && !s.mayStayDown(f.Crash) {
			continue
		}
		out = append(out, [2]int{i, restart})
	}
	return out
}

// mayStayDown reports whether Swarm may leave node down: anything but a leader.
func (s Scenario) mayStayDown(node string) bool {
	for i := 1; i <= s.Nodes.Leaders; i++ {
		if node == "leader"+strconv.Itoa(i) {
			return false
		}
	}
	return true
}

// leadersRestart reports whether every leader's last crash is followed by
// a restart, as Swarm promises.
func (s Scenario) leadersRestart() bool {
	for _, f := range s.Faults {
		if f.Crash == "" || s.mayStayDown(f.Crash) {
			continue
		}
		restarted := false
		for _, g := range s.Faults {
			if g.Crash == f.Crash && g.At > f.At {
				restarted = true // a later crash decides
				break
			}
			if g.Restart == f.Crash && g.At > f.At {
				restarted = true
			}
		}
		if !restarted {
			return false
		}
	}
	return true
}

// removeAt removes the faults at the indices of c that are not -1.
func removeAt(faults []Fault, c [2]int) []Fault {
	var out []Fault
	for i, f := range faults {
		if i != c[0] && i != c[1] {
			out = append(out, f)
		}
	}
	return out
}
