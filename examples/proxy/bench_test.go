package main

import (
	"io"
	"net"
	"testing"

	"github.com/kamaelia-go/kamaelia/internal/proxytest"
)

// BenchmarkProxyStream streams bytes one way through a proxy on
// loopback, 64 KiB an op: through this example's proxy, and through the
// proxy a Go programmer writes by hand (two io.Copy per connection,
// which on Linux splice from socket to socket).
func BenchmarkProxyStream(b *testing.B) {
	for _, p := range []struct {
		name  string
		start func(b *testing.B, target string) string
	}{
		{"kamaelia", func(b *testing.B, target string) string {
			return startProxy(b, target).addr
		}},
		{"io.Copy", plainProxy},
	} {
		b.Run(p.name, func(b *testing.B) {
			target := proxytest.Target(b)
			addr := p.start(b, target.Addr().String())
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			s, err := target.Accept()
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			read := make(chan int64, 1)
			go func() {
				n, _ := io.Copy(io.Discard, s)
				read <- n
			}()
			chunk := make([]byte, 64<<10)
			b.SetBytes(int64(len(chunk)))
			for b.Loop() {
				if _, err := c.Write(chunk); err != nil {
					b.Fatal(err)
				}
			}
			c.(*net.TCPConn).CloseWrite()
			if n := <-read; n != int64(b.N)*int64(len(chunk)) {
				b.Fatalf("the target read %d bytes, want %d", n, int64(b.N)*int64(len(chunk)))
			}
		})
	}
}

// plainProxy is a TCP proxy as written by hand in Go: a goroutine per
// connection and an io.Copy each way, half-closes passed on.
func plainProxy(b *testing.B, target string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				s, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer s.Close()
				go func() {
					io.Copy(s, c)
					s.(*net.TCPConn).CloseWrite()
				}()
				io.Copy(c, s)
				c.(*net.TCPConn).CloseWrite()
			}()
		}
	}()
	return ln.Addr().String()
}
