package internet_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internet"
)

// wirer stands in for ServerCore in these tests: for each NewCSANotice it
// builds a handler with make (nil: the adapter echoes to itself), wires
// it as ServerCore does, adopts and activates both; it records the
// ShutdownCSA notices and counts ShutdownBegun.
type wirer struct {
	*axon.Core
	mu    sync.Mutex
	ended []internet.ShutdownCSA
	news  []internet.NewCSANotice
	begun int
	gone  chan struct{} // signalled on each ShutdownCSA
}

func newWirer(make func() axon.Component) *wirer {
	w := &wirer{gone: make1()}
	w.Core = axon.NewReactive("wirer", func(ctx context.Context, c *axon.Core) error {
		for m := range c.Drain("inbox") {
			switch msg := m.(type) {
			case internet.NewCSANotice:
				w.mu.Lock()
				w.news = append(w.news, msg)
				w.mu.Unlock()
				csa := msg.CSA
				var links [][2]axon.BoxRef
				var kids []axon.Component
				if make == nil {
					links = [][2]axon.BoxRef{
						{axon.Out(csa, "outbox"), axon.In(csa, "inbox")},
						{axon.Out(csa, "peerFinished"), axon.In(csa, "control")},
					}
				} else {
					hd := make()
					kids = append(kids, hd)
					links = [][2]axon.BoxRef{
						{axon.Out(csa, "outbox"), axon.In(hd, "inbox")},
						{axon.Out(hd, "outbox"), axon.In(csa, "inbox")},
						{axon.Out(hd, "signal"), axon.In(csa, "control")},
						{axon.Out(csa, "peerFinished"), axon.In(hd, "control")},
					}
					if axon.CoreOf(hd).Outbox("makessl") != nil {
						links = append(links, [2]axon.BoxRef{axon.Out(hd, "makessl"), axon.In(csa, "makessl")})
					}
					if axon.CoreOf(hd).Inbox("sslready") != nil {
						links = append(links, [2]axon.BoxRef{axon.Out(csa, "sslready"), axon.In(hd, "sslready")})
					}
				}
				for _, l := range links {
					if _, err := c.Link(l[0], l[1]); err != nil {
						return err
					}
				}
				if err := c.AddChildren(append([]axon.Component{csa}, kids...)...); err != nil {
					return err
				}
			case internet.ShutdownBegun:
				w.mu.Lock()
				w.begun++
				w.mu.Unlock()
			case internet.ShutdownCSA:
				w.mu.Lock()
				w.ended = append(w.ended, msg)
				w.mu.Unlock()
				c.UnlinkComponent(msg.CSA)
				select {
				case w.gone <- struct{}{}:
				default:
				}
			}
		}
		if _, ok := c.Recv("control"); ok {
			return axon.ErrStop
		}
		return nil
	})
	return w
}

func make1() chan struct{} { return make(chan struct{}, 1) }

// startServer runs a TCPServer on loopback port 0 with a wirer.
func startServer(t testing.TB, ctx context.Context, handler func() axon.Component, opts ...internet.TCPServerOption) (*internet.TCPServer, *wirer) {
	t.Helper()
	srv, err := internet.NewTCPServer(0, append([]internet.TCPServerOption{internet.Host("127.0.0.1")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	w := newWirer(handler)
	link(t, axon.Out(srv, "protocolHandlerSignal"), axon.In(w, "inbox"))
	activate(t, ctx, w, srv)
	t.Cleanup(func() {
		srv.Stop()
		w.Stop()
		<-srv.Done()
		<-w.Done()
	})
	return srv, w
}

func echoOnce(t testing.TB, conn net.Conn, msg string) {
	t.Helper()
	if _, err := conn.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != msg {
		t.Fatalf("echo of %q = %q, %v", msg, buf, err)
	}
}

func TestServerPortZeroAnnouncesConnections(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	srv, w := startServer(t, ctx, nil)
	if srv.Port() == 0 || !srv.Addr().IP.IsLoopback() {
		t.Fatalf("Addr = %v", srv.Addr())
	}
	conn := dialCore(t, srv)
	echoOnce(t, conn, "hello")
	w.mu.Lock()
	n := len(w.news)
	first := w.news[0]
	w.mu.Unlock()
	if n != 1 || first.Caller != axon.Component(srv) || first.Conn.RemoteAddr().String() != conn.LocalAddr().String() {
		t.Fatalf("NewCSANotice = %+v (of %d)", first, n)
	}
	if srv.Connections() != 1 {
		t.Fatalf("Connections = %d", srv.Connections())
	}
	conn.CloseWrite()
	readAll(t, ctx, conn)
	select {
	case <-w.gone:
	case <-ctx.Done():
		t.Fatal("no ShutdownCSA")
	}
	w.mu.Lock()
	ended := w.ended[0]
	w.mu.Unlock()
	if ended.CSA != first.CSA || ended.Err != nil {
		t.Fatalf("ShutdownCSA = %+v", ended)
	}
	eventually(t, ctx, "connection count back to 0", func() bool { return srv.Connections() == 0 })
}

func TestServerShutdownStopsListeningButConnectionsCarryOn(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	srv, _ := startServer(t, ctx, nil)
	h := axontest.Handle(t, srv) // collects "signal"
	conn := dialCore(t, srv)
	echoOnce(t, conn, "before")
	if err := srv.Inbox("control").Put(ctx, internet.ServerShutdown{}); err != nil {
		t.Fatal(err)
	}
	// The connection keeps busy while the listener closes: a graceful
	// shutdown closes connections that have been quiet for a second.
	eventually(t, ctx, "listener closed", func() bool {
		echoOnce(t, conn, "meanwhile")
		c, err := net.DialTimeout("tcp", srv.Addr().String(), time.Second)
		if err == nil {
			c.Close()
			return false
		}
		return errors.Is(err, syscall.ECONNREFUSED)
	})
	echoOnce(t, conn, "after serverShutdown")
	select {
	case <-srv.Done():
		t.Fatal("server ended while a connection was open")
	default:
	}
	conn.CloseWrite()
	readAll(t, ctx, conn)
	waitDone(t, ctx, srv)
	if m, err := h.Get(ctx, "signal"); err != nil || !axon.IsProducerFinished(m) {
		t.Fatalf("signal = %#v, %v", m, err)
	}
}

func TestListenOptions(t *testing.T) {
	t.Parallel()
	ln, err := internet.ListenTCP(0, internet.Host("127.0.0.1"), internet.ReusePort(true))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	tests := []struct {
		name string
		opts []internet.TCPServerOption
		want error
	}{
		{"second socket on the port with SO_REUSEPORT", []internet.TCPServerOption{internet.ReusePort(true)}, nil},
		{"without SO_REUSEPORT the port is taken", nil, syscall.EADDRINUSE},
		{"backlog", []internet.TCPServerOption{internet.ReusePort(true), internet.Backlog(16)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := internet.NewTCPServer(port, append([]internet.TCPServerOption{internet.Host("127.0.0.1")}, tt.opts...)...)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err == nil {
				if srv.Port() != port {
					t.Errorf("port = %d, want %d", srv.Port(), port)
				}
				srv.Close()
			}
		})
	}
}

func TestServerWithoutHandlerClosesConnections(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	srv, err := internet.NewTCPServer(0, internet.Host("127.0.0.1"), internet.Logger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	activate(t, ctx, srv)
	conn := dialCore(t, srv)
	if got := readAll(t, ctx, conn); len(got) != 0 {
		t.Fatalf("read %q", got)
	}
	srv.Stop()
	waitDone(t, ctx, srv)
}

// TestServerWithoutHandlerLogsOncePerSecond: a TCPServer nobody wired
// closes every connection, and says so at most once a second, with how
// many, like the refusals over MaxConnections: a flood of clients
// cannot flood the log.
func TestServerWithoutHandlerLogsOncePerSecond(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	var logs axontest.Buffer
	srv, err := internet.NewTCPServer(0, internet.Host("127.0.0.1"), internet.Logger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	activate(t, ctx, srv)
	t.Cleanup(func() { srv.Stop(); <-srv.Done() })
	const clients = 30
	start := time.Now()
	for i := range clients {
		expectClosed(t, dialCore(t, srv), "connection "+strconv.Itoa(i))
	}
	loggedOncePerSecond(t, ctx, &logs, `no protocol handler.*closed=(\d+)`, clients, start)
}

// loggedOncePerSecond checks that the lines of logs matching pattern
// count want events between them (the first submatch of each is its
// count), in at most one line a second since start (and one more).
func loggedOncePerSecond(t *testing.T, ctx context.Context, logs *axontest.Buffer, pattern string, want int, start time.Time) {
	t.Helper()
	count := regexp.MustCompile(pattern)
	total, lines := 0, 0
	eventually(t, ctx, "every event logged", func() bool {
		total, lines = 0, 0
		for _, m := range count.FindAllStringSubmatch(logs.String(), -1) {
			n, _ := strconv.Atoi(m[1])
			total += n
			lines++
		}
		return total == want
	})
	if most := 2 + int(time.Since(start)/time.Second); lines > most {
		t.Errorf("%d log lines for %d events in %v; want at most %d:\n%s", lines, want, time.Since(start), most, logs.String())
	}
}

func TestServerBadMessageOnNewConnection(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	srv, _ := startServer(t, ctx, nil)
	h := axontest.Handle(t, srv)
	if err := srv.Inbox("newconnection").Put(ctx, "not a conn"); err != nil {
		t.Fatal(err)
	}
	m, err := h.Get(ctx, "signal")
	if ei, ok := m.(axon.ErrorInformation); err != nil || !ok || !errors.Is(ei.Err, internet.ErrBadMessage) {
		t.Fatalf("signal = %#v, %v", m, err)
	}
	echoOnce(t, dialCore(t, srv), "still serving")
}

func TestManyConnectionsEcho(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	srv, _ := startServer(t, ctx, nil)
	const clients = 50
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.DialTCP("tcp", nil, srv.Addr())
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close()
			data := randomBytes(uint64(100+i), 64<<10)
			go func() { conn.Write(data); conn.CloseWrite() }()
			conn.SetReadDeadline(time.Now().Add(30 * time.Second))
			var got bytes.Buffer
			if _, err := got.ReadFrom(conn); err != nil {
				errs <- err
				return
			}
			if !bytes.Equal(got.Bytes(), data) {
				errs <- errors.New("client " + strconv.Itoa(i) + ": echo differs")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
