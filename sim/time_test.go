package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestTimeStamp(t *testing.T) {
	cases := []struct {
		t    Time
		want string
	}{
		{0, "   0.000ms"},
		{999 * Nanosecond, "   0.000ms"}, // below a microsecond: truncated, not rounded
		{Microsecond, "   0.001ms"},
		{Microsecond + 999*Nanosecond, "   0.001ms"},
		{10 * Microsecond, "   0.010ms"},
		{999 * Microsecond, "   0.999ms"},
		{Millisecond - 1, "   0.999ms"},
		{Millisecond, "   1.000ms"},
		{3_112_000, "   3.112ms"},
		{3_112_999, "   3.112ms"},
		{999 * Millisecond, " 999.000ms"},
		{Second, "1000.000ms"},
		{9999*Millisecond + 999*Microsecond, "9999.999ms"},
		{10 * Second, "10000.000ms"}, // wider than the field: grows, never cut
		{60 * Second, "60000.000ms"},
		{-500 * Microsecond, "  -0.500ms"}, // the sign survives a zero millisecond part
		{-1_500_000, "  -1.500ms"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.t.Stamp(), "Time(%d).Stamp()", int64(c.t))
		assert.Equal(t, "x"+c.want, string(c.t.AppendStamp([]byte("x"))), "Time(%d).AppendStamp", int64(c.t))
	}
}

func TestTimeString(t *testing.T) {
	assert.Equal(t, "3.112ms", Time(3_112_000).String())
	assert.Equal(t, "0s", Time(0).String())
	assert.Equal(t, "1m0s", (60 * Second).String())
	assert.Equal(t, 250*Microsecond, Duration(250*time.Microsecond))
}
