package main

import (
	"bufio"
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
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/leakcheck"
	"github.com/kamaelia-go/kamaelia/internal/proxytest"
	"github.com/kamaelia-go/kamaelia/internet"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// rig is a proxy in front of a target listener of the test's own.
type rig struct {
	addr     string           // the proxy's
	target   *net.TCPListener // nil for a target that is down
	registry *axon.Registry   // the proxy's components
	logs     *axontest.Buffer // what the proxy logs
	proxy    *internet.ServerCore
}

// startProxy starts a proxy to target (its address) on a free port and
// shuts it down when the test ends.
func startProxy(t testing.TB, target string) *rig {
	t.Helper()
	r := &rig{registry: axon.NewRegistry(), logs: &axontest.Buffer{}}
	proxy, err := newProxy(target, 0, []internet.TCPClientOption{internet.ConnectTimeout(10 * time.Second)},
		internet.Host("127.0.0.1"), internet.Logger(slog.New(slog.NewTextHandler(r.logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	if err := proxy.Activate(axon.NewContext(context.Background(), r.registry)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), axontest.Deadline)
		defer cancel()
		if err := proxy.Shutdown(ctx); err != nil {
			t.Errorf("proxy shutdown: %v", err)
		}
	})
	r.addr, r.proxy = proxy.Addr().String(), proxy
	return r
}

// newRig starts a target listener and a proxy to it.
func newRig(t *testing.T) *rig {
	t.Helper()
	ln := proxytest.Target(t)
	r := startProxy(t, ln.Addr().String())
	r.target = ln
	return r
}

// connect dials the proxy and returns the client's connection and the
// target's end of the forwarded one.
func (r *rig) connect(t *testing.T) (client, target *net.TCPConn) {
	t.Helper()
	return proxytest.Connect(t, r.addr, r.target)
}

// TestProxyBytesAndHalfCloses: bytes pass both ways unchanged, and a
// half-close on either side reaches the other after the last byte, while
// the other direction goes on.
func TestProxyBytesAndHalfCloses(t *testing.T) {
	t.Parallel()
	for _, tc := range proxytest.HalfCloses {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			client, target := r.connect(t)
			tc.Run(t, client, target)
		})
	}
}

// relayBlocked reports whether the proxy's relay whose name starts with
// prefix is waiting for room to pass bytes on.
func (r *rig) relayBlocked(prefix string) bool {
	for _, c := range r.registry.Snapshot().Components {
		if strings.HasPrefix(c.Name, prefix) && c.State == "blocked" {
			return true
		}
	}
	return false
}

// TestProxyStalledSideIsBounded: a side that stops reading pushes back
// all the way to the other side's peer: the proxy holds a bounded amount
// (its boxes, not the stream), and everything arrives once it reads
// again.
func TestProxyStalledSideIsBounded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		relay string // the relay that waits for the stalled side
		// from sends, to stalls
		ends func(client, target *net.TCPConn) (from, to *net.TCPConn)
	}{
		{"the target stops reading", "StreamForwarder.toTarget", func(c, s *net.TCPConn) (*net.TCPConn, *net.TCPConn) { return c, s }},
		{"the client stops reading", "StreamForwarder.fromTarget", func(c, s *net.TCPConn) (*net.TCPConn, *net.TCPConn) { return s, c }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			from, to := tt.ends(r.connect(t))
			// Small socket buffers on the test's ends (a receive
			// buffer on the stalled side, a send buffer on the other),
			// so that 8 MiB is far more than the socket buffers on the
			// way and the proxy's boxes hold. Not smaller than this: a
			// receive buffer below two of loopback's 64 KiB segments
			// slows the transfer to a few megabytes a second.
			to.SetReadBuffer(128 << 10)
			from.SetWriteBuffer(128 << 10)
			data := proxytest.Random(8 << 20)
			sent := proxytest.Send(from, data)
			for !r.relayBlocked(tt.relay) {
				select {
				case err := <-sent:
					t.Fatalf("all %d bytes were written (%v): nothing pushed back", len(data), err)
				case <-time.After(time.Millisecond):
				}
			}
			// What the proxy holds: a connection's send box (32 KiB)
			// and the chunks in hand, never the stream.
			if q := r.registry.Snapshot().QueuedBytes(); q > 1<<20 {
				t.Fatalf("the proxy holds %d bytes", q)
			}
			proxytest.Expect(t, to, data, "the stalled side, reading again")
			if err := <-sent; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestProxyTargetDown: when the target refuses the connection, or
// resets it mid-transfer, the client's connection is reset (not closed
// in order: the client can tell), and the proxy logs it with the
// client's address.
func TestProxyTargetDown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// run returns the proxy, the client's end of its connection
		// (nil if the reset came before the dial returned), and what
		// the log says
		run func(t *testing.T) (r *rig, client net.Conn, logged string)
	}{
		{"refused", func(t *testing.T) (*rig, net.Conn, string) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			// The proxy listens before the target's port is free, or it
			// might be given that port and forward to itself.
			r := startProxy(t, ln.Addr().String())
			ln.Close() // nothing listens there now
			c, err := net.Dial("tcp", r.addr)
			if errors.Is(err, syscall.ECONNRESET) {
				return r, nil, "connection refused" // reset before Dial saw the connection up
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			c.SetDeadline(time.Now().Add(axontest.Deadline))
			return r, c, "connection refused"
		}},
		{"reset mid-transfer", func(t *testing.T) (*rig, net.Conn, string) {
			r := newRig(t)
			client, target := r.connect(t)
			client.Write([]byte("hello"))
			io.ReadFull(target, make([]byte, 5))
			target.Write([]byte("partial answ"))
			io.ReadFull(client, make([]byte, 12))
			target.SetLinger(0)
			target.Close()
			return r, client, "connection reset"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, client, logged := tt.run(t)
			peer := "peer=127.0.0.1:"
			if client != nil {
				if _, err := io.ReadAll(client); !errors.Is(err, syscall.ECONNRESET) {
					t.Fatalf("client read: %v; want a reset", err)
				}
				peer += strings.TrimPrefix(client.LocalAddr().String(), "127.0.0.1:")
			}
			deadline := time.Now().Add(axontest.Deadline)
			for {
				line := logLine(r.logs.String(), peer)
				if strings.Contains(line, logged) && strings.Contains(line, "level=ERROR") {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no log line for the client with %q; logs:\n%s", logged, r.logs)
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
}

// logLine returns the first line of logs that contains s.
func logLine(logs, s string) string {
	for l := range strings.Lines(logs) {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// TestProxyUnderLoad: hundreds of connections, all mid-transfer at once
// through one proxy to an echo target, each gets back exactly its own
// bytes.
func TestProxyUnderLoad(t *testing.T) {
	t.Parallel()
	clients, size := axontest.ShortOr(50, 300), axontest.ShortOr(64<<10, 256<<10)
	r := newRig(t)
	go proxytest.Echo(r.target) // a plain Go echo server
	var wg sync.WaitGroup
	var started sync.WaitGroup // every client has had an echo before any finishes
	started.Add(clients)
	errs := make(chan error, clients)
	for i := range clients {
		wg.Go(func() {
			if err := echoThrough(r.addr, i, size, &started); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if failed++; failed <= 5 {
			t.Error(err)
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d connections failed", failed, clients)
	}
}

// echoThrough sends size bytes of its own through the proxy at addr and
// checks that exactly those come back. It sends a first chunk and waits
// for its echo, then for every other client to have done the same
// (started), so that all are mid-transfer at once. A connection fails
// if its echo makes no progress for axontest.Deadline: a stuck one is
// caught, a slow one (a loaded machine) is not.
func echoThrough(addr string, id, size int, started *sync.WaitGroup) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		started.Done()
		return fmt.Errorf("connection %d: %w", id, err)
	}
	defer c.Close()
	r := progressReader{c}
	data := bytes.Repeat([]byte(fmt.Sprintf("%d,", id)), size/8)
	first := len(data) / 16
	_, err = c.Write(data[:first])
	if err == nil {
		_, err = io.ReadFull(r, make([]byte, first))
	}
	started.Done()
	if err != nil {
		return fmt.Errorf("connection %d: first echo: %w", id, err)
	}
	started.Wait()
	done := proxytest.Send(c.(*net.TCPConn), data[first:])
	got, err := io.ReadAll(r)
	if err == nil {
		err = <-done
	}
	if err == nil && !bytes.Equal(got, data[first:]) {
		err = fmt.Errorf("%d bytes back, want %d of its own", len(got), len(data)-first)
	}
	if err != nil {
		return fmt.Errorf("connection %d: %w", id, err)
	}
	return nil
}

// progressReader reads from a connection, giving each read
// axontest.Deadline to bring something.
type progressReader struct{ c net.Conn }

func (r progressReader) Read(p []byte) (int, error) {
	if err := r.c.SetReadDeadline(time.Now().Add(axontest.Deadline)); err != nil {
		return 0, err
	}
	return r.c.Read(p)
}

// TestRun: the program prints LISTENING, forwards, and exits cleanly
// when ctx ends; bad arguments are errors.
func TestRun(t *testing.T) {
	t.Parallel()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-port", "0", "-to", ln.Addr().String()}, w, io.Discard)
		w.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "LISTENING ")
	if err != nil || !ok || !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("first line %q, %v", line, err)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(axontest.Deadline))
	ln.SetDeadline(time.Now().Add(axontest.Deadline))
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c.Write([]byte("through"))
	if got := make([]byte, 7); func() error { _, err := io.ReadFull(s, got); return err }() != nil || string(got) != "through" {
		t.Fatalf("the target got %q", got)
	}
	s.Close()
	c.(*net.TCPConn).CloseWrite()
	io.ReadAll(c)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(axontest.Deadline):
		t.Fatal("the proxy did not shut down")
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no target", []string{"-port", "0"}, "-to HOST:PORT is needed"},
		{"a target without a port", []string{"-port", "0", "-to", "example.org"}, "missing port"},
		{"a bad flag", []string{"-port", "nope"}, "invalid value"},
	} {
		err := run(context.Background(), tc.args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: run = %v; want an error saying %q", tc.name, err, tc.want)
		}
	}
}

// TestHelpExitsZero: -help, -h and --help print the usage and exit 0; a
// flag that does not exist exits 1.
func TestHelpExitsZero(t *testing.T) {
	t.Parallel()
	for arg, want := range map[string]int{"-help": 0, "-h": 0, "--help": 0, "-no-such-flag": 1} {
		if got := exitStatus(run(context.Background(), []string{arg}, io.Discard, io.Discard)); got != want {
			t.Errorf("%s: exit status %d, want %d", arg, got, want)
		}
	}
}
