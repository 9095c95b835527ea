package sim

import (
	"io"
	"strconv"
	"unicode/utf8"
)

// Tracer writes a run's trace: the human text form (one line per node step,
// fault and loss) to Text, and the JSON-lines form (one object per event,
// with "t", "seq" and "ev"; see TraceEv for the kinds) to JSON. Either writer may be nil. The first write
// error is kept and reported by Err; tracing never stops a run.
type Tracer struct {
	Text io.Writer
	JSON io.Writer
	// Explain asks the nodes to say, at the first occurrence of each of
	// their rules in the run, why it holds (Env.Explain).
	Explain bool
	// Routine asks the nodes to trace their routine steps too, such as
	// heartbeats, which would otherwise fill the trace (Env.TracingRoutine).
	Routine bool

	// explained marks the rules explained so far (bit r: rule r). It lives
	// here, outside every node, because it changes trace text only, never
	// what a node does: a run with explanations is the same run, and no
	// node's state (AppendState) depends on it.
	explained uint64

	seq  uint64
	tbuf []byte
	jbuf []byte
	err  error
}

// MaxRules bounds the rules a protocol's nodes explain (Env.Explain).
const MaxRules = 64

// explain reports whether rule is to be explained now, and marks it
// explained: true once per run and rule, and only with Explain.
func (t *Tracer) explain(rule uint8) bool {
	if rule >= MaxRules {
		panic("sim: rule " + strconv.Itoa(int(rule)) + " out of range (at most " + strconv.Itoa(MaxRules) + " rules)")
	}
	bit := uint64(1) << rule
	if !t.Explain || t.explained&bit != 0 {
		return false
	}
	t.explained |= bit
	return true
}

// Err returns the first error met while writing the trace.
func (t *Tracer) Err() error { return t.err }

// Seq is the sequence number of the last JSON record written.
func (t *Tracer) Seq() uint64 { return t.seq }

// TextLine writes one human line "[stamp] [who] text" if text is enabled.
func (t *Tracer) TextLine(at Time, who, text string) {
	if t.Text == nil {
		return
	}
	b := append(t.tbuf[:0], '[')
	b = at.AppendStamp(b)
	b = append(b, "] ["...)
	b = append(b, who...)
	b = append(b, "] "...)
	b = append(b, text...)
	b = append(b, '\n')
	t.tbuf = b
	t.write(t.Text, b)
}

// JSONRecord writes one JSON object {"t":at,"seq":n,"ev":ev, ...}; fields
// appends the remaining members, each starting with a comma.
func (t *Tracer) JSONRecord(at Time, ev TraceEv, fields func(b []byte) []byte) {
	if t.JSON == nil {
		return
	}
	t.seq++
	b := append(t.jbuf[:0], `{"`+FieldT+`":`...)
	b = strconv.AppendInt(b, int64(at), 10)
	b = append(b, `,"`+FieldSeq+`":`...)
	b = strconv.AppendUint(b, t.seq, 10)
	b = append(b, `,"`+FieldEv+`":`...)
	b = AppendJSONString(b, string(ev))
	if fields != nil {
		b = fields(b)
	}
	b = append(b, "}\n"...)
	t.jbuf = b
	t.write(t.JSON, b)
}

func (t *Tracer) write(w io.Writer, b []byte) {
	if t.err != nil {
		return
	}
	if _, err := w.Write(b); err != nil {
		t.err = err
	}
}

// AppendJSONField appends `,"key":"value"`.
func AppendJSONField(b []byte, key, value string) []byte {
	b = append(b, ',')
	b = AppendJSONString(b, key)
	b = append(b, ':')
	return AppendJSONString(b, value)
}

// AppendJSONInt appends `,"key":n`.
func AppendJSONInt(b []byte, key string, n int64) []byte {
	b = append(b, ',')
	b = AppendJSONString(b, key)
	b = append(b, ':')
	return strconv.AppendInt(b, n, 10)
}

// AppendJSONBool appends `,"key":true|false`.
func AppendJSONBool(b []byte, key string, v bool) []byte {
	b = append(b, ',')
	b = AppendJSONString(b, key)
	b = append(b, ':')
	return strconv.AppendBool(b, v)
}

// AppendJSONString appends s as a JSON string. Unlike strconv.Quote it
// produces only escapes that JSON allows; invalid UTF-8 becomes U+FFFD.
func AppendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// SetSeq makes the next JSON record's seq follow seq, so that a record
// written through another Tracer (a summary) continues a trace.
func (t *Tracer) SetSeq(seq uint64) { t.seq = seq }
