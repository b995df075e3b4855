package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/streamtest"
	"github.com/kamaelia-go/kamaelia/internal/testpki"
)

// echoOnce sends msg on a new connection to addr and checks it comes
// back; the connection stays open for the caller.
func echoOnce(t *testing.T, addr, msg string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(testDeadline))
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("echo of %q: %v", msg, err)
	}
	if string(got) != msg {
		t.Fatalf("echoed %q, want %q", got, msg)
	}
	return c
}

// expectClosed checks that the server closes c (EOF or a reset) before
// the test's deadline, without sending anything first.
func expectClosed(t *testing.T, c net.Conn) {
	t.Helper()
	n, err := c.Read(make([]byte, 1))
	if n != 0 || err == nil || isTimeout(err) {
		t.Fatalf("read on a connection the server should close: n=%d err=%v", n, err)
	}
}

func TestServeListensEchoesAndShutsDownOnSIGTERM(t *testing.T) {
	t.Parallel()
	p := startProcess(t, nil, nil, "serve", "--port", "0")
	s := &serveProc{proc: p, addr: listeningAddr(t, p)}
	host, _ := splitAddr(t, s.addr)
	if host != "127.0.0.1" {
		t.Errorf("serve listens on %s by default, want loopback", s.addr)
	}
	c := echoOnce(t, s.addr, "ping\n")
	// A graceful shutdown closes a quiet connection cleanly (and serves
	// a busy one until its client finishes): the server exits 0.
	s.signal(t, syscall.SIGTERM)
	expectClosed(t, c)
	c.Close()
	if code := s.wait(t); code != 0 {
		t.Fatalf("serve exited %d after SIGTERM; stderr:\n%s", code, s.stderr)
	}
	if !strings.Contains(s.stderr.String(), "msg=serving") {
		t.Errorf("stderr does not log that it serves:\n%s", s.stderr)
	}
}

func TestServeTakesPortFromEnvironmentAndStopsOnSIGINT(t *testing.T) {
	t.Parallel()
	p := startProcess(t, nil, []string{"PORT=0"}, "serve")
	addr := listeningAddr(t, p)
	if _, port := splitAddr(t, addr); port == "0" || port == strconv.Itoa(defaultServePort) {
		t.Fatalf("PORT=0 listened on %s, want a port chosen by the kernel", addr)
	}
	echoOnce(t, addr, "from PORT\n").Close()
	p.signal(t, os.Interrupt)
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d after SIGINT; stderr:\n%s", code, p.stderr)
	}
}

func TestServeFlagPortBeatsEnvironment(t *testing.T) {
	t.Parallel()
	p := start(t, nil, []string{"PORT=not-a-port"}, "serve", "--port", "0")
	echoOnce(t, listeningAddr(t, p), "flag wins\n").Close()
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, p.stderr)
	}
}

func TestServeIdleTimeout(t *testing.T) {
	t.Parallel()
	// Long enough that the echo never takes it on a busy machine.
	s := serve(t, nil, "--idle-timeout", "1s")
	c := echoOnce(t, s.addr, "then silence\n")
	expectClosed(t, c)
	s.stop(t)
}

func TestServeMaxConns(t *testing.T) {
	t.Parallel()
	s := serve(t, nil, "--max-conns", "1")
	first := echoOnce(t, s.addr, "first\n") // being served now
	second, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	second.SetDeadline(time.Now().Add(testDeadline))
	expectClosed(t, second)
	first.Close()
	s.stop(t)
}

func TestConnectEchoesThroughServe(t *testing.T) {
	t.Parallel()
	s := serve(t, nil)
	host, port := splitAddr(t, s.addr)
	input := "hello\nworld\n"
	r := runKamaelia(t, input, "connect", host, port)
	if r.code != 0 || r.stdout != input {
		t.Fatalf("connect: exit %d, stdout %q, want 0 and %q; stderr:\n%s", r.code, r.stdout, input, r.stderr)
	}
	s.stop(t)
}

func TestConnectTLSThroughServe(t *testing.T) {
	t.Parallel()
	pki := testpki.New(t)
	s := serve(t, nil, "--tls-cert", pki.CertFile, "--tls-key", pki.KeyFile)
	host, port := splitAddr(t, s.addr)
	input := "over TLS\nsecond line\n"
	r := runKamaelia(t, input, "connect", "--ssl", "--ca", pki.CAFile, host, port)
	if r.code != 0 || r.stdout != input {
		t.Fatalf("connect --ssl: exit %d, stdout %q, want 0 and %q; stderr:\n%s", r.code, r.stdout, input, r.stderr)
	}
	for _, want := range []string{"TLS 1.3", "CN=localhost"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr %q does not report %q", r.stderr, want)
		}
	}

	// Without the test CA the server is not trusted: a one-line TLS
	// failure and a non-zero exit, and nothing was sent in the clear.
	r = runKamaelia(t, "secret\n", "connect", "--ssl", host, port)
	if r.code != 1 || r.stdout != "" {
		t.Fatalf("untrusted server: exit %d, stdout %q; want 1 and nothing", r.code, r.stdout)
	}
	assertOneLine(t, r.stderr, "TLS failure")
	s.stop(t)
}

func TestConnectStartTLSThroughServe(t *testing.T) {
	t.Parallel()
	pki := testpki.New(t)
	s := serve(t, nil, "--tls-cert", pki.CertFile, "--tls-key", pki.KeyFile, "--starttls")
	_, port := splitAddr(t, s.addr)
	input := "upgraded\n"
	r := runKamaelia(t, input, "connect", "--starttls", "--ca", pki.CAFile, "localhost", port)
	if r.code != 0 || r.stdout != input {
		t.Fatalf("connect --starttls: exit %d, stdout %q, want 0 and %q; stderr:\n%s", r.code, r.stdout, input, r.stderr)
	}
	if !strings.Contains(r.stderr, "TLS up") {
		t.Errorf("stderr %q does not report TLS", r.stderr)
	}
	// A client that does not ask for STARTTLS is refused.
	r = runKamaelia(t, "plain\n", "connect", "127.0.0.1", port)
	if r.code != 0 || r.stdout != startTLSRefusal {
		t.Fatalf("plain client: exit %d, stdout %q; want 0 and %q", r.code, r.stdout, startTLSRefusal)
	}
	s.stop(t)
}

func TestConnectStartTLSRefusedByServer(t *testing.T) {
	t.Parallel()
	s := serve(t, nil) // echo: answers STARTTLS with STARTTLS
	host, port := splitAddr(t, s.addr)
	pki := testpki.New(t)
	r := runKamaelia(t, "never sent\n", "connect", "--starttls", "--ca", pki.CAFile, host, port)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", r.code, r.stderr)
	}
	assertOneLine(t, r.stderr, "refused STARTTLS")
	s.stop(t)
}

func TestConnectKeepsPrintingAfterEndOfInput(t *testing.T) {
	t.Parallel()
	// The server reads until our half-close, then answers and closes:
	// connect must deliver the answer that comes after its stdin ended.
	ln := listen(t)
	serveOne(t, ln, func(c net.Conn) {
		data, _ := io.ReadAll(c)
		io.WriteString(c, "read "+strconv.Itoa(len(data))+" bytes\n")
	})
	host, port := splitAddr(t, ln.Addr().String())
	r := runKamaelia(t, "twelve bytes", "connect", host, port)
	if want := "read 12 bytes\n"; r.code != 0 || r.stdout != want {
		t.Fatalf("exit %d, stdout %q, want 0 and %q; stderr:\n%s", r.code, r.stdout, want, r.stderr)
	}
}

func TestConnectRefused(t *testing.T) {
	t.Parallel()
	ln := listen(t)
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	host, port := splitAddr(t, addr)
	r := runKamaelia(t, "", "connect", host, port)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	assertOneLine(t, r.stderr, "connection refused")
}

func TestConnectReset(t *testing.T) {
	t.Parallel()
	ln := listen(t)
	serveOne(t, ln, func(c net.Conn) {
		bufio.NewReader(c).ReadString('\n')
		c.(*net.TCPConn).SetLinger(0) // close with a reset
	})
	host, port := splitAddr(t, ln.Addr().String())
	r := runKamaelia(t, "hello\n", "connect", host, port)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", r.code, r.stderr)
	}
	assertOneLine(t, r.stderr, "connection reset")
}

func TestSendDeliversFileAtRate(t *testing.T) {
	const (
		rate  = 4 << 20
		chunk = 64 << 10
	)
	// Two and a half seconds of sending; half a second in the quick
	// suite, still 32 chunks.
	size := axontest.ShortOr(2<<20, 10<<20)
	file := filepath.Join(t.TempDir(), "payload")
	content := make([]byte, size)
	rand.Read(content)
	if err := os.WriteFile(file, content, 0o600); err != nil {
		t.Fatal(err)
	}

	type received struct {
		data        []byte
		first, last time.Time
		firstChunk  int
		err         error
	}
	got := make(chan received, 1)
	ln := listen(t)
	serveOne(t, ln, func(c net.Conn) {
		var r received
		buf := make([]byte, 256<<10)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				now := time.Now()
				if r.first.IsZero() {
					r.first, r.firstChunk = now, n
				}
				r.last = now
				r.data = append(r.data, buf[:n]...)
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					r.err = err
				}
				break
			}
		}
		got <- r // then the connection closes
	})
	host, port := splitAddr(t, ln.Addr().String())
	r := runKamaelia(t, "", "send", "--rate", strconv.Itoa(rate), "--chunk", "64KiB", file, host, port)
	if r.code != 0 {
		t.Fatalf("send: exit %d; stderr:\n%s", r.code, r.stderr)
	}
	var rec received
	select {
	case rec = <-got:
	case <-time.After(testDeadline):
		t.Fatal("the receiver did not finish")
	}
	if rec.err != nil {
		t.Fatalf("receiving: %v", rec.err)
	}
	if !bytes.Equal(rec.data, content) {
		t.Fatalf("received %d bytes that differ from the file's %d", len(rec.data), len(content))
	}
	// From the first byte to the last, the bytes after the first read
	// arrived at the rate asked for: never more than 10% faster, which is
	// the limiter's promise, and not much slower. A loaded machine can
	// only make it slower, so the floor is loose.
	span := rec.last.Sub(rec.first).Seconds()
	measured := float64(size-rec.firstChunk) / span
	if measured > 1.1*rate || measured < 0.5*rate {
		t.Fatalf("sent at %.0f B/s over %.2fs, want %d B/s (at most 10%% more, at least half)", measured, span, rate)
	}
	t.Logf("sent %d bytes at %.0f B/s (asked %d) over %.2fs", size, measured, rate, span)
}

func TestSendThroughServeEchoesToStdout(t *testing.T) {
	t.Parallel()
	s := serve(t, nil)
	host, port := splitAddr(t, s.addr)
	content := strings.Repeat("kamaelia\n", 30_000) // 270 kB
	file := filepath.Join(t.TempDir(), "lines")
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runKamaelia(t, "", "send", "--rate", "4MiB", file, host, port)
	if r.code != 0 || r.stdout != content {
		t.Fatalf("send: exit %d, %d bytes back, want 0 and %d; stderr:\n%s", r.code, len(r.stdout), len(content), r.stderr)
	}
	s.stop(t)
}

func TestSendMissingFile(t *testing.T) {
	t.Parallel()
	r := runKamaelia(t, "", "send", filepath.Join(t.TempDir(), "nope"), "127.0.0.1", "9")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	assertOneLine(t, r.stderr, "no such file")
}

// assertOneLine checks that stderr is exactly one line and mentions
// want.
func assertOneLine(t *testing.T, stderr, want string) {
	t.Helper()
	if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") || !strings.Contains(stderr, want) {
		t.Fatalf("stderr %q, want one line mentioning %q", stderr, want)
	}
}

func TestServeStartTLSDiscardsPlaintextInjection(t *testing.T) {
	t.Parallel()
	pki := testpki.New(t)
	s := serve(t, nil, "--tls-cert", pki.CertFile, "--tls-key", pki.KeyFile, "--starttls")
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testDeadline))
	// A man in the middle appends a command to the STARTTLS request; it
	// must not reach the protocol as if it had come over TLS.
	if _, err := io.WriteString(c, "STARTTLS\r\nINJECTED\n"); err != nil {
		t.Fatal(err)
	}
	reply := make([]byte, len(startTLSReply))
	if _, err := io.ReadFull(c, reply); err != nil || string(reply) != startTLSReply {
		t.Fatalf("reply %q, %v; want %q", reply, err, startTLSReply)
	}
	tc := tls.Client(c, &tls.Config{RootCAs: pki.Pool, ServerName: "localhost"})
	if _, err := io.WriteString(tc, "real\n"); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len("real\n"))
	if _, err := io.ReadFull(tc, got); err != nil || string(got) != "real\n" {
		t.Fatalf("echo over TLS %q, %v; want %q", got, err, "real\n")
	}
	tc.Close()
	s.stop(t)
}

// TestServeShutdownDrainsThenResets: SIGTERM while 20 clients each
// stream at 512 KiB/s. With a grace long enough, every echo is complete
// (of 1 MiB, or half that with -short) and serve exits 0; when the grace
// runs out first, or a second signal comes, the clients still streaming
// (2 MiB each) see a reset and serve exits 3 after saying so.
func TestServeShutdownDrainsThenResets(t *testing.T) {
	t.Parallel()
	const clients = 20
	tests := []struct {
		name     string
		grace    string
		signals  int
		exit     int
		complete bool
	}{
		{"the grace is long enough", "10s", 1, exitOK, true},
		{"the grace runs out", "1s", 1, exitCut, false},
		{"a second signal", "30s", 2, exitCut, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			stream := streamtest.Stream{Total: 2 << 20, Chunk: 16 << 10, Every: time.Second / 32} // 512 KiB/s: 4 s
			if tt.complete {
				stream.Total = axontest.ShortOr(1<<19, 1<<20)
			}
			s := serve(t, nil, "--grace", tt.grace)
			results, ok := streamtest.Many(ctx, s.addr, clients, stream, func() {
				s.signal(t, syscall.SIGTERM)
				if tt.signals == 2 {
					axontest.Eventually(t, ctx, "serve logs that it is shutting down", func() bool {
						return strings.Contains(s.stderr.String(), "shutting down")
					})
					s.signal(t, syscall.SIGTERM)
				}
			})
			if !ok {
				t.Fatalf("the clients did not all get an echo before the signal: %+v", results[0])
			}
			if code := s.wait(t); code != tt.exit {
				t.Errorf("serve exited %d, want %d; stderr:\n%s", code, tt.exit, s.stderr)
			}
			for _, r := range results {
				switch {
				case tt.complete && (r.Err != nil || r.Corrupt || r.Got != stream.Total):
					t.Errorf("client %d: got %d of %d bytes back (corrupt %v): %v", r.ID, r.Got, stream.Total, r.Corrupt, r.Err)
				case !tt.complete && (!errors.Is(r.Err, syscall.ECONNRESET) || r.Corrupt || r.Got >= stream.Total):
					t.Errorf("client %d: got %d of %d bytes back (corrupt %v), then %v; want a reset", r.ID, r.Got, stream.Total, r.Corrupt, r.Err)
				}
			}
			if !tt.complete && !strings.Contains(s.stderr.String(), "connections=20") {
				t.Errorf("serve does not log that it reset 20 connections:\n%s", s.stderr)
			}
		})
	}
}

func TestServeHandshakeTimeout(t *testing.T) {
	t.Parallel()
	pki := testpki.New(t)
	s := serve(t, nil, "--tls-cert", pki.CertFile, "--tls-key", pki.KeyFile, "--handshake-timeout", "300ms")
	start := time.Now()
	silent, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	silent.SetDeadline(time.Now().Add(testDeadline))
	expectClosed(t, silent) // it never starts its handshake
	if took := time.Since(start); took < 300*time.Millisecond || took > 5*time.Second {
		t.Errorf("closed after %v, want about 300ms", took)
	}
	s.stop(t)
}

// TestClientsGiveUpOnAStall: --stall-timeout ends send and connect when
// the server stops making progress: exit 1 with one line saying so.
func TestClientsGiveUpOnAStall(t *testing.T) {
	t.Parallel()
	// Far more than the kernel buffers on the way hold (a send buffer
	// grows to 4 MiB by default on Linux; a receive buffer nobody reads
	// stays small).
	file := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(file, 16<<20); err != nil { // zeros, without writing them
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		server func(c net.Conn, end <-chan struct{}) // what the server does with the connection until end
		args   []string                              // HOST and PORT follow
	}{
		{"send to a server that stops reading", func(c net.Conn, end <-chan struct{}) {
			io.ReadFull(c, make([]byte, 1<<10))
			<-end
		}, []string{"send", "--stall-timeout", "500ms", "--rate", "64MiB", file}},
		{"connect to a server that never answers or closes", func(c net.Conn, end <-chan struct{}) {
			io.Copy(io.Discard, c)
			<-end
		}, []string{"connect", "--stall-timeout", "500ms"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ln := listen(t)
			serveOne(t, ln, func(c net.Conn) { tt.server(c, t.Context().Done()) })
			host, port := splitAddr(t, ln.Addr().String())
			start := time.Now()
			r := runKamaelia(t, "hello\n", append(tt.args, host, port)...)
			if r.code != exitFailure {
				t.Fatalf("exit %d, want 1; stderr:\n%s", r.code, r.stderr)
			}
			assertOneLine(t, r.stderr, "stalled")
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("it took %v to give up", took)
			}
		})
	}
}
