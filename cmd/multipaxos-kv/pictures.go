package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/multipaxos-kv/multipaxos-kv/protocol/check"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/cluster"
	"github.com/multipaxos-kv/multipaxos-kv/protocol/viz"
	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
)

// writePictures draws the run from its JSON trace into the files the flags
// name: -diagram (the extension picks SVG, HTML or Mermaid), -shiviz and
// -timeline, each limited to -window when given.
func writePictures(out outputFlags, s scenarios.Scenario, jsonTrace []byte, text string) error {
	t, err := viz.Parse(bytes.NewReader(jsonTrace))
	if err != nil {
		return fmt.Errorf("reading the trace for pictures: %v", err)
	}
	title := fmt.Sprintf("%s, seed %d", s.Name, s.Seed)
	if out.window != "" {
		from, to, _ := parseWindow(out.window) // checked before the run
		t = t.Window(from, to)
		title += ", " + from.String() + " to " + to.String()
	}
	write := func(path string, draw func(*bytes.Buffer) error) error {
		var b bytes.Buffer
		if err := draw(&b); err != nil {
			return fmt.Errorf("drawing %s: %v", path, err)
		}
		return os.WriteFile(path, b.Bytes(), 0o644)
	}
	if out.diagram != "" {
		err := write(out.diagram, func(b *bytes.Buffer) error {
			switch strings.ToLower(filepath.Ext(out.diagram)) {
			case ".svg":
				return viz.WriteSVG(b, t, viz.SVGOptions{Title: title})
			case ".mmd":
				return viz.WriteMermaid(b, t, viz.MermaidOptions{})
			default:
				return viz.WriteHTML(b, t, viz.HTMLOptions{Title: title, Text: text})
			}
		})
		if err != nil {
			return err
		}
	}
	if out.shiviz != "" {
		if err := write(out.shiviz, func(b *bytes.Buffer) error { return viz.WriteShiViz(b, t) }); err != nil {
			return err
		}
	}
	if out.timeline != "" {
		if err := write(out.timeline, func(b *bytes.Buffer) error { return viz.WritePerfetto(b, t) }); err != nil {
			return err
		}
	}
	return nil
}

// linPage is what the linearizability picture (-lin) says of its run: the
// scenario and seed in its heading, and the run's faults marked.
func linPage(c *cluster.Cluster) check.LinPage {
	return check.LinPage{Scenario: c.Scenario.Name, Seed: c.Scenario.Seed, Annotations: c.Annotations()}
}
