package internet_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/streamtest"
	"github.com/kamaelia-go/kamaelia/internet"
)

// streamAll runs clients streaming clients against addr (see
// streamtest.Many) and returns what each saw.
func streamAll(t *testing.T, ctx context.Context, addr string, clients int, st streamtest.Stream, during func()) []streamtest.Result {
	t.Helper()
	results, ok := streamtest.Many(ctx, addr, clients, st, during)
	if !ok {
		t.Fatalf("the clients did not all get an echo: %+v", results[0])
	}
	return results
}

// cutMidStream runs clients clients streaming to srv for far longer
// than a shutdown's grace, shuts srv down with a grace of 300 ms once
// each has had an echo, and returns what the clients saw and what
// Shutdown returned.
func cutMidStream(t *testing.T, ctx context.Context, srv interface {
	Addr() *net.TCPAddr
	Shutdown(context.Context) error
}, clients int) (results []streamtest.Result, shutdownErr error) {
	t.Helper()
	st := streamtest.Stream{Total: 1 << 30, Chunk: 1 << 10, Every: 10 * time.Millisecond}
	results = streamAll(t, ctx, srv.Addr().String(), clients, st, func() {
		sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		shutdownErr = srv.Shutdown(sctx)
	})
	return results, shutdownErr
}

// shutdownAsync starts srv.Shutdown with a context that ends after
// grace, and returns the channel its error will come on.
func shutdownAsync(ctx context.Context, srv interface{ Shutdown(context.Context) error }, grace time.Duration) <-chan error {
	shut := make(chan error, 1)
	go func() {
		sctx, cancel := context.WithTimeout(ctx, grace)
		defer cancel()
		shut <- srv.Shutdown(sctx)
	}()
	return shut
}

// TestServerCoreShutdownLetsTransfersFinish: a graceful shutdown while
// 120 clients (40 with -short) are mid-transfer lets every one of them
// finish both ways: every byte sent comes back, then an orderly end, and
// Shutdown reports nothing cut.
func TestServerCoreShutdownLetsTransfersFinish(t *testing.T) {
	if testing.Short() {
		t.Parallel() // 40 clients: light enough to share the process; the full size runs alone
	}
	const total = 48 << 10
	clients := axontest.ShortOr(40, 120)
	ctx, _ := testCtx(t)
	srv := startServerCore(t, ctx, echoFactory)
	var shut <-chan error
	st := streamtest.Stream{Total: total, Chunk: 1 << 10, Every: 10 * time.Millisecond} // about 0.5 s
	results := streamAll(t, ctx, srv.Addr().String(), clients, st, func() {
		shut = shutdownAsync(ctx, srv, 30*time.Second)
	})
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	failed := 0
	for _, r := range results {
		if r.Err != nil || r.Corrupt || r.Sent != total || r.Got != total {
			if failed++; failed <= 5 {
				t.Errorf("client %d: sent %d, got %d back (corrupt %v): %v", r.ID, r.Sent, r.Got, r.Corrupt, r.Err)
			}
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d clients did not finish", failed, clients)
	}
}

// TestServerCoreShutdownResetsWhatIsStillOpen: when the grace runs out,
// every connection still open is reset: each of the 110 clients (40
// with -short) still streaming sees ECONNRESET, never an orderly end, and
// gets back only bytes it sent, in order; Shutdown says how many it cut.
func TestServerCoreShutdownResetsWhatIsStillOpen(t *testing.T) {
	if testing.Short() {
		t.Parallel() // 40 clients: light enough to share the process; the full size runs alone
	}
	clients := axontest.ShortOr(40, 110)
	ctx, _ := testCtx(t)
	srv := startServerCore(t, ctx, echoFactory)
	results, shutdownErr := cutMidStream(t, ctx, srv, clients)
	if !errors.Is(shutdownErr, internet.ErrConnectionsCut) || !errors.Is(shutdownErr, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v; want ErrConnectionsCut and DeadlineExceeded", shutdownErr)
	}
	if want := fmt.Sprintf(" %d connection(s)", clients); !strings.Contains(shutdownErr.Error(), want) {
		t.Errorf("Shutdown = %v; want it to say %q", shutdownErr, want)
	}
	for _, r := range results {
		if !errors.Is(r.Err, syscall.ECONNRESET) || r.Corrupt {
			t.Errorf("client %d: ended with %v (corrupt %v) after %d of %d bytes; want a reset", r.ID, r.Err, r.Corrupt, r.Got, r.Sent)
		}
	}
}

// TestServerCoreShutdownClosesQuietConnections: during a drain, a
// connection with nothing queued and no progress for a second is closed
// cleanly (EOF, not a reset) while a busy one goes on.
func TestServerCoreShutdownClosesQuietConnections(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	srv := startServerCore(t, ctx, echoFactory)
	quiet := dialCore(t, srv)
	echoOnce(t, quiet, "then nothing")
	busy := make(chan streamtest.Result, 1)
	started := make(chan int, 1)
	go func() { // 2 s of steady traffic, longer than a quiet close takes
		busy <- streamtest.Echo(ctx, srv.Addr().String(), 1, streamtest.Stream{Total: 200 << 10, Chunk: 1 << 10, Every: 10 * time.Millisecond}, started)
	}()
	<-started
	shut := shutdownAsync(ctx, srv, 30*time.Second)
	quiet.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := quiet.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("quiet connection: read = %d, %v; want an orderly end (EOF)", n, err)
	}
	closedAt := time.Now()
	r := <-busy
	if r.Err != nil || r.Got != r.Sent || r.Sent != 200<<10 {
		t.Fatalf("busy client: sent %d, got %d: %v", r.Sent, r.Got, r.Err)
	}
	if !closedAt.Before(r.Finished) {
		t.Errorf("the quiet connection was closed at %v, after the busy one had finished sending at %v", closedAt, r.Finished)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// TestServerCoreShutdownTellsHandlers: each handler gets a ShutdownBegun
// carrying the deadline of Shutdown's context, and may use it to say
// goodbye and finish.
func TestServerCoreShutdownTellsHandlers(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	notices := make(chan internet.ShutdownBegun, 1)
	polite := func(internet.ConnInfo) (axon.Component, error) {
		return axon.NewReactive("polite", func(ctx context.Context, c *axon.Core) error {
			for box, msg, ok := c.Next(); ok; box, msg, ok = c.Next() {
				switch m := msg.(type) {
				case internet.ShutdownBegun:
					notices <- m
					_ = c.Send(ctx, "outbox", []byte("bye\n"))
					_ = c.Send(ctx, "signal", axon.ProducerFinished{Caller: c})
					return axon.ErrStop
				default:
					if box == "inbox" {
						_ = c.Send(ctx, "outbox", msg)
					} else if axon.IsShutdownRequest(msg) {
						return axon.ErrStop
					}
				}
			}
			return ctx.Err()
		}), nil
	}
	srv := startServerCore(t, ctx, polite)
	c := dialCore(t, srv)
	echoOnce(t, c, "hello")
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(sctx) }()
	if got := readAll(t, ctx, c); string(got) != "bye\n" {
		t.Fatalf("client got %q before the end, want %q", got, "bye\n")
	}
	n := <-notices
	if want, _ := sctx.Deadline(); !n.Deadline.Equal(want) {
		t.Errorf("ShutdownBegun.Deadline = %v, want Shutdown's %v", n.Deadline, want)
	}
	c.Close()
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// TestServerCoreShutdownFreesThePortAtOnce: the listener closes as the
// drain begins, so a new server can bind the port while the old one
// still serves its connections.
func TestServerCoreShutdownFreesThePortAtOnce(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	srv := startServerCore(t, ctx, echoFactory)
	c := dialCore(t, srv)
	echoOnce(t, c, "before")
	shut := shutdownAsync(ctx, srv, 30*time.Second)
	var next *net.TCPListener
	eventually(t, ctx, "a new listener on the port", func() bool {
		ln, err := internet.ListenTCP(srv.Port(), internet.Host("127.0.0.1"))
		next = ln
		return err == nil
	})
	defer next.Close()
	echoOnce(t, c, "the old server still serves its connection")
	c.CloseWrite()
	if got := readAll(t, ctx, c); len(got) != 0 {
		t.Fatalf("unexpected %q", got)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// stubborn is a handler that ignores everything until it is stopped.
func stubborn(internet.ConnInfo) (axon.Component, error) {
	return axon.New("stubborn", func(ctx context.Context, c *axon.Core) error {
		<-ctx.Done()
		return nil
	}), nil
}

func TestServerCoreShutdownCutsOffWhatDoesNotFinish(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []internet.ServerCoreOption
		// shut starts the shutdown and returns its error: Shutdown's, or
		// the one "signal" carries.
		shut func(t *testing.T, ctx context.Context, srv *internet.ServerCore, h *axon.Handle, logs *axontest.Buffer) error
	}{
		{"Shutdown's context ends", nil, func(t *testing.T, ctx context.Context, srv *internet.ServerCore, _ *axon.Handle, _ *axontest.Buffer) error {
			sctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			defer cancel()
			err := srv.Shutdown(sctx)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Shutdown = %v; want it to match DeadlineExceeded", err)
			}
			return err
		}},
		{"ShutdownTimeout after a control shutdown", []internet.ServerCoreOption{internet.ShutdownTimeout(200 * time.Millisecond)}, func(t *testing.T, ctx context.Context, _ *internet.ServerCore, h *axon.Handle, _ *axontest.Buffer) error {
			axontest.Put(t, ctx, h, "control", internet.ServerShutdown{})
			return axon.Cause(axontest.Get(t, ctx, h, "signal"))
		}},
		{"a second Shutdown with an ended context", nil, func(t *testing.T, ctx context.Context, srv *internet.ServerCore, _ *axon.Handle, logs *axontest.Buffer) error {
			first := make(chan error, 1)
			go func() { first <- srv.Shutdown(ctx) }() // would wait for the test's deadline
			eventually(t, ctx, "the drain begun", func() bool {
				return strings.Contains(logs.String(), "shutting down")
			})
			ended, cancel := context.WithCancel(ctx)
			cancel()
			err := srv.Shutdown(ended)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("second Shutdown = %v; want it to match Canceled", err)
			}
			if err := <-first; !errors.Is(err, internet.ErrConnectionsCut) {
				t.Errorf("first Shutdown = %v; want ErrConnectionsCut", err)
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, _ := testCtx(t)
			var logs axontest.Buffer
			opts := append([]internet.ServerCoreOption{internet.Logger(slog.New(slog.NewTextHandler(&logs, nil)))}, tt.opts...)
			srv := startServerCore(t, ctx, stubborn, opts...)
			h := axontest.Handle(t, srv)
			conns := make([]*net.TCPConn, 3)
			for i := range conns {
				conns[i] = dialCore(t, srv)
				conns[i].Write([]byte("x"))
			}
			eventually(t, ctx, "3 connections", func() bool { return srv.Connections() == 3 })
			err := tt.shut(t, ctx, srv, h, &logs)
			if !errors.Is(err, internet.ErrConnectionsCut) {
				t.Fatalf("err = %v; want ErrConnectionsCut", err)
			}
			if want := "3 connection(s)"; !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v; want it to say %q", err, want)
			}
			for i, c := range conns {
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				if _, err := c.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
					t.Errorf("connection %d: read = %v; want a reset", i, err)
				}
			}
			if !strings.Contains(logs.String(), "connections=3") {
				t.Errorf("the log does not say 3 connections were cut off:\n%s", logs.String())
			}
		})
	}
}

// TestServerShutdownDrainsThenResets: a bare TCPServer drains as a
// ServerCore does: it stops listening, tells whoever wires its adapters,
// lets a connection finish, and resets the one still open at the end.
func TestServerShutdownDrainsThenResets(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	srv, w := startServer(t, ctx, nil)
	finishing, streaming := dialCore(t, srv), make(chan streamtest.Result, 1)
	echoOnce(t, finishing, "one")
	started := make(chan int, 1)
	go func() {
		streaming <- streamtest.Echo(ctx, srv.Addr().String(), 2, streamtest.Stream{Total: 1 << 30, Chunk: 1 << 10, Every: 10 * time.Millisecond}, started)
	}()
	<-started
	shut := shutdownAsync(ctx, srv, time.Second)
	eventually(t, ctx, "ShutdownBegun out of protocolHandlerSignal", func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.begun > 0
	})
	echoOnce(t, finishing, "served both ways after the drain began")
	finishing.CloseWrite()
	if got := readAll(t, ctx, finishing); len(got) != 0 {
		t.Fatalf("unexpected %q", got)
	}
	if r := <-streaming; !errors.Is(r.Err, syscall.ECONNRESET) {
		t.Errorf("the streaming client ended with %v; want a reset", r.Err)
	}
	if err := <-shut; !errors.Is(err, internet.ErrConnectionsCut) || !strings.Contains(err.Error(), "1 connection(s)") {
		t.Fatalf("Shutdown = %v; want 1 connection cut", err)
	}
}

// TestSingleServerShutdownServesTheClientToTheEnd: the connected client
// is served both ways after a shutdown request, until it finishes.
func TestSingleServerShutdownServesTheClientToTheEnd(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	srv, h := startSingleServer(t, ctx)
	c := dialCore(t, srv)
	c.Write([]byte("x"))
	axontest.Get(t, ctx, h, "outbox")
	axontest.Put(t, ctx, h, "control", axon.ShutdownMicroprocess{})
	if _, ok := axontest.Get(t, ctx, h, "signal").(internet.ShutdownBegun); !ok {
		t.Fatal("no ShutdownBegun out of signal")
	}
	c.Write([]byte("still heard"))
	var got []byte
	for len(got) < len("still heard") {
		got = append(got, axontest.Get(t, ctx, h, "outbox").([]byte)...)
	}
	axontest.Put(t, ctx, h, "inbox", []byte("last words"))
	c.CloseWrite()
	if got := readAll(t, ctx, c); string(got) != "last words" {
		t.Fatalf("client got %q before the close, want %q", got, "last words")
	}
	waitDone(t, ctx, srv)
	for {
		m := axontest.Get(t, ctx, h, "signal")
		if _, ok := m.(axon.ProducerFinished); ok {
			if err := axon.Cause(m); err != nil {
				t.Fatalf("server ended with %v", err)
			}
			break
		}
	}
}

// TestSingleServerShutdownResetsAtTheEnd: a client still sending when
// the grace runs out is reset.
func TestSingleServerShutdownResetsAtTheEnd(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	srv, h := startSingleServer(t, ctx)
	heard := make(chan struct{}) // closed once the server has read something
	go func() {                  // what the server reads, thrown away
		var once sync.Once
		defer once.Do(func() { close(heard) })
		for {
			if _, err := h.Get(ctx, "outbox"); err != nil {
				return
			}
			once.Do(func() { close(heard) })
		}
	}()
	c := dialCore(t, srv)
	// The client sends 100 bytes every 10 ms, pacing itself with reads
	// that time out: the first read that does not tells how the server
	// ended the connection.
	ended := make(chan error, 1)
	go func() {
		buf := make([]byte, 1)
		for {
			if _, err := c.Write(bytes.Repeat([]byte("x"), 100)); err != nil {
				ended <- err
				return
			}
			c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
			if _, err := c.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
				ended <- err
				return
			}
		}
	}()
	<-heard // the client is connected
	sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(sctx); !errors.Is(err, internet.ErrConnectionsCut) {
		t.Fatalf("Shutdown = %v; want ErrConnectionsCut", err)
	}
	if err := <-ended; !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("the client met %v; want a reset", err)
	}
}
