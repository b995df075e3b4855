package internet_test

import (
	"io"
	"net"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
)

// TestServerCoreGroupsConnections checks what introspection learns of a
// ServerCore's connections: each adapter and its handler share a group
// of their own, and the adapter reports its bytes and its peer.
func TestServerCoreGroupsConnections(t *testing.T) {
	t.Parallel()
	ctx, reg := testCtx(t)
	srv := startServerCore(t, ctx, echoFactory)
	const clients = 3
	conns := make([]*net.TCPConn, clients)
	for i := range conns {
		conns[i] = dialCore(t, srv)
		msg := make([]byte, 100*(i+1))
		if _, err := conns[i].Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(conns[i], msg); err != nil {
			t.Fatal(err)
		}
	}
	// The adapter counts what it wrote once the write has returned,
	// which may be after the client has read it: look until it has.
	var groups map[uint64][]string // group → names of its members
	var byPeer map[string]axon.Stats
	counted := func() bool {
		groups, byPeer = map[uint64][]string{}, map[string]axon.Stats{}
		for _, ci := range reg.Snapshot().Components {
			if ci.Group == 0 {
				continue
			}
			groups[ci.Group] = append(groups[ci.Group], ci.Name)
			if ci.Stats != nil {
				if ci.ID != ci.Group {
					t.Errorf("%s reports stats in group %d, want the adapter's own ID", ci.Name, ci.Group)
				}
				byPeer[ci.Stats.Remote] = *ci.Stats
			}
		}
		for i, c := range conns {
			st := byPeer[c.LocalAddr().String()]
			if want := int64(100 * (i + 1)); st.BytesIn != want || st.BytesOut != want {
				return false
			}
		}
		return true
	}
	eventually(t, ctx, "every adapter reports its peer and 100 bytes each way per client number", counted)
	if len(groups) != clients {
		t.Fatalf("%d groups, want one per connection (%d): %v", len(groups), clients, groups)
	}
	for g, members := range groups {
		if len(members) != 2 {
			t.Errorf("group %d holds %v, want an adapter and its handler", g, members)
		}
	}
}
