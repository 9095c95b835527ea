package viz

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// Event is one event of the run as its state record (sim.EvState, written
// with -node-states) closes it: the records from the one after the previous
// state record up to Seq are the event's, and States holds the readable
// state of every node the event changed.
type Event struct {
	T      sim.Time
	Seq    uint64 // the state record's seq: the event's last record
	What   string // the event as a schedule names it: "deliver leader1#5 acceptor2 Accept"
	States map[string]json.RawMessage
}

// stateEvent is the Event a state record closes.
func stateEvent(rec sim.TraceRecord) Event {
	return Event{T: sim.Time(rec.T), Seq: rec.Seq, What: rec.Event, States: rec.Nodes}
}

// eventsUntil is the events up to time to: a window keeps the events
// before it too, since they make the state it opens in.
func eventsUntil(events []Event, to sim.Time) []Event {
	n := 0
	for n < len(events) && events[n].T <= to {
		n++
	}
	return events[:n:n]
}

// eventOf is the index of the event that record seq belongs to (the first
// whose state record is at or after it), or -1 past the last.
func eventOf(events []Event, seq uint64) int {
	lo, hi := 0, len(events)
	for lo < hi {
		m := (lo + hi) / 2
		if events[m].Seq < seq {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == len(events) {
		return -1
	}
	return lo
}

// StateText renders a node's readable state (its AppendStateJSON object)
// as the viewer shows it: the short members on one line ("role leading ·
// ballot (1,1)"), then one line per list or map, its items one a line
// below it; a ballot as (round,leader), a command as the pictures label it
// with its request ("PUT c=val_35 (client2 #1)"), a slot as s6, an empty
// list as "—". A state that is not a JSON object is shown as it is.
func StateText(raw json.RawMessage) string {
	v, err := decodeOrdered(raw)
	obj, isObj := v.(ordered)
	if err != nil || !isObj {
		return string(raw)
	}
	var b strings.Builder
	var short []string
	flush := func() {
		if len(short) > 0 {
			b.WriteString(strings.Join(short, " · "))
			b.WriteByte('\n')
			short = short[:0]
		}
	}
	for _, m := range obj {
		key := strings.ReplaceAll(m.key, "_", " ")
		if n, ok := m.val.(json.Number); ok && strings.HasSuffix(m.key, "_omitted") {
			short = append(short, "("+string(n)+" "+strings.TrimSuffix(key, " omitted")+" not shown)")
			continue
		}
		items, long := listItems(m.val)
		if !long {
			short = append(short, key+" "+inline(m.val))
			continue
		}
		flush()
		b.WriteString(key)
		switch {
		case len(items) == 0:
			b.WriteString(" —\n")
		case allShort(valuesOf(m.val)):
			b.WriteString(" " + items[0] + "\n") // names, or a store: one line
		default:
			b.WriteByte('\n')
			for _, it := range items {
				b.WriteString("  " + it + "\n")
			}
		}
	}
	flush()
	return strings.TrimSuffix(b.String(), "\n")
}

// listItems reports whether v is shown on lines of its own (a list that is
// not a ballot, a map that is not a command) and renders its items.
func listItems(v any) ([]string, bool) {
	switch v := v.(type) {
	case []any:
		if isBallot(v) {
			return nil, false
		}
		var out []string
		for _, it := range v {
			out = append(out, inline(it))
		}
		if len(out) > 0 && allShort(v) {
			return []string{strings.Join(out, ", ")}, true
		}
		return out, true
	case ordered:
		if v.get("op") != nil {
			return nil, false
		}
		var out []string
		for _, m := range v {
			if _, isObj := m.val.(ordered); isObj {
				out = append(out, m.key+" "+inline(m.val))
			} else {
				out = append(out, m.key+"="+inline(m.val))
			}
		}
		if len(out) > 0 && allShort(v.values()) {
			return []string{strings.Join(out, " ")}, true
		}
		return out, true
	}
	return nil, false
}

// valuesOf is the items of a list, or the values of a map.
func valuesOf(v any) []any {
	switch v := v.(type) {
	case []any:
		return v
	case ordered:
		return v.values()
	}
	return nil
}

// allShort reports whether every value is a string or a number: such a
// list (names) or map (a store) goes on one line.
func allShort(vs []any) bool {
	for _, v := range vs {
		switch v.(type) {
		case string, json.Number:
		default:
			return false
		}
	}
	return true
}

func isBallot(v []any) bool {
	if len(v) != 2 {
		return false
	}
	_, a := v[0].(json.Number)
	_, b := v[1].(json.Number)
	return a && b
}

// inline renders a value on one line.
func inline(v any) string {
	switch v := v.(type) {
	case nil:
		return "—"
	case string:
		return v
	case json.Number:
		return string(v)
	case bool:
		return strconv.FormatBool(v)
	case []any:
		if isBallot(v) {
			return "(" + inline(v[0]) + "," + inline(v[1]) + ")"
		}
		if len(v) == 0 {
			return "—"
		}
		var out []string
		for _, it := range v {
			out = append(out, inline(it))
		}
		return strings.Join(out, ", ")
	case ordered:
		if v.get("op") != nil {
			return commandText(v)
		}
		var out []string
		for _, m := range v {
			switch x := m.val.(type) {
			case bool:
				if x {
					out = append(out, m.key)
				}
				continue
			case []any:
				if len(x) == 0 && !isBallot(x) {
					continue // "votes" of nobody yet
				}
			}
			switch m.key {
			case "slot":
				out = append(out, "s"+inline(m.val))
			case "seq":
				out = append(out, "#"+inline(m.val))
			case "cmd", "ballot", "error", "value":
				out = append(out, inline(m.val))
			case "more": // a batch's other commands, after "cmd"
				for _, c := range valuesOf(m.val) {
					out = append(out, "+ "+inline(c))
				}
			default:
				out = append(out, strings.ReplaceAll(m.key, "_", " ")+" "+inline(m.val))
			}
		}
		return strings.Join(out, " ")
	}
	return fmt.Sprint(v)
}

// commandText renders a command object ({"op","key","value","client",
// "seq"}) as the pictures label a request, with the request it carries:
// PUT c=val_35 (client2 #1); NOOP.
func commandText(c ordered) string {
	op, _ := c.get("op").(string)
	s := strings.ToUpper(op)
	if k, ok := c.get("key").(string); ok {
		s += " " + k
	}
	if v, ok := c.get("value").(string); ok {
		s += "=" + v
	}
	if cl, ok := c.get("client").(string); ok {
		s += " (" + cl + " #" + inline(c.get("seq")) + ")"
	}
	return s
}

// ordered is a JSON object with its members in the order written (the
// order the node chose), which a Go map would lose.
type ordered []member

type member struct {
	key string
	val any
}

func (o ordered) get(key string) any {
	for _, m := range o {
		if m.key == key {
			return m.val
		}
	}
	return nil
}

func (o ordered) values() []any {
	out := make([]any, len(o))
	for i, m := range o {
		out[i] = m.val
	}
	return out
}

// decodeOrdered decodes one JSON value: objects as ordered, arrays as
// []any, numbers as json.Number.
func decodeOrdered(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		var o ordered
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			o = append(o, member{k.(string), v})
		}
		_, err := dec.Token() // }
		return o, err
	case json.Delim('['):
		a := []any{}
		for dec.More() {
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := dec.Token() // ]
		return a, err
	}
	return tok, nil
}
