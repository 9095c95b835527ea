package scenarios

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// lineSample exercises every form the line index knows: comments, headers
// with spaces and quotes, dotted keys, inline tables, multi-line arrays and
// strings, arrays of tables and tables inside them.
const lineSample = `# a comment with [brackets] and key = "value"
name = "x"   # trailing comment
description = """
a multi-line string
[nodes]
seed = 5
"""
network.drop = 0.5
[ "nodes" ]
clients = 3
[workload]
mix = { get = 1, put = { deep = 2 } }
keys = [
  "a",   # first
  'b',
]
[[faults]]
at = "1ms"
[[ faults ]]
at = "2ms"
partition = [["leader1"],
  ["acceptor1", "acceptor2"]]
[faults.extra]
x = 1
faults2 = [{ at = "3ms" }, { at = "4ms" }]
`

func TestLineIndex(t *testing.T) {
	ix := indexLines(lineSample)
	for path, want := range map[string]int{
		"name":                          2,
		"description":                   3,
		"seed":                          0, // inside the multi-line string
		"network":                       8,
		"network.drop":                  8,
		"nodes":                         9,
		"nodes.clients":                 10,
		"workload":                      11,
		"workload.mix":                  12,
		"workload.mix.get":              12,
		"workload.mix.put.deep":         12,
		"workload.keys":                 13,
		"workload.keys[0]":              14,
		"workload.keys[1]":              15,
		"faults":                        17,
		"faults[0]":                     17,
		"faults[0].at":                  18,
		"faults[1]":                     19,
		"faults[1].at":                  20,
		"faults[1].partition":           21,
		"faults[1].partition[0][0]":     21,
		"faults[1].partition[1]":        22,
		"faults[1].partition[1][1]":     22,
		"faults[1].extra":               23,
		"faults[1].extra.x":             24,
		"faults[1].extra.faults2[1].at": 25,
		// Paths that are not in the text fall back to their parents.
		"faults[1].crash":   19,
		"workload.values":   11,
		"faults[7].at":      17,
		"time_limit":        0,
		"nodes.acceptors":   9,
		"workload.keys[9]":  13,
		"workload.mix.nope": 12,
	} {
		assert.Equal(t, want, ix.line(path), path)
	}
}

// TestLineIndexSurvivesGarbage feeds the scanner broken text: it must end
// without panicking and still find what it can.
func TestLineIndexSurvivesGarbage(t *testing.T) {
	for _, src := range []string{
		"", "[", "[[", "=", "a =", "a = [", "a = {", "a = \"", "a = '''", "a = \"\"\"x\\",
		"a = [1,,]", "a = {b = }", "[a.]\nb = 1", "a.b.", "]]]", "a = [[[[[[", "a = {{{{",
		"\xef\xbb\xbfname = 1\nseed = 2",
	} {
		assert.NotPanics(t, func() { indexLines(src) }, src)
	}
	assert.Equal(t, 2, indexLines("\xef\xbb\xbfname = 1\nseed = 2").line("seed"))
	assert.Equal(t, 2, indexLines("a = [1,,]\nb = 2").line("b"))
}
