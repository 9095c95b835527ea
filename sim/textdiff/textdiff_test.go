package textdiff_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/multipaxos-kv/multipaxos-kv/sim/golden"
	"github.com/multipaxos-kv/multipaxos-kv/sim/textdiff"
)

var _ = golden.Update

func TestFirstDiff(t *testing.T) {
	cases := []struct{ want, got, diff string }{
		{"a\nb\n", "a\nb\n", ""},
		{"a\nb\n", "a\nc\n", "line 2:\n  want: \"b\"\n  got:  \"c\""},
		{"a\n", "a\nb\n", "line 2:\n  want: \"\"\n  got:  \"b\""},
		{"a\nb", "a", "line 2: got end of output\n  want: \"b\""},
		{"a", "a\nb", "line 2: want end of file\n  got:  \"b\""},
	}
	for _, c := range cases {
		assert.Equal(t, c.diff, textdiff.FirstDiff([]byte(c.want), []byte(c.got)), "want %q got %q", c.want, c.got)
	}
}
