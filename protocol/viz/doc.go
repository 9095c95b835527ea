// Package viz turns a run's JSON-lines trace into pictures and into files
// that other tools open: a space-time diagram (SVG, or an offline HTML page
// around it), a Mermaid sequence diagram, a ShiViz log and a Chrome/Perfetto
// trace.
//
// It reads only the JSON-lines trace (see README.md), so it knows nothing of
// the protocol beyond message types and the optional "slot" and "ballot"
// fields of a message, which it uses for labels and grouping.
package viz
