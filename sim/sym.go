package sim

import "strconv"

// Sym is a string interned in a run's symbol table (Engine.Intern): a small
// integer that messages and node state carry instead of the string, so that
// they hold no pointers and compare, hash and copy as integers. The string
// is looked up only where text is written (Names.Symbol). The zero Sym is
// the empty string.
type Sym uint32

// Names resolves the integers in messages and node state back to the
// strings a trace shows: node ids to node names and symbols to their text.
// An Engine, the Env it hands to nodes and a Table implement it.
type Names interface {
	Name(id NodeID) string
	Symbol(s Sym) string
}

// Symbols is an append-only symbol table; its zero value is empty and ready
// to use. Engines cloned from one another share one table, so a symbol means
// the same in all of them; fill it while setting a run up, so that the
// numbering does not depend on the run.
type Symbols struct {
	text []string // by Sym; text[0] is ""
	idx  map[string]Sym
}

// Intern returns the symbol of s, adding it if it is new.
func (t *Symbols) Intern(s string) Sym {
	if s == "" {
		return 0
	}
	if y, ok := t.idx[s]; ok {
		return y
	}
	if t.idx == nil {
		t.idx = make(map[string]Sym)
		t.text = append(t.text[:0], "")
	}
	y := Sym(len(t.text))
	t.text = append(t.text, s)
	t.idx[s] = y
	return y
}

// Symbol returns the text of symbol s ("" for the zero Sym, "?" for one
// the table does not hold).
func (t *Symbols) Symbol(s Sym) string {
	if s == 0 {
		return ""
	}
	if int(s) >= len(t.text) {
		return "?"
	}
	return t.text[s]
}

// Len is the number of symbols (the zero Sym included): every Sym of the
// table is below it, so tables indexed by Sym can be sized once.
func (t *Symbols) Len() int { return max(len(t.text), 1) }

// Table is a Names outside an engine, for tests and tools that render
// messages without a run: node names by id and a symbol table.
type Table struct {
	Nodes []string
	Symbols
}

// Name returns the name of node id, or "node<id>" for one not in Nodes.
func (t *Table) Name(id NodeID) string {
	if id >= 0 && int(id) < len(t.Nodes) {
		return t.Nodes[id]
	}
	return "node" + strconv.Itoa(int(id))
}

// Symbols is the run's symbol table, shared with every clone of the engine.
func (e *Engine[M]) Symbols() *Symbols { return e.syms }

// Intern returns the symbol of s in the run's table (Symbols.Intern).
func (e *Engine[M]) Intern(s string) Sym { return e.syms.Intern(s) }

// Symbol returns the text of symbol s.
func (e *Engine[M]) Symbol(s Sym) string { return e.syms.Symbol(s) }

// Symbol returns the text of symbol s.
func (v *Env[M]) Symbol(s Sym) string { return v.e.syms.Symbol(s) }

// Node returns the id of the node named name in t.Nodes, adding it if it
// is new: tests name the nodes of messages they build by hand this way.
func (t *Table) Node(name string) NodeID {
	for i, n := range t.Nodes {
		if n == name {
			return NodeID(i)
		}
	}
	t.Nodes = append(t.Nodes, name)
	return NodeID(len(t.Nodes) - 1)
}

// SetSymbols makes the engine resolve symbols with t instead of its own
// table: for tests that build messages by hand with a table of their own.
// Call it before the run starts.
func (e *Engine[M]) SetSymbols(t *Symbols) { e.syms = t }

// SetNames makes the engine name the node ids it does not have with n: for
// tests whose hand-built messages carry client ids of clients that are not
// nodes of the run. Call it before the run starts.
func (e *Engine[M]) SetNames(n Names) { e.names = n }

// Truncate forgets every symbol from n on, so that the next Intern numbers
// from n again: a reused run draws its symbols anew exactly as a new one
// would. Engines sharing the table (clones) must not use the forgotten ones.
func (t *Symbols) Truncate(n int) {
	if n < 1 || n >= len(t.text) {
		return
	}
	for _, s := range t.text[n:] {
		delete(t.idx, s)
	}
	clear(t.text[n:])
	t.text = t.text[:n]
}
