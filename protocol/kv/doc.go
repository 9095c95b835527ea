// Package kv is the original kv_store: its semantics (Store), the
// unreplicated single server that runs them (Server, the baseline that the
// replicated protocol is compared against), and the random closed-loop
// client that both protocols serve (Client).
//
// The semantics and error strings are those of the original Gleam kv_store
// and must not change: put fails if the key exists, get returns the value or
// an error, delete fails if the key is missing.
package kv
