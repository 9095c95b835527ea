package viz

// Tests that the diagram reads: milestones marked, bursts labelled once and
// no label over another, losses pointing at their receiver, partitions
// shaded on the side cut off, and a window drawn exactly.

import (
	"bytes"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/protocol/cluster"
	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// numbers are the integers in a path's d or a points list, in order.
func numbers(t *testing.T, s string) []int {
	t.Helper()
	var out []int
	for _, f := range regexp.MustCompile(`-?\d+`).FindAllString(s, -1) {
		n, err := strconv.Atoi(f)
		require.NoError(t, err)
		out = append(out, n)
	}
	return out
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(t, err, "an integer attribute, got %q", s)
	return n
}

// labelBoxes are the extents of the message, milestone and badge labels of
// a drawing, as placeLabels reckons them, with their texts.
func labelBoxes(t *testing.T, es []element) ([]labelBox, []string) {
	t.Helper()
	var boxes []labelBox
	var texts []string
	for _, e := range es {
		if e.name != "text" {
			continue
		}
		size := 0
		switch {
		case e.inside("msg"):
			size = msgFont
		case e.inside("mark"):
			size = markFont
		case e.inside("crowd"):
			size = crowdFont
		default:
			continue
		}
		p := placed{e.text, atoi(t, e.attr["x"]), atoi(t, e.attr["y"]), e.attr["text-anchor"]}
		if e.inside("crowd") {
			p.text = "+99" // a badge's room
		}
		boxes, texts = append(boxes, p.box(size)), append(texts, e.text)
	}
	return boxes, texts
}

// TestSVGLabelsDoNotOverlap: in runs with bursts, duels and recoveries, no
// label covers another, and every message that is labelled at all (not
// routine) is: by its own label, by its burst's "×N" label, or counted in
// a "+N" badge.
func TestSVGLabelsDoNotOverlap(t *testing.T) {
	for _, scenario := range []string{"default", "duelling-leaders", "leader-failover", "lossy", "leader-isolated", "minority-partition", "retry-twice", "two-values"} {
		t.Run(scenario, func(t *testing.T) {
			tr := parseRun(t, scenario)
			es := parseXML(t, drawSVG(t, tr))
			boxes, texts := labelBoxes(t, es)
			require.NotEmpty(t, boxes)
			for i := range boxes {
				for j := range i {
					if boxes[i].overlaps(boxes[j]) {
						t.Errorf("label %q at %v covers %q at %v", texts[i], boxes[i], texts[j], boxes[j])
					}
				}
			}

			labelled := 0
			var mid, burst string
			for _, e := range es {
				switch {
				case e.name == "g" && e.is("msg"):
					mid, burst = e.attr["data-mid"], e.attr["data-burst"]
				case e.name == "text" && e.inside("msg"):
					n := 1
					if burst != "" {
						n = atoi(t, burst)
						assert.True(t, strings.HasSuffix(e.text, " ×"+burst), "message %s: a burst of %s is labelled %q", mid, burst, e.text)
					}
					labelled += n
				case e.name == "g" && e.is("crowd"):
					labelled += atoi(t, e.attr["data-n"])
				}
			}
			marks := len(tr.Marks)
			var routine int
			for _, m := range tr.Messages {
				if m.Routine() {
					routine++
				}
			}
			var markLabels int
			for _, e := range es {
				if e.name == "text" && e.inside("mark") {
					markLabels++
				}
			}
			assert.Equal(t, len(tr.Messages)-routine+marks, labelled+markLabels, "every label drawn, shared or counted")
		})
	}
}

// TestSVGBursts: copies one node sends at one instant with the same type
// and ballot share one label, "×N", whose tooltip names every receiver.
func TestSVGBursts(t *testing.T) {
	es := parseXML(t, drawSVG(t, parseRun(t, "default")))
	var fan []element
	for _, g := range classGroups(es, "msg") {
		if g.attr["data-burst"] != "" {
			fan = append(fan, g)
		}
	}
	require.NotEmpty(t, fan)
	for _, g := range fan {
		if g.attr["data-type"] == "Accept" {
			assert.Equal(t, "3", g.attr["data-burst"], "an Accept goes to the three acceptors at once")
		}
	}
	var title string
	for _, e := range es {
		if e.name == "title" && e.inside("msg") && strings.Contains(e.text, "one of 3 copies") {
			title = e.text
			break
		}
	}
	assert.Contains(t, title, "one of 3 copies leader1 sent at once, to acceptor1, acceptor2, acceptor3: labelled once, Prepare (1,1) ×3")

	// A new leader re-proposes every recovered slot at once: one label for
	// all of them.
	_, texts := labelBoxes(t, parseXML(t, drawSVG(t, parseRun(t, "leader-failover"))))
	assert.True(t, slices.ContainsFunc(texts, regexp.MustCompile(`^Accept s1–s5 \(2,2\) ×\d+$`).MatchString), "the recovery's Accepts share a label: %q", texts)

	assert.Equal(t, "s1–s5", slotSet([]int64{3, 1, 2, 5, 4}))
	assert.Equal(t, "s1,s3,s4", slotSet([]int64{4, 1, 3}))
	assert.Equal(t, "s1,s3,s5,s7,…", slotSet([]int64{1, 3, 5, 7, 9}))
}

// TestSVGLostTowardReceiver: a copy lost as it was sent is drawn most of
// the way to its receiver and ends in a cross nearer the receiver's lane
// than any other, between the two lanes; one lost to a crashed receiver
// ends on the receiver's lane.
func TestSVGLostTowardReceiver(t *testing.T) {
	for _, scenario := range []string{"lossy", "leader-failover", "minority-partition"} {
		t.Run(scenario, func(t *testing.T) {
			tr := parseRun(t, scenario)
			l := newLayout(tr, 0)
			es := parseXML(t, drawSVG(t, tr))
			var g element
			var checked, far int
			for _, e := range es {
				if e.name == "g" && e.is("msg") {
					g = e
				}
				if !(e.is("cross") && e.inside("msg")) {
					continue
				}
				from, to := g.attr["data-from"], g.attr["data-to"]
				xs := numbers(t, e.attr["d"])
				x := (xs[0] + xs[2]) / 2 // the centre of the ✕
				xf, xt := l.laneX[from], l.laneX[to]
				if from == to {
					continue
				}
				for _, n := range tr.Nodes {
					if n != to {
						assert.Less(t, abs(x-xt), abs(x-l.laneX[n]), "message %s %s → %s lost: its cross at x=%d is nearest %s's lane", g.attr["data-mid"], from, to, x, n)
					}
				}
				assert.True(t, min(xf, xt) <= x && x <= max(xf, xt), "between the lanes")
				assert.LessOrEqual(t, abs(x-xt), lostShortPx)
				if abs(xt-xf) > 2*l.laneW {
					far++
				}
				checked++
			}
			assert.Positive(t, checked)
			assert.Positive(t, far, "some losses cross other lanes on their way")
		})
	}
}

// TestSVGWindowClipsExactly: -window draws nothing outside its range: the
// axis, every arrow, request, mark and label lie within it; arrows that
// cross its edges are cut there; a partition and a crash from before it
// show from its top.
func TestSVGWindowClipsExactly(t *testing.T) {
	for _, c := range []struct {
		scenario string
		from, to sim.Time
		down     string // a lane crashed before the window
	}{
		{"leader-isolated", 100 * sim.Millisecond, 140 * sim.Millisecond, ""},
		{"leader-failover", 130 * sim.Millisecond, 150 * sim.Millisecond, "leader1"},
		{"lossy", 20 * sim.Millisecond, 30 * sim.Millisecond, ""},
	} {
		t.Run(c.scenario, func(t *testing.T) {
			tr := parseRun(t, c.scenario).Window(c.from, c.to)
			es := parseXML(t, drawSVG(t, tr))
			var top, bottom int
			for _, e := range es {
				if e.name == "line" && e.is("tick") && e.inside("axis") {
					top, bottom = atoi(t, e.attr["y1"]), atoi(t, e.attr["y2"])
					break
				}
			}
			require.Less(t, top, bottom)
			within := func(what string, ys ...int) {
				t.Helper()
				for _, y := range ys {
					assert.True(t, top <= y && y <= bottom, "%s at y=%d, outside the window [%d, %d]", what, y, top, bottom)
				}
			}
			var cut int
			var g element
			for _, e := range es {
				if e.name == "g" && e.is("msg") {
					g = e
					if e.is("cut") {
						cut++
					}
				}
				switch {
				case e.name == "path" && e.inside("msg"):
					ns := numbers(t, e.attr["d"])
					for i := 1; i < len(ns); i += 2 {
						within("message "+g.attr["data-mid"], ns[i])
					}
				case e.name == "rect" && (e.inside("req") || e.inside("partition")):
					y := atoi(t, e.attr["y"])
					within("a request or partition", y, y+atoi(t, e.attr["height"]))
				case e.name == "path" && (e.inside("mark") || e.inside("crash")):
					ns := numbers(t, e.attr["d"])
					for i := 1; i < len(ns); i += 2 {
						within("a mark", ns[i])
					}
				case e.name == "text" && e.inside("axis"):
					d, err := time.ParseDuration(e.text)
					require.NoError(t, err)
					assert.True(t, sim.Time(d) >= c.from && sim.Time(d) <= c.to, "axis label %s outside the window", e.text)
				case e.name == "text" && e.inside("req"):
					y := atoi(t, e.attr["y"])
					within("a request's label", y, y+textW(e.text, 10))
				}
			}
			boxes, texts := labelBoxes(t, es)
			for i, b := range boxes {
				within("label "+texts[i], b.y0, b.y1)
			}
			assert.Positive(t, cut, "some arrows cross the window's edges")
			for _, m := range tr.Messages {
				assert.True(t, m.At >= c.from && m.Sent <= c.to)
			}

			if c.scenario == "leader-isolated" {
				p := classGroups(es, "partition")
				require.Len(t, p, 1, "the partition of 30ms is still in force")
				for _, e := range es {
					if e.name == "rect" && e.inside("partition") {
						assert.Equal(t, top, atoi(t, e.attr["y"]), "shaded from the window's top")
					}
				}
			}
			if c.down != "" {
				var lane string
				var first string
				for _, e := range es {
					if e.name == "g" && e.is("lane") {
						lane = e.attr["data-node"]
					}
					if e.name == "line" && e.inside("lane") && lane == c.down && first == "" {
						first = e.attr["class"]
					}
				}
				assert.Equal(t, "down", first, "%s, crashed before the window, is down from its top", c.down)
			}
		})
	}
}

// TestSVGMarks: the milestones of a failover are on their lanes: each
// Phase 1 won with its ballot, the NOOP, the recovery, the stand-by, and
// every chosen slot with the acceptors whose votes made its quorum, whose
// arrows are drawn bold.
func TestSVGMarks(t *testing.T) {
	tr := parseRun(t, "leader-failover")
	es := parseXML(t, drawSVG(t, tr))
	got := map[string][]string{}
	var quorums int
	for _, g := range classGroups(es, "mark") {
		kind := g.classes[1]
		got[kind] = append(got[kind], g.attr["data-node"])
		if kind == string(MarkChosen) {
			q := strings.Fields(g.attr["data-quorum"])
			assert.GreaterOrEqual(t, len(q), 2, "a quorum of three acceptors")
			for _, a := range q {
				assert.True(t, strings.HasPrefix(a, "acceptor"), a)
			}
			quorums++
		}
	}
	assert.Equal(t, []string{"leader2"}, got[string(MarkStandby)][:1], "leader2 stands by at the start")
	assert.Equal(t, []string{"leader1", "leader2"}, got[string(MarkPhase1)])
	assert.Equal(t, []string{"leader2"}, got[string(MarkNoop)])
	assert.Equal(t, []string{"leader2"}, got[string(MarkRecovered)])
	assert.Greater(t, quorums, 15, "every slot chosen, and the recovered ones again")

	var labels []string
	for _, e := range es {
		if e.name == "text" && e.inside("mark") {
			labels = append(labels, e.text)
		}
	}
	for _, want := range []string{"Phase 1 won (1,1)", "Phase 1 won (2,2)", "NOOP s4", "recovery complete", "stand-by", "s6 chosen"} {
		assert.Contains(t, labels, want)
	}
	var bold int
	for _, g := range classGroups(es, "msg") {
		if g.is("quorum") {
			assert.Equal(t, "Accepted", g.attr["data-type"])
			bold++
		}
	}
	assert.GreaterOrEqual(t, bold, 2*quorums, "each quorum's votes are bold")
}

// TestMarks: the milestones read from the trace, with their details.
func TestMarks(t *testing.T) {
	tr := parseRun(t, "leader-failover")
	byKind := map[MarkKind][]Mark{}
	for _, m := range tr.Marks {
		byKind[m.Kind] = append(byKind[m.Kind], m)
	}
	require.Len(t, byKind[MarkPhase1], 2, "leader1 at the start, leader2 after the crash")
	assert.Equal(t, "(2,2)", byKind[MarkPhase1][1].Ballot)
	require.Len(t, byKind[MarkNoop], 1)
	assert.Equal(t, int64(4), byKind[MarkNoop][0].Slot)
	for _, m := range byKind[MarkChosen] {
		require.NotEmpty(t, m.Quorum, "slot %d at %s", m.Slot, m.T)
		for _, seq := range m.Votes {
			assert.Less(t, seq, m.Seq, "a vote arrives before the slot is chosen")
		}
	}
	first := byKind[MarkChosen][0]
	assert.Equal(t, "(1,1)", first.Ballot)
	assert.Contains(t, first.Info(), "quorum: acceptor")
	assert.Equal(t, int64(6), stepSlot("Phase 2 for slot 6: chosen: acceptor1 + acceptor3, 2 of 3 (quorum 2)"))
	assert.Equal(t, int64(0), stepSlot("no slot here"))

	w := tr.Window(100*sim.Millisecond, 200*sim.Millisecond)
	for _, m := range w.Marks {
		assert.True(t, m.T >= 100*sim.Millisecond && m.T <= 200*sim.Millisecond)
	}
	assert.NotEmpty(t, w.Marks)
}

// TestMarkRulesMatchTheProtocol: every rule that reads a milestone from
// the steps' words still matches a step of some embedded scenario, so that
// a change of the protocol's words cannot silently drop a kind of mark.
func TestMarkRulesMatchTheProtocol(t *testing.T) {
	seen := map[MarkKind]bool{}
	for _, name := range scenarios.Names() {
		if strings.HasPrefix(name, "explore-") {
			continue
		}
		for _, m := range parseRun(t, name).Marks {
			seen[m.Kind] = true
		}
	}
	for _, r := range markRules {
		assert.True(t, seen[r.kind], "no step of any embedded scenario contains %q (mark %s): did the protocol's words change?", r.words, r.kind)
	}
	for _, s := range markStyles {
		assert.NotEqual(t, "#555555", markColor(s.kind))
	}
}

// TestWhyStepsAreNoMilestones: the "why" steps that explain a rule give no
// mark, so the milestones of a run are the same with explanations and
// without.
func TestWhyStepsAreNoMilestones(t *testing.T) {
	for _, name := range []string{"default", "leader-failover", "duelling-leaders", "leader-cut-off"} {
		var got [2][]Mark
		for i, explain := range []bool{false, true} {
			s, err := scenarios.Load(name)
			require.NoError(t, err)
			var js bytes.Buffer
			c := cluster.New(s, cluster.Options{JSON: &js, Explain: explain})
			require.NoError(t, c.WriteSummaryJSON(&js, c.Run()))
			tr, err := Parse(&js)
			require.NoError(t, err)
			for _, m := range tr.Marks {
				m.Seq, m.Votes = 0, nil // the why steps shift the records' seqs
				got[i] = append(got[i], m)
			}
		}
		assert.NotEmpty(t, got[0])
		assert.Equal(t, got[0], got[1], "%s: the same milestones with and without explanations", name)
	}
}
