package sim

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
)

// ScheduleMarker separates a schedule file's header (the resolved scenario,
// opaque to this package) from its records.
const ScheduleMarker = "# --- schedule ---"

// MaxRecordLength bounds one line of a schedule's records: the longest that
// the engine writes (an event naming two nodes and a message type) is far
// shorter.
const MaxRecordLength = 4096

// RecordKind is the kind of one schedule record.
type RecordKind byte

// The record kinds and their one-letter tags in a schedule file.
const (
	RecEvent     RecordKind = 'e' // an executed event: "e <time> <what>"
	RecLatency   RecordKind = 'l' // a latency decision: "l <ns>"
	RecDrop      RecordKind = 'd' // a drop decision: "d 0|1"
	RecDuplicate RecordKind = 'u' // a duplicate decision: "u 0|1"
	RecJitter    RecordKind = 'j' // a timer's jitter decision: "j <ns>"
	RecStop      RecordKind = 's' // the schedule stops here on purpose: "s <why>"
)

// Record is one line of an execution schedule: an event the engine executed
// or a decision it took.
type Record struct {
	Kind  RecordKind
	Value int64  // latency in ns, or 0/1 for a chance
	Text  string // an event's description
	Line  int    // line in the schedule file, when parsed
}

// String renders r as its schedule line.
func (r Record) String() string {
	if r.Kind == RecEvent || r.Kind == RecStop {
		return string(r.Kind) + " " + r.Text
	}
	return string(r.Kind) + " " + strconv.FormatInt(r.Value, 10)
}

// WriteSchedule writes header, the marker and one line per record.
func WriteSchedule(w io.Writer, header []byte, recs []Record) error {
	bw := bufio.NewWriter(w)
	bw.Write(header)
	if len(header) > 0 && header[len(header)-1] != '\n' {
		bw.WriteByte('\n')
	}
	bw.WriteString(ScheduleMarker + "\n")
	for _, r := range recs {
		bw.WriteString(r.String())
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// ParseSchedule splits a schedule file into its header and its records. A
// malformed record is an error naming the file and line; a record that parses
// but does not match the code is found later, by replay, as a divergence.
func ParseSchedule(data []byte, file string) (header []byte, recs []Record, err error) {
	i := bytes.Index(data, []byte("\n"+ScheduleMarker+"\n"))
	if bytes.HasPrefix(data, []byte(ScheduleMarker+"\n")) {
		i = -1 // an empty header
	} else if i < 0 {
		return nil, nil, fmt.Errorf("%s: not a schedule: no %q line (expected a file written by -schedule)", file, ScheduleMarker)
	}
	header = data[:i+1]
	line := bytes.Count(header, []byte("\n")) + 1
	body := string(data[i+len(ScheduleMarker)+2:])
	for _, text := range strings.Split(body, "\n") {
		line++
		if len(text) > MaxRecordLength {
			return nil, nil, fmt.Errorf("%s:%d: a record of %d bytes (limit %d): not a schedule written by this tool", file, line, len(text), MaxRecordLength)
		}
		if text == "" || text[0] == '#' {
			continue
		}
		if len(text) < 3 || text[1] != ' ' {
			return nil, nil, fmt.Errorf("%s:%d: malformed record %q (expected \"<e|l|d|u|j|s> <value>\")", file, line, clip(text))
		}
		r := Record{Kind: RecordKind(text[0]), Line: line}
		arg := text[2:]
		switch r.Kind {
		case RecEvent, RecStop:
			r.Text = arg
		case RecLatency, RecJitter:
			v, err := strconv.ParseInt(arg, 10, 64)
			if err != nil || v < 0 {
				what := "latency"
				if r.Kind == RecJitter {
					what = "jitter"
				}
				return nil, nil, fmt.Errorf("%s:%d: %s %q is not a non-negative integer of nanoseconds", file, line, what, clip(arg))
			}
			r.Value = v
		case RecDrop, RecDuplicate:
			if arg != "0" && arg != "1" {
				return nil, nil, fmt.Errorf("%s:%d: decision %q must be 0 or 1", file, line, clip(arg))
			}
			r.Value = int64(arg[0] - '0')
		default:
			return nil, nil, fmt.Errorf("%s:%d: unknown record kind %q (expected e, l, d, u, j or s)", file, line, text[:1])
		}
		recs = append(recs, r)
	}
	return header, recs, nil
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// Divergence reports where a replayed run stopped matching its schedule.
type Divergence struct {
	Line int    // schedule line of the first record that differs (0: past the end)
	Want string // what the schedule says there
	Got  string // what the run did instead
}

// Error says where the replay diverged; long records are clipped.
func (d *Divergence) Error() string {
	want, got := clipLong(d.Want), clipLong(d.Got)
	switch {
	case d.Want == "":
		return fmt.Sprintf("replay diverged: the schedule ended, but the run went on with %q", got)
	case d.Got == "":
		return fmt.Sprintf("replay diverged at schedule line %d: the run ended, but the schedule goes on with %q", d.Line, want)
	default:
		return fmt.Sprintf("replay diverged at schedule line %d: the schedule has %q, the run did %q", d.Line, want, got)
	}
}

// clipLong shortens a record for a message: at most 200 bytes, with how
// much was left out.
func clipLong(s string) string {
	if len(s) <= 200 {
		return s
	}
	return s[:200] + fmt.Sprintf("... (%d more bytes)", len(s)-200)
}

// replayer feeds recorded decisions back to the engine and checks every
// executed event against the schedule; the engine runs the events the
// schedule names (steered mode). After the first divergence it answers
// neutrally (minimum latency, no drop, no jitter) and the engine stops.
type replayer struct {
	recs []Record
	pos  int
	div  *Divergence
	// lenient: an event no longer pending is skipped, a decision the
	// schedule does not have is taken at its least, and times are not
	// checked (ReplayLenient).
	lenient bool
	skipped int
	// resolve, in a lenient replay, names anew the event of a record, or
	// skips it (Engine.ReplayResolve).
	resolve func(what string) (string, bool)
}

// next takes the next record, which must be of kind; got says what the run
// did, for a divergence (a function, so that a replay renders nothing
// while it matches).
func (r *replayer) next(kind RecordKind, got func() string) (Record, bool) {
	if r.div != nil {
		return Record{}, false
	}
	if r.lenient && (r.pos >= len(r.recs) || r.recs[r.pos].Kind != kind) {
		return Record{}, false // the caller answers at its least
	}
	if r.pos >= len(r.recs) {
		r.div = &Divergence{Got: got()}
		return Record{}, false
	}
	rec := r.recs[r.pos]
	if rec.Kind != kind {
		r.div = &Divergence{Line: rec.Line, Want: rec.String(), Got: got()}
		return Record{}, false
	}
	r.pos++
	return rec, true
}

func (r *replayer) event(text string) {
	if r.lenient {
		r.pos++ // the record replayStep resolved; its time is not checked
		return
	}
	got := func() string { return "e " + text }
	if rec, ok := r.next(RecEvent, got); ok && rec.Text != text {
		r.div = &Divergence{Line: rec.Line, Want: rec.String(), Got: got()}
	}
}

func (r *replayer) Latency(min, max Time) Time {
	got := func() string { return fmt.Sprintf("l <latency in [%d, %d]>", min, max) }
	rec, ok := r.next(RecLatency, got)
	if !ok {
		return min
	}
	if v := Time(rec.Value); v < min || v > max {
		r.div = &Divergence{Line: rec.Line, Want: rec.String(), Got: got()}
		return min
	}
	return Time(rec.Value)
}

func (r *replayer) Chance(what Decision, p float64) bool {
	kind, name := RecDrop, "d"
	if what == DecideDuplicate {
		kind, name = RecDuplicate, "u"
	}
	rec, ok := r.next(kind, func() string { return name + " <0|1>" })
	return ok && rec.Value == 1
}

func (r *replayer) Jitter(_ *rand.Rand, max Time) Time {
	got := func() string { return fmt.Sprintf("j <jitter in [0, %d]>", max) }
	rec, ok := r.next(RecJitter, got)
	if !ok {
		return 0
	}
	if v := Time(rec.Value); v > max {
		r.div = &Divergence{Line: rec.Line, Want: rec.String(), Got: got()}
		return 0
	}
	return Time(rec.Value)
}

func (r *replayer) finish() {
	if r.div == nil && !r.lenient && r.pos < len(r.recs) {
		rec := r.recs[r.pos]
		r.div = &Divergence{Line: rec.Line, Want: rec.String()}
	}
}
