// Package golden compares test output with golden files, and rewrites them
// when the tests run with -update (go test ./... -update).
//
// Every test package of the module imports it (at least as
// `var _ = golden.Update`) so that the -update flag is defined in every test
// binary: `go test ./... -update` would otherwise fail in packages that do
// not know the flag.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Update is true when the tests run with -update: golden files are rewritten
// instead of compared.
var Update = flag.Bool("update", false, "rewrite golden files instead of comparing with them")

// Check compares got with the golden file at path, or rewrites the file with
// -update. A mismatch reports the first differing line, not the whole text.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if msg := FirstDiff(want, got); msg != "" {
		t.Errorf("%s differs from the output: %s\n(if the change is intended, run go test ./... -update and review the diff)", path, msg)
	}
}

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
