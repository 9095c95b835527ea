package sim

// Field is one named part of a node's state, readable: what a field-level
// diff of two runs compares, e.g. {"ballot", "(2,1)"} or {"store[a]",
// "val_3"}.
type Field struct {
	Name  string
	Value string
}

// Fielder is a node that can list its state as named fields, for people
// (diff): the state its AppendState encodes, in a fixed order, with node
// ids and symbols resolved by n. A part that is absent (an empty slot, a
// key not in the store) has no field.
type Fielder interface {
	AppendFields(dst []Field, n Names) []Field
}
