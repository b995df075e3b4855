package internet_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/testpki"
	"github.com/kamaelia-go/kamaelia/internet"
)

// startServerCore runs a ServerCore on loopback port 0 and stops it when
// the test ends, waiting for it to be done.
func startServerCore(t testing.TB, ctx context.Context, factory internet.Factory, opts ...internet.ServerCoreOption) *internet.ServerCore {
	t.Helper()
	opts = append([]internet.ServerCoreOption{internet.Host("127.0.0.1"), internet.Logger(discardLogger())}, opts...)
	srv, err := internet.NewServerCore(factory, 0, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Stop()
		<-srv.Done()
	})
	return srv
}

func echoFactory(internet.ConnInfo) (axon.Component, error) { return components.NewEcho(), nil }

// dialCore connects to a server; the test closes the connection.
func dialCore(t testing.TB, srv interface{ Addr() *net.TCPAddr }) *net.TCPConn {
	t.Helper()
	c, err := net.DialTCP("tcp", nil, srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// expectClosed asserts that the server closes conn without sending it
// anything: a read ends with EOF or a reset before the deadline.
func expectClosed(t testing.TB, conn net.Conn, what string) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := conn.Read(make([]byte, 1))
	if !closedRead(n, err) {
		t.Fatalf("%s: read = %d, %v; want the connection closed", what, n, err)
	}
}

// closedRead reports whether a read's result says the server closed the
// connection without sending anything: no bytes, and EOF or a reset,
// not a timeout.
func closedRead(n int, err error) bool {
	var ne net.Error
	return n == 0 && err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

func TestServerCoreThousandClientsGetTheirOwnBytes(t *testing.T) {
	if testing.Short() {
		t.Parallel() // 50 clients: light enough to share the process; the full size runs alone
	}
	tests := []struct {
		name    string
		clients int
		opts    []internet.ServerCoreOption
	}{
		{"fresh chunks", axontest.ShortOr(50, 1000), nil},
		// Chunks written are reused for later reads: any mix-up between
		// connections would show as a client getting others' bytes.
		{"recycled chunks", axontest.ShortOr(50, 300), []internet.ServerCoreOption{internet.RecycleWrittenChunks()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { testClientsGetTheirOwnBytes(t, tc.clients, tc.opts...) })
	}
}

func testClientsGetTheirOwnBytes(t *testing.T, clients int, opts ...internet.ServerCoreOption) {
	const size = 100 << 10
	ctx, _ := testCtx(t)
	srv := startServerCore(t, ctx, echoFactory, opts...)
	echoClients(t, ctx, srv.Addr(), clients, size)
}

// echoClients runs that many echoClients of size bytes at once, and fails the
// test if any fails.
func echoClients(t *testing.T, ctx context.Context, addr *net.TCPAddr, clients, size int) {
	t.Helper()
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() { errs <- echoClient(ctx, addr, size, i) })
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			if failed++; failed <= 5 {
				t.Error(err)
			}
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d clients failed", failed, clients)
	}
}

// echoClient sends size random bytes, half-closes, and checks that
// exactly those bytes come back before EOF.
func echoClient(ctx context.Context, addr *net.TCPAddr, size, id int) error {
	d := net.Dialer{}
	c, err := d.DialContext(ctx, "tcp", addr.String())
	if err != nil {
		return fmt.Errorf("client %d: %w", id, err)
	}
	defer c.Close()
	conn := c.(*net.TCPConn)
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	payload := make([]byte, size)
	rand.Read(payload)
	werr := make(chan error, 1)
	go func() {
		_, err := conn.Write(payload)
		if err == nil {
			err = conn.CloseWrite()
		}
		werr <- err
	}()
	got, rerr := io.ReadAll(conn)
	if err := <-werr; err != nil {
		return fmt.Errorf("client %d: write: %w", id, err)
	}
	if rerr != nil {
		return fmt.Errorf("client %d: read after %d bytes: %w", id, len(got), rerr)
	}
	if !bytes.Equal(got, payload) {
		return fmt.Errorf("client %d: got %d bytes back, want its own %d", id, len(got), size)
	}
	return nil
}

func TestServerCoreFactoryGetsConnectionDetails(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	infos := make(chan internet.ConnInfo, 1)
	srv := startServerCore(t, ctx, func(info internet.ConnInfo) (axon.Component, error) {
		infos <- info
		return components.NewEcho(), nil
	})
	c := dialCore(t, srv)
	info := <-infos
	la := c.LocalAddr().(*net.TCPAddr)
	want := internet.ConnInfo{PeerHost: "127.0.0.1", PeerPort: la.Port, LocalHost: "127.0.0.1", LocalPort: srv.Port()}
	if info != want {
		t.Fatalf("ConnInfo = %+v, want %+v", info, want)
	}
	echoOnce(t, c, "hello")
}

func TestServerCoreFactoryErrorClosesOnlyThatConnection(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	var calls atomic.Int32
	srv := startServerCore(t, ctx, func(internet.ConnInfo) (axon.Component, error) {
		if calls.Add(1) == 1 {
			return nil, errors.New("no handler for you")
		}
		return components.NewEcho(), nil
	})
	expectClosed(t, dialCore(t, srv), "refused by the factory")
	echoOnce(t, dialCore(t, srv), "still serving")
}

func TestServerCoreConnectionLimit(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	srv := startServerCore(t, ctx, echoFactory, internet.MaxConnections(2))
	a, b := dialCore(t, srv), dialCore(t, srv)
	echoOnce(t, a, "a")
	echoOnce(t, b, "b")
	expectClosed(t, dialCore(t, srv), "third connection")
	a.Close()
	eventually(t, ctx, "a's connection to end", func() bool { return srv.Connections() == 1 })
	echoOnce(t, dialCore(t, srv), "room again")
	echoOnce(t, b, "b still served")
}

func TestServerCoreIdleTimeout(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	// Long enough that one round trip on a loaded machine never takes
	// it, which would reset the busy connection: the busy client and its
	// handler share this process with the other tests, and a reply the
	// handler has yet to work out is time without progress (see
	// IdleTimeout). One second was seen to run out under three quick
	// suites at once.
	const idle = 2 * time.Second
	causes := make(chan error, 2)
	srv := startServerCore(t, ctx, func(internet.ConnInfo) (axon.Component, error) {
		return axon.NewReactive("recorder", func(ctx context.Context, c *axon.Core) error {
			for {
				box, msg, ok := c.Next()
				if !ok {
					return ctx.Err()
				}
				switch {
				case box == "inbox":
					_ = c.Send(ctx, "outbox", msg)
				case axon.IsProducerFinished(msg):
					// The adapter's own notice that reading has
					// ended comes first, then the server's.
					if err := axon.Cause(msg); err != nil {
						causes <- err
						return axon.ErrStop
					}
				}
			}
		}), nil
	}, internet.IdleTimeout(idle))

	busy := dialCore(t, srv)
	quiet := dialCore(t, srv)
	// Keep one connection busy for one and a half idle periods (the
	// quiet one is closed after one): a round trip every tenth of one.
	tick := time.NewTicker(idle / 10)
	defer tick.Stop()
	until := time.Now().Add(3 * idle / 2)
	for time.Now().Before(until) {
		echoOnce(t, busy, "ping")
		<-tick.C
	}
	expectClosed(t, quiet, "idle connection")
	if err := <-causes; !errors.Is(err, internet.ErrIdleTimeout) {
		t.Fatalf("handler's SocketShutdown cause = %v; want ErrIdleTimeout", err)
	}
	echoOnce(t, busy, "busy connection still open")
}

func TestServerCoreHandlerPanicClosesOnlyItsConnection(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	var logBuf axontest.Buffer
	log := slog.New(slog.NewTextHandler(&logBuf, nil))
	panicky := func(internet.ConnInfo) (axon.Component, error) {
		return axon.NewReactive("panicky", func(ctx context.Context, c *axon.Core) error {
			for m := range c.Drain("inbox") {
				if string(m.([]byte)) == "boom" {
					panic("handler blew up")
				}
				_ = c.Send(ctx, "outbox", m)
			}
			if _, ok := c.Recv("control"); ok {
				return axon.ErrStop
			}
			return ctx.Err()
		}), nil
	}
	srv := startServerCore(t, ctx, panicky, internet.Logger(log))
	good, bad := dialCore(t, srv), dialCore(t, srv)
	echoOnce(t, good, "before")
	bad.Write([]byte("boom"))
	expectClosed(t, bad, "connection whose handler panicked")
	echoOnce(t, good, "after")
	peer := bad.LocalAddr().String()
	eventually(t, ctx, "the panic logged with the peer's address", func() bool {
		s := logBuf.String()
		return bytes.Contains([]byte(s), []byte(peer)) && bytes.Contains([]byte(s), []byte("handler blew up"))
	})
}

func TestServerCoreServerSignalStopsTheServer(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	stopper := func(internet.ConnInfo) (axon.Component, error) {
		return axon.NewReactive("stopper", func(ctx context.Context, c *axon.Core) error {
			for box, msg, ok := c.Next(); ok; box, msg, ok = c.Next() {
				switch {
				case box == "inbox" && string(msg.([]byte)) == "stop":
					// Stop the server, and finish this connection: a
					// drain waits for it otherwise.
					_ = c.Send(ctx, "outbox", []byte("bye"))
					_ = c.Send(ctx, "serversignal", internet.ServerShutdown{})
					_ = c.Send(ctx, "signal", axon.ProducerFinished{})
					return axon.ErrStop
				case box == "inbox":
					_ = c.Send(ctx, "outbox", msg)
				case axon.IsShutdownRequest(msg):
					_ = c.Send(ctx, "signal", msg)
					return axon.ErrStop
				}
			}
			return ctx.Err()
		}, axon.AddOutbox(axon.Box("serversignal", "stops the whole server"))), nil
	}
	srv := startServerCore(t, ctx, stopper)
	sig := axontest.Handle(t, srv)
	c := dialCore(t, srv)
	echoOnce(t, c, "hi")
	c.Write([]byte("stop"))
	if got := readAll(t, ctx, c); string(got) != "bye" {
		t.Fatalf("got %q before the close, want %q", got, "bye")
	}
	c.Close() // the server waits for its clients to finish
	m, err := sig.Get(ctx, "signal")
	if err != nil || !axon.IsProducerFinished(m) || axon.Cause(m) != nil {
		t.Fatalf("signal = %v, %v; want a clean ProducerFinished", m, err)
	}
	<-srv.Done()
	if _, err := net.DialTCP("tcp", nil, srv.Addr()); err == nil {
		t.Fatal("the server still accepts after serversignal")
	}
}

func TestServerCoreControlShutdownIsGraceful(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	srv := startServerCore(t, ctx, echoFactory)
	h := axontest.Handle(t, srv)
	c := dialCore(t, srv)
	echoOnce(t, c, "hello")
	if err := h.Put(ctx, "control", internet.ServerShutdown{}); err != nil {
		t.Fatal(err)
	}
	// The connection is still served both ways until the client
	// finishes; then the server ends.
	echoOnce(t, c, "still served")
	c.CloseWrite()
	if got := readAll(t, ctx, c); len(got) != 0 {
		t.Fatalf("unexpected data %q", got)
	}
	<-srv.Done()
	if err := srv.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestServeTLSSpeaksTLSFromTheFirstByte(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	p := testpki.New(t)
	infos := make(chan internet.ConnInfo, 1)
	srv := startServerCore(t, ctx, func(info internet.ConnInfo) (axon.Component, error) {
		infos <- info
		return components.NewEcho(), nil
	}, internet.ServeTLS(p.ServerConfig()))
	cfg := p.ClientConfig()
	cfg.ServerName = "localhost"
	c, err := tls.Dial("tcp", srv.Addr().String(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	echoOnce(t, c, "secret")
	if info := <-infos; !info.TLS {
		t.Fatal("ConnInfo.TLS = false under ServeTLS")
	}
}

func TestNewServerCoreErrors(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := ln.Addr().(*net.TCPAddr).Port
	tests := []struct {
		name    string
		factory internet.Factory
		port    int
	}{
		{"nil factory", nil, 0},
		{"port in use", echoFactory, busy},
		{"bad port", echoFactory, 70000},
	}
	for _, tc := range tests {
		srv, err := internet.NewServerCore(tc.factory, tc.port, internet.Host("127.0.0.1"), internet.ReuseAddress(false))
		if err == nil {
			srv.Shutdown(context.Background())
			t.Errorf("%s: no error", tc.name)
		}
	}
}

// While one connection's set-up is stuck (here, in the factory), the
// server goes on accepting: connections wait in TCPServer's
// "newconnection" rather than in the kernel's listen queue, which is far
// smaller here (Backlog 2) than the number of clients. Then every client
// is served.
func TestServerCoreAcceptsWhileSetUpIsSlow(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	blocked, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	srv := startServerCore(t, ctx, func(internet.ConnInfo) (axon.Component, error) {
		if calls.Add(1) == 1 {
			close(blocked)
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		return components.NewEcho(), nil
	}, internet.Backlog(2))
	first := dialCore(t, srv)
	<-blocked

	// One after another: a client finds room in the listen queue only if
	// the server has accepted the ones before it. Each sends its message
	// at once: when the kernel's SYN cookies answer a client whose final
	// handshake packet then finds the queue full, the server side never
	// comes to be until the client sends something.
	const clients = 20
	conns := make(chan *net.TCPConn, clients)
	go func() {
		for i := range clients {
			c, err := net.DialTCP("tcp", nil, srv.Addr())
			if err == nil {
				_, err = c.Write([]byte(fmt.Sprint("client ", i)))
			}
			if err != nil {
				t.Error(err)
			}
			conns <- c
		}
	}()
	// An accepted connection waits in the TCPServer's "newconnection", or,
	// once the TCPServer has made its adapter, in the ServerCore's inbox
	// for new adapters (where that is depends on which goroutine runs the
	// ServerCore's stuck step).
	accepted, announced := srv.TCPServer().Inbox("newconnection"), srv.Inbox("_socketactivity")
	eventually(t, ctx, "all clients accepted while the first is being set up", func() bool {
		return accepted.DataReady()+announced.DataReady() == clients
	})
	close(release)
	echoOnce(t, first, "first")
	for i := range clients {
		c := <-conns
		if c == nil {
			t.FailNow()
		}
		defer c.Close()
		want := fmt.Sprint("client ", i)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		got := make([]byte, len(want))
		if _, err := io.ReadFull(c, got); err != nil || string(got) != want {
			t.Fatalf("echo of %q = %q, %v", want, got, err)
		}
	}
}

// TestHandlerHearsOfBadDataItSent: a handler that sends its connection
// something it cannot write (an int) hears of it on "control", as an
// ErrorInformation matching ErrBadMessage, and the connection goes on.
func TestHandlerHearsOfBadDataItSent(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	heard := make(chan any, 1)
	srv := startServerCore(t, ctx, func(internet.ConnInfo) (axon.Component, error) {
		return axon.NewReactive("careless", func(ctx context.Context, c *axon.Core) error {
			for box, msg, ok := c.Next(); ok; box, msg, ok = c.Next() {
				switch box {
				case "inbox":
					if err := c.Send(ctx, "outbox", 42); err != nil {
						return err
					}
					if err := c.Send(ctx, "outbox", msg); err != nil {
						return err
					}
				case "control":
					if ei, ok := msg.(axon.ErrorInformation); ok {
						heard <- ei
						continue
					}
					return axon.ErrStop
				}
			}
			return nil
		}), nil
	})
	conn := dialCore(t, srv)
	echoOnce(t, conn, "still served")
	select {
	case m := <-heard:
		if ei := m.(axon.ErrorInformation); !errors.Is(ei.Err, internet.ErrBadMessage) {
			t.Fatalf("the handler heard %v; want ErrBadMessage", ei.Err)
		}
	case <-ctx.Done():
		t.Fatal("the handler heard nothing")
	}
}
