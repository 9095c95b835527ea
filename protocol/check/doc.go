// Package check holds the checkers that judge a run. They read what the
// nodes expose (applied logs, stores) and the client history; they never
// change what the nodes do.
package check
