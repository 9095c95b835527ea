package cluster

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
	"github.com/multipaxos-kv/multipaxos-kv/sim/buildinfo"
)

// scheduleVersion opens every schedule file. Version 2 names every event by
// its logical identity (a message by sender and number, a timer by node and
// kind), so a schedule can express any order of events, not only those that
// latencies produce.
const scheduleVersion = "# multipaxos-kv schedule v2"

// scheduleHeader opens every schedule file; the digest line and the
// resolved scenario follow.
const scheduleHeader = scheduleVersion + ": the resolved scenario, then every event and decision of one run.\n# Replay it with: multipaxos-kv replay FILE\n"

// digestPrefix starts the header line that carries the digest of the
// resolved scenario, so that an edited header is refused instead of
// replaying as a hybrid of two runs.
const digestPrefix = "# scenario-sha256: "

// WriteSchedule writes the recorded schedule (Options.Record) as a schedule
// file: the resolved scenario, seed included, then every record.
func (c *Cluster) WriteSchedule(w io.Writer) error {
	return c.WriteScheduleRecords(w, c.Schedule)
}

// WriteScheduleRecords writes a schedule file of the cluster's scenario with
// the given records.
func (c *Cluster) WriteScheduleRecords(w io.Writer, recs []sim.Record) error {
	enc, err := c.Scenario.Encode()
	if err != nil {
		return err
	}
	var h bytes.Buffer
	h.WriteString(scheduleHeader)
	h.WriteString("# build: " + buildinfo.String() + "\n")
	h.WriteString(digestPrefix + digest(enc) + "\n")
	h.Write(enc)
	return sim.WriteSchedule(w, h.Bytes(), recs)
}

// WriteScheduleFile writes the schedule file at path.
func (c *Cluster) WriteScheduleFile(path string) error {
	var b bytes.Buffer
	if err := c.WriteSchedule(&b); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func digest(enc []byte) string {
	sum := sha256.Sum256(bytes.TrimRight(enc, "\n"))
	return hex.EncodeToString(sum[:])
}

// ParseSchedule reads a schedule file: its scenario and its records. A file
// of an older format, or whose scenario does not match its digest (an edited
// header), is refused.
func ParseSchedule(data []byte, file string) (scenarios.Scenario, []sim.Record, error) {
	if bytes.Contains(data, []byte("\r\n")) {
		return scenarios.Scenario{}, nil, fmt.Errorf("%s: has CRLF line endings; schedules are written with LF only (convert it back, e.g. with dos2unix)", file)
	}
	header, recs, err := sim.ParseSchedule(data, file)
	if err != nil {
		return scenarios.Scenario{}, nil, err
	}
	if first, _, _ := bytes.Cut(header, []byte("\n")); !bytes.HasPrefix(first, []byte(scheduleVersion+":")) {
		if bytes.HasPrefix(first, []byte("# multipaxos-kv schedule v1")) {
			return scenarios.Scenario{}, nil, fmt.Errorf("%s:1: schedule format v1 (events named by position) is no longer read; this build reads v2: record the run again with -schedule", file)
		}
		return scenarios.Scenario{}, nil, fmt.Errorf("%s:1: not a multipaxos-kv schedule v2 header (expected %q)", file, scheduleVersion+": ...")
	}
	want, body, line := "", header, 0
	for i, l := range strings.Split(string(header), "\n") {
		if d, ok := strings.CutPrefix(l, digestPrefix); ok {
			want, line = strings.TrimSpace(d), i+1
			body = header[bytes.Index(header, []byte(l))+len(l)+1:]
			break
		}
	}
	if want == "" {
		return scenarios.Scenario{}, nil, fmt.Errorf("%s: the header has no %q line: refusing a schedule whose scenario cannot be verified", file, strings.TrimSpace(digestPrefix))
	}
	if got := digest(body); got != want {
		return scenarios.Scenario{}, nil, fmt.Errorf("%s:%d: the scenario in the header does not match its digest (edited after it was recorded?): refusing to replay a hybrid of two runs", file, line)
	}
	s, err := scenarios.Parse(header, file)
	if err != nil {
		return scenarios.Scenario{}, nil, err
	}
	if recs == nil {
		recs = []sim.Record{} // an empty schedule still replays (and diverges)
	}
	return s, recs, nil
}

// checkedIn is the build line of a counterexample kept in the repository:
// the file must not change with the Go version or revision that wrote it.
const checkedIn = "# build: (a checked-in counterexample; any build replays it)"

// Counterexample renders a failing schedule of scenario s for keeping in
// the repository (testdata/bugs): the schedule file, with a build line that
// does not depend on the build, and the text trace (with its "why" lines,
// as replay prints it by default) and summary its strict replay prints.
func Counterexample(s scenarios.Scenario, recs []sim.Record) (schedule, trace []byte, err error) {
	var sched bytes.Buffer
	if err := New(s, Options{}).WriteScheduleRecords(&sched, recs); err != nil {
		return nil, nil, err
	}
	lines := strings.SplitAfter(sched.String(), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "# build: ") {
			lines[i] = checkedIn + "\n"
			break
		}
	}
	var text bytes.Buffer
	c := New(s, Options{Replay: recs, Text: &text, Explain: true})
	o := c.Run()
	if err := c.WriteSummary(&text, o); err != nil {
		return nil, nil, err
	}
	return []byte(strings.Join(lines, "")), text.Bytes(), nil
}
