package sim

import (
	"strconv"
	"time"
)

// Time is virtual time in integer nanoseconds since the start of a run.
// Integers keep every run exact and identical on every machine.
type Time int64

// Common virtual durations.
const (
	Nanosecond  Time = 1
	Microsecond Time = 1000 * Nanosecond
	Millisecond Time = 1000 * Microsecond
	Second      Time = 1000 * Millisecond
)

// Duration converts a time.Duration (as parsed from a scenario) to Time.
func Duration(d time.Duration) Time { return Time(d) }

// String renders t in Go duration syntax ("3.112ms"), for messages.
func (t Time) String() string { return time.Duration(t).String() }

// Stamp renders t as the fixed-width millisecond stamp that prefixes every
// human trace line, e.g. "   3.112ms". Integer arithmetic only, so the text
// never depends on float formatting.
func (t Time) Stamp() string {
	return string(t.AppendStamp(make([]byte, 0, 12)))
}

// AppendStamp appends t.Stamp() to b.
func (t Time) AppendStamp(b []byte) []byte {
	neg := t < 0
	if neg {
		t = -t
	}
	ms := int64(t / Millisecond)
	us := int64(t%Millisecond) / int64(Microsecond)
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], ms, 10)
	if neg {
		d = append([]byte{'-'}, d...)
	}
	for i := len(d); i < 4; i++ {
		b = append(b, ' ')
	}
	b = append(b, d...)
	b = append(b, '.')
	b = append(b, byte('0'+us/100), byte('0'+us/10%10), byte('0'+us%10))
	return append(b, 'm', 's')
}
