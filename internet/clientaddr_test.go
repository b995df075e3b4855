package internet_test

import (
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internet"
)

// TestNewTCPClientAddr: an address in net.Dial's form connects where
// NewTCPClient with its host and port would, and Addr reports it.
func TestNewTCPClientAddr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, network, listen string
		addr                  func(port string) string
	}{
		{"IPv4", "tcp4", "127.0.0.1:0", func(p string) string { return "127.0.0.1:" + p }},
		{"host name", "tcp4", "127.0.0.1:0", func(p string) string { return "localhost:" + p }},
		{"IPv6", "tcp6", "[::1]:0", func(p string) string { return "[::1]:" + p }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, _ := testCtx(t)
			ln, err := net.Listen(tt.network, tt.listen)
			if err != nil {
				t.Skipf("no %s loopback: %v", tt.network, err)
			}
			defer ln.Close()
			_, port, _ := net.SplitHostPort(ln.Addr().String())
			addr := tt.addr(port)
			c, err := internet.NewTCPClientAddr(addr, internet.ConnectTimeout(10*time.Second))
			if err != nil {
				t.Fatalf("NewTCPClientAddr(%q) = %v", addr, err)
			}
			if c.Addr() != addr {
				t.Errorf("Addr() = %q; want %q", c.Addr(), addr)
			}
			pingThrough(t, ctx, ln, c)
		})
	}
}

// TestNewTCPClientAddrRefused: a well-formed address nobody listens on
// is the dial's error, as for NewTCPClient.
func TestNewTCPClientAddrRefused(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	ln, _ := listener(t)
	addr := ln.Addr().String()
	ln.Close()
	c, err := internet.NewTCPClientAddr(addr)
	if err != nil {
		t.Fatal(err)
	}
	h := axontest.Handle(t, c)
	activate(t, ctx, c)
	if pf := terminal(t, ctx, h); !errors.Is(pf.Err, syscall.ECONNREFUSED) {
		t.Fatalf("terminal Err = %v; want ECONNREFUSED", pf.Err)
	}
}

// TestNewTCPClientAddrBadAddress: a malformed address is an error that
// says what is wrong, once, and no client.
func TestNewTCPClientAddrBadAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, addr, want string
	}{
		{"empty", "", "missing port"},
		{"no port", "127.0.0.1", "missing port"},
		{"IPv6 without brackets", "::1:80", "too many colons"},
		{"empty port", "127.0.0.1:", "port"},
		{"port too big", "127.0.0.1:65536", "port"},
		{"negative port", "127.0.0.1:-1", "port"},
		{"port zero", "127.0.0.1:0", "port 0"},
		{"unknown service", "127.0.0.1:no-such-service", "no-such-service"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := internet.NewTCPClientAddr(tt.addr)
			if err == nil || c != nil {
				t.Fatalf("NewTCPClientAddr(%q) = %v, %v; want an error and no client", tt.addr, c, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not say %q", msg, tt.want)
			}
			if !strings.HasPrefix(msg, "internet: NewTCPClientAddr: ") || strings.Count(msg, "internet:") != 1 {
				t.Errorf("error %q: want it to name the operation once", msg)
			}
		})
	}
}
