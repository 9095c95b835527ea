package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPictureFlags: every picture flag writes its file from run and from
// replay alike, -window narrows them, and bad values are usage errors
// caught before the run.
func TestPictureFlags(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	sched := p("run.sched")
	code, _, errs := cli(t, "run", "-q", "-schedule", sched, "-diagram", p("d.svg"), "-shiviz", p("s.log"), "-timeline", p("t.json"), "leader-failover")
	require.Equal(t, exitOK, code, errs)
	code, _, errs = cli(t, "run", "-q", "-diagram", p("d.html"), "leader-failover")
	require.Equal(t, exitOK, code, errs)
	code, _, errs = cli(t, "run", "-q", "-diagram", p("d.mmd"), "leader-failover")
	require.Equal(t, exitOK, code, errs)

	read := func(name string) string {
		data, err := os.ReadFile(p(name))
		require.NoError(t, err)
		return string(data)
	}
	var svg struct{ XMLName xml.Name }
	require.NoError(t, xml.Unmarshal([]byte(read("d.svg")), &svg), "the SVG is well-formed XML")
	assert.Equal(t, "svg", svg.XMLName.Local)
	assert.Contains(t, read("d.html"), "<svg")
	assert.Contains(t, read("d.html"), "Phase 1 recovery", "the page carries the text trace")
	assert.True(t, strings.HasPrefix(strings.TrimLeft(read("d.mmd"), "% \n"), "sequenceDiagram") || strings.Contains(read("d.mmd"), "\nsequenceDiagram"))
	var perfetto map[string]any
	require.NoError(t, json.Unmarshal([]byte(read("t.json")), &perfetto))
	assert.Contains(t, perfetto, "traceEvents")
	assert.NotEmpty(t, read("s.log"))

	// replay draws the same pictures.
	code, _, errs = cli(t, "replay", "-q", "-diagram", p("r.svg"), "-shiviz", p("r.log"), "-timeline", p("r.json"), sched)
	require.Equal(t, exitOK, code, errs)
	assert.Equal(t, read("d.svg"), read("r.svg"))
	assert.Equal(t, read("s.log"), read("r.log"))
	assert.Equal(t, read("t.json"), read("r.json"))

	// A window draws less.
	code, _, errs = cli(t, "run", "-q", "-diagram", p("w.svg"), "-window", "20ms..60ms", "leader-failover")
	require.Equal(t, exitOK, code, errs)
	assert.Less(t, len(read("w.svg")), len(read("d.svg")))

	for _, c := range []struct {
		args []string
		err  string
	}{
		{[]string{"-diagram", p("x.png")}, `-diagram "` + p("x.png") + `": the extension picks the form, expected .svg, .html or .mmd`},
		{[]string{"-diagram", p("x.svg"), "-window", "60ms..20ms"}, `-window "60ms..20ms": expected FROM..TO with durations 0 <= FROM <= TO, e.g. 20ms..60ms`},
		{[]string{"-diagram", p("x.svg"), "-window", "soon"}, `-window "soon": expected FROM..TO`},
		{[]string{"-diagram", filepath.Join(dir, "no", "dir.svg")}, "no such file or directory"},
	} {
		code, out, errs := cli(t, append([]string{"run", "-q"}, c.args...)...)
		assert.Equal(t, exitUsage, code, "%v", c.args)
		assert.Contains(t, errs, c.err)
		if !strings.Contains(c.err, "no such file") {
			assert.Empty(t, out, "checked before the run")
		}
	}
}

// TestLinPicture: -lin writes porcupine's page headed with the scenario,
// the seed and the verdict, its rows named after the clients, with a time
// axis.
func TestLinPicture(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lin.html")
	code, _, errs := cli(t, "run", "-q", "-lin", path, "leader-failover")
	require.Equal(t, exitOK, code, errs)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	page := string(data)
	assert.Contains(t, page, `<h1>linearizability: leader-failover, seed 73</h1><p class="verdict ok">linearizable</p>`)
	assert.Contains(t, page, `const linClients = ["client1","client2","client3"]`)
	assert.Contains(t, page, "linAxis(linEvents)")
	assert.Contains(t, page, "crash leader1", "the scenario's faults are marked")
}
