package kv

import (
	"strconv"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// Workload is what a client draws its requests from.
type Workload struct {
	Requests int      // how many requests each client sends
	Keys     []string // the key pool
	Values   []string // the value pool, val_0..val_{n-1}
	Get      int      // relative weight of get
	Put      int      // relative weight of put
	Delete   int      // relative weight of delete
}

// Values returns the value pool val_0 .. val_{n-1}, so that drawing a value
// allocates nothing. Pools of up to 1000 values share one read-only table
// built at start-up, so that a sweep does not rebuild it for every seed.
func Values(n int) []string {
	if n <= len(valueTable) {
		return valueTable[:n:n]
	}
	return makeValues(n)
}

var valueTable = makeValues(1000)

func makeValues(n int) []string {
	v := make([]string, n)
	for i := range v {
		v[i] = "val_" + strconv.Itoa(i)
	}
	return v
}

// Client is the original's random client, closed loop: it sends one request
// to its target (the leader, or the kvstore server), waits for the answer,
// and sends the next, until it has sent Workload.Requests of them. Each
// request is an invoke in the history and its answer a return.
type Client struct {
	Target   sim.NodeID
	Workload *Workload

	sent    uint64           // requests sent so far; the current one's Seq
	pending bool             // waiting for the answer to request sent
	cur     protocol.Command // the request in flight
}

// Start begins the client's requests, or carries on after a restart with a
// fresh request (the one in flight when it crashed stays unanswered).
func (c *Client) Start(env *Env) {
	if c.sent == 0 {
		env.Stepf("Starting — will send %d requests", c.Workload.Requests)
	} else {
		env.Stepf("Restarted after request %d", c.sent)
	}
	c.next(env)
}

// Receive takes the answer to the request in flight; answers to anything
// else (network duplicates) are ignored.
func (c *Client) Receive(env *Env, from sim.NodeID, m protocol.Msg) {
	if m.Kind != protocol.Reply || !c.pending || m.Cmd.Seq != c.cur.Seq || m.Cmd.Client != c.cur.Client {
		return
	}
	c.pending = false
	r := m.Result
	if env.Tracing() {
		env.Step(c.cur.String() + " -> " + Answer(c.cur, r))
	}
	env.Return(sim.Ret{ID: c.cur.Seq, OK: r.OK, Value: r.Value, HasValue: c.cur.Op == protocol.Get, Err: r.Err})
	c.next(env)
}

// Timer is unused for now: the client waits for its answer indefinitely.
func (c *Client) Timer(*Env, string, int64) {}

// Crash abandons the request in flight; the count of requests sent is kept
// so that request numbers are never reused.
func (c *Client) Crash() { c.pending = false }

// Done reports whether every request has been answered.
func (c *Client) Done() bool { return !c.pending && c.sent >= uint64(c.Workload.Requests) }

// next draws and sends the next request, if any are left.
func (c *Client) next(env *Env) {
	w := c.Workload
	if c.sent >= uint64(w.Requests) {
		env.Stepf("Finished all %d requests", w.Requests)
		return
	}
	r := env.Rand()
	cmd := protocol.Command{Client: env.Name(env.Self())}
	switch n := r.IntN(w.Get + w.Put + w.Delete); {
	case n < w.Get:
		cmd.Op = protocol.Get
	case n < w.Get+w.Put:
		cmd.Op = protocol.Put
	default:
		cmd.Op = protocol.Delete
	}
	cmd.Key = w.Keys[r.IntN(len(w.Keys))]
	if cmd.Op == protocol.Put {
		cmd.Value = w.Values[r.IntN(len(w.Values))]
	}
	c.sent++
	cmd.Seq = c.sent
	c.cur, c.pending = cmd, true
	if env.Tracing() {
		env.Step("request " + strconv.FormatUint(cmd.Seq, 10) + "/" + strconv.Itoa(w.Requests) + ": " + cmd.String() + " -> " + env.Name(c.Target))
	}
	env.Invoke(sim.Op{ID: cmd.Seq, Op: cmd.Op.String(), Key: cmd.Key, Value: cmd.Value})
	env.Send(c.Target, protocol.Msg{Kind: protocol.Request, Cmd: cmd})
}

// Reset returns the client to its state before its first start.
func (c *Client) Reset() { c.sent, c.pending, c.cur = 0, false, protocol.Command{} }
