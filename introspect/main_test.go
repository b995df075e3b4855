package introspect_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// testCtx ends with the test, or after a deadline so that a broken test
// fails instead of hanging, and carries a registry of the test's own.
func testCtx(t testing.TB) (context.Context, *axon.Registry) {
	t.Helper()
	ctx := axontest.ContextFor(t, 2*time.Minute)
	return ctx, axon.RegistryFrom(ctx)
}

// byteCounts is what a fake adapter reports of itself.
type byteCounts struct {
	in, out atomic.Int64
	remote  string
}

func (b *byteCounts) ReportStats() axon.Stats {
	return axon.Stats{BytesIn: b.in.Load(), BytesOut: b.out.Load(), Remote: b.remote}
}

// fakeServer is a server's component graph without sockets, so that a
// test can have ten thousand connections: a "ServerCore" with a
// "TCPServer" child and, per connection, a "CSA" (the boxes of
// internet's adapter, reporting byte counts) and an "Echo", grouped and
// linked the way internet.ServerCore does it.
type fakeServer struct {
	root, tcp *axon.Core
	conns     []fakeConn
}

type fakeConn struct {
	csa, handler *axon.Core
	bytes        *byteCounts
}

func idleStep(ctx context.Context, c *axon.Core) error { return nil }

var csaBoxes = []axon.Option{
	axon.WithInboxes(
		axon.Box("inbox", "data to write to the socket: []byte or string").WithLimit(axon.Limit{Messages: 64, Bytes: 256 << 10}),
		axon.Box("control", "producerFinished: flush, half-close, drain, close; shutdownMicroprocess: flush, close"),
		axon.Box("makessl", "any message: switch the connection to TLS"),
	),
	axon.WithOutboxes(
		axon.Box("outbox", "data read from the socket"),
		axon.Box("signal", "ShutdownCSA when the adapter ends"),
		axon.Box("CreatorFeedback", "SocketShutdown when the socket has closed"),
		axon.Box("sslready", "SSLReady once a makessl handshake has completed"),
		axon.Box("peerFinished", "SocketShutdown once no more data will come out of outbox"),
	),
}

// startFakeServer activates a fake server with n connections in ctx's
// registry; it ends with ctx, and the test waits for it.
func startFakeServer(t testing.TB, ctx context.Context, n int) *fakeServer {
	t.Helper()
	s := &fakeServer{
		root: axon.NewReactive("ServerCore", idleStep, axon.WithInboxes(
			axon.Box("control", "serverShutdown: shut down gracefully"),
			axon.Box("_socketactivity", "NewCSANotice and ShutdownCSA from the TCPServer").WithLimit(axon.Unbounded),
			axon.Box("_csasignal", "reports from the adapters").WithLimit(axon.Unbounded),
		), axon.WithOutboxes(axon.Box("signal", "ProducerFinished when the server has ended"))),
		tcp: axon.NewReactive("TCPServer", idleStep, axon.WithInboxes(
			axon.Box("control", "serverShutdown: stop listening"),
			axon.Box("_feedbackFromCSA", "SocketShutdown from the adapters").WithLimit(axon.Unbounded),
		), axon.WithOutboxes(axon.Box("protocolHandlerSignal", "NewCSANotice for each new connection"))),
	}
	must := func(_ *axon.Linkage, err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.root.Link(axon.Out(s.tcp, "protocolHandlerSignal"), axon.In(s.root, "_socketactivity")))
	kids := []axon.Component{s.tcp}
	for i := range n {
		fc := fakeConn{
			csa:     axon.NewReactive("CSA", idleStep, csaBoxes...),
			handler: axon.NewReactive("Echo", idleStep),
			bytes:   &byteCounts{remote: fmt.Sprintf("127.0.0.1:%d", 10000+i)},
		}
		fc.csa.SetStatsReporter(fc.bytes)
		fc.csa.SetGroup(fc.csa.ID())
		fc.handler.SetGroup(fc.csa.ID())
		must(s.root.Link(axon.Out(fc.csa, "outbox"), axon.In(fc.handler, "inbox")))
		must(s.root.Link(axon.Out(fc.handler, "outbox"), axon.In(fc.csa, "inbox")))
		must(s.root.Link(axon.Out(fc.handler, "signal"), axon.In(fc.csa, "control")))
		must(s.root.Link(axon.Out(fc.csa, "peerFinished"), axon.In(fc.handler, "control")))
		must(s.root.Link(axon.Out(fc.csa, "signal"), axon.In(s.root, "_csasignal")))
		must(s.tcp.Link(axon.Out(fc.csa, "CreatorFeedback"), axon.In(s.tcp, "_feedbackFromCSA")))
		s.conns = append(s.conns, fc)
		kids = append(kids, fc.csa, fc.handler)
	}
	if err := s.root.AddChildren(kids...); err != nil {
		t.Fatal(err)
	}
	if err := s.root.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.root.Stop()
		<-s.root.Done()
	})
	return s
}
