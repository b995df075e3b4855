package internet_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/leakcheck"
	"github.com/kamaelia-go/kamaelia/internet"
)

func TestMain(m *testing.M) {
	// Most of these tests wait on timers (idle and handshake timeouts,
	// lingers, a drain's quiet second, once-a-second logs), not on the
	// CPU. The tests that need the process to themselves, and those whose
	// timing a busy process would upset, do not call t.Parallel at their
	// top level.
	leakcheck.MainParallel(m, 4*runtime.GOMAXPROCS(0))
}

// testCtx ends with the test, or after a deadline so a broken test fails
// instead of hanging, and gives the test a registry of its own.
func testCtx(t testing.TB) (context.Context, *axon.Registry) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	r := axon.NewRegistry()
	return axon.NewContext(ctx, r), r
}

// tcpPair returns two ends of a loopback TCP connection.
func tcpPair(t testing.TB) (client, server *net.TCPConn) {
	t.Helper()
	ln := listenLoopback(t)
	defer ln.Close()
	return tcpPairOn(t, ln)
}

// listenLoopback listens on a free loopback port.
func listenLoopback(t testing.TB) *net.TCPListener {
	t.Helper()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// tcpPairOn returns two ends of a loopback TCP connection made through
// ln. Tests that make many connections share one listener: a listener
// per connection can run the machine out of ports that bind may use,
// while connect may reuse ports waiting out TIME_WAIT on loopback.
func tcpPairOn(t testing.TB, ln *net.TCPListener) (client, server *net.TCPConn) {
	t.Helper()
	type res struct {
		c   *net.TCPConn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := ln.AcceptTCP()
		ch <- res{c, err}
	}()
	c, err := net.DialTCP("tcp", nil, ln.Addr().(*net.TCPAddr))
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { c.Close(); r.c.Close() })
	return c, r.c
}

// sink collects what a connection delivers: the bytes from "outbox" and
// the notice from "peerFinished", in arrival order.
type sink struct {
	*axon.Core
	mu     sync.Mutex
	buf    bytes.Buffer
	notice *internet.SocketShutdown
	done   chan struct{}
	data   chan struct{} // signalled (without blocking) on each chunk
}

func newSink() *sink {
	k := &sink{done: make(chan struct{}), data: make(chan struct{}, 1)}
	k.Core = axon.NewReactive("sink", func(ctx context.Context, c *axon.Core) error {
		for {
			box, msg, ok := c.Next()
			if !ok {
				return nil
			}
			switch box {
			case "inbox":
				k.mu.Lock()
				k.buf.Write(msg.([]byte))
				k.mu.Unlock()
				select {
				case k.data <- struct{}{}:
				default:
				}
			case "control":
				if ss, ok := msg.(internet.SocketShutdown); ok {
					k.mu.Lock()
					k.notice = &ss
					k.mu.Unlock()
					close(k.done)
					return axon.ErrStop
				}
			}
		}
	}, axon.WithInboxes(axon.Box("inbox", "").WithLimit(axon.Unbounded), axon.Box("control", "")))
	return k
}

func (k *sink) bytes() []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	return bytes.Clone(k.buf.Bytes())
}

// waitFor waits until the sink holds n bytes or the context ends.
func (k *sink) waitFor(t testing.TB, ctx context.Context, n int) []byte {
	t.Helper()
	for {
		if b := k.bytes(); len(b) >= n {
			return b
		}
		select {
		case <-k.data:
		case <-k.done:
			if b := k.bytes(); len(b) >= n {
				return b
			}
			t.Fatalf("connection finished after %d of %d bytes", len(k.bytes()), n)
		case <-ctx.Done():
			t.Fatalf("got %d of %d bytes before the deadline", len(k.bytes()), n)
		}
	}
}

// attach wires a sink to a connection's data and peerFinished boxes.
func attach(t testing.TB, conn axon.Component, k *sink) {
	t.Helper()
	link(t, axon.Out(conn, "outbox"), axon.In(k, "inbox"))
	link(t, axon.Out(conn, "peerFinished"), axon.In(k, "control"))
}

// sunkCSA makes an adapter for conn whose data and peerFinished go to a
// new sink.
func sunkCSA(t testing.TB, conn net.Conn) (*internet.CSA, *sink) {
	t.Helper()
	csa, k := internet.NewCSA(conn), newSink()
	attach(t, csa, k)
	return csa, k
}

func link(t testing.TB, src, dst axon.BoxRef) {
	t.Helper()
	if _, err := axon.Link(src, dst); err != nil {
		t.Fatalf("link %v → %v: %v", src, dst, err)
	}
}

func activate(t testing.TB, ctx context.Context, cs ...axon.Component) {
	t.Helper()
	for _, c := range cs {
		if err := axon.CoreOf(c).Activate(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func waitDone(t testing.TB, ctx context.Context, cs ...axon.Component) {
	t.Helper()
	for _, c := range cs {
		select {
		case <-axon.CoreOf(c).Done():
		case <-ctx.Done():
			t.Fatalf("%s did not end", c.Name())
		}
	}
}

// echoCSA makes an adapter that echoes what it reads and finishes when
// its peer does (its outbox feeds its own inbox, peerFinished its own
// control), with the given options.
func echoCSA(t testing.TB, conn net.Conn, opts ...internet.CSAOption) *internet.CSA {
	t.Helper()
	csa := internet.NewCSA(conn, opts...)
	link(t, axon.Out(csa, "outbox"), axon.In(csa, "inbox"))
	link(t, axon.Out(csa, "peerFinished"), axon.In(csa, "control"))
	return csa
}

// readAll reads from conn until EOF or the context's deadline.
func readAll(t testing.TB, ctx context.Context, conn net.Conn) []byte {
	t.Helper()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetReadDeadline(dl)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(conn); err != nil {
		t.Fatalf("read: %v (after %d bytes)", err, buf.Len())
	}
	return buf.Bytes()
}

// inboxInfo returns what reg's snapshot says of the first inbox of the
// component called name: its whole name ("CSA#12"), or the name it was
// made with, before the "#" and its number. It is the zero BoxInfo if
// there is none.
func inboxInfo(reg *axon.Registry, name string) axon.BoxInfo {
	for _, ci := range reg.Snapshot().Components {
		if ci.Name == name || strings.HasPrefix(ci.Name, name+"#") {
			return ci.Inboxes[0]
		}
	}
	return axon.BoxInfo{}
}

// eventually is axontest.Eventually.
func eventually(t testing.TB, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	axontest.Eventually(t, ctx, what, cond)
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
