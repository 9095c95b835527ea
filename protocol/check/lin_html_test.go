package check

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLinPage: the linearizability page names the run, gives the verdict,
// labels its rows with the clients' names (porcupine's own page numbers
// them 0, 1, 2) and carries a time axis with the virtual time of every call
// and return.
func TestLinPage(t *testing.T) {
	h := linHist{}.
		inv(0, 1, 1, "put a v1").
		inv(1*linMs, 2, 1, "get a").
		ok(2*linMs, 1, 1).
		inv(2*linMs, 1, 2, "put b v2").
		val(3*linMs, 2, 1, "v1").
		inv(3*linMs, 3, 1, "get b")
	r := checkLin(h)
	require.NoError(t, r.Err())
	var buf bytes.Buffer
	require.NoError(t, r.WritePage(&buf, LinPage{Scenario: "lossy", Seed: 18446744073709551615, Annotations: []Annotation{{T: linMs, Node: "acceptor3", Text: "crash acceptor3"}}}))
	page := buf.String()

	assert.Contains(t, page, `<h1>linearizability: lossy, seed 18446744073709551615</h1><p class="verdict ok">linearizable</p>`)
	assert.Contains(t, page, "4 operations (2 unanswered) on 2 keys by client1, client2, client3.")
	assert.Contains(t, page, `const linClients = ["client1","client2","client3"]`)
	assert.NotContains(t, page, "i < realClients ? i.toString()", "no row is labelled by number")
	assert.NotContains(t, page, "i < realClients ? i :")
	assert.Equal(t, 2, strings.Count(page, "i < realClients ? linClients[i]"), "measured and drawn by name")
	assert.Contains(t, page, "linAxis(linEvents)")
	assert.Contains(t, page, "linLayout = {xPos, t0x, PADDING}")

	m := regexp.MustCompile(`const linTimes = (\{[^\n]*\})`).FindStringSubmatch(page)
	require.NotNil(t, m)
	var times map[string]string
	require.NoError(t, json.Unmarshal([]byte(m[1]), &times))
	var got []string
	for _, v := range times {
		got = append(got, v)
	}
	assert.ElementsMatch(t, []string{"0s", "1ms", "2ms", "2ms", "3ms", "3ms"}, got, "every call and answered return")

	bad := checkLin(linHist{}.inv(0, 1, 1, "put a v1").ok(1*linMs, 1, 1).inv(2*linMs, 2, 1, "get a").fail(3*linMs, 2, 1, "key not found: a"))
	buf.Reset()
	require.NoError(t, bad.WritePage(&buf, LinPage{}))
	assert.Contains(t, buf.String(), `<h1>linearizability</h1><p class="verdict fail">not linearizable`)

	buf.Reset()
	require.NoError(t, r.WriteHTML(&buf, nil))
	assert.Contains(t, buf.String(), `const linClients = ["client1","client2","client3"]`, "WriteHTML is WritePage without a name")
}

// TestLinPatchesMatchPorcupine: every edit finds its place in porcupine's
// page exactly once (WritePage fails otherwise); a page without one is an
// error that says so.
func TestLinPatchesMatchPorcupine(t *testing.T) {
	r := checkLin(linHist{}.inv(0, 1, 1, "put a v1").ok(1*linMs, 1, 1))
	for _, p := range r.linPatches(LinPage{}) {
		assert.NotEmpty(t, p.old)
		assert.NotEqual(t, p.old, p.new)
	}
	var buf bytes.Buffer
	require.NoError(t, r.WritePage(&buf, LinPage{}))
	empty := LinResult{}
	buf.Reset()
	require.NoError(t, empty.WritePage(&buf, LinPage{}), "an empty history draws too")
}
