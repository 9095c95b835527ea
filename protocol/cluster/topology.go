package cluster

import (
	"strconv"

	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
	"github.com/multipaxos-kv/multipaxos-kv/sim"
)

// The kinds of node, as their names begin: a node is its kind and a number
// from 1, e.g. "leader1". The pictures order their lanes by these.
const (
	KindLeader   = "leader"
	KindAcceptor = "acceptor"
	KindReplica  = "replica"
	KindClient   = "client"
	KindServer   = "server" // the kvstore's one unreplicated server
)

// Topology is who is who in a run: the ids of each kind of node, in the
// order the nodes are added to the engine (leaders, acceptors, replicas,
// then clients; or the kvstore's server, then clients). It is a value
// computed once from the scenario, so no code does arithmetic on ids.
type Topology struct {
	Leaders   []sim.NodeID
	Acceptors []sim.NodeID
	Replicas  []sim.NodeID
	Clients   []sim.NodeID
	Server    sim.NodeID // the kvstore's server, or sim.NoNode
	Names     []string   // every node's name, by id
	learners  []sim.NodeID
}

// NewTopology lays out the nodes of scenario s.
func NewTopology(s scenarios.Scenario) Topology {
	t := Topology{Server: sim.NoNode}
	add := func(ids *[]sim.NodeID, prefix string, n int) {
		for i := 1; i <= n; i++ {
			*ids = append(*ids, sim.NodeID(len(t.Names)))
			t.Names = append(t.Names, prefix+strconv.Itoa(i))
		}
	}
	if s.Protocol == "kvstore" {
		t.Server = 0
		t.Names = append(t.Names, KindServer+"1")
	} else {
		add(&t.Leaders, KindLeader, s.Nodes.Leaders)
		add(&t.Acceptors, KindAcceptor, s.Nodes.Acceptors)
		add(&t.Replicas, KindReplica, s.Nodes.Replicas)
	}
	add(&t.Clients, KindClient, s.Nodes.Clients)
	if t.Server != sim.NoNode {
		t.learners = []sim.NodeID{t.Server}
	} else {
		t.learners = append(append([]sim.NodeID(nil), t.Leaders...), t.Replicas...)
	}
	return t
}

// Learners are the nodes that apply the log, in id order: the leaders and
// the replicas, or the server.
func (t Topology) Learners() []sim.NodeID { return t.learners }

// Quorum is the size of a majority of acceptors.
func (t Topology) Quorum() int { return len(t.Acceptors)/2 + 1 }

// AcceptorIndex is the index of id among the acceptors, or -1.
func (t Topology) AcceptorIndex(id sim.NodeID) int {
	for i, a := range t.Acceptors {
		if a == id {
			return i
		}
	}
	return -1
}

// Lookup returns the id of the node with the given name.
func (t Topology) Lookup(name string) (sim.NodeID, bool) {
	for i, n := range t.Names {
		if n == name {
			return sim.NodeID(i), true
		}
	}
	return sim.NoNode, false
}
