package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"

	"github.com/multipaxos-kv/multipaxos-kv/protocol/cluster"
)

const diffUsage = `Usage: multipaxos-kv diff A B

Compares two runs, given as two schedule files (from run -schedule, sweep,
explore, minimize) or two JSON traces (from run -trace or -json, replay
-trace), by the logical identity of their events, not by line: a message
by its sender and the sender's number for it, a timer by its node and kind.

For schedules it names the first event where the runs part, then, just
before it, the fields of the nodes' states that differ (e.g.
replica1.applied: 3 vs 4), the messages and timers pending in one run only,
and the first difference of the client histories.

For JSON traces it names the first event that differs (a node's start, a
delivery, a timer, a fault), the first record of any kind that differs (a
step, a send, an invocation) and the event it belongs to, the first time
that differs, the messages in flight in one trace only just before they
part, the first difference of the client histories, and the fields of the
summaries that differ (stores, checks, counts).

Exit 0 when the runs are the same, 1 when they differ, 2 on bad input.

Example:
  multipaxos-kv run -q -schedule a.sched -trace a.jsonl default
  multipaxos-kv run -q -seed 2 -schedule b.sched -trace b.jsonl default
  multipaxos-kv diff a.sched b.sched
  multipaxos-kv diff a.jsonl b.jsonl
`

// cmdDiff compares two schedules, or two JSON traces.
func cmdDiff(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), diffUsage) }
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return report(stderr, "diff", err)
	}
	if len(pos) != 2 {
		return report(stderr, "diff", usageError{fmt.Errorf("expected two schedule files or two JSON traces, got %d arguments", len(pos))})
	}
	var data [2][]byte
	var trace [2]bool
	for i, file := range pos {
		if data[i], err = readUserFile(file, "schedule or trace", max(maxScheduleSize, maxTraceSize)); err != nil {
			return report(stderr, "diff", err)
		}
		// A JSON trace is lines of objects; a schedule opens with its
		// header's comments.
		trace[i] = bytes.HasPrefix(bytes.TrimLeft(data[i], " \t\r\n"), []byte("{"))
		if !trace[i] && len(data[i]) > maxScheduleSize {
			return report(stderr, "diff", usageError{fmt.Errorf("%s: a schedule of %d bytes (limit %d)", file, len(data[i]), maxScheduleSize)})
		}
	}
	if trace[0] != trace[1] {
		kind := map[bool]string{true: "a JSON trace", false: "a schedule"}
		return report(stderr, "diff", usageError{fmt.Errorf("%s is %s but %s is %s: give two schedules or two JSON traces", pos[0], kind[trace[0]], pos[1], kind[trace[1]])})
	}
	if trace[0] {
		return diffTraces(pos, data, stdout, stderr)
	}
	var runs [2]cluster.RunFile
	for i, file := range pos {
		s, recs, err := cluster.ParseSchedule(data[i], file)
		if err != nil {
			return report(stderr, "diff", usageError{err})
		}
		runs[i] = cluster.RunFile{Name: file, Scenario: s, Records: recs}
	}
	d, err := cluster.Diff(runs[0], runs[1])
	if err != nil {
		return report(stderr, "diff", usageError{err})
	}
	if err := cluster.WriteDiff(stdout, pos[0], pos[1], d); err != nil {
		return report(stderr, "diff", err)
	}
	if !d.Same() {
		return report(stderr, "diff", failure{fmt.Errorf("the runs differ (first at event %d)", d.Step)})
	}
	return exitOK
}

// diffTraces compares two JSON traces.
func diffTraces(pos []string, data [2][]byte, stdout, stderr io.Writer) int {
	var ts [2]cluster.Trace
	for i, file := range pos {
		t, err := cluster.ParseTrace(data[i], file)
		if err != nil {
			return report(stderr, "diff", usageError{err})
		}
		ts[i] = t
	}
	d := cluster.DiffTraces(ts[0], ts[1])
	if err := cluster.WriteTraceDiff(stdout, pos[0], pos[1], d); err != nil {
		return report(stderr, "diff", err)
	}
	switch {
	case d.Event != 0:
		return report(stderr, "diff", failure{fmt.Errorf("the traces differ (first at event %d, record %d)", d.Event, d.Record)})
	case d.Record != 0:
		return report(stderr, "diff", failure{fmt.Errorf("the traces differ (the same events; first at record %d)", d.Record)})
	case !d.Same():
		return report(stderr, "diff", failure{fmt.Errorf("the traces differ (the same records, not the same times or summaries)")})
	}
	return exitOK
}
