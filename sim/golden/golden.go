// Package golden compares test output with golden files, and rewrites them
// when the tests run with -update (go test ./... -update).
//
// Every test package of the module imports it (at least as
// `var _ = golden.Update`) so that the -update flag is defined in every test
// binary: `go test ./... -update` would otherwise fail in packages that do
// not know the flag.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/multipaxos-kv/multipaxos-kv/sim/textdiff"
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
	if msg := textdiff.FirstDiff(want, got); msg != "" {
		t.Errorf("%s differs from the output: %s\n(if the change is intended, run go test ./... -update and review the diff)", path, msg)
	}
}
