//go:build linux

package internet

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Linux only: elsewhere the kernel does not count the peer's progress
// for us, and the clocks trust only the progress the adapter has seen.

// The clocks count what the kernel saw the peer do since their last look
// as progress, whether or not the adapter has seen it: the adapters here
// are never activated, so nothing reads or writes their sockets, as when
// the process has fallen behind.
func TestClocksCountThePeersProgress(t *testing.T) {
	tests := []struct {
		name string
		// before runs before the clocks' first look, between runs
		// between it and the second, when the idle timeout has run out.
		before, between func(t *testing.T, s *CSA, peer *net.TCPConn)
		fires           bool
	}{
		{"nothing since the last look", nil, nil, true},
		{"the peer sent bytes since the last look", nil, peerSends, false},
		{"the peer only acknowledged bytes of ours since the last look", nil, func(t *testing.T, s *CSA, peer *net.TCPConn) {
			// Written before the last look, as by a writer that then
			// stalled; the peer's kernel takes them after it.
			waitReceived(t, peer, func() { writeRaw(t, s, []byte("hello")) })
		}, true},
		{"bytes the peer sent before the last look, still unread", peerSends, nil, true},
		{"the peer sent bytes while it takes none of ours", nil, func(t *testing.T, s *CSA, peer *net.TCPConn) {
			fill(t, s.base.(*net.TCPConn)) // the peer is not reading
			s.pending.Add(100)             // and the adapter has more for it
			peerSends(t, s, peer)
		}, true},
		{"bytes to write and a socket with room", nil, func(t *testing.T, s *CSA, _ *net.TCPConn) {
			s.pending.Add(100) // as a writer that has yet to run leaves them
		}, false},
		{"bytes to write and a full socket", nil, func(t *testing.T, s *CSA, _ *net.TCPConn) {
			fill(t, s.base.(*net.TCPConn))
			s.pending.Add(100)
		}, true},
		{"a closed socket", nil, func(t *testing.T, s *CSA, peer *net.TCPConn) {
			peerSends(t, s, peer)
			s.base.Close()
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			peer, ours := loopbackPair(t)
			s := NewCSA(ours, IdleTimeout(time.Second))
			s.watcher = &watcher{} // no timer: the test looks itself
			if tt.before != nil {
				tt.before(t, s, peer)
			}
			look(s)
			if tt.between != nil {
				tt.between(t, s, peer)
			}
			s.lastProgress.Store(monoNow() - int64(time.Hour))
			next, _, cause := look(s)
			switch {
			case tt.fires && !errors.Is(cause, ErrIdleTimeout):
				t.Fatalf("cause = %v, want ErrIdleTimeout", cause)
			case !tt.fires && cause != nil:
				t.Fatalf("the idle clock fired on a peer that moved: %v", cause)
			case !tt.fires && (next <= 0 || next > time.Second):
				t.Fatalf("next look in %v, want a new idle period", next)
			}
		})
	}
}

// look has the clocks look now, as the timer does.
func look(s *CSA) (next time.Duration, reset bool, cause error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.watchState(monoNow())
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

// peerSends has the peer send a few bytes and waits until the kernel
// has them at s's end.
func peerSends(t *testing.T, s *CSA, peer *net.TCPConn) {
	t.Helper()
	waitReceived(t, s.base.(*net.TCPConn), func() {
		if _, err := peer.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
	})
}

// writeRaw writes b to s's socket, as s's writer would.
func writeRaw(t *testing.T, s *CSA, b []byte) {
	t.Helper()
	if _, err := s.base.Write(b); err != nil {
		t.Fatal(err)
	}
}

// waitReceived runs send and waits, for at most ten seconds, until the
// kernel at c's end has received more than before it.
func waitReceived(t *testing.T, c *net.TCPConn, send func()) {
	t.Helper()
	before := receivedOf(t, c)
	send()
	deadline := time.Now().Add(10 * time.Second)
	for receivedOf(t, c) == before {
		if time.Now().After(deadline) {
			t.Fatalf("the kernel received nothing more than %d bytes", before)
		}
		time.Sleep(time.Millisecond) // loopback delivers within microseconds; this only yields
	}
}

// receivedOf returns how many bytes the kernel has received at c's end.
func receivedOf(t *testing.T, c *net.TCPConn) uint64 {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	ok := false
	if err := rc.Control(func(fd uintptr) { n, ok = receivedFD(fd) }); err != nil || !ok {
		t.Fatalf("the kernel's count: %v (ok %v)", err, ok)
	}
	return n
}

// fill writes to c until its socket takes no more: until the peer,
// which does not read, has closed its window and c's buffer is full.
// It writes until EAGAIN, then waits up to 100 ms for room the peer's
// acknowledgements make, and writes again, until none comes.
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
	deadline := time.Now().Add(10 * time.Second)
	for room := true; room; {
		if time.Now().After(deadline) {
			t.Fatal("the socket kept taking writes for 10 s")
		}
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
		if err := rc.Control(func(fd uintptr) {
			pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
			n, err := unix.Poll(pfd, 100)
			room = errors.Is(err, unix.EINTR) || err == nil && n == 1
		}); err != nil {
			t.Fatal(err)
		}
	}
}
