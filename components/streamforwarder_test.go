package components_test

import (
	"bytes"
	"context"
	"crypto/rand"
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
	target, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { target.Close() })
	return startProxy(t, target, target.Addr().(*net.TCPAddr).Port)
}

func startProxy(t *testing.T, target *net.TCPListener, port int) *proxyRig {
	t.Helper()
	r := &proxyRig{target: target, registry: axon.NewRegistry(), log: &axontest.Buffer{}, fwds: make(chan *components.StreamForwarder, 1000)}
	logger := slog.New(slog.NewTextHandler(r.log, nil))
	srv, err := internet.NewServerCore(func(internet.ConnInfo) (axon.Component, error) {
		f, err := components.NewStreamForwarder(internet.NewTCPClient("127.0.0.1", port, internet.AllowHalfClose()))
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
	c, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	s, err := r.target.AcceptTCP()
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(axontest.Deadline)
	c.SetDeadline(deadline)
	s.SetDeadline(deadline)
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s
}

func random(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// send writes p and half-closes, in the background; the result comes on
// the channel.
func send(c *net.TCPConn, p []byte) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := c.Write(p)
		if err == nil {
			err = c.CloseWrite()
		}
		done <- err
	}()
	return done
}

func readAll(t *testing.T, c net.Conn, want []byte, who string) {
	t.Helper()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("%s: read: %v (after %d bytes)", who, err, len(got))
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s got %d bytes, want %d, or not the same", who, len(got), len(want))
	}
}

func waitEnd(t *testing.T, f *components.StreamForwarder) {
	t.Helper()
	select {
	case <-f.Done():
	case <-time.After(axontest.Deadline):
		t.Fatalf("%s did not end", f.Name())
	}
}

// The client finishes first; the target still answers; then it
// finishes too. Each half-close reaches the other side after every byte.
func TestStreamForwarderClientHalfClosesFirst(t *testing.T) {
	t.Parallel()
	r := newProxy(t)
	client, target := r.connect(t)
	request, reply := random(t, 1<<20), random(t, 3<<20)

	sent := send(client, request)
	readAll(t, target, request, "target") // EOF: the half-close came across
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	sent = send(target, reply) // the target may still send
	readAll(t, client, reply, "client")
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	f := <-r.fwds
	waitEnd(t, f)
	if f.Err() != nil {
		t.Fatalf("Err = %v", f.Err())
	}
	if st := f.Stats(); st.ToTarget != int64(len(request)) || st.FromTarget != int64(len(reply)) {
		t.Fatalf("stats %+v", st)
	}
}

// The target finishes first; the client still sends.
func TestStreamForwarderTargetHalfClosesFirst(t *testing.T) {
	t.Parallel()
	r := newProxy(t)
	client, target := r.connect(t)
	greeting, upload := random(t, 64<<10), random(t, 2<<20)

	sent := send(target, greeting)
	readAll(t, client, greeting, "client")
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	sent = send(client, upload)
	readAll(t, target, upload, "target")
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	waitEnd(t, <-r.fwds)
}

// Both ways at once, to a target that echoes: neither direction waits
// for the other, so a large transfer does not deadlock.
func TestStreamForwarderBothWaysAtOnce(t *testing.T) {
	t.Parallel()
	r := newProxy(t)
	client, target := r.connect(t)
	go func() {
		io.Copy(target, target)
		target.CloseWrite()
	}()
	data := random(t, axontest.ShortOr(4<<20, 16<<20))
	sent := send(client, data)
	readAll(t, client, data, "client")
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	waitEnd(t, <-r.fwds)
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
	ln.Close() // nothing listens there now
	r := startProxy(t, nil, port)
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
	// Small socket buffers on the test's ends, so that the proxy's boxes
	// fill with a few megabytes.
	client.SetWriteBuffer(32 << 10)
	target.SetReadBuffer(32 << 10)
	data := random(t, 8<<20)
	sent := send(client, data)
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
	target.SetReadBuffer(4 << 20)
	readAll(t, target, data, "target")
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
	go func() {
		for {
			c, err := r.target.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
				c.(*net.TCPConn).CloseWrite()
			}()
		}
	}()
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
			done := send(c.(*net.TCPConn), data)
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
		{"this side finishes", axon.SocketShutdown{}, axon.ProducerFinished{}, true},
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
