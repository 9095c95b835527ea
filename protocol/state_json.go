package protocol

import (
	"strconv"

	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// StateJSONListMax bounds every list and map of a node's readable state
// (AppendStateJSON: accepted entries, log slots, queue, store, sessions),
// so that a state record stays small however long the run: a longer list
// shows only StateJSONListMax of its items (the latest slots; the first
// keys and clients) and says in a "<name>_omitted" member how many it left
// out.
const StateJSONListMax = 64

// AppendJSON appends the entry as a Promise lists it:
// {"slot":N,"ballot":[r,l],"cmd":{...}}, and a batch's "more":[...].
func (e Entry) AppendJSON(b []byte, n sim.Names) []byte {
	b = append(b, `{"slot":`...)
	b = strconv.AppendInt(b, e.Slot, 10)
	b = append(b, `,"ballot":`...)
	b = e.Ballot.AppendJSON(b)
	b = e.Value.AppendJSON(b, n)
	return append(b, '}')
}

// AppendJSONKey appends `,"key":` (or `"key":` when first), for the
// members of a readable state whose values are not strings or numbers.
func AppendJSONKey(b []byte, key string, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = sim.AppendJSONString(b, key)
	return append(b, ':')
}

// AppendJSONList appends `,"key":[item,...]` for the items of [0, n) that
// StateJSONListMax lets through: all of them, or the last ones when latest
// is set (a log's newest slots), else the first ones; item appends item i.
// When some are left out, `,"key_omitted":k` follows.
func AppendJSONList(b []byte, key string, n int, latest bool, item func(b []byte, i int) []byte) []byte {
	from, to := 0, n
	if n > StateJSONListMax {
		if latest {
			from = n - StateJSONListMax
		} else {
			to = StateJSONListMax
		}
	}
	b = AppendJSONKey(b, key, false)
	b = append(b, '[')
	for i := from; i < to; i++ {
		if i > from {
			b = append(b, ',')
		}
		b = item(b, i)
	}
	b = append(b, ']')
	if omitted := n - (to - from); omitted > 0 {
		b = sim.AppendJSONInt(b, key+"_omitted", int64(omitted))
	}
	return b
}

// AppendJSONObject appends `,"key":{member,...}` for the first
// StateJSONListMax of the n members (member appends member i, `"k":v`),
// then `,"key_omitted":k` when some are left out.
func AppendJSONObject(b []byte, key string, n int, member func(b []byte, i int) []byte) []byte {
	to := min(n, StateJSONListMax)
	b = AppendJSONKey(b, key, false)
	b = append(b, '{')
	for i := range to {
		if i > 0 {
			b = append(b, ',')
		}
		b = member(b, i)
	}
	b = append(b, '}')
	if n > to {
		b = sim.AppendJSONInt(b, key+"_omitted", int64(n-to))
	}
	return b
}
