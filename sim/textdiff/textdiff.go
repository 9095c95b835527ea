// Package textdiff finds the first line where two texts differ: golden-file
// tests and the determinism self-check use it to point at one line rather
// than print two whole traces.
package textdiff

import (
	"bytes"
	"fmt"
)

// FirstDiff describes the first line where want and got differ, or returns
// "" when they are equal.
func FirstDiff(want, got []byte) string {
	if bytes.Equal(want, got) {
		return ""
	}
	wl := bytes.Split(want, []byte("\n"))
	gl := bytes.Split(got, []byte("\n"))
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g []byte
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		switch {
		case i >= len(wl):
			return fmt.Sprintf("line %d: want end of file\n  got:  %q", i+1, g)
		case i >= len(gl):
			return fmt.Sprintf("line %d: got end of output\n  want: %q", i+1, w)
		case !bytes.Equal(w, g):
			return fmt.Sprintf("line %d:\n  want: %q\n  got:  %q", i+1, w, g)
		}
	}
	return "they differ only in line endings"
}
