package viz

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// Fate is what happened to one copy of a message.
type Fate uint8

// The fates of a message copy.
const (
	InFlight  Fate = iota // still travelling when the run ended
	Delivered             // delivered to a live node
	Dropped               // lost: by chance, to a partition or a crashed receiver
)

// Message is one copy of a message, from its send to its fate: a
// duplicated message gives two.
type Message struct {
	ID        uint64   // the trace's "mid", shared by a duplicate
	From, To  string   // node names
	Type      string   // the message type, e.g. "Accept"
	Slot      int64    // the "slot" field, or 0 when the message has none
	Ballot    string   // the "ballot" field as "(r,l)", or ""
	Body      string   // the message's JSON object, as in the trace
	Sent      sim.Time // when it was sent
	At        sim.Time // when it was delivered or dropped (End for InFlight)
	Fate      Fate
	Reason    string // why it was dropped
	Duplicate bool   // the network's extra copy
	SendSeq   uint64 // the trace seq of the send record
	AtSeq     uint64 // the trace seq of the deliver or drop record (0 in flight)
}

// Label is the message's short name in every picture: its type, then its
// slot and ballot when it has them, e.g. "Accept s6 (1,1)".
func (m Message) Label() string {
	s := m.Type
	if m.Slot > 0 {
		s += " s" + strconv.FormatInt(m.Slot, 10)
	}
	if m.Ballot != "" {
		s += " " + m.Ballot
	}
	return s
}

// Routine reports whether the message is routine liveness traffic
// (heartbeats and their acknowledgements), which pictures draw faintly or
// leave out.
func (m Message) Routine() bool { return isRoutine(m.Type) }

// Step is one line of a node's narration.
type Step struct {
	T    sim.Time
	Seq  uint64
	Node string
	Text string
}

// Fault is a crash, restart, partition, heal, cut or hold. A cut and a
// hold are of the one-way link From -> To; a heal ends every partition and
// every cut, not a hold, which ends For after it starts (see links.go).
type Fault struct {
	T        sim.Time
	Seq      uint64
	Kind     sim.TraceEv // sim.EvCrash, EvRestart, EvPartition, EvHeal, EvCut or EvHold
	Node     string      // crash, restart
	Groups   [][]string  // partition
	From, To string      // cut, hold: the link's sender and receiver
	For      sim.Time    // hold: how long it lasts
}

// Request is one client request, from its invoke to its return.
type Request struct {
	Client   string
	ID       uint64
	Op       string
	Key      string
	Value    string
	Invoke   sim.Time
	Return   sim.Time // End when unanswered
	Answered bool
	OK       bool
	Result   string // the value (get), "ok", or the error text; "" when unanswered
}

// Label is the request as the pictures name it, shorter than the text
// trace: "PUT c=val_35", "GET e", "DELETE a".
func (r Request) Label() string {
	s := strings.ToUpper(r.Op) + " " + r.Key
	if r.Op == "put" {
		s += "=" + r.Value
	}
	return s
}

// Span is a stretch of virtual time, both ends included.
type Span struct{ From, To sim.Time }

// Trace is a run as the pictures see it.
type Trace struct {
	Nodes    []string // one lane per node, in display order (see LaneOrder)
	Messages []Message
	Steps    []Step
	Faults   []Fault
	Requests []Request
	Marks    []Mark         // the protocol's milestones, read from the steps (see marks.go)
	End      sim.Time       // the time of the last record
	Summary  map[string]any // the summary record, if the trace has one
	// Events are the run's events, when its trace has state records
	// (-node-states), for the step-through viewer (states.go).
	Events []Event

	// Clip is the window the trace was cut to (see Window), nil for the
	// whole run: the diagram draws nothing outside it.
	Clip *Span
	// Prior are the faults before the window, which set the state it opens
	// in: a node already down, a partition, a cut or a hold already in force.
	Prior []Fault
}

// Parse reads a JSON-lines trace. A line that is not a JSON object, or a
// delivery of a message never sent, is an error naming the line.
func Parse(r io.Reader) (*Trace, error) {
	t := &Trace{}
	sends := map[uint64]Message{} // by mid: the send, waiting for its fates
	fates := map[uint64]int{}     // by mid: how many fates seen
	open := map[string]int{}      // by client: index in t.Requests of the open request
	nodes := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var rec sim.TraceRecord
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, fmt.Errorf("trace line %d: %v", line, err)
		}
		at := sim.Time(rec.T)
		t.End = max(t.End, at)
		for _, n := range []string{rec.From, rec.To, rec.Node, rec.Client} {
			if n != "" {
				nodes[n] = true
			}
		}
		switch rec.Ev {
		case sim.EvSend:
			m, err := message(rec)
			if err != nil {
				return nil, fmt.Errorf("trace line %d: %v", line, err)
			}
			m.Sent, m.At, m.SendSeq = at, at, rec.Seq
			sends[rec.Mid] = m
		case sim.EvDeliver, sim.EvDrop:
			m, ok := sends[rec.Mid]
			if !ok {
				return nil, fmt.Errorf("trace line %d: %s of message %d, which was never sent", line, rec.Ev, rec.Mid)
			}
			m.At, m.AtSeq, m.Fate = at, rec.Seq, Delivered
			if rec.Ev == sim.EvDrop {
				m.Fate, m.Reason = Dropped, rec.Reason
			}
			m.Duplicate = rec.Note == sim.NoteDuplicate
			fates[rec.Mid]++
			t.Messages = append(t.Messages, m)
		case sim.EvStep:
			t.Steps = append(t.Steps, Step{T: at, Seq: rec.Seq, Node: rec.Node, Text: rec.Text})
		case sim.EvCrash, sim.EvRestart, sim.EvPartition, sim.EvHeal, sim.EvCut, sim.EvHold:
			f := Fault{T: at, Seq: rec.Seq, Kind: rec.Ev, Node: rec.Node, Groups: rec.Groups}
			if rec.Ev == sim.EvCut || rec.Ev == sim.EvHold {
				f.From, f.To = rec.From, rec.To
			}
			if rec.Ev == sim.EvHold {
				f.For = sim.Time(rec.For)
			}
			t.Faults = append(t.Faults, f)
			for _, g := range rec.Groups {
				for _, n := range g {
					nodes[n] = true
				}
			}
		case sim.EvInvoke:
			req := Request{Client: rec.Client, ID: rec.ID, Op: rec.Op, Key: rec.Key, Invoke: at}
			if rec.Value != nil {
				req.Value = *rec.Value
			}
			open[rec.Client] = len(t.Requests)
			t.Requests = append(t.Requests, req)
		case sim.EvReturn:
			i, ok := open[rec.Client]
			if !ok || t.Requests[i].ID != rec.ID {
				continue // an answer to nothing open: the history checker's business
			}
			delete(open, rec.Client)
			req := &t.Requests[i]
			req.Return, req.Answered = at, true
			req.OK = rec.OK != nil && *rec.OK
			switch {
			case !req.OK:
				req.Result = rec.Error
			case rec.Value != nil:
				req.Result = strconv.Quote(*rec.Value)
			default:
				req.Result = "ok"
			}
		case sim.EvState:
			t.Events = append(t.Events, stateEvent(rec))
		case sim.EvSummary:
			// Numbers stay json.Number: a seed above 2^53 must not round.
			dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
			dec.UseNumber()
			if err := dec.Decode(&t.Summary); err != nil {
				return nil, fmt.Errorf("trace line %d: %v", line, err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	// Messages whose copies never arrived nor were lost are in flight.
	for _, mid := range slices.Sorted(maps.Keys(sends)) {
		if fates[mid] == 0 {
			m := sends[mid]
			m.At = t.End
			t.Messages = append(t.Messages, m)
		}
	}
	slices.SortStableFunc(t.Messages, func(a, b Message) int { return cmp.Compare(a.SendSeq, b.SendSeq) })
	for i := range t.Requests {
		if !t.Requests[i].Answered {
			t.Requests[i].Return = t.End
		}
	}
	t.Nodes = LaneOrder(slices.Collect(maps.Keys(nodes)))
	t.Marks = marks(t)
	return t, nil
}

func message(rec sim.TraceRecord) (Message, error) {
	var body struct {
		Type   string  `json:"type"`
		Slot   int64   `json:"slot"`
		Ballot []int64 `json:"ballot"`
	}
	if err := json.Unmarshal(rec.Msg, &body); err != nil {
		return Message{}, fmt.Errorf("message %d: %v", rec.Mid, err)
	}
	m := Message{ID: rec.Mid, From: rec.From, To: rec.To, Type: body.Type, Slot: body.Slot, Body: string(rec.Msg)}
	if len(body.Ballot) == 2 {
		m.Ballot = "(" + strconv.FormatInt(body.Ballot[0], 10) + "," + strconv.FormatInt(body.Ballot[1], 10) + ")"
	}
	return m, nil
}

// LaneOrder sorts node names into the diagram's lane order: clients,
// leaders (and the kvstore server), acceptors, replicas, then anything else;
// by number within a kind (client2 before client10).
func LaneOrder(names []string) []string {
	rank := func(n string) (int, string, int) {
		for i, k := range laneKinds {
			if num, err := strconv.Atoi(strings.TrimPrefix(n, k)); strings.HasPrefix(n, k) && err == nil {
				return i, k, num
			}
		}
		return len(laneKinds), n, 0
	}
	out := slices.Clone(names)
	slices.SortFunc(out, func(a, b string) int {
		ra, ka, na := rank(a)
		rb, kb, nb := rank(b)
		if ra != rb {
			return ra - rb
		}
		if ka != kb {
			return strings.Compare(ka, kb)
		}
		return na - nb
	})
	return slices.Compact(out)
}

// Window keeps what happens between from and to (inclusive): messages sent
// or arriving in it, steps, marks, faults and requests overlapping it; the
// faults before it go to Prior. End becomes to, or stays if sooner, and
// Clip records the window, so that the diagram draws exactly it: an arrow
// that starts before from or ends after to is cut at the edge.
func (t *Trace) Window(from, to sim.Time) *Trace {
	if t.Clip != nil {
		from, to = max(from, t.Clip.From), min(to, t.Clip.To)
	}
	w := &Trace{Nodes: t.Nodes, Summary: t.Summary, End: min(t.End, to), Clip: &Span{from, to}, Prior: slices.Clone(t.Prior), Events: eventsUntil(t.Events, to)}
	for _, m := range t.Messages {
		if m.At >= from && m.Sent <= to {
			w.Messages = append(w.Messages, m)
		}
	}
	for _, s := range t.Steps {
		if s.T >= from && s.T <= to {
			w.Steps = append(w.Steps, s)
		}
	}
	for _, m := range t.Marks {
		if m.T >= from && m.T <= to {
			w.Marks = append(w.Marks, m)
		}
	}
	for _, f := range t.Faults {
		switch {
		case f.T < from:
			w.Prior = append(w.Prior, f)
		case f.T <= to:
			w.Faults = append(w.Faults, f)
		}
	}
	for _, r := range t.Requests {
		if r.Return >= from && r.Invoke <= to {
			w.Requests = append(w.Requests, r)
		}
	}
	return w
}
