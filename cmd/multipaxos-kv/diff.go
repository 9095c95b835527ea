package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/multipaxos-kv/multipaxos-kv/protocol/cluster"
)

const diffUsage = `Usage: multipaxos-kv diff A B

Compares two runs given as schedule files (from run -schedule, sweep,
explore) by the logical identity of their events, not by line: it names the
first event where they part, then, just before it, the nodes whose states
differ, the messages and timers pending in one run only, and the first
difference of the client histories. Exit 0 when the runs are the same,
1 when they differ, 2 on bad input.

Example:
  multipaxos-kv run -q -schedule a.sched default
  multipaxos-kv run -q -seed 2 -schedule b.sched default
  multipaxos-kv diff a.sched b.sched
`

// cmdDiff compares two schedules.
func cmdDiff(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), diffUsage) }
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return report(stderr, "diff", err)
	}
	if len(pos) != 2 {
		return report(stderr, "diff", usageError{fmt.Errorf("expected two schedule files, got %d arguments", len(pos))})
	}
	var runs [2]cluster.RunFile
	for i, file := range pos {
		data, err := readUserFile(file, "schedule", maxScheduleSize)
		if err != nil {
			return report(stderr, "diff", err)
		}
		s, recs, err := cluster.ParseSchedule(data, file)
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
