//go:build linux

package internet

import (
	"errors"
	"net"
	"testing"
	"time"
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
		{"the peer acknowledged bytes of ours since the last look", nil, func(t *testing.T, s *CSA, _ *net.TCPConn) {
			ours := s.base.(*net.TCPConn)
			before := countsOf(t, ours)
			if _, err := ours.Write([]byte("hello")); err != nil {
				t.Fatal(err)
			}
			waitCounts(t, ours, func(c peerCounts) bool { return c.acked > before.acked })
		}, false},
		{"bytes the peer sent before the last look, still unread", peerSends, nil, true},
		{"the peer sent bytes while it takes none of ours", nil, func(t *testing.T, s *CSA, peer *net.TCPConn) {
			s.pending.Add(100) // the adapter has bytes the peer is not taking
			peerSends(t, s, peer)
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
	ours := s.base.(*net.TCPConn)
	before := countsOf(t, ours)
	if _, err := peer.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	waitCounts(t, ours, func(c peerCounts) bool { return c.received > before.received })
}

// countsOf returns the kernel's counts for c.
func countsOf(t *testing.T, c *net.TCPConn) peerCounts {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var counts peerCounts
	ok := false
	if err := rc.Control(func(fd uintptr) { counts, ok = peerCountsFD(fd) }); err != nil || !ok {
		t.Fatalf("the kernel's counts: %v (ok %v)", err, ok)
	}
	return counts
}

// waitCounts waits, for at most ten seconds, until the kernel's counts
// for c satisfy done.
func waitCounts(t *testing.T, c *net.TCPConn, done func(peerCounts) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !done(countsOf(t, c)) {
		if time.Now().After(deadline) {
			t.Fatalf("the kernel's counts stayed at %+v", countsOf(t, c))
		}
		time.Sleep(time.Millisecond) // loopback delivers within microseconds; this only yields
	}
}
