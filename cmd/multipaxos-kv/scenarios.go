package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
)

// cmdScenarios lists the embedded scenarios: name and description.
func cmdScenarios(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("scenarios", flag.ContinueOnError)
	show := fs.String("show", "", "print the TOML of the embedded scenario `NAME` (copy it to start a file of your own)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: multipaxos-kv scenarios [-show NAME]\n\nLists the embedded scenarios, one per line: name and description;\nwith -show, prints one scenario's TOML.\n\nFlags:\n%s\nExamples:\n  multipaxos-kv scenarios\n  multipaxos-kv scenarios -show lossy > mine.toml\n", flagDefaults(fs))
	}
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Errorf("unexpected argument %q (scenarios takes none)", pos[0])}
	}
	if *show != "" {
		data, ok := scenarios.Embedded(*show)
		if !ok {
			return usageError{fmt.Errorf("-show %q: no such embedded scenario (embedded scenarios: %s)", *show, strings.Join(scenarios.Names(), ", "))}
		}
		_, err := stdout.Write(data)
		return err
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
