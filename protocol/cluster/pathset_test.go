package cluster

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPathSet(t *testing.T) {
	assert.Equal(t, "none", Paths{}.Set().String())
	p := Paths{Phase1: 3, RecoveredValues: 1, GaveUp: 2}
	assert.Equal(t, "phase1+recovered-value+gave-up", p.Set().String())
	// Every field has its own bit, so a new field needs a name.
	all := Paths{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}
	assert.Equal(t, len(PathNames), len(all.Set().Names()))
}
