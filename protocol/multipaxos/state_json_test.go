package multipaxos

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
)

// TestAcceptorStateJSON: an acceptor shows its promise and every entry it
// accepted, in slot order, holes left out; the canonical encoding is left
// alone.
func TestAcceptorStateJSON(t *testing.T) {
	a := &Acceptor{}
	put := protocol.Command{Op: protocol.Put, Key: sym("a"), Value: sym("x"), Client: clientID("c1"), Seq: 1}
	get := protocol.Command{Op: protocol.Get, Key: sym("a"), Client: clientID("c2"), Seq: 4}
	a.Accept(protocol.Ballot{Round: 1, LeaderID: 1}, 1, protocol.One(put))
	a.Prepare(protocol.Ballot{Round: 2, LeaderID: 2})
	a.Accept(protocol.Ballot{Round: 2, LeaderID: 2}, 3, protocol.One(get))
	before := a.AppendState(nil)
	assert.Equal(t, `{"promised":[2,2],"accepted":[`+
		`{"slot":1,"ballot":[1,1],"cmd":{"op":"put","key":"a","value":"x","client":"c1","seq":1}},`+
		`{"slot":3,"ballot":[2,2],"cmd":{"op":"get","key":"a","client":"c2","seq":4}}]}`,
		string(a.AppendStateJSON(nil, testNames{})))
	assert.Equal(t, before, a.AppendState(nil), "the canonical encoding is unchanged")
	assert.Equal(t, `{"promised":[0,0],"accepted":[]}`, string((&Acceptor{}).AppendStateJSON(nil, testNames{})))
}

// TestAcceptorStateJSONBounded: past protocol.StateJSONListMax entries,
// the latest are shown and the others counted.
func TestAcceptorStateJSONBounded(t *testing.T) {
	a := &Acceptor{}
	n := protocol.StateJSONListMax + 5
	for s := 1; s <= n; s++ {
		a.Accept(protocol.Ballot{Round: 1, LeaderID: 1}, int64(s), protocol.One(protocol.Command{Op: protocol.Noop}))
	}
	var got struct {
		Accepted []struct {
			Slot int64 `json:"slot"`
		} `json:"accepted"`
		Omitted int `json:"accepted_omitted"`
	}
	require.NoError(t, json.Unmarshal(a.AppendStateJSON(nil, testNames{}), &got))
	require.Len(t, got.Accepted, protocol.StateJSONListMax)
	assert.Equal(t, int64(6), got.Accepted[0].Slot)
	assert.Equal(t, int64(n), got.Accepted[len(got.Accepted)-1].Slot)
	assert.Equal(t, 5, got.Omitted)
}
