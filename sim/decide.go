package sim

import "math/rand/v2"

// Decision names a yes/no choice the engine asks its Decider to make.
type Decision uint8

const (
	// DecideDrop asks whether a sent message is lost.
	DecideDrop Decision = iota
	// DecideDuplicate asks whether a sent message is delivered twice.
	DecideDuplicate
)

// Decider makes every choice of the engine. One interface serves a seeded
// run (SeedDecider), a replayed schedule, and a fuzzer that derives choices
// from its input bytes, so that all of them run the same engine code.
type Decider interface {
	// Latency returns a message latency in [min, max].
	Latency(min, max Time) Time
	// Chance returns true with probability p. It is only asked when 0 < p.
	Chance(what Decision, p float64) bool
	// Jitter returns a timer's extra delay in [0, max], for a node whose own
	// random stream is r. It is only asked when 0 < max.
	Jitter(r *rand.Rand, max Time) Time
}

// SeedDecider draws every choice from one seeded random stream.
type SeedDecider struct {
	R *rand.Rand
}

// Latency draws uniformly in [min, max].
func (d SeedDecider) Latency(min, max Time) Time {
	if max <= min {
		return min
	}
	return min + Time(d.R.Int64N(int64(max-min)+1))
}

// Chance draws a Bernoulli(p) outcome.
func (d SeedDecider) Chance(_ Decision, p float64) bool {
	return d.R.Float64() < p
}

// Jitter draws uniformly in [0, max] from the node's own stream, so that a
// node's timers do not shift the network's draws.
func (d SeedDecider) Jitter(r *rand.Rand, max Time) Time {
	return Time(r.Int64N(int64(max) + 1))
}

// FirstDecider takes every choice at its least: the least latency, no loss,
// no duplicate, no jitter. The explorer uses it: there the order of events
// is the choice, not their times.
type FirstDecider struct{}

// Latency is min.
func (FirstDecider) Latency(min, _ Time) Time { return min }

// Chance is false.
func (FirstDecider) Chance(Decision, float64) bool { return false }

// Jitter is 0.
func (FirstDecider) Jitter(*rand.Rand, Time) Time { return 0 }

// ByteDecider derives every choice from a byte string, for fuzzing: each
// latency takes two bytes, each chance one. When the bytes run out it falls
// back to its Fallback decider, so a short input still finishes a run.
type ByteDecider struct {
	Data     []byte
	Fallback Decider
}

// Latency maps the next two bytes onto [min, max].
func (d *ByteDecider) Latency(min, max Time) Time {
	if len(d.Data) < 2 {
		return d.Fallback.Latency(min, max)
	}
	v := uint64(d.Data[0])<<8 | uint64(d.Data[1])
	d.Data = d.Data[2:]
	if max <= min {
		return min
	}
	return min + Time(v%uint64(max-min+1))
}

// Chance is true when the next byte, read as a fraction of 256, is below p.
func (d *ByteDecider) Chance(what Decision, p float64) bool {
	if len(d.Data) < 1 {
		return d.Fallback.Chance(what, p)
	}
	v := d.Data[0]
	d.Data = d.Data[1:]
	return float64(v)/256 < p
}

// Jitter maps the next two bytes onto [0, max].
func (d *ByteDecider) Jitter(r *rand.Rand, max Time) Time {
	if len(d.Data) < 2 {
		return d.Fallback.Jitter(r, max)
	}
	v := uint64(d.Data[0])<<8 | uint64(d.Data[1])
	d.Data = d.Data[2:]
	return Time(v % uint64(max+1))
}
