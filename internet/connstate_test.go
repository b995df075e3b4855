package internet_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internet"
)

// connEvents records what a server's OnConnState hook hears.
type connEvents struct {
	mu     sync.Mutex
	events []internet.ConnEvent
	more   chan struct{} // signalled (without blocking) on each event
}

func newConnEvents() *connEvents { return &connEvents{more: make(chan struct{}, 1)} }

func (r *connEvents) hook(ev internet.ConnEvent) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	select {
	case r.more <- struct{}{}:
	default:
	}
}

// of returns the events for the connection from peer, once there are n.
func (r *connEvents) of(t *testing.T, ctx context.Context, peer string, n int) []internet.ConnEvent {
	t.Helper()
	for {
		var got []internet.ConnEvent
		r.mu.Lock()
		for _, ev := range r.events {
			if ev.Info.Peer() == peer {
				got = append(got, ev)
			}
		}
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-r.more:
		case <-ctx.Done():
			t.Fatalf("%d event(s) for %s before the deadline, want %d: %v", len(got), peer, n, got)
		}
	}
}

// echoUntil is a handler that echoes, and does what its client asks
// with a line of its own: "fail" ends it with an error, "reset" resets
// its connection.
var errAsked = errors.New("asked to")

func echoUntil(internet.ConnInfo) (axon.Component, error) {
	return axon.NewReactive("echoUntil", func(ctx context.Context, c *axon.Core) error {
		for box, msg, ok := c.Next(); ok; box, msg, ok = c.Next() {
			switch {
			case box == "inbox" && string(msg.([]byte)) == "fail":
				return fmt.Errorf("handler failed: %w", errAsked)
			case box == "inbox" && string(msg.([]byte)) == "reset":
				_ = c.Send(ctx, "signal", internet.Reset{Err: errAsked})
			case box == "inbox":
				_ = c.Send(ctx, "outbox", msg)
			case axon.IsShutdownRequest(msg):
				_ = c.Send(ctx, "signal", axon.ProducerFinished{})
				return axon.ErrStop
			}
		}
		return ctx.Err()
	}), nil
}

// TestOnConnState: a ServerCore's hook hears of each connection once
// when it is accepted, with its addresses, and once when it has ended,
// with the cause, for every way a connection ends.
func TestOnConnState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    []internet.ServerCoreOption
		factory internet.Factory
		end     func(t *testing.T, ctx context.Context, srv *internet.ServerCore, c *net.TCPConn)
		cause   func(error) bool
	}{
		{"the client finishes", nil, echoUntil, func(t *testing.T, ctx context.Context, _ *internet.ServerCore, c *net.TCPConn) {
			c.CloseWrite()
			readAll(t, ctx, c)
		}, func(err error) bool { return err == nil }},
		{"the client resets", nil, echoUntil, func(t *testing.T, _ context.Context, _ *internet.ServerCore, c *net.TCPConn) {
			c.SetLinger(0)
			c.Close()
		}, func(err error) bool { return errors.Is(err, syscall.ECONNRESET) }},
		{"the idle timeout", []internet.ServerCoreOption{internet.IdleTimeout(200 * time.Millisecond)}, echoUntil,
			func(t *testing.T, _ context.Context, _ *internet.ServerCore, c *net.TCPConn) {
				expectClosed(t, c, "idle connection")
			}, func(err error) bool { return errors.Is(err, internet.ErrIdleTimeout) }},
		{"the handler fails", nil, echoUntil, func(t *testing.T, _ context.Context, _ *internet.ServerCore, c *net.TCPConn) {
			c.Write([]byte("fail"))
			expectClosed(t, c, "connection of a failed handler")
		}, func(err error) bool { return errors.Is(err, internet.ErrHandler) && errors.Is(err, errAsked) }},
		{"the handler resets", nil, echoUntil, func(t *testing.T, _ context.Context, _ *internet.ServerCore, c *net.TCPConn) {
			c.Write([]byte("reset"))
			if err := readUntilError(c); !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("read = %v; want a reset", err)
			}
		}, func(err error) bool { return errors.Is(err, errAsked) }},
		{"the factory fails", nil, func(internet.ConnInfo) (axon.Component, error) { return nil, errAsked },
			func(t *testing.T, _ context.Context, _ *internet.ServerCore, c *net.TCPConn) {
				expectClosed(t, c, "connection the factory refused")
			}, func(err error) bool { return errors.Is(err, internet.ErrHandler) && errors.Is(err, errAsked) }},
		{"a shutdown's grace runs out", nil, echoUntil, func(t *testing.T, ctx context.Context, srv *internet.ServerCore, c *net.TCPConn) {
			c.Write([]byte("busy"))
			sctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			defer cancel()
			if err := srv.Shutdown(sctx); !errors.Is(err, internet.ErrConnectionsCut) {
				t.Errorf("Shutdown = %v; want ErrConnectionsCut", err)
			}
		}, func(err error) bool { return errors.Is(err, internet.ErrConnectionsCut) }},
		{"the server is stopped", nil, echoUntil, func(t *testing.T, ctx context.Context, srv *internet.ServerCore, c *net.TCPConn) {
			srv.Stop()
			<-srv.Done()
		}, func(err error) bool {
			// Reset by the server, or stopped with it first.
			return errors.Is(err, internet.ErrConnectionsCut) || errors.Is(err, context.Canceled)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, _ := testCtx(t)
			rec := newConnEvents()
			srv := startServerCore(t, ctx, tt.factory, append(tt.opts, internet.OnConnState(rec.hook))...)
			c := dialCore(t, srv)
			if tt.name != "the factory fails" {
				echoOnce(t, c, "hello")
			}
			peer := c.LocalAddr().String()
			tt.end(t, ctx, srv, c)
			evs := rec.of(t, ctx, peer, 2)
			if len(evs) != 2 || evs[0].State != internet.ConnAccepted || evs[1].State != internet.ConnClosed {
				t.Fatalf("events = %v; want one ConnAccepted, then one ConnClosed", evs)
			}
			if evs[0].Err != nil {
				t.Errorf("ConnAccepted carries %v; want no error", evs[0].Err)
			}
			if got := evs[1].Err; !tt.cause(got) {
				t.Errorf("ConnClosed's Err = %v", got)
			}
			if in := evs[0].Info; in.LocalPort != srv.Port() || in.PeerHost != "127.0.0.1" || in.TLS {
				t.Errorf("ConnAccepted's Info = %+v", in)
			}
			if evs[1].Info != evs[0].Info {
				t.Errorf("ConnClosed's Info = %+v; want ConnAccepted's, %+v", evs[1].Info, evs[0].Info)
			}
		})
	}
}

// TestOnConnStateEveryServer: the hook applies to each server.
func TestOnConnStateEveryServer(t *testing.T) {
	t.Parallel()
	t.Run("TCPServer", func(t *testing.T) {
		t.Parallel()
		ctx, _ := testCtx(t)
		rec := newConnEvents()
		srv, _ := startServer(t, ctx, nil, internet.OnConnState(rec.hook))
		c := dialCore(t, srv)
		echoOnce(t, c, "hello")
		c.CloseWrite()
		readAll(t, ctx, c)
		if evs := rec.of(t, ctx, c.LocalAddr().String(), 2); evs[0].State != internet.ConnAccepted || evs[1].State != internet.ConnClosed || evs[1].Err != nil {
			t.Fatalf("events = %v; want ConnAccepted, then ConnClosed without an error", evs)
		}
	})
	t.Run("SingleServer", func(t *testing.T) {
		t.Parallel()
		ctx, _ := testCtx(t)
		rec := newConnEvents()
		srv, err := internet.NewSingleServer(0, internet.Host("127.0.0.1"), internet.OnConnState(rec.hook))
		if err != nil {
			t.Fatal(err)
		}
		axontest.Handle(t, srv)
		activate(t, ctx, srv)
		t.Cleanup(func() { srv.Stop(); <-srv.Done() })
		c := dialCore(t, srv)
		c.SetLinger(0)
		peer := c.LocalAddr().String()
		rec.of(t, ctx, peer, 1)
		c.Close()
		if evs := rec.of(t, ctx, peer, 2); evs[1].State != internet.ConnClosed || !errors.Is(evs[1].Err, syscall.ECONNRESET) {
			t.Fatalf("events = %v; want ConnAccepted, then ConnClosed with a reset", evs)
		}
	})
}

// TestOnConnStatePanics: a hook that panics is contained as a Factory
// that panics is: on ConnAccepted that connection is closed, on
// ConnClosed nothing more happens; either is logged with its stack, and
// the server and its other connections carry on.
func TestOnConnStatePanics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		state internet.ConnState
		check func(t *testing.T, ctx context.Context, c *net.TCPConn)
	}{
		{"on ConnAccepted", internet.ConnAccepted, func(t *testing.T, _ context.Context, c *net.TCPConn) {
			expectClosed(t, c, "connection whose ConnAccepted hook panicked")
		}},
		{"on ConnClosed", internet.ConnClosed, func(t *testing.T, ctx context.Context, c *net.TCPConn) {
			echoOnce(t, c, "served")
			c.CloseWrite()
			readAll(t, ctx, c)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, _ := testCtx(t)
			var logs axontest.Buffer
			var armed atomic.Bool
			var panics atomic.Int32
			hook := func(ev internet.ConnEvent) {
				if armed.Load() && ev.State == tt.state && panics.Add(1) <= 3 {
					panic("the hook blew up")
				}
			}
			srv := startServerCore(t, ctx, echoUntil, internet.OnConnState(hook), internet.Logger(slog.New(slog.NewTextHandler(&logs, nil))))
			good := dialCore(t, srv)
			echoOnce(t, good, "before")
			armed.Store(true) // for the next three connections
			for range 3 {
				tt.check(t, ctx, dialCore(t, srv))
			}
			echoOnce(t, good, "after")
			echoOnce(t, dialCore(t, srv), "a new connection after")
			eventually(t, ctx, "each panic logged, with its stack", func() bool {
				s := logs.String()
				return strings.Count(s, "the hook blew up") == 3 && strings.Count(s, "connstate_test.go") >= 3
			})
			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			good.CloseWrite()
			if err := srv.Shutdown(sctx); err != nil {
				t.Errorf("Shutdown = %v", err)
			}
		})
	}
}

// TestOnConnStateUnderLoad: hundreds of clients at once, each echoing
// 64 KiB: the hook (called from several goroutines at once, as its doc
// says) hears exactly one ConnAccepted and then one clean ConnClosed per
// connection, and every client gets its own bytes.
func TestOnConnStateUnderLoad(t *testing.T) {
	t.Parallel()
	clients := axontest.ShortOr(50, 300)
	ctx, _ := testCtx(t)
	var mu sync.Mutex
	seen := map[string][]internet.ConnState{}
	var bad []string
	var closed atomic.Int32
	hook := func(ev internet.ConnEvent) {
		mu.Lock()
		defer mu.Unlock()
		seen[ev.Info.Peer()] = append(seen[ev.Info.Peer()], ev.State)
		if ev.Err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", ev.Info.Peer(), ev.Err))
		}
		if ev.State == internet.ConnClosed {
			closed.Add(1)
		}
	}
	srv := startServerCore(t, ctx, echoFactory, internet.OnConnState(hook))
	echoClients(t, ctx, srv.Addr(), clients, 64<<10)
	eventually(t, ctx, "every connection reported closed", func() bool { return closed.Load() >= int32(clients) })
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != clients {
		t.Errorf("the hook heard of %d connections; want %d", len(seen), clients)
	}
	for peer, states := range seen {
		if len(states) != 2 || states[0] != internet.ConnAccepted || states[1] != internet.ConnClosed {
			t.Errorf("%s: %v; want [accepted closed]", peer, states)
		}
	}
	if len(bad) > 0 {
		t.Errorf("%d connections closed with an error, such as %s", len(bad), bad[0])
	}
	if a, c := internet.ConnAccepted.String(), internet.ConnClosed.String(); a != "accepted" || c != "closed" {
		t.Errorf("ConnState strings: %q %q", a, c)
	}
}
