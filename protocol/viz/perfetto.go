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

// WritePerfetto writes t as a Chrome trace-event file (the JSON Object
// Format of the "Trace Event Format" document), which the Perfetto UI
// (https://ui.perfetto.dev, "Open trace file") and chrome://tracing open.
// Time is the run's virtual time, in microseconds as the format wants.
//
// One process, one thread per node in lane order (tid = lane + 1), named
// with thread_name and ordered with thread_sort_index metadata. On them:
//   - each client request is a complete slice ("X") on its client, from
//     invoke to return (to the end of the run when unanswered);
//   - each step is an instant on its node;
//   - a crash or restart is an instant on its node, a partition or heal a
//     global instant (a heal's name lists the cuts it ends);
//   - a cut or a hold is an instant on both nodes of its link ("cut
//     leader1 → acceptor2", "hold client2 → leader2 for 300ms") and an async
//     slice ("b" to "e", category "link") from it to the heal that ends the
//     cut, the end of the hold, or the end of the run;
//   - each message copy is a flow (category "msg", named after its type)
//     from a short slice on the sender at its send ("s") to a short slice
//     on the receiver at its delivery ("f", bound to the enclosing slice);
//     a lost copy is an instant "lost Accept (loss)" on the sender when it
//     was lost, and a copy still in flight at the end has no flow.
//
// A node often sends several messages at one instant, and receives and
// sends at one instant (an acceptor answering an Accept). Those share one
// slice, at most 1µs long and named after what it received and sent
// ("Accept s1 (1,1) → Accepted s1 (1,1)", "send Prepare (1,1) ×3"),
// with the messages in its args: a slice per message would stack into
// identical nested slices to which the flows would bind ambiguously.
//
// Timestamps keep the nanoseconds: "6232.542". The importers multiply the
// number by 1000 and truncate, and for about one value in 170 the double
// nearest the decimal falls just under the nanosecond; those get one more
// digit ("6232.5421") so that every slice starts and ends exactly where the
// run says, and slices that touch never overlap.
func WritePerfetto(w io.Writer, t *Trace) error {
	lane := map[string]int{}
	for i, n := range t.Nodes {
		lane[n] = i + 1
	}
	tid := func(n string) int {
		if id, ok := lane[n]; ok {
			return id
		}
		lane[n] = len(lane) + 1 // Parse puts every node in Nodes; just in case
		return lane[n]
	}
	var events []perfettoEvent
	add := func(e perfettoEvent) {
		e.order = len(events)
		events = append(events, e)
	}

	// Activations: what a node does at one instant, receiving and sending.
	type actKey struct {
		tid int
		at  sim.Time
	}
	type activation struct {
		recv, sent []Message
		sentSeq    map[uint64]bool // sends already listed (a duplicate has two copies)
	}
	fates := map[uint64][]string{} // by send seq: what became of each copy
	for _, m := range t.Messages {
		fates[m.SendSeq] = append(fates[m.SendSeq], perfettoFate(m))
	}
	acts := map[actKey]*activation{}
	act := func(k actKey) *activation {
		a := acts[k]
		if a == nil {
			a = &activation{sentSeq: map[uint64]bool{}}
			acts[k] = a
		}
		return a
	}
	for _, m := range t.Messages {
		a := act(actKey{tid(m.From), m.Sent})
		if !a.sentSeq[m.SendSeq] {
			a.sentSeq[m.SendSeq] = true
			a.sent = append(a.sent, m)
		}
		if m.Fate == Delivered {
			r := act(actKey{tid(m.To), m.At})
			r.recv = append(r.recv, m)
		}
	}
	// Where each track's short slices must end: before the next activation
	// and before a request starts or ends, so that they nest.
	bounds := map[int][]sim.Time{}
	for k := range acts {
		bounds[k.tid] = append(bounds[k.tid], k.at)
	}
	for _, r := range t.Requests {
		c := tid(r.Client)
		bounds[c] = append(bounds[c], r.Invoke, r.Return)
	}
	for id, b := range bounds {
		slices.Sort(b)
		bounds[id] = slices.Compact(b)
	}
	const actDurMax = sim.Microsecond
	for _, k := range slices.SortedFunc(maps.Keys(acts), func(a, b actKey) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.tid, b.tid))
	}) {
		a := acts[k]
		dur := actDurMax
		b := bounds[k.tid]
		if i, _ := slices.BinarySearch(b, k.at+1); i < len(b) {
			dur = min(dur, (b[i]-k.at)/2)
		}
		args := map[string]any{}
		if len(a.recv) > 0 {
			args["received"] = perfettoMsgArgs(a.recv, "from")
		}
		if len(a.sent) > 0 {
			sent := perfettoMsgArgs(a.sent, "to")
			for i, m := range a.sent {
				sent[i]["fate"] = strings.Join(fates[m.SendSeq], ", ")
			}
			args["sent"] = sent
		}
		add(perfettoEvent{Name: perfettoActName(a.recv, a.sent), Cat: "msg", Ph: "X",
			Ts: k.at, Dur: &dur, Tid: k.tid, Args: args})
	}

	// Flows, one per delivered copy, and losses.
	var flow uint64
	for _, m := range t.Messages {
		switch m.Fate {
		case Delivered:
			flow++
			id := flow
			add(perfettoEvent{Name: m.Type, Cat: "msg", Ph: "s", Ts: m.Sent, Tid: tid(m.From), ID: &id})
			add(perfettoEvent{Name: m.Type, Cat: "msg", Ph: "f", BP: "e", Ts: m.At, Tid: tid(m.To), ID: &id})
		case Dropped:
			add(perfettoEvent{Name: "lost " + m.Type + " (" + m.Reason + ")", Cat: "msg", Ph: "i", S: "t",
				Ts: m.At, Tid: tid(m.From), Args: map[string]any{
					"mid": m.ID, "to": m.To, "reason": m.Reason, "msg": json.RawMessage(m.Body)}})
		}
	}

	for _, r := range t.Requests {
		dur := r.Return - r.Invoke
		name := r.Label()
		args := map[string]any{"client": r.Client, "id": r.ID, "op": r.Op, "key": r.Key, "answered": r.Answered}
		if r.Op == "put" {
			args["value"] = r.Value
		}
		if r.Answered {
			name += " → " + r.Result
			args["ok"], args["result"] = r.OK, r.Result
		} else {
			name += " (no answer by the end)"
		}
		add(perfettoEvent{Name: name, Cat: "request", Ph: "X", Ts: r.Invoke, Dur: &dur, Tid: tid(r.Client), Args: args})
	}
	for _, s := range t.Steps {
		add(perfettoEvent{Name: s.Text, Cat: "step", Ph: "i", S: "t", Ts: s.T, Tid: tid(s.Node)})
	}
	healed := healedCuts(t.Faults)
	for _, f := range t.Faults {
		switch f.Kind {
		case sim.EvCrash, sim.EvRestart:
			add(perfettoEvent{Name: string(f.Kind), Cat: "fault", Ph: "i", S: "t", Ts: f.T, Tid: tid(f.Node)})
		case sim.EvCut, sim.EvHold:
			args := map[string]any{"from": f.From, "to": f.To}
			if f.Kind == sim.EvHold {
				args["for_ns"] = int64(f.For)
			}
			add(perfettoEvent{Name: exportFaultText(f), Cat: "fault", Ph: "i", S: "t", Ts: f.T, Tid: tid(f.From), Args: args})
			add(perfettoEvent{Name: exportFaultText(f), Cat: "fault", Ph: "i", S: "t", Ts: f.T, Tid: tid(f.To), Args: args})
		case sim.EvHeal:
			add(perfettoEvent{Name: healText(healed[f.Seq]), Cat: "fault", Ph: "i", S: "g", Ts: f.T, Tid: 1})
		default:
			// Global: drawn across every track; the tid is only there for
			// importers that want one.
			add(perfettoEvent{Name: exportFaultText(f), Cat: "fault", Ph: "i", S: "g", Ts: f.T, Tid: 1})
		}
	}

	// Each cut and hold as an async slice of its own, from its start to the
	// heal that ends a cut, a hold's end, or the end of the run.
	var link uint64
	for _, l := range linkSpans(t.Faults, t.End) {
		link++
		id, end := link, min(l.until, t.End)
		how := "until the end of the run"
		switch {
		case l.healed:
			how = "until the heal at " + l.until.String()
		case l.f.Kind == sim.EvHold:
			how = "until " + l.until.String()
		}
		args := map[string]any{"from": l.f.From, "to": l.f.To, "lasts": how}
		add(perfettoEvent{Name: linkText(l.f), Cat: "link", Ph: "b", Ts: l.f.T, Tid: tid(l.f.From), ID: &id, Args: args})
		add(perfettoEvent{Name: linkText(l.f), Cat: "link", Ph: "e", Ts: end, Tid: tid(l.f.From), ID: &id})
	}

	// At one instant: longer slices first so that shorter ones nest in them,
	// then flows, which bind to the innermost slice open on their track,
	// then instants.
	slices.SortFunc(events, func(a, b perfettoEvent) int {
		da, db := sim.Time(-1), sim.Time(-1)
		if a.Dur != nil {
			da = *a.Dur
		}
		if b.Dur != nil {
			db = *b.Dur
		}
		return cmp.Or(cmp.Compare(a.Ts, b.Ts), cmp.Compare(a.rank(), b.rank()), cmp.Compare(db, da), cmp.Compare(a.order, b.order))
	})

	meta := []perfettoEvent{{Name: "process_name", Ph: "M", Tid: 1, Args: map[string]any{"name": exportRunName(t)}}}
	for i, n := range t.Nodes {
		meta = append(meta,
			perfettoEvent{Name: "thread_name", Ph: "M", Tid: i + 1, Args: map[string]any{"name": n}},
			perfettoEvent{Name: "thread_sort_index", Ph: "M", Tid: i + 1, Args: map[string]any{"sort_index": i + 1}})
	}

	bw := bufio.NewWriter(w)
	other, err := perfettoJSON(map[string]any{"generator": exportRunName(t), "time": "virtual time of the simulated run"})
	if err != nil {
		return err
	}
	fmt.Fprintf(bw, "{\"displayTimeUnit\":\"ms\",\"otherData\":%s,\"traceEvents\":[\n", other)
	for i, e := range slices.Concat(meta, events) {
		b, err := e.marshal()
		if err != nil {
			return err
		}
		if i > 0 {
			bw.WriteString(",\n")
		}
		bw.Write(b)
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
}

// perfettoEvent is one trace event. Fields are written in this order.
type perfettoEvent struct {
	Name  string
	Cat   string
	Ph    string
	Ts    sim.Time
	Dur   *sim.Time // X only
	Tid   int
	ID    *uint64 // flows
	BP    string  // flow end binding point
	S     string  // instant scope
	Args  map[string]any
	order int // insertion order, the last tie-break
}

// rank orders events of one instant: slices, then flow ends and starts, then
// instants.
func (e perfettoEvent) rank() int {
	switch e.Ph {
	case "X":
		return 0
	case "f":
		return 1
	case "s":
		return 2
	}
	return 3
}

func (e perfettoEvent) marshal() ([]byte, error) {
	var b bytes.Buffer
	name, err := perfettoJSON(e.Name)
	if err != nil {
		return nil, err
	}
	b.WriteString(`{"name":`)
	b.Write(name)
	if e.Cat != "" {
		b.WriteString(`,"cat":"` + e.Cat + `"`)
	}
	b.WriteString(`,"ph":"` + e.Ph + `"`)
	if e.Ph != "M" {
		b.WriteString(`,"ts":` + perfettoMicros(e.Ts))
	}
	if e.Dur != nil {
		b.WriteString(`,"dur":` + perfettoMicros(*e.Dur))
	}
	b.WriteString(`,"pid":1,"tid":` + strconv.Itoa(e.Tid))
	if e.ID != nil {
		b.WriteString(`,"id":` + strconv.FormatUint(*e.ID, 10))
	}
	if e.BP != "" {
		b.WriteString(`,"bp":"` + e.BP + `"`)
	}
	if e.S != "" {
		b.WriteString(`,"s":"` + e.S + `"`)
	}
	if e.Args != nil {
		args, err := perfettoJSON(e.Args)
		if err != nil {
			return nil, err
		}
		b.WriteString(`,"args":`)
		b.Write(args)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// perfettoJSON marshals v without escaping <, > and & (json.Marshal would
// write "→" fine but "<" as \u003c); map keys come sorted.
func perfettoJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// perfettoMicros writes ns as microseconds with up to three decimals,
// trailing zeros dropped, and one more digit when the importers' conversion
// (the double times 1000, truncated) would otherwise give ns-1.
func perfettoMicros(ns sim.Time) string {
	n := int64(ns)
	us, frac := n/1000, n%1000
	s := strconv.FormatInt(us, 10)
	if frac != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%03d", frac), "0")
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && int64(f*1000) != n {
		s = strconv.FormatInt(us, 10) + fmt.Sprintf(".%03d1", frac)
	}
	return s
}

// perfettoMsgArgs lists messages for a slice's args.
func perfettoMsgArgs(ms []Message, peer string) []map[string]any {
	out := make([]map[string]any, len(ms))
	for i, m := range ms {
		a := map[string]any{"mid": m.ID, "msg": json.RawMessage(m.Body)}
		if peer == "from" {
			a["from"] = m.From
			if m.Duplicate {
				a["duplicate"] = true
			}
		} else {
			a["to"] = m.To
		}
		out[i] = a
	}
	return out
}

// perfettoFate says what became of a message copy.
func perfettoFate(m Message) string {
	switch m.Fate {
	case Delivered:
		if m.Duplicate {
			return "delivered (duplicate)"
		}
		return "delivered"
	case Dropped:
		return "lost (" + m.Reason + ")"
	}
	return "in flight at the end"
}

// perfettoActName names an activation after what it received and sent:
// "Accept s1 (1,1) → Accepted s1 (1,1)", "send Prepare (1,1) ×3".
func perfettoActName(recv, sent []Message) string {
	group := func(ms []Message) string {
		var labels []string
		count := map[string]int{}
		for _, m := range ms {
			l := m.Label()
			if count[l] == 0 {
				labels = append(labels, l)
			}
			count[l]++
		}
		for i, l := range labels {
			if count[l] > 1 {
				labels[i] = l + " ×" + strconv.Itoa(count[l])
			}
		}
		return strings.Join(labels, ", ")
	}
	switch {
	case len(recv) > 0 && len(sent) > 0:
		return group(recv) + " → " + group(sent)
	case len(recv) > 0:
		return group(recv)
	}
	return "send " + group(sent)
}
