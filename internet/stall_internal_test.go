//go:build linux

package internet

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"
)

// Linux only: elsewhere the clocks trust only the progress the adapter
// has seen.

// The clocks tell a stall of ours (the peer moved, and the reader or
// writer has not run since) from the peer's: only the peer's ends the
// connection. The adapters here are never activated, so nothing reads or
// writes their sockets: each case sets up what a reader or writer that
// has not yet run would leave.
func TestClocksForgiveOurOwnStall(t *testing.T) {
	tests := []struct {
		name string
		// setup prepares the adapter s over ours, whose far end is peer.
		setup func(t *testing.T, s *CSA, peer net.Conn)
		ours  bool // the stall is ours: the idle clock does not fire
	}{
		{"an idle socket and a waiting reader", func(*testing.T, *CSA, net.Conn) {}, false},
		{"bytes waiting for a waiting reader", peerSends, true},
		{"the peer's close waiting for a waiting reader", func(t *testing.T, s *CSA, peer net.Conn) {
			if err := peer.(*net.TCPConn).CloseWrite(); err != nil {
				t.Fatal(err)
			}
			waitReady(t, s.base.(*net.TCPConn))
		}, true},
		{"bytes waiting while back-pressure holds the reader", func(t *testing.T, s *CSA, peer net.Conn) {
			peerSends(t, s, peer)
			s.waits.Or(ioSending)
		}, false},
		{"bytes waiting after the read side ended", func(t *testing.T, s *CSA, peer net.Conn) {
			peerSends(t, s, peer)
			s.rdone.Store(true)
		}, false},
		{"bytes waiting while a handshake holds the reader", func(t *testing.T, s *CSA, peer net.Conn) {
			peerSends(t, s, peer)
			s.pauseReq.Store(true)
		}, false},
		{"a waiting writer and a socket with room", func(t *testing.T, s *CSA, _ net.Conn) {
			s.rdone.Store(true)
			s.waits.Or(ioWriteWait)
		}, true},
		{"a waiting writer and a full socket", func(t *testing.T, s *CSA, _ net.Conn) {
			s.rdone.Store(true)
			fill(t, s.base.(*net.TCPConn))
			s.waits.Or(ioWriteWait)
		}, false},
		{"a full socket and no writer waiting", func(t *testing.T, s *CSA, _ net.Conn) {
			s.rdone.Store(true)
			fill(t, s.base.(*net.TCPConn))
		}, false},
		{"a closed socket", func(t *testing.T, s *CSA, peer net.Conn) {
			peerSends(t, s, peer)
			s.base.Close()
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			peer, ours := loopbackPair(t)
			s := NewCSA(ours, IdleTimeout(time.Second))
			tt.setup(t, s, peer)
			s.lastProgress.Store(monoNow() - int64(time.Hour))
			next, _, cause := s.watchState(monoNow())
			switch {
			case tt.ours && cause != nil:
				t.Fatalf("the idle clock fired on our own stall: %v", cause)
			case tt.ours && (next <= 0 || next > time.Second):
				t.Fatalf("next look in %v, want a new idle period", next)
			case !tt.ours && !errors.Is(cause, ErrIdleTimeout):
				t.Fatalf("cause = %v, want ErrIdleTimeout", cause)
			}
		})
	}
}

// loopbackPair returns two ends of a loopback TCP connection, closed
// with the test.
func loopbackPair(t *testing.T) (peer, ours *net.TCPConn) {
	t.Helper()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err = net.DialTCP("tcp", nil, ln.Addr().(*net.TCPAddr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	ours, err = ln.AcceptTCP()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ours.Close() })
	return peer, ours
}

// peerSends has the peer send a few bytes and waits until they are
// there to read at our end.
func peerSends(t *testing.T, s *CSA, peer net.Conn) {
	t.Helper()
	if _, err := peer.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	waitReady(t, s.base.(*net.TCPConn))
}

// waitReady waits until a read of c would find something, without
// reading it.
func waitReady(t *testing.T, c *net.TCPConn) {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	// A Read callback that returns true at once reads nothing; one that
	// returns false waits for readability, and is then called again.
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	if err := rc.Read(func(fd uintptr) bool {
		readable, _ := readyFD(fd)
		return readable
	}); err != nil {
		t.Fatalf("waiting for the peer's bytes: %v", err)
	}
}

// fill writes to c until its socket takes no more, without waiting.
func fill(t *testing.T, c *net.TCPConn) {
	t.Helper()
	if err := c.SetWriteBuffer(16 << 10); err != nil {
		t.Fatal(err)
	}
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	var werr error
	if err := rc.Write(func(fd uintptr) bool {
		for {
			if _, err := syscall.Write(int(fd), buf); err != nil {
				if !errors.Is(err, syscall.EAGAIN) {
					werr = err
				}
				return true
			}
		}
	}); err != nil || werr != nil {
		t.Fatalf("filling the socket: %v %v", err, werr)
	}
	if _, writable := readyOf(t, c); writable {
		t.Fatal("the socket still takes writes")
	}
}

func readyOf(t *testing.T, c *net.TCPConn) (readable, writable bool) {
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	rc.Control(func(fd uintptr) { readable, writable = readyFD(fd) })
	return readable, writable
}
