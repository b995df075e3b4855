package main

import (
	"bufio"
	"crypto/tls"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/testpki"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// These tests run the commands in the test's own process, so the race
// detector and the goroutine-leak check (TestMain) see their components.

// testEnv returns an env reading stdin and collecting stdout and stderr.
func testEnv(stdin io.Reader) (e *env, stdout, stderr *axontest.Buffer) {
	stdout, stderr = &axontest.Buffer{}, &axontest.Buffer{}
	return &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: func(string) string { return "" }}, stdout, stderr
}

// echoListener is a plain echo server on loopback that closes each
// connection once the client has finished sending.
func echoListener(t *testing.T) (host, port string) {
	t.Helper()
	ln := listen(t)
	serveOne(t, ln, func(c net.Conn) { io.Copy(c, c) })
	return splitAddr(t, ln.Addr().String())
}

func TestConnectInProcess(t *testing.T) {
	t.Parallel()
	host, port := echoListener(t)
	input := "one\ntwo\r\nthree"
	e, out, errs := testEnv(strings.NewReader(input))
	if code := run(testContext(t), e, []string{"connect", host, port}); code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, errs)
	}
	if out.String() != input { // byte for byte
		t.Fatalf("stdout %q, want %q", out, input)
	}
}

func TestConnectInProcessInterrupted(t *testing.T) {
	t.Parallel()
	heard := make(chan string, 1)
	ln := listen(t)
	serveOne(t, ln, func(c net.Conn) { // hears a line, never answers
		r := bufio.NewReader(c)
		line, _ := r.ReadString('\n')
		heard <- line
		io.Copy(io.Discard, r)
	})
	host, port := splitAddr(t, ln.Addr().String())
	stdin, typing := io.Pipe()
	defer typing.Close() // releases the console reader's read
	e, _, errs := testEnv(stdin)
	ctx, cancel := contextWithCancel(t)
	done := make(chan int, 1)
	go func() { done <- run(ctx, e, []string{"connect", host, port}) }()
	if _, err := io.WriteString(typing, "hello\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case line := <-heard: // the whole graph is up and connected
		if line != "hello\n" {
			t.Fatalf("the server heard %q", line)
		}
	case code := <-done:
		t.Fatalf("connect ended (exit %d) before the line arrived; stderr: %s", code, errs)
	}
	cancel()
	select {
	case code := <-done:
		if code != exitInterrupted || !strings.Contains(errs.String(), "interrupted") {
			t.Fatalf("exit %d, stderr %q; want %d and interrupted", code, errs, exitInterrupted)
		}
	case <-time.After(testDeadline):
		t.Fatal("connect did not end when interrupted")
	}
}

func TestConnectSSLSendsNothingBeforeTLS(t *testing.T) {
	t.Parallel()
	// Lines typed at once must wait for TLS: the first bytes the server
	// sees are a TLS handshake record, never the text.
	first := make(chan []byte, 1)
	ln := listen(t)
	serveOne(t, ln, func(c net.Conn) {
		b := make([]byte, 5)
		io.ReadFull(c, b)
		first <- b
	}) // then closes: the handshake fails
	host, port := splitAddr(t, ln.Addr().String())
	e, out, errs := testEnv(strings.NewReader("secret\nsecret\n"))
	if code := run(testContext(t), e, []string{"connect", "--ssl", "--insecure", host, port}); code != exitFailure {
		t.Fatalf("exit %d, want %d; stderr %s", code, exitFailure, errs)
	}
	if b := <-first; b[0] != 0x16 { // TLS record type: handshake
		t.Fatalf("the server first read %q, want a TLS handshake record", b)
	}
	if out.String() != "" || strings.Count(errs.String(), "\n") != 1 {
		t.Fatalf("stdout %q, stderr %q; want nothing and one line", out, errs)
	}
}

func TestServeStartTLSInProcess(t *testing.T) {
	t.Parallel()
	pki := testpki.New(t)
	outR, outW := io.Pipe()
	e, _, errs := testEnv(nil)
	e.stdout = outW
	ctx, cancel := contextWithCancel(t)
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, e, []string{"serve", "--port", "0", "--tls-cert", pki.CertFile, "--tls-key", pki.KeyFile, "--starttls", "--log-level", "debug"})
		outW.Close()
	}()
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		t.Fatalf("no LISTENING line: %v; stderr: %s", err, errs)
	}
	addr := strings.TrimSpace(strings.TrimPrefix(line, "LISTENING "))

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(testDeadline))
	io.WriteString(c, startTLSRequest)
	reply := make([]byte, len(startTLSReply))
	if _, err := io.ReadFull(c, reply); err != nil || string(reply) != startTLSReply {
		t.Fatalf("reply %q, %v", reply, err)
	}
	tc := tls.Client(c, &tls.Config{RootCAs: pki.Pool, ServerName: "localhost"})
	io.WriteString(tc, "over TLS\n")
	got := make([]byte, len("over TLS\n"))
	if _, err := io.ReadFull(tc, got); err != nil || string(got) != "over TLS\n" {
		t.Fatalf("echo %q, %v", got, err)
	}
	tc.Close()

	cancel() // as SIGTERM does
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exit %d; stderr: %s", code, errs)
		}
	case <-time.After(testDeadline):
		t.Fatal("serve did not shut down")
	}
}

func TestSendInProcessShowsProgressOnATerminal(t *testing.T) {
	t.Parallel()
	ln := listen(t)
	serveOne(t, ln, func(c net.Conn) { io.Copy(io.Discard, c) })
	host, port := splitAddr(t, ln.Addr().String())
	file := filepath.Join(t.TempDir(), "payload")
	if err := os.WriteFile(file, make([]byte, 300<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	e, out, errs := testEnv(nil)
	e.stderrIsTerminal = true
	if code := run(testContext(t), e, []string{"send", "--rate", "1MiB", file, host, port}); code != 0 {
		t.Fatalf("exit %d; stderr %q", code, errs)
	}
	s := errs.String()
	end := s[strings.LastIndex(s, "\r")+1:]
	if !strings.HasPrefix(s, "\rconnecting") || !strings.Contains(end, "100%") || !strings.Contains(end, "300/300 KiB") ||
		!strings.Contains(end, "\nsent 300.0 KiB in ") || strings.Count(end, "\n") != 2 {
		t.Fatalf("progress output %q", s)
	}
	if out.String() != "" {
		t.Fatalf("stdout %q, want nothing", out)
	}
}
