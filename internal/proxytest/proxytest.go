// Package proxytest holds what the tests of TCP proxies share: a way to
// connect through a proxy to a target listener of the test's own, and
// the ways two peers use a proxied connection, half-closes included.
package proxytest

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internet"
)

// Connect dials the proxy at addr and accepts the connection it makes
// to target, returning the client's end and the target's. Both have a
// deadline of axontest.Deadline, and are closed when the test ends.
func Connect(t testing.TB, addr string, target *net.TCPListener) (client, server *net.TCPConn) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	target.SetDeadline(time.Now().Add(axontest.Deadline))
	s, err := target.AcceptTCP()
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	deadline := time.Now().Add(axontest.Deadline)
	c.SetDeadline(deadline)
	s.SetDeadline(deadline)
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s
}

// Random returns n random bytes.
func Random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// Send writes p to c and half-closes, in the background; the result
// comes on the channel.
func Send(c *net.TCPConn, p []byte) <-chan error {
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

// Expect reads c to its end (EOF: the peer's half-close came across)
// and fails the test unless it got exactly want. who names c's peer in
// the failure.
func Expect(t testing.TB, c net.Conn, want []byte, who string) {
	t.Helper()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("%s: read: %v (after %d bytes)", who, err, len(got))
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s got %d bytes, want %d, or not the same", who, len(got), len(want))
	}
}

// Case is a way a client and a target use a proxied connection, ending
// with both sides finished. Run fails the test unless each side gets
// exactly the bytes the other sent, and the half-closes come across; it
// returns how many bytes went each way.
type Case struct {
	Name string
	Run  func(t testing.TB, client, target *net.TCPConn) (toTarget, fromTarget int)
}

// sent fails the test if a Send failed.
func sent(t testing.TB, done <-chan error) {
	t.Helper()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// HalfCloses are the ways a connection through a proxy ends in order:
// either side finishes first and the other goes on sending, or both
// send at once. With -short they move a quarter of the bytes: still
// more than a proxy's boxes hold, in hundreds of chunks.
var HalfCloses = []Case{
	{"the client finishes first", func(t testing.TB, client, target *net.TCPConn) (int, int) {
		request, reply := Random(axontest.ShortOr(256<<10, 1<<20)), Random(axontest.ShortOr(768<<10, 3<<20))
		done := Send(client, request)
		Expect(t, target, request, "target") // EOF: the half-close came across
		sent(t, done)
		done = Send(target, reply) // the target may still send
		Expect(t, client, reply, "client")
		sent(t, done)
		return len(request), len(reply)
	}},
	{"the target finishes first", func(t testing.TB, client, target *net.TCPConn) (int, int) {
		greeting, upload := Random(64<<10), Random(axontest.ShortOr(512<<10, 2<<20))
		done := Send(target, greeting)
		Expect(t, client, greeting, "client")
		sent(t, done)
		done = Send(client, upload) // the client may still send
		Expect(t, target, upload, "target")
		sent(t, done)
		return len(upload), len(greeting)
	}},
	{"both ways at once", func(t testing.TB, client, target *net.TCPConn) (int, int) {
		// The target echoes: neither direction waits for the other,
		// so a large transfer does not deadlock.
		echoed := make(chan int64, 1)
		go func() {
			n, _ := io.Copy(target, target)
			target.CloseWrite()
			echoed <- n
		}()
		data := Random(axontest.ShortOr(1<<20, 16<<20))
		done := Send(client, data)
		Expect(t, client, data, "client")
		sent(t, done)
		return len(data), int(<-echoed)
	}},
}

// Echo serves ln as a plain Go echo server, a target for a proxy: each
// connection gets back what it sends, then a half-close. It returns when
// ln is closed.
func Echo(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			io.Copy(c, c)
			c.(*net.TCPConn).CloseWrite()
		}()
	}
}

// Target listens on a free port of 127.0.0.1, for a proxy's target, and
// closes the listener when the test ends.
func Target(t testing.TB) *net.TCPListener {
	t.Helper()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// Unanswering returns the port of a listener on 127.0.0.1 that accepts
// nothing and whose listen backlog is full, so a further connect gets no
// answer and times out. It skips the test where the backlog cannot be
// filled.
func Unanswering(t testing.TB) int {
	t.Helper()
	ln, err := internet.ListenTCP(0, internet.Host("127.0.0.1"), internet.Backlog(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	addr := ln.Addr().String()
	for i := 0; ; i++ {
		if i > 64 {
			t.Skip("could not fill the listen backlog on this system")
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return ln.Addr().(*net.TCPAddr).Port
			}
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
	}
}
