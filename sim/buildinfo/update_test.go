package buildinfo

import "github.com/multipaxos-kv/multipaxos-kv/sim/golden"

// The module's test binaries all accept -update (go test ./... -update);
// golden defines the flag.
var _ = golden.Update
