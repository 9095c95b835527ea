package viz

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
)

// TestKindsPartitionTypes: no message type is in two colour families, and
// a name that is no type falls to the last ("other").
func TestKindsPartitionTypes(t *testing.T) {
	seen := map[protocol.MsgType]string{}
	for _, k := range kinds {
		for _, typ := range k.types {
			assert.NotContains(t, seen, typ, "%v is in %s and %s", typ, seen[typ], k.class)
			seen[typ] = k.class
			assert.Equal(t, k.class, kindOf(typ.String()))
		}
	}
	assert.Equal(t, "ot", kindOf("NoSuchType"))
	assert.True(t, isRoutine(protocol.Heartbeat.String()))
	assert.False(t, isRoutine(protocol.Accept.String()))
	assert.Equal(t, "Heartbeat, HeartbeatAck", routineNames())
}
