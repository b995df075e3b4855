package internet_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/testpki"
	"github.com/kamaelia-go/kamaelia/internet"
)

// wrappingListener is a listener of the caller's own: it counts what it
// accepts and hands out connections that are only net.Conns, so the
// server cannot reach the TCP socket's methods.
type wrappingListener struct {
	net.Listener
	accepted atomic.Int64
}

type plainConn struct{ net.Conn }

func (l *wrappingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.accepted.Add(1)
	return plainConn{c}, nil
}

// inheritedListener is a listener made the way a program started by
// systemd's socket activation makes one: from a file descriptor it
// inherited (here, a duplicate of a listening socket's).
func inheritedListener(t *testing.T) net.Listener {
	t.Helper()
	orig := listenLoopback(t)
	f, err := orig.File()
	orig.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// expectListenerClosed fails unless ln has been closed.
func expectListenerClosed(t *testing.T, ln net.Listener) {
	t.Helper()
	if dl, ok := ln.(interface{ SetDeadline(time.Time) error }); ok {
		dl.SetDeadline(time.Now().Add(10 * time.Second))
	}
	if c, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		if c != nil {
			c.Close()
		}
		t.Fatalf("Accept on the listener = %v; want it closed (net.ErrClosed)", err)
	}
}

// TestServeOn: a ServerCore serves on a listener the caller made, of
// every kind a caller may have, reports its address, serves hundreds of
// clients at once through it, and closes it when it shuts down.
func TestServeOn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		ln      func(t *testing.T) net.Listener
		clients int
	}{
		{"net.Listen", func(t *testing.T) net.Listener { return listenLoopback(t) }, 50},
		{"inherited descriptor (systemd)", inheritedListener, 50},
		{"wrapping listener", func(t *testing.T) net.Listener { return &wrappingListener{Listener: listenLoopback(t)} }, axontest.ShortOr(100, 300)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, _ := testCtx(t)
			ln := tt.ln(t)
			srv, err := internet.NewServerCore(echoFactory, 0, internet.ServeOn(ln), internet.Logger(discardLogger()))
			if err != nil {
				t.Fatal(err)
			}
			if srv.Addr().String() != ln.Addr().String() {
				t.Errorf("Addr() = %v; want the listener's, %v", srv.Addr(), ln.Addr())
			}
			if err := srv.Activate(ctx); err != nil {
				t.Fatal(err)
			}
			echoClients(t, ctx, srv.Addr(), tt.clients, axontest.ShortOr(16<<10, 64<<10))
			if wl, ok := ln.(*wrappingListener); ok && wl.accepted.Load() != int64(tt.clients) {
				t.Errorf("the listener accepted %d connections; want %d", wl.accepted.Load(), tt.clients)
			}
			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := srv.Shutdown(sctx); err != nil {
				t.Errorf("Shutdown = %v", err)
			}
			inner := ln
			if wl, ok := ln.(*wrappingListener); ok {
				inner = wl.Listener
			}
			expectListenerClosed(t, inner)
		})
	}
}

// TestServeOnEveryServer: ServeOn applies to each server, TLS from the
// first byte included.
func TestServeOnEveryServer(t *testing.T) {
	t.Parallel()
	p := testpki.New(t)
	t.Run("TCPServer", func(t *testing.T) {
		t.Parallel()
		ctx, _ := testCtx(t)
		ln := listenLoopback(t)
		srv, err := internet.NewTCPServer(0, internet.ServeOn(ln))
		if err != nil {
			t.Fatal(err)
		}
		w := newWirer(nil)
		link(t, axon.Out(srv, "protocolHandlerSignal"), axon.In(w, "inbox"))
		activate(t, ctx, w, srv)
		t.Cleanup(func() { srv.Stop(); w.Stop(); <-srv.Done(); <-w.Done() })
		echoOnce(t, dialCore(t, srv), "from a TCPServer on the caller's listener")
	})
	t.Run("ServerCore with ServeTLS", func(t *testing.T) {
		t.Parallel()
		ctx, _ := testCtx(t)
		srv := startServerCoreOn(t, ctx, listenLoopback(t), echoFactory, internet.ServeTLS(p.ServerConfig()))
		tlsEcho(t, ctx, p, srv.Addr(), "over TLS on the caller's listener")
	})
	t.Run("SingleServer", func(t *testing.T) {
		t.Parallel()
		ctx, _ := testCtx(t)
		ln := listenLoopback(t)
		srv, err := internet.NewSingleServer(0, internet.ServeOn(ln))
		if err != nil {
			t.Fatal(err)
		}
		h := axontest.Handle(t, srv)
		activate(t, ctx, srv)
		t.Cleanup(func() { srv.Stop(); <-srv.Done() })
		c := dialCore(t, srv)
		c.Write([]byte("ping"))
		if m := axontest.Get(t, ctx, h, "outbox"); string(m.([]byte)) != "ping" {
			t.Fatalf("outbox = %q; want ping", m)
		}
	})
}

// startServerCoreOn runs a ServerCore on ln and stops it when the test
// ends.
func startServerCoreOn(t testing.TB, ctx context.Context, ln net.Listener, factory internet.Factory, opts ...internet.ServerCoreOption) *internet.ServerCore {
	t.Helper()
	opts = append([]internet.ServerCoreOption{internet.ServeOn(ln), internet.Logger(discardLogger())}, opts...)
	srv, err := internet.NewServerCore(factory, 0, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop(); <-srv.Done() })
	return srv
}

// TestServeOnMisuse: what cannot go with a caller's listener is a
// constructor error that says why, and the listener, handed over, is
// closed.
func TestServeOnMisuse(t *testing.T) {
	t.Parallel()
	unix := func(t *testing.T) net.Listener {
		ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "s"))
		if err != nil {
			t.Skipf("no unix sockets: %v", err)
		}
		return ln
	}
	tcp := func(t *testing.T) net.Listener { return listenLoopback(t) }
	tests := []struct {
		name string
		ln   func(t *testing.T) net.Listener
		port int
		opts []internet.ServerCoreOption
		want string
	}{
		{"a port as well", tcp, 1602, nil, "port 1602"},
		{"Host as well", tcp, 0, []internet.ServerCoreOption{internet.Host("127.0.0.1")}, "Host"},
		{"Backlog and ReusePort as well", tcp, 0, []internet.ServerCoreOption{internet.Backlog(5), internet.ReusePort(true)}, "Backlog, ReusePort"},
		{"a listener that is not TCP", unix, 0, nil, "unix"},
		{"nil", nil, 0, nil, "ServeOn(nil)"},
		{"bad TLS as well", tcp, 0, []internet.ServerCoreOption{internet.ServeTLS(nil)}, "ServeTLS(nil)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var ln net.Listener
			if tt.ln != nil {
				ln = tt.ln(t)
			}
			opts := append([]internet.ServerCoreOption{internet.ServeOn(ln)}, tt.opts...)
			srv, err := internet.NewServerCore(echoFactory, tt.port, opts...)
			if err == nil {
				srv.TCPServer().Close()
				t.Fatal("NewServerCore succeeded; want an error")
			}
			if msg := err.Error(); !strings.Contains(msg, tt.want) || strings.Count(msg, "internet:") != 1 {
				t.Errorf("error %q: want it to say %q, naming the package once", msg, tt.want)
			}
			if ln != nil {
				expectListenerClosed(t, ln)
			}
		})
	}
}
