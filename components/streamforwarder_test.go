package components_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/proxytest"
	"github.com/kamaelia-go/kamaelia/internet"
)

// proxyRig is a TCP proxy built from a ServerCore and a StreamForwarder
// per connection, in front of a target listener of the test's own.
type proxyRig struct {
	addr     string
	target   *net.TCPListener
	registry *axon.Registry
	log      *axontest.Buffer
	fwds     chan *components.StreamForwarder // each connection's, as made
}

func newProxy(t *testing.T) *proxyRig {
	t.Helper()
	target := proxytest.Target(t)
	return startProxy(t, target, target.Addr().(*net.TCPAddr).Port)
}

func startProxy(t *testing.T, target *net.TCPListener, port int) *proxyRig {
	t.Helper()
	return startProxyWith(t, target, port)
}

func startProxyWith(t *testing.T, target *net.TCPListener, port int, opts ...components.ForwarderOption) *proxyRig {
	t.Helper()
	r := &proxyRig{target: target, registry: axon.NewRegistry(), log: &axontest.Buffer{}, fwds: make(chan *components.StreamForwarder, 1000)}
	logger := slog.New(slog.NewTextHandler(r.log, nil))
	srv, err := internet.NewServerCore(func(internet.ConnInfo) (axon.Component, error) {
		f, err := components.NewStreamForwarder(internet.NewTCPClient("127.0.0.1", port, internet.AllowHalfClose()), opts...)
		if err == nil {
			r.fwds <- f
		}
		return f, err
	}, 0, internet.Host("127.0.0.1"), internet.Logger(logger))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(axon.NewContext(context.Background(), r.registry))
	if err := srv.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		if err := srv.Shutdown(sctx); err != nil {
			t.Errorf("proxy shutdown: %v", err)
		}
		cancel()
	})
	r.addr = srv.Addr().String()
	return r
}

// connect dials the proxy and returns the client's connection and the
// target's end of the forwarded one.
func (r *proxyRig) connect(t *testing.T) (client, target *net.TCPConn) {
	t.Helper()
	return proxytest.Connect(t, r.addr, r.target)
}

func waitEnd(t *testing.T, f *components.StreamForwarder) {
	t.Helper()
	select {
	case <-f.Done():
	case <-time.After(axontest.Deadline):
		t.Fatalf("%s did not end", f.Name())
	}
}

// Each way a connection ends in order: the half-close of either side
// reaches the other after every byte, while the other direction goes on,
// and the StreamForwarder ends without an error, having counted each
// byte.
func TestStreamForwarderHalfCloses(t *testing.T) {
	t.Parallel()
	for _, tc := range proxytest.HalfCloses {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			r := newProxy(t)
			client, target := r.connect(t)
			toTarget, fromTarget := tc.Run(t, client, target)
			f := <-r.fwds
			waitEnd(t, f)
			if f.Err() != nil {
				t.Fatalf("Err = %v", f.Err())
			}
			if st := f.Stats(); st.ToTarget != int64(toTarget) || st.FromTarget != int64(fromTarget) {
				t.Fatalf("stats %+v; want %d to the target, %d from it", st, toTarget, fromTarget)
			}
		})
	}
}

// A refused connection to the target closes the client's, is logged, and
// is the StreamForwarder's error.
func TestStreamForwarderTargetRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	// The proxy listens before the port is free, or it might be given
	// that port and forward to itself.
	r := startProxy(t, nil, port)
	ln.Close() // nothing listens there now
	c, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(axontest.Deadline))
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("read = %d, %v; want the connection closed", n, err)
	}
	f := <-r.fwds
	waitEnd(t, f)
	if !errors.Is(f.Err(), syscall.ECONNREFUSED) {
		t.Fatalf("Err = %v, want ECONNREFUSED", f.Err())
	}
	for !strings.Contains(r.log.String(), "connection refused") {
		select { // the server logs once it has seen the handler end
		case <-time.After(time.Millisecond):
		case <-time.After(axontest.Deadline):
			t.Fatalf("log: %s", r.log)
		}
	}
}

// A target that stops reading pushes back all the way to the client:
// the proxy holds a bounded amount, and everything arrives once the
// target reads again.
func TestStreamForwarderStalledTargetIsBounded(t *testing.T) {
	t.Parallel()
	r := newProxy(t)
	client, target := r.connect(t)
	// Small socket buffers on the test's ends, so that 8 MiB is far more
	// than the socket buffers on the way and the proxy's boxes hold. Not
	// smaller than this: a receive buffer below two of loopback's 64 KiB
	// segments slows the transfer to a few megabytes a second.
	client.SetWriteBuffer(128 << 10)
	target.SetReadBuffer(128 << 10)
	data := proxytest.Random(8 << 20)
	sent := proxytest.Send(client, data)
	blocked := false
	for !blocked {
		for _, c := range r.registry.Snapshot().Components {
			blocked = blocked || (strings.HasPrefix(c.Name, "StreamForwarder.toTarget") && c.State == "blocked")
		}
		select {
		case err := <-sent:
			t.Fatalf("the client wrote everything (%v): nothing pushed back", err)
		case <-time.After(time.Millisecond):
		}
	}
	// What the proxy holds: the target's send box (256 KiB) and a chunk
	// or two in hand.
	if q := r.registry.Snapshot().QueuedBytes(); q > 1<<20 {
		t.Fatalf("the proxy holds %d bytes", q)
	}
	proxytest.Expect(t, target, data, "target")
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	target.Close() // the target finishes too: the StreamForwarder ends
	if _, err := io.ReadAll(client); err != nil {
		t.Fatal(err)
	}
	waitEnd(t, <-r.fwds)
}

// A client that resets its connection gets the target's closed, and the
// StreamForwarder ends without an error of its own.
func TestStreamForwarderClientReset(t *testing.T) {
	t.Parallel()
	r := newProxy(t)
	client, target := r.connect(t)
	if _, err := client.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 5)
	if _, err := io.ReadFull(target, got); err != nil {
		t.Fatal(err)
	}
	client.SetLinger(0)
	client.Close() // a reset
	if _, err := io.ReadAll(target); err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("target read: %v", err)
	}
	f := <-r.fwds
	waitEnd(t, f)
	if f.Err() != nil {
		t.Fatalf("Err = %v", f.Err())
	}
}

// Many connections, all mid-transfer at once: 200 of 100 kB each, or
// 100 of 10 kB with -short.
func TestStreamForwarderManyConnections(t *testing.T) {
	t.Parallel()
	r := newProxy(t)
	n, repeats := axontest.ShortOr(100, 200), axontest.ShortOr(2000, 20000)
	go proxytest.Echo(r.target) // a plain Go echo server
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			c, err := net.Dial("tcp", r.addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(axontest.Deadline))
			data := bytes.Repeat([]byte(fmt.Sprintf("%d,", i)), repeats)
			done := proxytest.Send(c.(*net.TCPConn), data)
			got, err := io.ReadAll(c)
			if err == nil {
				err = <-done
			}
			if err == nil && !bytes.Equal(got, data) {
				err = fmt.Errorf("connection %d: %d bytes back, want %d", i, len(got), len(data))
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestNewStreamForwarderErrors(t *testing.T) {
	t.Parallel()
	if _, err := components.NewStreamForwarder(nil); err == nil {
		t.Error("accepted a nil target")
	}
	boxless := axon.New("boxless", nil, axon.WithInboxes(), axon.WithOutboxes())
	if _, err := components.NewStreamForwarder(boxless); !errors.Is(err, axon.ErrNoBox) {
		t.Errorf("a target without boxes: %v", err)
	}
}

// With an Echo as its target, what goes in comes back out, and the
// notices travel as the box list says.
func TestStreamForwarderNotices(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		stop       any
		wantSignal any  // what the StreamForwarder says to its side at the end
		echoed     bool // whether what the target sent back is sure to come out
	}{
		{"this side finishes", internet.SocketShutdown{}, axon.ProducerFinished{}, true},
		// An abort: what is still on its way back may be cut off.
		{"shutdownMicroprocess closes both", axon.ShutdownMicroprocess{}, axon.ShutdownMicroprocess{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := axontest.Context(t)
			f, err := components.NewStreamForwarder(components.NewEcho())
			if err != nil {
				t.Fatal(err)
			}
			h := axontest.Handle(t, f)
			axontest.Activate(t, ctx, f)
			axontest.Put(t, ctx, h, "inbox", []byte("there"))
			axontest.Put(t, ctx, h, "inbox", "and back")
			axontest.Put(t, ctx, h, "inbox", 42) // not bytes: reported
			axontest.Put(t, ctx, h, "control", tc.stop)
			for _, want := range []string{"there", "and back"} {
				if !tc.echoed {
					break
				}
				if got := axontest.Get(t, ctx, h, "outbox"); fmt.Sprint(got) != fmt.Sprint([]byte(want)) && got != want {
					t.Fatalf("outbox = %v, want %q", got, want)
				}
			}
			if m, ok := axontest.Get(t, ctx, h, "signal").(axon.ErrorInformation); !ok || !errors.Is(m.Err, components.ErrUnexpectedMessage) {
				t.Fatalf("signal = %#v, want an error report", m)
			}
			got := axontest.Get(t, ctx, h, "signal")
			if fmt.Sprintf("%T", got) != fmt.Sprintf("%T", tc.wantSignal) {
				t.Fatalf("signal = %#v, want a %T", got, tc.wantSignal)
			}
			axontest.WaitDone(t, ctx, f)
			if err := f.Err(); err != nil {
				t.Fatalf("Err = %v", err)
			}
			if st := f.Stats(); st.ToTarget != 13 || (tc.echoed && st.FromTarget != 13) {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

// startResettingProxy is startProxy with components.AbortWith, as a
// proxy that resets one side when the other fails is wired.
func startResettingProxy(t *testing.T, target *net.TCPListener, port int) *proxyRig {
	t.Helper()
	return startProxyWith(t, target, port, components.AbortWith(func(cause error) any { return internet.Reset{Err: cause} }))
}

// With AbortWith a Reset, a side that fails gets the other reset rather
// than closed in order: the peer on that side can tell that its stream
// was cut short. Each case is one way a side fails.
func TestStreamForwarderAbortWith(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"the target refuses", func(t *testing.T) {
			ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			port := ln.Addr().(*net.TCPAddr).Port
			r := startResettingProxy(t, nil, port) // before the port is free, as above
			ln.Close()
			c, err := net.Dial("tcp", r.addr)
			if err == nil { // else the reset came before Dial saw the connection up
				defer c.Close()
				c.SetDeadline(time.Now().Add(axontest.Deadline))
				_, err = io.ReadAll(c)
			}
			if !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("client: %v; want a reset", err)
			}
			f := <-r.fwds
			waitEnd(t, f)
			if !errors.Is(f.Err(), syscall.ECONNREFUSED) {
				t.Fatalf("Err = %v, want ECONNREFUSED", f.Err())
			}
		}},
		{"the target resets", func(t *testing.T) {
			target := proxytest.Target(t)
			r := startResettingProxy(t, target, target.Addr().(*net.TCPAddr).Port)
			client, tc := r.connect(t)
			client.Write([]byte("hello"))
			io.ReadFull(tc, make([]byte, 5))
			tc.SetLinger(0)
			tc.Close()
			if _, err := io.ReadAll(client); !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("client read: %v; want a reset", err)
			}
		}},
		{"the client resets", func(t *testing.T) {
			target := proxytest.Target(t)
			r := startResettingProxy(t, target, target.Addr().(*net.TCPAddr).Port)
			client, tc := r.connect(t)
			client.Write([]byte("hello"))
			io.ReadFull(tc, make([]byte, 5))
			client.SetLinger(0)
			client.Close()
			if _, err := io.ReadAll(tc); !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("target read: %v; want a reset", err)
			}
			f := <-r.fwds
			waitEnd(t, f)
			if f.Err() != nil {
				t.Fatalf("Err = %v", f.Err())
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.run)
	}
}
