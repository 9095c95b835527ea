package protocol

import "strconv"

// Ballot is a Paxos ballot number: a round and the id of the leader that
// owns it. Ballots are totally ordered, round first, then leader id, so two
// leaders never share one. The zero Ballot is below every real ballot.
type Ballot struct {
	Round    int32
	LeaderID int32
}

// Compare returns -1, 0 or +1 as b is below, equal to or above o.
func (b Ballot) Compare(o Ballot) int {
	switch {
	case b.Round != o.Round:
		if b.Round < o.Round {
			return -1
		}
		return 1
	case b.LeaderID != o.LeaderID:
		if b.LeaderID < o.LeaderID {
			return -1
		}
		return 1
	}
	return 0
}

// Less reports whether b is below o.
func (b Ballot) Less(o Ballot) bool { return b.Compare(o) < 0 }

// String renders the ballot as the original did: (round,leader).
func (b Ballot) String() string {
	return "(" + strconv.FormatInt(int64(b.Round), 10) + "," + strconv.FormatInt(int64(b.LeaderID), 10) + ")"
}

// AppendJSON appends the ballot as the JSON trace writes it: [round,leader].
func (b Ballot) AppendJSON(dst []byte) []byte {
	dst = append(dst, '[')
	dst = strconv.AppendInt(dst, int64(b.Round), 10)
	dst = append(dst, ',')
	dst = strconv.AppendInt(dst, int64(b.LeaderID), 10)
	return append(dst, ']')
}
