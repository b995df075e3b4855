package internet_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/socktest"
	"github.com/kamaelia-go/kamaelia/internal/testpki"
	"github.com/kamaelia-go/kamaelia/internet"
)

// isReset reports whether err is what a peer sees when we reset.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// readUntilError reads c until a read fails, and returns that error.
func readUntilError(c net.Conn) error {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 64<<10)
	for {
		if _, err := c.Read(buf); err != nil {
			return err
		}
	}
}

// dialSmall connects to srv with small socket buffers, so a client that
// stops reading is pushed back soon.
func dialSmall(t testing.TB, srv interface{ Addr() *net.TCPAddr }) *net.TCPConn {
	t.Helper()
	d := net.Dialer{Control: socktest.Buffers(64<<10, 64<<10)}
	c, err := d.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// stallReading sends until TCP pushes back (a write makes no progress
// for 100 ms), never reading, and returns when that happened; then it
// keeps trying to send, and returns how long after the stall the
// server's reset ended that, and the error it ended with.
func stallReading(c *net.TCPConn) (stalledAt time.Time, resetAfter time.Duration, err error) {
	chunk := bytes.Repeat([]byte("stalled "), 4<<10)
	for {
		c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		if _, err := c.Write(chunk); errors.Is(err, os.ErrDeadlineExceeded) {
			break
		} else if err != nil {
			return time.Time{}, 0, fmt.Errorf("before the stall: %w", err)
		}
	}
	stalledAt = time.Now()
	c.SetWriteDeadline(stalledAt.Add(20 * time.Second))
	for {
		if _, err = c.Write(chunk); err != nil {
			return stalledAt, time.Since(stalledAt), err
		}
	}
}

// TestServerCoreIdleTimeoutFreesStalledReaders: clients that send and
// then neither read nor send hold every slot, with output pending for
// them; each is reset within the idle timeout (plus a quarter, plus
// slack for a loaded machine) of its stall, while a busy client goes on
// being served, and then a fresh client is served too.
func TestServerCoreIdleTimeoutFreesStalledReaders(t *testing.T) {
	const stalled = 20
	// The idle timeout must outlast dialling every client on a loaded
	// machine (the slots are all held only until the first stall is
	// reset) and the busy client's worst pause between round trips.
	const idle = time.Second
	// The client can only guess when the server last made progress (its
	// writes go on filling the kernel's buffers for a while), and a
	// loaded machine is late to run timers: 2 s covers both when the
	// test has the process to itself, as in the full suite. The quick
	// suite runs it beside other tests, and allows for their load.
	slack := 2 * time.Second
	if testing.Short() {
		t.Parallel()
		slack = 4 * time.Second
	}
	ctx, _ := testCtx(t)
	srv := startServerCore(t, ctx, echoFactory, internet.IdleTimeout(idle), internet.MaxConnections(stalled+1))

	busy := dialCore(t, srv)
	echoOnce(t, busy, "busy")
	stopBusy, busyErr := make(chan struct{}), make(chan error, 1)
	go func() { // a round trip every 50 ms: never idle
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		buf := make([]byte, 4)
		for {
			busy.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := busy.Write([]byte("ping")); err != nil {
				busyErr <- err
				return
			}
			if _, err := io.ReadFull(busy, buf); err != nil {
				busyErr <- err
				return
			}
			select {
			case <-tick.C:
			case <-stopBusy:
				busyErr <- nil
				return
			}
		}
	}()

	type outcome struct {
		resetAfter time.Duration
		err        error
	}
	stalls, outcomes := make(chan struct{}, stalled), make(chan outcome, stalled)
	for range stalled {
		c := dialSmall(t, srv)
		go func() {
			_, after, err := stallReading(c)
			stalls <- struct{}{}
			outcomes <- outcome{after, err}
		}()
	}
	eventually(t, ctx, "every slot taken", func() bool { return srv.Connections() == stalled+1 })
	expectClosed(t, dialCore(t, srv), "a client past the limit while the stalled ones hold their slots")
	for range stalled {
		o := <-outcomes
		if !isReset(o.err) {
			t.Errorf("a stalled client's send ended with %v; want a reset", o.err)
		}
		if o.resetAfter > idle+idle/4+slack {
			t.Errorf("a stalled client was reset %v after its stall; want at most %v", o.resetAfter, idle+idle/4+slack)
		}
	}
	// At most the busy client's slot is held (whether the busy client
	// is still served is checked below, with its own error).
	eventually(t, ctx, "the stalled clients' slots freed", func() bool { return srv.Connections() <= 1 })
	echoOnce(t, dialCore(t, srv), "a fresh client is served")
	close(stopBusy)
	if err := <-busyErr; err != nil {
		t.Fatalf("the busy client: %v", err)
	}
}

// TestServeTLSHandshakeTimeout: a client that connects to a ServeTLS
// server and sends nothing is closed once the handshake timeout (or a
// shorter idle timeout) has passed, while other clients are served.
func TestServeTLSHandshakeTimeout(t *testing.T) {
	t.Parallel()
	// Long enough for the other clients' handshakes and echoes on a
	// busy machine (600 ms was seen to run out under -race with three
	// quick suites at once): with IdleTimeout it is their limit too.
	const d = time.Second
	tests := []struct {
		name string
		opt  internet.ServerCoreOption
	}{
		{"HandshakeTimeout", internet.HandshakeTimeout(d)},
		{"capped by IdleTimeout", internet.IdleTimeout(d)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, _ := testCtx(t)
			p := testpki.New(t)
			srv := startServerCore(t, ctx, echoFactory, internet.ServeTLS(p.ServerConfig()), tt.opt)
			start := time.Now()
			silent := dialCore(t, srv)
			// When the silent client is closed is taken as it happens,
			// not after the other client's round trip, which a loaded
			// machine may make take longer than that.
			type end struct {
				n     int
				err   error
				after time.Duration
			}
			ended := make(chan end, 1)
			go func() {
				silent.SetReadDeadline(time.Now().Add(10 * time.Second))
				n, err := silent.Read(make([]byte, 1))
				ended <- end{n, err, time.Since(start)}
			}()

			cfg := p.ClientConfig()
			cfg.ServerName = "localhost"
			tc := tls.Client(dialCore(t, srv), cfg)
			echoOnce(t, tc, "served meanwhile")

			e := <-ended
			if !closedRead(e.n, e.err) {
				t.Fatalf("a client that never starts its handshake: read = %d, %v; want the connection closed", e.n, e.err)
			}
			if e.after < d || e.after > d+time.Second {
				t.Errorf("closed after %v, want about %v", e.after, d)
			}
			// A fresh client: the first has been quiet for as long as
			// the silent one, and IdleTimeout may have closed it too.
			echoOnce(t, tls.Client(dialCore(t, srv), cfg), "still served")
		})
	}
}

// TestClientStallTimeout: a TCPClient with IdleTimeout ends with a
// timeout error when the server stops making progress, with or without
// data waiting to be sent; a slow but steady server is not cut off.
func TestClientStallTimeout(t *testing.T) {
	t.Parallel()
	// Long enough, and the steady server's writes frequent enough (a
	// tenth of it), that a busy machine's scheduling delays never look
	// like a stall.
	const d = 600 * time.Millisecond
	tests := []struct {
		name   string
		server func(c net.Conn, end <-chan struct{}) // what the server does with the connection; end: the test is over
		send   int                                   // bytes the client sends
		check  func(*testing.T, error)               // the client's terminal Err
	}{
		{"a server that never answers", func(c net.Conn, _ <-chan struct{}) { io.Copy(io.Discard, c) }, 5, stalledClient},
		{"a server that stops reading", func(_ net.Conn, end <-chan struct{}) { <-end }, 16 << 20, stalledClient},
		{"a slow but steady server", func(c net.Conn, _ <-chan struct{}) {
			tick := time.NewTicker(d / 10)
			defer tick.Stop()
			for range 30 { // three timeouts' worth
				if _, err := c.Write([]byte("x")); err != nil {
					return
				}
				<-tick.C
			}
			c.(*net.TCPConn).CloseWrite()
			io.Copy(io.Discard, c) // what the client sent, then its close
		}, 5, func(t *testing.T, err error) {
			if err != nil {
				t.Fatalf("terminal Err = %v, want a clean end", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, _ := testCtx(t)
			ln, port := listener(t)
			served, end := make(chan struct{}), make(chan struct{})
			go func() {
				defer close(served)
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				defer conn.Close()
				tt.server(conn, end)
			}()
			c := internet.NewTCPClient("127.0.0.1", port, internet.IdleTimeout(d))
			h := axontest.Handle(t, c)
			activate(t, ctx, c)
			go func() { // queued before the connection exists, then sent
				data := make([]byte, tt.send)
				for len(data) > 0 {
					n := min(len(data), 64<<10)
					if h.Put(ctx, "inbox", data[:n]) != nil {
						return
					}
					data = data[n:]
				}
			}()
			go func() { // what the server sends, thrown away
				for {
					if _, err := h.Get(ctx, "outbox"); err != nil {
						return
					}
				}
			}()
			start := time.Now()
			tt.check(t, terminal(t, ctx, h).Err)
			if took := time.Since(start); took > d+time.Second+2*time.Second {
				t.Errorf("the client took %v to end", took)
			}
			close(end)
			ln.Close()
			<-served
		})
	}
}

// stalledClient checks the terminal Err of a client whose server stopped
// making progress.
func stalledClient(t *testing.T, err error) {
	t.Helper()
	var ne net.Error
	if !errors.Is(err, internet.ErrIdleTimeout) || !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("terminal Err = %v; want ErrIdleTimeout, a timeout", err)
	}
}

func TestServerCoreFactoryPanicClosesOnlyThatConnection(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	var logs axontest.Buffer
	var calls atomic.Int32
	srv := startServerCore(t, ctx, func(internet.ConnInfo) (axon.Component, error) {
		if calls.Add(1) == 2 {
			panic("factory blew up")
		}
		return components.NewEcho(), nil
	}, internet.Logger(slog.New(slog.NewTextHandler(&logs, nil))))
	first := dialCore(t, srv)
	echoOnce(t, first, "first")
	bad := dialCore(t, srv)
	expectClosed(t, bad, "the connection whose handler's factory panicked")
	echoOnce(t, dialCore(t, srv), "the next connection is served")
	echoOnce(t, first, "and the first still is")
	eventually(t, ctx, "the connections counted right", func() bool { return srv.Connections() == 2 })
	peer := bad.LocalAddr().String()
	for _, want := range []string{"factory blew up", peer, "goroutine "} { // the stack too
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log does not mention %q:\n%s", want, logs.String())
		}
	}
}

// TestServerRefusalsAreLoggedOncePerSecond: refusals past MaxConnections
// are logged with a count, at most once a second.
func TestServerRefusalsAreLoggedOncePerSecond(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	var logs axontest.Buffer
	srv := startServerCore(t, ctx, echoFactory, internet.MaxConnections(1), internet.Logger(slog.New(slog.NewTextHandler(&logs, nil))))
	echoOnce(t, dialCore(t, srv), "holds the only slot")
	const refused = 30
	start := time.Now()
	for i := range refused {
		expectClosed(t, dialCore(t, srv), "refused connection "+strconv.Itoa(i))
	}
	loggedOncePerSecond(t, ctx, &logs, `refused connections.*refused=(\d+)`, refused, start)
}

// TestHandlerResetsItsConnection: a handler aborts its connection by
// sending Reset on "signal"; its client sees a reset, the others are
// served on.
func TestHandlerResetsItsConnection(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	errAbort := errors.New("abort requested")
	causes := make(chan error, 1)
	aborting := func(internet.ConnInfo) (axon.Component, error) {
		return axon.NewReactive("aborting", func(ctx context.Context, c *axon.Core) error {
			for box, msg, ok := c.Next(); ok; box, msg, ok = c.Next() {
				switch {
				case box == "inbox" && string(msg.([]byte)) == "abort":
					_ = c.Send(ctx, "outbox", bytes.Repeat([]byte("never sent"), 1000))
					_ = c.Send(ctx, "signal", internet.Reset{Err: errAbort})
				case box == "inbox":
					_ = c.Send(ctx, "outbox", msg)
				case axon.IsShutdownRequest(msg):
					causes <- axon.Cause(msg)
					return axon.ErrStop
				}
			}
			return ctx.Err()
		}), nil
	}
	srv := startServerCore(t, ctx, aborting)
	other := dialCore(t, srv)
	echoOnce(t, other, "other")
	c := dialCore(t, srv)
	echoOnce(t, c, "hello")
	c.Write([]byte("abort"))
	if err := readUntilError(c); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("read = %v; want a reset", err)
	}
	if cause := <-causes; !errors.Is(cause, errAbort) {
		t.Errorf("the handler's SocketShutdown carries %v; want the Reset's Err", cause)
	}
	echoOnce(t, other, "still served")
}

// TestCSAResetDropsWhatIsQueued: Reset (the method, or the message on
// "control", which acts ahead of the data queued before it) aborts at
// once: the peer sees a reset, what was queued is dropped without an
// error report, and the adapter ends with the cause.
func TestCSAResetDropsWhatIsQueued(t *testing.T) {
	t.Parallel()
	errMine := errors.New("mine")
	tests := []struct {
		name  string
		reset func(ctx context.Context, csa *internet.CSA, h *axon.Handle) error
		want  error
	}{
		{"method", func(_ context.Context, csa *internet.CSA, _ *axon.Handle) error { csa.Reset(nil); return nil }, internet.ErrReset},
		{"message", func(ctx context.Context, _ *internet.CSA, h *axon.Handle) error {
			return h.Put(ctx, "control", internet.Reset{Err: errMine})
		}, errMine},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, _ := testCtx(t)
			peer, ours := tcpPair(t) // the peer does not read
			csa := internet.NewCSA(ours)
			h := axontest.Handle(t, csa)
			activate(t, ctx, csa)
			var wg sync.WaitGroup
			wg.Go(func() { // far more than the socket takes: the sender ends up waiting
				buf := make([]byte, 64<<10)
				for range 256 {
					if h.Put(ctx, "inbox", buf) != nil {
						return
					}
				}
			})
			eventually(t, ctx, "the sender waits on a full inbox", func() bool { return csa.Info().Inboxes[0].Waiting > 0 })
			if err := tt.reset(ctx, csa, h); err != nil {
				t.Fatal(err)
			}
			if cause := axon.Cause(axontest.Get(t, ctx, h, "CreatorFeedback")); !errors.Is(cause, tt.want) {
				t.Fatalf("cause = %v, want %v", cause, tt.want)
			}
			if m := axontest.Get(t, ctx, h, "signal"); !axon.IsNotify(m) {
				t.Fatalf("signal = %#v; want only the ShutdownCSA (no report of dropped data)", m)
			}
			waitDone(t, ctx, csa)
			wg.Wait()
			if err := readUntilError(peer); !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("the peer's read = %v; want a reset", err)
			}
		})
	}
}

// TestServerCoreBoundsTheHandlersInbox: a handler that takes nothing
// holds at most ReceiveLimit of what its client sent, and the adapter
// waits for room instead of reading on (so TCP pushes back on the
// client, whose writes block).
func TestServerCoreBoundsTheHandlersInbox(t *testing.T) {
	t.Parallel()
	ctx, reg := testCtx(t)
	srv := startServerCore(t, ctx, stubborn)
	c := dialSmall(t, srv)
	wrote := make(chan error, 1)
	go func() { // until the test closes the connection
		chunk := make([]byte, 32<<10)
		for {
			if _, err := c.Write(chunk); err != nil {
				wrote <- err
				return
			}
		}
	}()
	most := internet.DefaultReceiveLimit.Bytes + 32<<10
	var in axon.BoxInfo
	eventually(t, ctx, "the adapter waiting for room in the handler's inbox", func() bool {
		in = inboxInfo(reg, "stubborn")
		if in.Bytes > most {
			t.Fatalf("the handler's inbox holds %d bytes; want at most %d", in.Bytes, most)
		}
		return in.Waiting == 1
	})
	if in.Limit != internet.DefaultReceiveLimit {
		t.Errorf("the handler's inbox limit = %+v, want DefaultReceiveLimit %+v", in.Limit, internet.DefaultReceiveLimit)
	}
	select {
	case err := <-wrote:
		t.Fatalf("the client's write ended with %v while the server held it up", err)
	default:
	}
	c.Close()
	<-wrote
}

// TestResetRacesWithTraffic: Reset called from several goroutines at
// once, while data flows both ways through an echoing adapter, ends the
// connection once, with a reset the peer sees, and the first cause.
func TestResetRacesWithTraffic(t *testing.T) {
	t.Parallel()
	for round := range 20 {
		ctx, _ := testCtx(t)
		peer, ours := tcpPair(t)
		csa := echoCSA(t, ours)
		fb := newSink()
		link(t, axon.Out(csa, "CreatorFeedback"), axon.In(fb, "control"))
		activate(t, ctx, csa, fb)
		traffic := make(chan error, 1)
		go func() { // writes and reads until the reset
			buf := make([]byte, 4<<10)
			for {
				if _, err := peer.Write(buf); err != nil {
					traffic <- err
					return
				}
				if _, err := io.ReadFull(peer, buf); err != nil {
					traffic <- err
					return
				}
			}
		}()
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() { csa.Reset(fmt.Errorf("reset %d", i)) })
		}
		wg.Wait()
		waitDone(t, ctx, csa, fb)
		if err := <-traffic; !isReset(err) {
			t.Fatalf("round %d: the peer met %v; want a reset", round, err)
		}
		if n := fb.notice; n == nil || !strings.HasPrefix(fmt.Sprint(n.Err), "reset ") {
			t.Fatalf("round %d: CreatorFeedback = %+v; want one of the resets' causes", round, n)
		}
	}
}

// TestShutdownCalledConcurrently: Shutdown called from several
// goroutines at once, with a Stop among them, returns in every one of
// them once the server has ended.
func TestShutdownCalledConcurrently(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	srv := startServerCore(t, ctx, stubborn)
	for range 3 {
		dialCore(t, srv).Write([]byte("x"))
	}
	eventually(t, ctx, "3 connections", func() bool { return srv.Connections() == 3 })
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			sctx, cancel := context.WithTimeout(ctx, time.Duration(i)*50*time.Millisecond)
			defer cancel()
			errs <- srv.Shutdown(sctx)
		})
	}
	wg.Go(srv.Stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil && !errors.Is(err, internet.ErrConnectionsCut) {
			t.Errorf("Shutdown = %v; want nil or ErrConnectionsCut", err)
		}
	}
	waitDone(t, ctx, srv)
}

// TestHandlerHearsWhyTheAdapterClosed: when the adapter closes the
// connection itself, the first notice its handler gets carries the
// cause: a failed TLS handshake, an idle timeout.
func TestHandlerHearsWhyTheAdapterClosed(t *testing.T) {
	t.Parallel()
	p := testpki.New(t)
	tests := []struct {
		name   string
		opts   []internet.ServerCoreOption
		client func(net.Conn)
		check  func(error) bool
	}{
		{"a failed TLS handshake", []internet.ServerCoreOption{internet.ServeTLS(p.ServerConfig())},
			func(c net.Conn) { c.Write([]byte("this is not a TLS client hello\r\n")) },
			func(err error) bool { return err != nil && strings.Contains(err.Error(), "TLS server handshake") }},
		{"an idle timeout", []internet.ServerCoreOption{internet.IdleTimeout(200 * time.Millisecond)},
			func(c net.Conn) { c.Write([]byte("then nothing")) },
			func(err error) bool { return errors.Is(err, internet.ErrIdleTimeout) }},
		{"the client's half-close: no error", nil,
			func(c net.Conn) { c.Write([]byte("and that is all")); c.(*net.TCPConn).CloseWrite() },
			func(err error) bool { return err == nil }},
		{"the client's reset", nil,
			func(c net.Conn) { c.(*net.TCPConn).SetLinger(0); c.Close() },
			func(err error) bool { return errors.Is(err, syscall.ECONNRESET) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, _ := testCtx(t)
			first := make(chan error, 1)
			srv := startServerCore(t, ctx, func(internet.ConnInfo) (axon.Component, error) {
				return axon.NewReactive("recorder", func(ctx context.Context, c *axon.Core) error {
					for box, msg, ok := c.Next(); ok; box, msg, ok = c.Next() {
						if box == "control" && axon.IsShutdownRequest(msg) {
							first <- axon.Cause(msg)
							return axon.ErrStop
						}
					}
					return ctx.Err()
				}), nil
			}, tt.opts...)
			c := dialCore(t, srv)
			tt.client(c)
			select {
			case err := <-first:
				if !tt.check(err) {
					t.Fatalf("the handler's first notice carries %v", err)
				}
			case <-ctx.Done():
				t.Fatal("the handler heard nothing")
			}
		})
	}
}
