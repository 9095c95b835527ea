package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
)

// bugFlag is the repeatable -bug NAME flag of run, sweep and explore.
type bugFlag []string

func (b *bugFlag) String() string { return strings.Join(*b, ",") }

func (b *bugFlag) Set(name string) error {
	for _, n := range strings.Split(name, ",") {
		if _, err := protocol.LookupBug(n); err != nil {
			return err
		}
		*b = append(*b, n)
	}
	return nil
}

func (b *bugFlag) register(fs *flag.FlagSet) {
	fs.Var(b, "bug", "switch on catalogued protocol bug `NAME` (repeatable; `multipaxos-kv bugs` lists them)")
}

// apply adds the flag's bugs to the scenario, each once.
func (b bugFlag) apply(s *scenarios.Scenario) {
	for _, n := range b {
		if !contains(s.Bugs, n) {
			s.Bugs = append(s.Bugs, n)
		}
	}
}

// args renders the flag for a reproducer.
func (b bugFlag) args() string {
	var sb strings.Builder
	for _, n := range b {
		sb.WriteString(" -bug " + n)
	}
	return sb.String()
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

const bugsUsage = `Usage: multipaxos-kv bugs

Lists the catalogued protocol bugs: mistakes people really make when they
write Paxos, each a small switch in the node code, off by default. Switch
one on with -bug NAME on run, sweep or explore (or bugs = ["NAME"] in a
scenario) and watch a check catch it.

Example:
  multipaxos-kv explore -bug accept-below-promise -crashes 1 explore-failover
`

func cmdBugs(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bugs", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), bugsUsage) }
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Errorf("unexpected argument %q (bugs takes none)", pos[0])}
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	for _, b := range protocol.Catalogue {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", b.Name, b.Where, b.What)
	}
	return tw.Flush()
}
