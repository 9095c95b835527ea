package check

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim/golden"
)

var _ = golden.Update

var (
	put1 = protocol.Command{Op: protocol.Put, Key: "a", Value: "v1", Client: "client1", Seq: 1}
	put2 = protocol.Command{Op: protocol.Put, Key: "a", Value: "v2", Client: "client2", Seq: 1}
	get3 = protocol.Command{Op: protocol.Get, Key: "a", Client: "client3", Seq: 1}
)

func TestAgreement(t *testing.T) {
	cases := []struct {
		name string
		ls   []Learner
		err  string
	}{
		{"empty", nil, ""},
		{"equal logs", []Learner{{Name: "l", Applied: []protocol.Command{put1, get3}}, {Name: "r", Applied: []protocol.Command{put1, get3}}}, ""},
		{"prefixes agree", []Learner{{Name: "l", Applied: []protocol.Command{put1, get3}}, {Name: "r", Applied: []protocol.Command{put1}}, {Name: "s"}}, ""},
		{"two commands in slot 1", []Learner{{Name: "leader1", Applied: []protocol.Command{put1}}, {Name: "replica1", Applied: []protocol.Command{put2}}},
			`slot 1: leader1 applied PUT "a" = "v1" (client1 #1) but replica1 applied PUT "a" = "v2" (client2 #1)`},
		{"disagreement behind a longer log", []Learner{{Name: "r1", Applied: []protocol.Command{put1}}, {Name: "r2", Applied: []protocol.Command{put1, get3}}, {Name: "r3", Applied: []protocol.Command{put1, put2}}},
			`slot 2: r2 applied GET "a" (client3 #1) but r3 applied PUT "a" = "v2" (client2 #1)`},
		{"same op from another request", []Learner{{Name: "a", Applied: []protocol.Command{put1}}, {Name: "b", Applied: []protocol.Command{{Op: protocol.Put, Key: "a", Value: "v1", Client: "client1", Seq: 2}}}},
			`slot 1: a applied PUT "a" = "v1" (client1 #1) but b applied PUT "a" = "v1" (client1 #2)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Agreement(c.ls)
			if c.err == "" {
				assert.NoError(t, err)
			} else {
				assert.EqualError(t, err, c.err)
			}
		})
	}
}

func TestConvergence(t *testing.T) {
	log := []protocol.Command{put1}
	cases := []struct {
		name string
		ls   []Learner
		err  string
	}{
		{"same prefix same store", []Learner{{Name: "a", Applied: log, Store: map[string]string{"a": "v1"}}, {Name: "b", Applied: log, Store: map[string]string{"a": "v1"}}}, ""},
		{"different prefixes may differ", []Learner{{Name: "a", Applied: log, Store: map[string]string{"a": "v1"}}, {Name: "b", Store: map[string]string{}}}, ""},
		{"same prefix, different store", []Learner{{Name: "a", Applied: log, Store: map[string]string{"a": "v1"}}, {Name: "b", Applied: log, Store: map[string]string{"a": "v2"}}},
			"a and b both applied 1 slots but hold different stores: {a=v1} vs {a=v2}"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Convergence(c.ls)
			if c.err == "" {
				assert.NoError(t, err)
			} else {
				assert.EqualError(t, err, c.err)
			}
		})
	}
}

func TestVerdictText(t *testing.T) {
	assert.Equal(t, "ok", Verdict{Name: "x"}.Text())
	assert.Equal(t, Agreement([]Learner{{Name: "a", Applied: []protocol.Command{put1}}, {Name: "b", Applied: []protocol.Command{put2}}}).Error(),
		Verdict{Name: "agreement", Err: Agreement([]Learner{{Name: "a", Applied: []protocol.Command{put1}}, {Name: "b", Applied: []protocol.Command{put2}}})}.Text())
}
