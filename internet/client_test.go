package internet_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/proxytest"
	"github.com/kamaelia-go/kamaelia/internet"
)

// listener returns a loopback listener and its port.
func listener(t testing.TB) (*net.TCPListener, int) {
	t.Helper()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln, ln.Addr().(*net.TCPAddr).Port
}

// terminal waits for the client to end and returns its signal messages,
// failing unless there is exactly one terminal ProducerFinished.
func terminal(t testing.TB, ctx context.Context, h *axon.Handle) axon.ProducerFinished {
	t.Helper()
	select {
	case <-h.Done():
	case <-ctx.Done():
		t.Fatal("client did not end")
	}
	var finals []axon.ProducerFinished
	for {
		m, ok := h.TryGet("signal")
		if !ok {
			break
		}
		if pf, ok := m.(axon.ProducerFinished); ok {
			finals = append(finals, pf)
		} else if axon.IsProducerFinished(m) {
			t.Fatalf("unexpected producerFinished-family message %#v", m)
		}
	}
	if len(finals) != 1 {
		t.Fatalf("got %d terminal messages on signal, want exactly 1: %#v", len(finals), finals)
	}
	return finals[0]
}

func TestClientConnectRefused(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	ln, port := listener(t)
	ln.Close() // nothing listens there now
	c := internet.NewTCPClient("127.0.0.1", port)
	h := axontest.Handle(t, c)
	err := c.Run(ctx)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("Run = %v, want ECONNREFUSED", err)
	}
	if pf := terminal(t, ctx, h); !errors.Is(pf.Err, syscall.ECONNREFUSED) || pf.Caller != axon.Component(c) {
		t.Fatalf("terminal = %+v", pf)
	}
}

func TestClientConnectTimeout(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	port := proxytest.Unanswering(t)
	c := internet.NewTCPClient("127.0.0.1", port, internet.ConnectTimeout(200*time.Millisecond))
	h := axontest.Handle(t, c)
	start := time.Now()
	err := c.Run(ctx)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("Run = %v, want a timeout", err)
	}
	if took := time.Since(start); took < 200*time.Millisecond {
		t.Fatalf("gave up after %v, before the 200ms timeout", took)
	}
	pf := terminal(t, ctx, h)
	if !errors.As(pf.Err, &ne) || !ne.Timeout() {
		t.Fatalf("terminal Err = %v", pf.Err)
	}
}

func TestClientSendsDataQueuedBeforeConnect(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	ln, port := listener(t)
	c := internet.NewTCPClient("127.0.0.1", port)
	h := axontest.Handle(t, c)
	data := randomBytes(8, 200<<10)
	// Queue data and producerFinished before the client even runs; the
	// producer waits when the inbox is full, so feed it from a goroutine.
	fed := make(chan error, 1)
	go func() { fed <- send(ctx, h, data, 9) }()
	activate(t, ctx, c)
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	got := readAll(t, ctx, conn) // ends at the client's half-close
	if err := <-fed; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("server got %d of %d bytes", len(got), len(data))
	}
	conn.Write([]byte("bye"))
	conn.Close() // the client ends once the server closes
	if pf := terminal(t, ctx, h); pf.Err != nil {
		t.Fatalf("terminal Err = %v", pf.Err)
	}
	var reply bytes.Buffer
	for {
		m, ok := h.TryGet("outbox")
		if !ok {
			break
		}
		reply.Write(m.([]byte))
	}
	if reply.String() != "bye" {
		t.Fatalf("client delivered %q from the server", reply.String())
	}
}

func TestClientShutdownBeforeConnectGivesUp(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	ln, port := listener(t)
	c := internet.NewTCPClient("127.0.0.1", port, internet.Delay(time.Hour))
	h := axontest.Handle(t, c)
	activate(t, ctx, c)
	if err := h.Put(ctx, "control", axon.ShutdownMicroprocess{}); err != nil {
		t.Fatal(err)
	}
	if pf := terminal(t, ctx, h); !errors.Is(pf.Err, internet.ErrShutdown) {
		t.Fatalf("terminal Err = %v, want ErrShutdown", pf.Err)
	}
	ln.SetDeadline(time.Now())
	if conn, err := ln.Accept(); err == nil {
		conn.Close()
		t.Fatal("client connected although told to shut down first")
	}
}

func TestClientDelay(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	ln, port := listener(t)
	const delay = 150 * time.Millisecond
	c := internet.NewTCPClient("127.0.0.1", port, internet.Delay(delay))
	h := axontest.Handle(t, c)
	start := time.Now()
	activate(t, ctx, c)
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < delay {
		t.Fatalf("connected after %v, before the %v delay", took, delay)
	}
	conn.Close()
	if pf := terminal(t, ctx, h); pf.Err != nil {
		t.Fatalf("terminal Err = %v", pf.Err)
	}
}

func TestClientHostForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, network, listen, host string
	}{
		{"IPv4", "tcp4", "127.0.0.1:0", "127.0.0.1"},
		{"host name", "tcp4", "127.0.0.1:0", "localhost"},
		{"IPv6 literal", "tcp6", "[::1]:0", "::1"},
		{"IPv6 in brackets", "tcp6", "[::1]:0", "[::1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, _ := testCtx(t)
			ln, err := net.Listen(tt.network, tt.listen)
			if err != nil {
				t.Skipf("no %s loopback: %v", tt.network, err)
			}
			defer ln.Close()
			_, port, _ := net.SplitHostPort(ln.Addr().String())
			p, _ := strconv.Atoi(port)
			pingThrough(t, ctx, ln, internet.NewTCPClient(tt.host, p))
		})
	}
}

// pingThrough activates c, a client of ln's, and checks that what it
// is sent reaches the server, and that it ends cleanly when the server
// closes.
func pingThrough(t *testing.T, ctx context.Context, ln net.Listener, c *internet.TCPClient) {
	t.Helper()
	h := axontest.Handle(t, c)
	activate(t, ctx, c)
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	axontest.Put(t, ctx, h, "inbox", "ping")
	buf := make([]byte, 4)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Read(buf); err != nil || string(buf) != "ping" {
		t.Fatalf("server read %q, %v", buf, err)
	}
	conn.Close()
	if pf := terminal(t, ctx, h); pf.Err != nil {
		t.Fatalf("terminal Err = %v", pf.Err)
	}
}

func TestClientResetIsReported(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	ln, port := listener(t)
	c := internet.NewTCPClient("127.0.0.1", port)
	h := axontest.Handle(t, c)
	activate(t, ctx, c)
	conn, err := ln.AcceptTCP()
	if err != nil {
		t.Fatal(err)
	}
	conn.SetLinger(0) // close with RST
	conn.Close()
	if pf := terminal(t, ctx, h); !errors.Is(pf.Err, syscall.ECONNRESET) {
		t.Fatalf("terminal Err = %v, want ECONNRESET", pf.Err)
	}
}

func TestClientAllowHalfCloseKeepsSending(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	ln, port := listener(t)
	c := internet.NewTCPClient("127.0.0.1", port, internet.AllowHalfClose())
	h := axontest.Handle(t, c)
	activate(t, ctx, c)
	conn, err := ln.AcceptTCP()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("your turn"))
	conn.CloseWrite()
	notice, err := h.Get(ctx, "peerFinished")
	if err != nil || axon.Cause(notice) != nil {
		t.Fatalf("peerFinished = %#v, %v", notice, err)
	}
	if m, _ := h.TryGet("outbox"); string(m.([]byte)) != "your turn" {
		t.Fatalf("outbox = %q", m)
	}
	data := randomBytes(10, 300<<10)
	if err := send(ctx, h, data, 11); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, ctx, conn); !bytes.Equal(got, data) {
		t.Fatalf("server got %d of %d bytes after its half-close", len(got), len(data))
	}
	if pf := terminal(t, ctx, h); pf.Err != nil {
		t.Fatalf("terminal Err = %v", pf.Err)
	}
}

// TestClientBoundsWhatWaitsToConnect: data sent before the connection
// exists waits in the client's "inbox", bounded in bytes as the
// adapter's own is (SendLimit), so a producer running ahead of a slow
// connect waits rather than grow the process.
func TestClientBoundsWhatWaitsToConnect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		opts  []internet.TCPClientOption
		chunk int
		fits  int // chunks that fit
	}{
		{"DefaultSendLimit", nil, 16 << 10, 2},
		{"SendLimit", []internet.TCPClientOption{internet.SendLimit(axon.Limit{Messages: 3, Bytes: 1 << 20})}, 10, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, _ := testCtx(t)
			_, port := listener(t)
			c := internet.NewTCPClient("127.0.0.1", port, append(tt.opts, internet.Delay(time.Hour))...)
			activate(t, ctx, c)
			t.Cleanup(func() { c.Stop(); <-c.Done() })
			full, cancel := context.WithCancel(ctx)
			cancel() // Put then fails rather than wait for room
			for i := range tt.fits {
				if err := c.Inbox("inbox").Put(full, make([]byte, tt.chunk)); err != nil {
					t.Fatalf("chunk %d found no room: %v", i, err)
				}
			}
			if err := c.Inbox("inbox").Put(full, make([]byte, tt.chunk)); err == nil {
				t.Fatalf("chunk %d found room; want the inbox full", tt.fits)
			}
		})
	}
}
