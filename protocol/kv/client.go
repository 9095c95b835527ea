package kv

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"

	"github.com/multipaxos-kv/multipaxos-kv/protocol"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// Workload is what a client draws its requests from.
type Workload struct {
	Requests int          // how many requests each client sends
	Keys     []sim.Sym    // the key pool, as symbols of the run
	Values   int          // the size of the value pool, val_0..val_{Values-1}
	Syms     *sim.Symbols // the run's symbols: a value is interned when first drawn
	Get      int          // relative weight of get
	Put      int          // relative weight of put
	Delete   int          // relative weight of delete

	vals  []sim.Sym // the symbol of val_i once drawn (0: not yet)
	texts []string  // val_i's name once drawn, kept across Redraw
	mark  int       // the symbols before the first value (Redraw)
}

// NewWorkload is a workload on keys, interned in syms, with values
// val_0..val_{values-1}.
func NewWorkload(syms *sim.Symbols, requests int, keys []string, values, get, put, del int) *Workload {
	w := &Workload{Requests: requests, Values: values, Syms: syms, Get: get, Put: put, Delete: del}
	for _, k := range keys {
		w.Keys = append(w.Keys, syms.Intern(k))
	}
	w.mark = syms.Len()
	return w
}

// Redraw forgets the values drawn so far and their symbols, for scripts
// drawn anew with another seed: the values then get the symbols they would
// get in a new run, so that a reused cluster is the same state as a new one.
func (w *Workload) Redraw() {
	if w.mark > 0 {
		w.Syms.Truncate(w.mark)
	}
	clear(w.vals)
}

// value is the symbol of val_i, interned on first use: a pool of a million
// values costs only what is drawn from it.
func (w *Workload) value(i int) sim.Sym {
	if len(w.vals) < w.Values {
		w.vals = append(w.vals, make([]sim.Sym, w.Values-len(w.vals))...)
		w.texts = append(w.texts, make([]string, w.Values-len(w.texts))...)
	}
	if w.vals[i] == 0 {
		if w.texts[i] == "" {
			w.texts[i] = ValueName(i)
		}
		w.vals[i] = w.Syms.Intern(w.texts[i])
	}
	return w.vals[i]
}

// ValueName is the name of the i-th value of a pool: val_i.
func ValueName(i int) string { return "val_" + strconv.Itoa(i) }

// Client is the original's random client, closed loop: it sends one request
// to its target (the leader, or the kvstore server), waits for the answer,
// and sends the next, until it has sent Workload.Requests of them. Each
// request is an invoke in the history and its answer a return.
//
// With no answer after Timeout it sends the same request (same client name
// and number, so it takes effect once) again, at most Retries times: once
// more to the node that answered last (its answer was probably lost), else
// to the next of its Targets; then it gives up on it and stops. A Redirect from a
// standby leader sends it at once to the leader named (Targets[i] is leader
// i+1), as a retry. The original had one leader and a direct handle to it:
// with one target, retries go there.
//
// It draws each request as it sends it (Workload.Draw), from its own stream
// of the seed, which it holds as a value: the stream's position is a
// function of the seed and the requests sent, so the client is still a
// state machine that the explorer copies and compares, and a run of ten
// million requests keeps none of them.
type Client struct {
	Targets []sim.NodeID
	// Work is what the client draws its requests from (configuration, shared).
	Work    *Workload
	Timeout sim.Time
	Retries int

	gen  rand.PCG // the client's stream: where the next request's draws come from
	gen0 rand.PCG // the stream at its start (SetStream), for Reset

	sent    uint64           // requests sent so far; the current one's Seq
	pending bool             // waiting for the answer to request sent
	cur     protocol.Command // the request in flight
	target  int              // index in Targets of where it went
	known   int              // index in Targets of the node that answered last
	stayed  bool             // the current request was already re-sent to known once
	tries   int              // re-sends of the current request
	gaveUp  bool
}

// Draw draws request seq of client from r: the operation by the mix's
// weights, a key, and for a put a value. Requests are numbered from 1, and
// drawn in order from one stream.
func (w *Workload) Draw(client sim.NodeID, seq uint64, r *rand.Rand) protocol.Command {
	cmd := protocol.Command{Client: client, Seq: seq}
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
		cmd.Value = w.value(r.IntN(w.Values))
	}
	return cmd
}

// SetStream makes gen the client's stream (sim.PCG(seed, "node/NAME")),
// from which it draws its requests.
func (c *Client) SetStream(gen rand.PCG) { c.gen, c.gen0 = gen, gen }

// requests is how many requests the client is to send.
func (c *Client) requests() int {
	if c.Work == nil {
		return 0
	}
	return c.Work.Requests
}

// Requests is how many requests the client is to send.
func (c *Client) Requests() int { return c.requests() }

// Start begins the client's requests, or carries on after a restart with a
// fresh request (the one in flight when it crashed stays unanswered).
func (c *Client) Start(env *Env) {
	if c.sent == 0 {
		env.Stepf("Starting — will send %d requests", c.requests())
	} else {
		env.Stepf("Restarted after request %d", c.sent)
	}
	c.next(env)
}

// Receive takes the answer to the request in flight; answers to anything
// else (network duplicates) are ignored.
func (c *Client) Receive(env *Env, from sim.NodeID, m protocol.Msg) {
	if !c.pending || m.Cmd.Seq != c.cur.Seq || m.Cmd.Client != c.cur.Client {
		return
	}
	if m.Kind == protocol.Redirect {
		c.redirect(env, from, m.Ballot.LeaderID)
		return
	}
	if m.Kind != protocol.Reply {
		return
	}
	c.pending = false
	c.known = c.target
	env.CancelTimer(protocol.TimerRequest)
	r := m.Result
	if env.Tracing() {
		env.Step(c.cur.Text(env) + " -> " + Answer(env, c.cur, r))
	}
	env.Record(protocol.Msg{Kind: protocol.Reply, Cmd: c.cur, Result: r}) // the answer, for the history
	c.next(env)
}

// Timer re-sends the request in flight when its answer is late, to the
// next target, or gives up after Retries re-sends.
func (c *Client) Timer(env *Env, _ sim.TimerKind) {
	if !c.pending {
		return
	}
	from := env.Name(c.Targets[c.target])
	if c.tries >= c.Retries {
		env.Stepf("no answer to request %d after %d retries: giving up (it may or may not have taken effect)", c.cur.Seq, c.tries)
		env.Note(protocol.NoteGaveUp)
		c.pending, c.gaveUp = false, true
		return
	}
	c.tries++
	env.Note(protocol.NoteClientRetry)
	// The node that answered last is probably still the leader and the
	// message was lost: try it once more before moving on.
	if c.target == c.known && !c.stayed {
		c.stayed = true
	} else {
		c.target = (c.target + 1) % len(c.Targets)
	}
	env.Stepf("no answer to request %d from %s after %v: sending it again to %s (retry %d/%d)", c.cur.Seq, from, c.Timeout, env.Name(c.Targets[c.target]), c.tries, c.Retries)
	c.send(env)
}

// redirect follows a standby leader's hint: it sends the request now to
// leader number hint, counting it as a retry so that stale hints cannot
// bounce a request forever.
func (c *Client) redirect(env *Env, from sim.NodeID, hint int32) {
	if hint < 1 || int(hint) > len(c.Targets) || int(hint-1) == c.target || from != c.Targets[c.target] {
		return
	}
	env.CancelTimer(protocol.TimerRequest)
	if c.tries >= c.Retries {
		env.Stepf("%s redirects request %d to leader%d, but no retries are left: giving up (it may or may not have taken effect)", env.Name(from), c.cur.Seq, hint)
		env.Note(protocol.NoteGaveUp)
		c.pending, c.gaveUp = false, true
		return
	}
	c.tries++
	env.Note(protocol.NoteClientRetry)
	c.target = int(hint - 1)
	env.Stepf("%s redirects request %d: sending it to %s (retry %d/%d)", env.Name(from), c.cur.Seq, env.Name(c.Targets[c.target]), c.tries, c.Retries)
	c.send(env)
}

// Crash abandons the request in flight; the count of requests sent is kept
// so that request numbers are never reused.
func (c *Client) Crash() { c.pending = false }

// Done reports whether the client has finished: every request answered, or
// given up.
func (c *Client) Done() bool {
	return !c.pending && (c.gaveUp || c.sent >= uint64(c.requests()))
}

// Progress is how many requests the client sent and how many of them were
// answered, for summaries.
func (c *Client) Progress() (sent, answered int) {
	answered = int(c.sent)
	if c.pending || c.gaveUp {
		answered--
	}
	return int(c.sent), answered
}

// Finished reports whether every request was sent and answered: a client
// that gave up is done but not finished.
func (c *Client) Finished() bool {
	return !c.pending && !c.gaveUp && c.sent >= uint64(c.requests())
}

// send sends the current request to the current target, with its timeout.
func (c *Client) send(env *Env) {
	env.Send(c.Targets[c.target], protocol.Msg{Kind: protocol.Request, Cmd: c.cur})
	env.SetTimer(protocol.TimerRequest, c.Timeout, 0)
}

// next sends the next request of the script, if any are left.
func (c *Client) next(env *Env) {
	n := c.requests()
	if c.sent >= uint64(n) || c.gaveUp {
		if !c.gaveUp {
			env.Stepf("Finished all %d requests", n)
		}
		return
	}
	c.sent++
	cmd := c.Work.Draw(env.Self(), c.sent, rand.New(&c.gen))
	c.cur, c.pending, c.tries, c.stayed = cmd, true, 0, false
	if env.Tracing() {
		env.Step("request " + strconv.FormatUint(cmd.Seq, 10) + "/" + strconv.Itoa(n) + ": " + cmd.Text(env) + " -> " + env.Name(c.Targets[c.target]))
	}
	env.Record(protocol.Msg{Kind: protocol.Request, Cmd: cmd}) // the invocation, for the history
	c.send(env)
}

// Reset returns the client to its state before its first start.
func (c *Client) Reset() {
	c.sent, c.pending, c.cur, c.target, c.known, c.stayed, c.tries, c.gaveUp = 0, false, protocol.Command{}, 0, 0, false, 0, false
	c.gen = c.gen0
}

// Clone implements sim.Node; the configuration (targets, workload) is
// shared; the stream is a value, copied.
func (c *Client) Clone(into sim.Node[protocol.Msg]) sim.Node[protocol.Msg] {
	d, _ := into.(*Client)
	if d == nil {
		d = &Client{}
	}
	*d = *c
	return d
}

// AppendState implements sim.Node.
func (c *Client) AppendState(b []byte) []byte {
	b = binary.AppendUvarint(b, c.sent)
	b = append(b, boolByte(c.pending), boolByte(c.stayed), boolByte(c.gaveUp))
	b = binary.AppendUvarint(b, uint64(c.target))
	b = binary.AppendUvarint(b, uint64(c.known))
	return binary.AppendUvarint(b, uint64(c.tries))
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}
