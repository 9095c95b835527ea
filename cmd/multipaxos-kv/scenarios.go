package main

import (
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
)

// cmdScenarios lists the embedded scenarios: name and description.
func cmdScenarios(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("scenarios", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: multipaxos-kv scenarios\n\nLists the embedded scenarios, one per line: name and description.\n\nExample:\n  multipaxos-kv scenarios\n")
	}
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Errorf("unexpected argument %q (scenarios takes none)", pos[0])}
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	for _, name := range scenarios.Names() {
		s, err := scenarios.Load(name)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\n", name, s.Description)
	}
	return tw.Flush()
}
