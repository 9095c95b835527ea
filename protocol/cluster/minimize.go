package cluster

import (
	"fmt"
	"time"

	"github.com/multipaxos-kv/multipaxos-kv/protocol/check"
	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// MinimizeOptions bound a minimisation: by tries (replays), the one bound
// that keeps the result the same on every machine, and by wall time, which
// only cuts it short.
type MinimizeOptions struct {
	Tries   int           // replays at most (0: DefaultMinimizeTries)
	Timeout time.Duration // wall time at most (0: none)
	// Progress, when set, is told of each smaller schedule found.
	Progress func(tries, events int)
}

// DefaultMinimizeTries bounds a minimisation's replays.
const DefaultMinimizeTries = 20000

// Minimized is the outcome of a minimisation.
type Minimized struct {
	Check          check.Name   // the check that fails, before and after
	Before, After  int          // events in the schedule
	Tries          int          // replays made
	Cut            string       // why it stopped early, or ""
	Records        []sim.Record // the minimal schedule, strict (replay reproduces it)
	Scenario       scenarios.Scenario
	BeforeMessages int // messages sent by the failing run
	AfterMessages  int
}

// step is one event of a schedule with the decisions its handler took.
type step []sim.Record

// Minimize shrinks a failing schedule to a smaller one that fails the same
// check: it removes events (with the decisions they took), first in halves
// and quarters (delta debugging), then one by one, until no removal keeps
// the failure; each candidate is replayed leniently (events no longer
// pending are skipped), and the result is recorded again as a strict
// schedule that replay reproduces byte for byte. Nodes' starts are kept.
// The same input gives the same output.
func Minimize(s scenarios.Scenario, recs []sim.Record, opt MinimizeOptions) (Minimized, error) {
	if opt.Tries <= 0 {
		opt.Tries = DefaultMinimizeTries
	}
	start := time.Now()
	m := Minimized{Scenario: s}
	target, events, sent, ok := failing(s, flatten(groups(recs)))
	if !ok {
		return m, fmt.Errorf("the schedule fails no safety check when replayed (liveness is not minimised: a shorter run always stalls)")
	}
	m.Check, m.Before, m.BeforeMessages = target, events, sent
	steps := groups(recs)
	fails := func(cand []step) bool {
		m.Tries++
		got, _, _, ok := failing(s, flatten(cand))
		return ok && got == target
	}
	over := func() bool {
		switch {
		case m.Tries >= opt.Tries:
			m.Cut = fmt.Sprintf("try limit %d reached", opt.Tries)
		case opt.Timeout > 0 && time.Since(start) > opt.Timeout:
			m.Cut = fmt.Sprintf("time limit %v reached", opt.Timeout)
		default:
			return false
		}
		return true
	}
	// Delta debugging over the removable steps (not the starts): remove
	// chunks, halving their size when none can go.
	for n := 2; !over(); {
		removable := indexes(steps)
		size := len(removable) / n
		if size < 2 {
			break
		}
		removed := false
		for lo := len(removable) - size; lo >= 0 && !over(); lo -= size {
			if cand := without(steps, removable[lo:lo+size]); fails(cand) {
				steps, removed = cand, true
				progress(opt, m.Tries, steps)
				break
			}
		}
		if removed {
			n = max(n-1, 2)
		} else {
			n *= 2
		}
	}
	// Then single steps, from the last to the first, in passes until one
	// removes nothing.
	for changed := true; changed && !over(); {
		changed = false
		for k := len(steps) - 1; k >= 0 && !over(); k-- {
			if isStart(steps[k][0].Text) {
				continue
			}
			if cand := without(steps, []int{k}); fails(cand) {
				steps, changed = cand, true
				progress(opt, m.Tries, steps)
			}
		}
	}
	// Record the minimal run again, strictly.
	c := New(s, Options{Replay: flatten(steps), Lenient: true, Record: true})
	o := c.Run()
	m.After, m.AfterMessages = o.Result.Events, o.Result.Sent
	m.Records = append(append([]sim.Record(nil), c.Schedule...), sim.Record{Kind: sim.RecStop, Text: string(target) + " fails here (minimised)"})
	return m, nil
}

func progress(opt MinimizeOptions, tries int, steps []step) {
	if opt.Progress != nil {
		opt.Progress(tries, len(steps))
	}
}

// failing replays recs leniently and returns the first safety check that
// fails (not liveness), the events run and the messages sent.
func failing(s scenarios.Scenario, recs []sim.Record) (check.Name, int, int, bool) {
	c := New(s, Options{Replay: recs, Lenient: true})
	o := c.Run()
	for _, v := range o.Checks {
		if v.Err != nil && v.Name != check.NameLiveness {
			return v.Name, o.Result.Events, o.Result.Sent, true
		}
	}
	return "", o.Result.Events, o.Result.Sent, false
}

// groups splits records into steps: an event and the decisions after it.
// A stop record ends the schedule.
func groups(recs []sim.Record) []step {
	var out []step
	for _, r := range recs {
		switch {
		case r.Kind == sim.RecStop:
			return out
		case r.Kind == sim.RecEvent || len(out) == 0:
			out = append(out, step{r})
		default:
			out[len(out)-1] = append(out[len(out)-1], r)
		}
	}
	return out
}

func flatten(steps []step) []sim.Record {
	var out []sim.Record
	for _, st := range steps {
		out = append(out, st...)
	}
	return out
}

// indexes lists the steps that may be removed: every one but the starts.
func indexes(steps []step) []int {
	var out []int
	for i, st := range steps {
		if st[0].Kind == sim.RecEvent && !isStart(st[0].Text) {
			out = append(out, i)
		}
	}
	return out
}

func isStart(text string) bool {
	for i := 0; i < len(text); i++ {
		if text[i] == ' ' {
			rest := text[i+1:]
			return len(rest) >= 6 && rest[:6] == "start "
		}
	}
	return false
}

// without is steps less the ones at the given indexes (sorted).
func without(steps []step, drop []int) []step {
	out := make([]step, 0, len(steps)-len(drop))
	j := 0
	for i, st := range steps {
		if j < len(drop) && drop[j] == i {
			j++
			continue
		}
		out = append(out, st)
	}
	return out
}
