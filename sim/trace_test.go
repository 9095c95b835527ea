package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendJSONString(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"empty", "", `""`},
		{"plain", "hello world", `"hello world"`},
		{"quote", `say "hi"`, `"say \"hi\""`},
		{"backslash", `a\b`, `"a\\b"`},
		{"newline and tab", "a\nb\tc\rd", `"a\nb\tc\rd"`},
		{"control", "\x00\x01\x1f", `"\u0000\u0001\u001f"`},
		{"delete", "\x7f", `"\u007f"`},
		{"html kept", "<a&b>", `"<a&b>"`},
		{"two-byte rune", "café", `"café"`},
		{"three-byte rune", "→ 日本", `"→ 日本"`},
		{"four-byte rune", "😀", `"😀"`},
		{"line separator", "a\u2028b", "\"a\u2028b\""},
		{"literal replacement char", "\ufffd", "\"\ufffd\""},
		{"invalid byte", "a\xffb", `"a\ufffdb"`},
		{"truncated rune", "\xe6\x97", `"\ufffd\ufffd"`},
		{"lone continuation", "\x80x", `"\ufffdx"`},
		{"surrogate half", "\xed\xa0\x80", `"\ufffd\ufffd\ufffd"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := AppendJSONString([]byte("prefix"), c.in)
			require.Equal(t, "prefix"+c.want, string(got))
			var dec string
			require.NoError(t, json.Unmarshal(got[len("prefix"):], &dec), "output must be valid JSON: %s", got)
			if utf8.ValidString(c.in) {
				assert.Equal(t, c.in, dec, "valid UTF-8 must round-trip exactly")
			} else {
				// Each invalid byte becomes one U+FFFD, as converting to
				// runes does.
				assert.Equal(t, string([]rune(c.in)), dec)
			}
		})
	}
}

// TestAppendJSONStringAllBytes checks every single byte and every pair of
// bytes: the output always decodes, to the input when it is valid UTF-8.
func TestAppendJSONStringAllBytes(t *testing.T) {
	for a := 0; a < 256; a++ {
		for b := 0; b < 256; b++ {
			in := string([]byte{byte(a), byte(b)})
			out := AppendJSONString(nil, in)
			var dec string
			if err := json.Unmarshal(out, &dec); err != nil {
				t.Fatalf("%q -> %s: %v", in, out, err)
			}
			if want := string([]rune(in)); dec != want {
				t.Fatalf("%q -> %s decodes to %q, want %q", in, out, dec, want)
			}
		}
	}
}

func TestAppendJSONFields(t *testing.T) {
	b := []byte(`{"x":0`)
	b = AppendJSONField(b, "s", "a\"b")
	b = AppendJSONInt(b, "n", -42)
	b = AppendJSONBool(b, "ok", true)
	b = AppendJSONBool(b, "no", false)
	b = append(b, '}')
	assert.Equal(t, `{"x":0,"s":"a\"b","n":-42,"ok":true,"no":false}`, string(b))
	var v map[string]any
	require.NoError(t, json.Unmarshal(b, &v))
}

type failWriter struct {
	n   int
	err error
}

func (w *failWriter) Write(p []byte) (int, error) {
	w.n++
	if w.n >= 2 {
		return 0, w.err
	}
	return len(p), nil
}

func TestTracer(t *testing.T) {
	var text, js bytes.Buffer
	tr := &Tracer{Text: &text, JSON: &js}
	tr.TextLine(3_112_000, "acceptor2", "ACCEPT for slot 6 -> accepted")
	tr.TextLine(60*Second, "leader1", "x")
	tr.JSONRecord(5, "a", nil)
	tr.JSONRecord(6, "b", func(b []byte) []byte { return AppendJSONField(b, "node", "n\"1") })
	assert.Equal(t, uint64(2), tr.Seq())
	tr.SetSeq(10)
	tr.JSONRecord(7, "c", nil)
	assert.Equal(t, "[   3.112ms] [acceptor2] ACCEPT for slot 6 -> accepted\n[60000.000ms] [leader1] x\n", text.String())
	assert.Equal(t, `{"t":5,"seq":1,"ev":"a"}`+"\n"+`{"t":6,"seq":2,"ev":"b","node":"n\"1"}`+"\n"+`{"t":7,"seq":11,"ev":"c"}`+"\n", js.String())
	assert.NoError(t, tr.Err())
}

func TestTracerNilWriters(t *testing.T) {
	tr := &Tracer{}
	tr.TextLine(1, "a", "b")
	tr.JSONRecord(1, "a", func(b []byte) []byte { panic("fields must not be built when JSON is off") })
	assert.Equal(t, uint64(0), tr.Seq(), "no JSON record was written")
	assert.NoError(t, tr.Err())
}

func TestTracerKeepsFirstError(t *testing.T) {
	first := errors.New("disk full")
	w := &failWriter{err: first}
	tr := &Tracer{JSON: w}
	tr.JSONRecord(1, "a", nil)
	tr.JSONRecord(2, "b", nil)
	w.err = errors.New("later")
	tr.JSONRecord(3, "c", nil)
	assert.Same(t, first, tr.Err())
	assert.Equal(t, 2, w.n, "after an error the tracer stops writing")
}
