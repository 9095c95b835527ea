package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
)

// TestMinimizeTableInReadme keeps the README's measurements of minimize
// true: every catalogued bug has a row, and minimising each row's failing
// run gives the row's signature, events, messages, faults, clients,
// requests and replays (the time is the machine's).
func TestMinimizeTableInReadme(t *testing.T) {
	if testing.Short() {
		t.Skip("minimises fourteen runs")
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	n := `(\d+) -> (\d+)`
	rows := regexp.MustCompile("(?m)^\\| `([a-z-]+)` \\| `([^`]+)` \\| ([^|]+) \\| "+n+` \| `+n+` \| `+n+` \| `+n+` \| `+n+` \| (\d+) \| [^|]+ \|$`).FindAllStringSubmatch(string(readme), -1)
	require.GreaterOrEqual(t, len(rows), len(protocol.Catalogue), "the README's table of minimised bugs")
	covered := map[string]bool{}
	for _, row := range rows {
		covered[row[1]] = true
	}
	for _, b := range protocol.Catalogue {
		assert.True(t, covered[b.Name], "the README measures minimize on %s", b.Name)
	}
	for _, row := range rows {
		t.Run(row[1]+" "+row[2], func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			sched := filepath.Join("..", "..", row[2])
			if args, ok := strings.CutPrefix(row[2], "run "); ok {
				sched = filepath.Join(dir, "fail.sched")
				code, _, errs := cli(t, append([]string{"run", "-q", "-schedule", sched}, strings.Fields(args)...)...)
				require.Equal(t, exitFail, code, errs)
			}
			code, out, errs := cli(t, "minimize", "-q", "-o", filepath.Join(dir, "min.sched"), sched)
			require.Equal(t, exitOK, code, errs)
			for _, want := range []string{
				"minimize:  " + row[3] + " fails in both",
				"events:    " + row[4] + " -> " + row[5],
				"messages:  " + row[6] + " -> " + row[7] + " sent",
				"faults:    " + row[8] + " -> " + row[9],
				"clients:   " + row[10] + " -> " + row[11],
				"requests:  " + row[12] + " -> " + row[13] + " invoked",
				"tries:     " + row[14] + " replays in ",
			} {
				assert.Contains(t, "\n"+out, "\n"+want, "the README's row")
			}
			code, _, errs = cli(t, "replay", "-q", filepath.Join(dir, "min.sched"))
			assert.Equal(t, exitFail, code)
			assert.Contains(t, errs, "check failed: "+strings.Fields(row[3])[0])
		})
	}
}
