package main

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/internal/proxytest"
	"github.com/kamaelia-go/kamaelia/internal/testpki"
)

// forward starts "kamaelia forward --port 0 --to to" with args and
// waits for its LISTENING line.
func forward(t testing.TB, to string, args ...string) *serveProc {
	t.Helper()
	p := start(t, nil, nil, append([]string{"forward", "--port", "0", "--to", to}, args...)...)
	return &serveProc{proc: p, addr: listeningAddr(t, p)}
}

// TestForwardBytesAndHalfCloses: through "kamaelia forward", bytes pass
// both ways unchanged and each half-close reaches the other side after
// the last byte, while the other direction goes on; then a SIGTERM with
// nothing open exits 0.
func TestForwardBytesAndHalfCloses(t *testing.T) {
	t.Parallel()
	target := proxytest.Target(t)
	fwd := forward(t, target.Addr().String())
	for _, tc := range proxytest.HalfCloses {
		t.Run(tc.Name, func(t *testing.T) {
			client, server := proxytest.Connect(t, fwd.addr, target)
			tc.Run(t, client, server)
		})
	}
	fwd.stop(t)
	if !strings.Contains(fwd.stderr.String(), "msg=forwarding") {
		t.Errorf("stderr does not log that it forwards:\n%s", fwd.stderr)
	}
}

// clientSeesReset dials addr and reads until the connection ends, which
// must be with a reset (possibly before Dial returned). It returns the
// client's address, "" if the reset came first.
func clientSeesReset(t *testing.T, addr string, before func(c net.Conn)) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if errors.Is(err, syscall.ECONNRESET) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testDeadline))
	if before != nil {
		before(c)
	}
	if _, err := io.ReadAll(c); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("the client's read ended with %v; want a reset", err)
	}
	return c.LocalAddr().String()
}

// waitLog waits until p has logged a line at level ERROR that contains
// every one of want.
func waitLog(t *testing.T, p *proc, want ...string) {
	t.Helper()
	deadline := time.Now().Add(testDeadline)
	for {
		for l := range strings.Lines(p.stderr.String()) {
			ok := strings.Contains(l, "level=ERROR")
			for _, w := range want {
				ok = ok && strings.Contains(l, w)
			}
			if ok {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ERROR line with %q; stderr:\n%s", want, p.stderr)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestForwardTargetDown: a target that refuses, does not answer within
// --connect-timeout, or resets the connection mid-way gets the client's
// connection reset, and forward logs why, with the client's address;
// forward itself carries on.
func TestForwardTargetDown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(t *testing.T) (fwd *serveProc, client string, why string)
	}{
		{"refused", func(t *testing.T) (*serveProc, string, string) {
			target := proxytest.Target(t)
			fwd := forward(t, target.Addr().String()) // listening before the port is free
			target.Close()
			return fwd, clientSeesReset(t, fwd.addr, nil), "connection refused"
		}},
		{"no answer within --connect-timeout", func(t *testing.T) (*serveProc, string, string) {
			fwd := forward(t, "127.0.0.1:"+strconv.Itoa(proxytest.Unanswering(t)), "--connect-timeout", "300ms")
			return fwd, clientSeesReset(t, fwd.addr, nil), "timeout"
		}},
		{"reset mid-transfer", func(t *testing.T) (*serveProc, string, string) {
			target := proxytest.Target(t)
			fwd := forward(t, target.Addr().String())
			return fwd, clientSeesReset(t, fwd.addr, func(c net.Conn) {
				c.Write([]byte("hello"))
				s, err := target.AcceptTCP()
				if err != nil {
					t.Fatal(err)
				}
				io.ReadFull(s, make([]byte, 5))
				s.Write([]byte("half an answ"))
				io.ReadFull(c, make([]byte, 12))
				s.SetLinger(0)
				s.Close()
			}), "connection reset"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fwd, client, why := tt.run(t)
			peer := "peer=127.0.0.1:"
			if client != "" {
				peer = "peer=" + client
			}
			waitLog(t, fwd.proc, why, peer)
			fwd.stop(t)
		})
	}
}

// TestForwardTLSBothSides: with --tls-cert and --tls-key the client
// speaks TLS to forward, and with --ssl-to forward speaks TLS to the
// target, verified against --ca; the bytes arrive unchanged, half-close
// included. A target whose certificate does not verify gets the client
// reset, and the reason logged.
func TestForwardTLSBothSides(t *testing.T) {
	t.Parallel()
	pki := testpki.New(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", pki.ServerConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	fwd := forward(t, ln.Addr().String(), "--ssl-to", "--ca", pki.CAFile, "--tls-cert", pki.CertFile, "--tls-key", pki.KeyFile)

	c, err := tls.Dial("tcp", fwd.addr, &tls.Config{RootCAs: pki.Pool})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testDeadline))
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetDeadline(time.Now().Add(testDeadline))
	request, reply := proxytest.Random(256<<10), proxytest.Random(512<<10)
	go func() {
		c.Write(request)
		c.CloseWrite()
	}()
	proxytest.Expect(t, s, request, "the target, over TLS")
	go func() {
		s.Write(reply)
		s.(*tls.Conn).CloseWrite()
	}()
	proxytest.Expect(t, c, reply, "the client, over TLS")
	c.Close()
	s.Close()
	fwd.stop(t)

	// The same target, checked against the system's authorities, which
	// do not know this test's CA.
	untrusted := forward(t, ln.Addr().String(), "--ssl-to")
	go func() { // the target's side of the failed handshake
		if s, err := ln.Accept(); err == nil {
			s.(*tls.Conn).Handshake()
			s.Close()
		}
	}()
	client := clientSeesReset(t, untrusted.addr, nil)
	peer := "peer=127.0.0.1:"
	if client != "" {
		peer = "peer=" + client
	}
	waitLog(t, untrusted.proc, "certificate", peer)
	untrusted.stop(t)
}

// TestForwardListenerFlags: forward takes serve's listener flags: past
// --max-conns a connection is closed at once; --idle-timeout resets a
// quiet connection; a connection still open when --grace runs out is
// reset, and forward exits 3.
func TestForwardListenerFlags(t *testing.T) {
	t.Parallel()
	target := proxytest.Target(t)
	go proxytest.Echo(target)
	fwd := forward(t, target.Addr().String(), "--max-conns", "1", "--grace", "200ms", "--idle-timeout", "5s")
	first := echoOnce(t, fwd.addr, "through\n")
	second, err := net.Dial("tcp", fwd.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	second.SetDeadline(time.Now().Add(testDeadline))
	expectClosed(t, second)
	fwd.signal(t, syscall.SIGTERM)
	if code := fwd.wait(t); code != exitCut {
		t.Fatalf("forward exited %d with a connection open past its grace, want %d; stderr:\n%s", code, exitCut, fwd.stderr)
	}
	if _, err := io.ReadAll(first); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("the open connection ended with %v; want a reset", err)
	}

	idle := forward(t, target.Addr().String(), "--idle-timeout", "1s") // the echo never takes that long
	expectClosed(t, echoOnce(t, idle.addr, "then silence\n"))
	idle.stop(t)
}

// TestForwardInProcess runs forward in the test's process (so the race
// detector and the leak check see its components) against an echo
// target, and stops it as SIGTERM does.
func TestForwardInProcess(t *testing.T) {
	t.Parallel()
	target := proxytest.Target(t)
	go proxytest.Echo(target)
	outR, outW := io.Pipe()
	e, _, errs := testEnv(nil)
	e.stdout = outW
	ctx, cancel := context.WithCancel(testContext(t))
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, e, []string{"forward", "--port", "0", "--to", target.Addr().String()})
		outW.Close()
	}()
	line := make([]byte, 256)
	n, _ := outR.Read(line)
	addr, ok := strings.CutPrefix(strings.TrimSpace(string(line[:n])), "LISTENING ")
	if !ok {
		t.Fatalf("first output %q; stderr: %s", line[:n], errs)
	}
	go io.Copy(io.Discard, outR)
	c := echoOnce(t, addr, "in process\n")
	c.(*net.TCPConn).CloseWrite()
	io.ReadAll(c)
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("forward exit %d; stderr: %s", code, errs)
		}
	case <-time.After(testDeadline):
		t.Fatal("forward did not shut down")
	}
}
