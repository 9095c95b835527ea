package sim

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// schemaRecords decodes a JSON-lines trace into TraceRecords, failing on a
// member TraceRecord does not name: what the engine writes, readers can
// decode.
func schemaRecords(t testing.TB, trace []byte) []TraceRecord {
	t.Helper()
	var out []TraceRecord
	for i, line := range strings.Split(strings.TrimSuffix(string(trace), "\n"), "\n") {
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		var r TraceRecord
		require.NoError(t, dec.Decode(&r), "line %d: %s", i+1, line)
		out = append(out, r)
	}
	return out
}

// TestTraceSchemaFields holds TraceRecord's tags and the Field constants
// together: a member added to one must be added to the other.
func TestTraceSchemaFields(t *testing.T) {
	fields := []string{FieldT, FieldSeq, FieldEv, FieldMid, FieldFrom, FieldTo, FieldMsg, FieldReason, FieldNote,
		FieldNode, FieldName, FieldText, FieldGroups, FieldClient, FieldID, FieldOp, FieldKey, FieldValue, FieldOK, FieldError, FieldFor, FieldEvent, FieldNodes}
	var tags []string
	rt := reflect.TypeFor[TraceRecord]()
	for i := range rt.NumField() {
		tags = append(tags, rt.Field(i).Tag.Get("json"))
	}
	assert.Equal(t, slices.Sorted(slices.Values(fields)), slices.Sorted(slices.Values(tags)))
}

// TestTraceSchemaKinds decodes a run with every kind the engine writes
// through the schema, and finds each kind's members where it says.
func TestTraceSchemaKinds(t *testing.T) {
	tr := busyEngine(busyConfig(1), -1)
	tr.Cut(3*Millisecond, 0, 1)
	tr.Hold(4*Millisecond, 1, 0, 2*Millisecond)
	tr.TraceStates(true)
	tr.Run()
	seen := map[TraceEv]bool{}
	for _, r := range schemaRecords(t, tr.json.Bytes()) {
		seen[r.Ev] = true
		switch r.Ev {
		case EvSend, EvDeliver, EvDrop:
			assert.NotZero(t, r.Mid)
			assert.NotEmpty(t, r.From)
			assert.NotEmpty(t, r.To)
			assert.NotEmpty(t, r.Msg)
			if r.Ev == EvDrop {
				assert.Contains(t, []string{DropLoss, DropPartition, DropCrashed, DropCut}, r.Reason)
			}
			if r.Ev == EvDeliver && r.Note != "" {
				assert.Equal(t, NoteDuplicate, r.Note)
			}
		case EvTimer:
			assert.NotEmpty(t, r.Node)
			assert.NotEmpty(t, r.Name)
		case EvCrash, EvRestart:
			assert.NotEmpty(t, r.Node)
		case EvPartition:
			assert.NotEmpty(t, r.Groups)
		case EvHeal:
		case EvCut, EvHold:
			assert.NotEmpty(t, r.From)
			assert.NotEmpty(t, r.To)
			if r.Ev == EvHold {
				assert.Equal(t, int64(2*Millisecond), r.For)
			}
		case EvStep:
			assert.NotEmpty(t, r.Node)
			assert.NotEmpty(t, r.Text)
		case EvState:
			assert.NotEmpty(t, r.Event)
			assert.NotNil(t, r.Nodes)
		default:
			t.Errorf("record kind %q is not in the schema", r.Ev)
		}
	}
	for _, k := range []TraceEv{EvSend, EvDeliver, EvDrop, EvTimer, EvCrash, EvRestart, EvPartition, EvHeal, EvCut, EvHold, EvStep, EvState} {
		assert.True(t, seen[k], "no %q record", k)
	}
}
