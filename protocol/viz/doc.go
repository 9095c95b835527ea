// Package viz turns a run's JSON-lines trace into pictures and into files
// that other tools open: a space-time diagram (SVG, or an offline HTML page
// around it), a Mermaid sequence diagram, a ShiViz log and a Chrome/Perfetto
// trace.
//
// It reads only the JSON-lines trace, through sim's schema (sim.TraceEv,
// sim.TraceRecord). It lives beside the protocol, not in sim, because it
// draws this protocol: style.go takes the message types' names and families
// from protocol/, the kinds of node, the summary's members and the check
// names from protocol/cluster and protocol/check, labels and groups
// messages by their optional "slot" and "ballot" fields, and marks the
// protocol's milestones (Phase 1 won, a slot chosen and its quorum, NOOP,
// recovery complete, stand-by) where the leaders' steps say so (marks.go,
// style.go's markRules).
package viz
