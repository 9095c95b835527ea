package protocol

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestParseMsgType: every type's name reads back as the type, which is
// what the pictures rely on to colour a message from its trace record.
func TestParseMsgType(t *testing.T) {
	for i := range msgNames {
		typ := MsgType(i)
		got, ok := ParseMsgType(typ.String())
		assert.True(t, ok, typ.String())
		assert.Equal(t, typ, got)
	}
	_, ok := ParseMsgType("Unknown")
	assert.False(t, ok)
}
