package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestSymbols: interning is stable and dense from 1, the zero Sym is "",
// an unknown one is "?", and Truncate renumbers from the cut as a fresh
// table would.
func TestSymbols(t *testing.T) {
	var s Symbols
	assert.Equal(t, Sym(0), s.Intern(""))
	a, b := s.Intern("a"), s.Intern("b")
	assert.Equal(t, []Sym{1, 2}, []Sym{a, b})
	assert.Equal(t, a, s.Intern("a"), "the same string is the same symbol")
	assert.Equal(t, []string{"", "a", "b", "?"}, []string{s.Symbol(0), s.Symbol(a), s.Symbol(b), s.Symbol(9)})
	assert.Equal(t, 3, s.Len())
	s.Intern("c")
	s.Truncate(2)
	assert.Equal(t, 2, s.Len())
	assert.Equal(t, "?", s.Symbol(2), "b is forgotten")
	assert.Equal(t, Sym(2), s.Intern("c"), "numbered from the cut again")
	assert.Equal(t, a, s.Intern("a"), "what was before the cut stays")

	var empty Symbols
	assert.Equal(t, 1, empty.Len(), "the zero Sym is always there")
}

// TestEngineNames: an engine names its nodes, resolves symbols from its
// table (shared with its clones), and names the ids it does not have with
// SetNames' fallback.
func TestEngineNames(t *testing.T) {
	e := New[tmsg](Config{Seed: 1, TimeLimit: Second, MaxEvents: 100})
	id := e.AddNode("n1", &tnode{})
	x := e.Intern("x")
	assert.Equal(t, "x", e.Symbol(x))
	assert.Equal(t, "n1", e.Name(id))
	assert.Equal(t, "?", e.Name(7))
	var tab Table
	tab.Nodes = []string{"a", "b", "c", "d", "e", "f", "g", "seven"}
	e.SetNames(&tab)
	assert.Equal(t, "seven", e.Name(7))
	assert.Equal(t, "n1", e.Name(id), "the engine's own nodes come first")
	assert.Same(t, e.Symbols(), e.CloneInto(nil).Symbols(), "clones share the table")

	assert.Equal(t, NodeID(8), tab.Node("new"))
	assert.Equal(t, NodeID(7), tab.Node("seven"))
	assert.Equal(t, "node99", tab.Name(99))
}
