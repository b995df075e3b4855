package main

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/leakcheck"
	"github.com/kamaelia-go/kamaelia/internal/testpki"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

func TestSSLClientAgainstTLSEchoServer(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pki := testpki.New(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", pki.ServerConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	handshaken := make(chan struct{})
	served := make(chan struct{})
	go func() {
		defer close(served)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(30 * time.Second))
		if c.(*tls.Conn).HandshakeContext(ctx) != nil {
			return
		}
		close(handshaken)
		io.Copy(c, c) // echo until the client has finished
	}()

	// The console: lines are typed once TLS is up (a person would not be
	// faster), then the input ends.
	typed, typing := io.Pipe()
	out := &axontest.Buffer{}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	result := make(chan error, 1)
	go func() { result <- run(ctx, []string{"-ca", pki.CAFile, "localhost", port}, typed, out) }()
	select {
	case <-handshaken:
	case err := <-result:
		t.Fatalf("run ended before the handshake: %v", err)
	}
	io.WriteString(typing, "hello over TLS\nsecond line\n")
	typing.Close()
	if err := <-result; err != nil {
		t.Fatalf("run: %v", err)
	}
	if want := "hello over TLS\nsecond line\n"; out.String() != want {
		t.Fatalf("echoed %q, want %q", out, want)
	}
	<-served
}

func TestSSLClientRejectsUnknownCA(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pki := testpki.New(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", pki.ServerConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	served := make(chan struct{})
	go func() {
		defer close(served)
		if c, err := ln.Accept(); err == nil {
			c.(*tls.Conn).HandshakeContext(ctx)
			c.Close()
		}
	}()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	typed, typing := io.Pipe()
	defer typing.Close()
	var tlsErr *tls.CertificateVerificationError
	err = run(ctx, []string{"localhost", port}, typed, io.Discard) // no -ca: the system roots
	if !errors.As(err, &tlsErr) {
		t.Fatalf("run = %v, want a certificate verification error", err)
	}
	<-served
}

// TestHelpExitsZero: -help, -h and --help print the usage and exit 0; a
// flag that does not exist exits 1.
func TestHelpExitsZero(t *testing.T) {
	t.Parallel()
	for arg, want := range map[string]int{"-help": 0, "-h": 0, "--help": 0, "-no-such-flag": 1} {
		if got := exitStatus(run(context.Background(), []string{arg}, strings.NewReader(""), io.Discard)); got != want {
			t.Errorf("%s: exit status %d, want %d", arg, got, want)
		}
	}
}
