package sim

import "encoding/json"

// TraceEv is the kind of a JSON trace record, its "ev" member. The engine
// writes every kind but EvInvoke, EvReturn and EvSummary, which the layer
// that knows the protocol's history writes (protocol/cluster, through the
// same Tracer and in the same order); readers (the pictures, tests) switch
// on these constants, so that a kind is spelled in one place.
type TraceEv string

// The record kinds of the JSON-lines trace, with the members each carries
// besides "t", "seq" and "ev".
const (
	EvSend      TraceEv = "send"      // mid, from, to, msg
	EvDeliver   TraceEv = "deliver"   // mid, from, to, msg; note "duplicate" for the network's extra copy
	EvDrop      TraceEv = "drop"      // mid, from, to, msg, reason
	EvTimer     TraceEv = "timer"     // node, name
	EvCrash     TraceEv = "crash"     // node
	EvRestart   TraceEv = "restart"   // node
	EvPartition TraceEv = "partition" // groups: node names, one list per side
	EvHeal      TraceEv = "heal"      // no members
	EvCut       TraceEv = "cut"       // from, to: messages from -> to are lost until a heal
	EvHold      TraceEv = "hold"      // from, to, for: messages from -> to wait until the hold ends
	EvStep      TraceEv = "step"      // node, text
	EvInvoke    TraceEv = "invoke"    // client, id, op, key; value for a put
	EvReturn    TraceEv = "return"    // client, id, ok; value or error
	// EvState follows every event, only when the run asks for it
	// (Engine.TraceStates): event, nodes. Readers that do not know it
	// ignore it.
	EvState TraceEv = "state"
	// EvSummary is the last record, written by the layer that runs a
	// scenario (protocol/cluster), not by the engine; its members are that
	// layer's.
	EvSummary TraceEv = "summary"
)

// The members of the engine's JSON trace records. TraceRecord's tags name
// the same members (a test holds them together).
const (
	FieldT      = "t"      // virtual time in nanoseconds
	FieldSeq    = "seq"    // 1, 2, ... in the order written
	FieldEv     = "ev"     // the record's TraceEv
	FieldMid    = "mid"    // a message's number, shared by its send and its fates
	FieldFrom   = "from"   // the sender's node name
	FieldTo     = "to"     // the receiver's node name
	FieldMsg    = "msg"    // the message as its AppendJSON writes it
	FieldReason = "reason" // why a message was dropped: DropLoss, DropPartition, DropCrashed
	FieldNote   = "note"   // on a deliver: NoteDuplicate
	FieldNode   = "node"   // the node that stepped, crashed, restarted or whose timer fired
	FieldName   = "name"   // a timer's name
	FieldText   = "text"   // a step's narration
	FieldGroups = "groups" // a partition's sides
	FieldClient = "client" // the client of an invoke or return
	FieldID     = "id"     // the client's request number
	FieldOp     = "op"     // the operation of an invoke
	FieldKey    = "key"    // the key of an invoke
	FieldValue  = "value"  // a put's value, or a get's result
	FieldOK     = "ok"     // whether a request succeeded
	FieldError  = "error"  // a failed request's error text
	FieldFor    = "for"    // how long a hold lasts, in nanoseconds
	FieldEvent  = "event"  // a state record's event, as a schedule names it (without its time)
	FieldNodes  = "nodes"  // a state record's nodes: name to readable state, for those the event changed
)

// The values of a drop's "reason" and of a delivery's "note".
const (
	DropLoss      = "loss"      // the network lost it by chance (Config.Drop)
	DropPartition = "partition" // sender and receiver were on different sides
	DropCrashed   = "crashed"   // the receiver was down when it arrived
	DropCut       = "cut"       // the link from the sender to the receiver was cut
	NoteDuplicate = "duplicate" // the network's extra copy (Config.Duplicate)
)

// TraceRecord is one record of the engine's JSON trace as a reader decodes
// it: every member any kind carries, zero when absent (Value and OK are
// pointers, so that absent and empty differ). Members of the summary
// record are not here: they belong to the layer that writes it.
type TraceRecord struct {
	T      int64           `json:"t"`
	Seq    uint64          `json:"seq"`
	Ev     TraceEv         `json:"ev"`
	Mid    uint64          `json:"mid"`
	From   string          `json:"from"`
	To     string          `json:"to"`
	Msg    json.RawMessage `json:"msg"`
	Reason string          `json:"reason"`
	Note   string          `json:"note"`
	Node   string          `json:"node"`
	Name   string          `json:"name"`
	Text   string          `json:"text"`
	Groups [][]string      `json:"groups"`
	Client string          `json:"client"`
	ID     uint64          `json:"id"`
	Op     string          `json:"op"`
	Key    string          `json:"key"`
	Value  *string         `json:"value"`
	OK     *bool           `json:"ok"`
	Error  string          `json:"error"`
	For    int64           `json:"for"`
	Event  string          `json:"event"`
	// Nodes is a state record's readable states, by node name.
	Nodes map[string]json.RawMessage `json:"nodes"`
}
