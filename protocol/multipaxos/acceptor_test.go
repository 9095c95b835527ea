package multipaxos

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim/golden"
)

var _ = golden.Update

func b(round, id int32) protocol.Ballot { return protocol.Ballot{Round: round, LeaderID: id} }

func TestBallotOrder(t *testing.T) {
	// Round first, then leader id (the original's compare_ballots).
	cases := []struct {
		a, b protocol.Ballot
		want int
	}{
		{b(1, 1), b(1, 1), 0},
		{b(1, 1), b(1, 2), -1},
		{b(2, 1), b(1, 9), 1},
		{b(0, 0), b(1, 1), -1},
		{b(3, 2), b(3, 1), 1},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.a.Compare(c.b), "%v vs %v", c.a, c.b)
		assert.Equal(t, -c.want, c.b.Compare(c.a), "%v vs %v", c.b, c.a)
		assert.Equal(t, c.want < 0, c.a.Less(c.b))
	}
	assert.Equal(t, "(3,2)", b(3, 2).String())
}

// TestAcceptorRules checks the acceptor's two rules (Lamport, "Paxos Made
// Simple", section 2.2, Phase 1(b) and Phase 2(b)), each row from a given
// state.
func TestAcceptorRules(t *testing.T) {
	x := protocol.Command{Op: protocol.Put, Key: sym("x"), Value: sym("1"), Client: clientID("client1"), Seq: 1}
	y := protocol.Command{Op: protocol.Get, Key: sym("y"), Client: clientID("client2"), Seq: 1}
	entry := func(slot int64, bal protocol.Ballot, c protocol.Command) protocol.Entry {
		return protocol.Entry{Slot: slot, Ballot: bal, Value: protocol.One(c)}
	}
	cases := []struct {
		name         string
		promised     protocol.Ballot
		accepted     []protocol.Entry
		in           protocol.Msg
		want         protocol.Msg
		wantPromised protocol.Ballot
		wantAccepted []protocol.Entry
	}{
		{
			name: "prepare from a fresh acceptor is promised", in: protocol.Msg{Kind: protocol.Prepare, Ballot: b(1, 1)},
			want: protocol.Msg{Kind: protocol.Promise, Ballot: b(1, 1)}, wantPromised: b(1, 1),
		},
		{
			name: "prepare equal to the promise is promised again", promised: b(1, 1), in: protocol.Msg{Kind: protocol.Prepare, Ballot: b(1, 1)},
			want: protocol.Msg{Kind: protocol.Promise, Ballot: b(1, 1)}, wantPromised: b(1, 1),
		},
		{
			name: "prepare below the promise is rejected with the promise", promised: b(2, 1), in: protocol.Msg{Kind: protocol.Prepare, Ballot: b(1, 2)},
			want: protocol.Msg{Kind: protocol.PrepareRejected, Ballot: b(2, 1)}, wantPromised: b(2, 1),
		},
		{
			name: "promise carries every accepted entry in slot order", promised: b(1, 1),
			accepted:     []protocol.Entry{entry(1, b(1, 1), x), {Slot: 2}, entry(3, b(1, 1), y)},
			in:           protocol.Msg{Kind: protocol.Prepare, Ballot: b(2, 2)},
			want:         protocol.Msg{Kind: protocol.Promise, Ballot: b(2, 2), Payload: &protocol.Payload{Entries: []protocol.Entry{entry(1, b(1, 1), x), entry(3, b(1, 1), y)}}},
			wantPromised: b(2, 2), wantAccepted: []protocol.Entry{entry(1, b(1, 1), x), {Slot: 2}, entry(3, b(1, 1), y)},
		},
		{
			name: "accept at the promised ballot is accepted", promised: b(1, 1), in: protocol.Msg{Kind: protocol.Accept, Ballot: b(1, 1), Slot: 1, Cmd: x},
			want: protocol.Msg{Kind: protocol.Accepted, Ballot: b(1, 1), Slot: 1}, wantPromised: b(1, 1), wantAccepted: []protocol.Entry{entry(1, b(1, 1), x)},
		},
		{
			name: "accept above the promise is accepted and raises it", promised: b(1, 1), in: protocol.Msg{Kind: protocol.Accept, Ballot: b(2, 1), Slot: 2, Cmd: y},
			want: protocol.Msg{Kind: protocol.Accepted, Ballot: b(2, 1), Slot: 2}, wantPromised: b(2, 1), wantAccepted: []protocol.Entry{{Slot: 1}, entry(2, b(2, 1), y)},
		},
		{
			name: "accept below the promise is rejected and changes nothing", promised: b(2, 2), accepted: []protocol.Entry{entry(1, b(1, 1), x)},
			in:   protocol.Msg{Kind: protocol.Accept, Ballot: b(2, 1), Slot: 1, Cmd: y},
			want: protocol.Msg{Kind: protocol.AcceptRejected, Ballot: b(2, 2), Slot: 1}, wantPromised: b(2, 2), wantAccepted: []protocol.Entry{entry(1, b(1, 1), x)},
		},
		{
			name: "a higher ballot overwrites what a slot accepted", promised: b(1, 1), accepted: []protocol.Entry{entry(1, b(1, 1), x)},
			in:   protocol.Msg{Kind: protocol.Accept, Ballot: b(3, 2), Slot: 1, Cmd: y},
			want: protocol.Msg{Kind: protocol.Accepted, Ballot: b(3, 2), Slot: 1}, wantPromised: b(3, 2), wantAccepted: []protocol.Entry{entry(1, b(3, 2), y)},
		},
		{
			name: "slot 0 is rejected", in: protocol.Msg{Kind: protocol.Accept, Ballot: b(1, 1), Slot: 0, Cmd: x},
			want: protocol.Msg{Kind: protocol.AcceptRejected, Ballot: b(0, 0), Slot: 0},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := &Acceptor{Promised: c.promised, Accepted: append([]protocol.Entry(nil), c.accepted...)}
			var got protocol.Msg
			if c.in.Kind == protocol.Prepare {
				got = a.Prepare(c.in.Ballot)
			} else {
				got = a.Accept(c.in.Ballot, c.in.Slot, c.in.Value())
			}
			assert.Equal(t, c.want, got)
			assert.Equal(t, c.wantPromised, a.Promised)
			assert.Equal(t, c.wantAccepted, a.Accepted)
		})
	}
}

func TestAcceptorCrashKeepsDurableState(t *testing.T) {
	a := &Acceptor{}
	a.Prepare(b(1, 1))
	a.Accept(b(1, 1), 1, protocol.One(protocol.Command{Op: protocol.Get, Key: sym("k")}))
	a.Crash()
	assert.Equal(t, b(1, 1), a.Promised)
	assert.Len(t, a.Accepted, 1)
	assert.Equal(t, protocol.PrepareRejected, a.Prepare(b(0, 9)).Kind, "the promise outlives the crash")
}
