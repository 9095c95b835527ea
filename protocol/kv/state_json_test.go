package kv

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// TestServerStateJSON: the readable state of the kvstore server is its
// store in key order and each client's last request and answer; it
// leaves the canonical encoding alone.
func TestServerStateJSON(t *testing.T) {
	s := &Server{}
	c1, c2 := node("jc1"), node("jc2")
	for _, cmd := range []protocol.Command{
		{Op: protocol.Put, Key: sym("b"), Value: sym("v2"), Client: c1, Seq: 1},
		{Op: protocol.Put, Key: sym("a"), Value: sym("v1"), Client: c2, Seq: 1},
		{Op: protocol.Get, Key: sym("a"), Client: c1, Seq: 2},
		{Op: protocol.Delete, Key: sym("zz"), Client: c2, Seq: 2},
	} {
		s.m.Apply(protocol.One(cmd))
	}
	before := s.AppendState(nil)
	got := string(s.AppendStateJSON(nil, names))
	assert.Equal(t, `{"applied":4,"store":{"a":"v1","b":"v2"},"sessions":{"jc1":{"seq":2,"ok":true,"value":"v1"},"jc2":{"seq":2,"ok":false,"error":"key not found"}}}`, got)
	assert.Equal(t, before, s.AppendState(nil), "the canonical encoding is unchanged")
	assert.Equal(t, `{"applied":0,"store":{},"sessions":{}}`, string((&Server{}).AppendStateJSON(nil, names)))
}

// TestStoreStateJSONBounded: a store of more keys than
// protocol.StateJSONListMax shows the first ones and counts the rest.
func TestStoreStateJSONBounded(t *testing.T) {
	var m Machine
	c := node("jc1")
	n := protocol.StateJSONListMax + 6
	for i := range n {
		m.Apply(protocol.One(protocol.Command{Op: protocol.Put, Key: sym(fmt.Sprintf("k%03d", i)), Value: sym("v"), Client: c, Seq: uint64(i + 1)}))
	}
	b := append([]byte(`{"x":1`), m.AppendStateJSONFields(nil, names)...)
	b = append(b, '}')
	var got struct {
		Store        map[string]string `json:"store"`
		StoreOmitted int               `json:"store_omitted"`
	}
	assert.NoError(t, json.Unmarshal(b, &got))
	assert.Len(t, got.Store, protocol.StateJSONListMax)
	assert.Equal(t, 6, got.StoreOmitted)
	assert.Contains(t, got.Store, "k000")
	assert.NotContains(t, got.Store, fmt.Sprintf("k%03d", n-1))
}

// TestClientStateJSON: a client shows how many requests it sent, and the
// one it waits for and where it went.
func TestClientStateJSON(t *testing.T) {
	leader := node("jleader")
	c := &Client{Targets: []sim.NodeID{leader}, Work: &Workload{Requests: 3}}
	assert.Equal(t, `{"sent":0,"requests":3}`, string(c.AppendStateJSON(nil, names)))
	c.sent, c.pending, c.tries = 2, true, 1
	c.cur = protocol.Command{Op: protocol.Get, Key: sym("a"), Client: node("jc1"), Seq: 2}
	assert.Equal(t, `{"sent":2,"requests":3,"waiting":{"op":"get","key":"a","client":"jc1","seq":2},"to":"jleader","retries":1}`, string(c.AppendStateJSON(nil, names)))
	c.pending, c.gaveUp = false, true
	assert.Equal(t, `{"sent":2,"requests":3,"gave_up":true}`, string(c.AppendStateJSON(nil, names)))
}
