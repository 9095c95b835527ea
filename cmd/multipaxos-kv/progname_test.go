package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestReproducerNamesTheProgram: a reproducer starts with the name the tool
// was invoked by, so that it can be pasted back as it is; go run and test
// builds print the module's name.
func TestReproducerNamesTheProgram(t *testing.T) {
	assert.Equal(t, "mpkv", invokedAs("/usr/local/bin/mpkv"))
	assert.Equal(t, "multipaxos-kv", invokedAs("multipaxos-kv"))
	assert.Equal(t, "multipaxos-kv", invokedAs("/tmp/go-build123/b001/exe/multipaxos-kv"))
	assert.Equal(t, "multipaxos-kv", invokedAs("/tmp/x/multipaxos-kv.test"))
	assert.Equal(t, "multipaxos-kv", invokedAs(""))

	defer func(p string) { progName = p }(progName)
	progName = "mpkv"
	code, _, errs := cli(t, "run", "-q", "-bug", "no-sessions", "-seed", "1", "lossy")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errs, "reproduce with: mpkv run -seed 1 -bug no-sessions lossy")
}
