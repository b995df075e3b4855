package internet

import (
	"fmt"
	"math"
	"net"
	"os"
	"syscall"
	"time"
)

// Progress and the clocks that watch it.
//
// A connection makes progress when a byte is read from its socket or a
// write moves at least one byte into it. The adapter notes the time of
// the last progress (markProgress) with every read and write that does
// either, and one timer per connection (watch) acts on it while a clock
// is in force: the idle timeout for the connection's whole life, the
// linger and its cap from a close request on. An idle connection holds
// no timer unless IdleTimeout is set.
//
// Each time the timer looks, it also asks the kernel how many bytes it
// has received from the peer (peerMoved). Bytes received since the last
// look are progress too, even if the adapter has not read them yet:
// when the process falls behind (starved of CPU, or stopped and
// resumed) the timer may run before the reader that would have read
// them, and without this look it would end a connection whose peer had
// been sending all along. They do not count while the adapter has bytes
// to write that the peer is not taking: a peer that sends but does not
// read holds its slot only as long as the idle timeout, however long
// the kernel goes on taking its bytes in (it makes room by compacting
// what it holds). What the peer acknowledges of ours does not count
// either, for the same reason in the other direction: the peer's kernel
// compacts too, and takes a little more now and then from a writer the
// peer has stopped reading; the writer's own progress is what counts,
// and so does a socket with room for bytes the writer has yet to write.

// clockBase is the origin of monoNow.
var clockBase = time.Now()

// monoNow is the monotonic clock in nanoseconds since clockBase: cheap
// enough to read with every read and write.
func monoNow() int64 { return int64(time.Since(clockBase)) }

// markProgress notes that the socket has just made progress.
func (s *CSA) markProgress() { s.lastProgress.Store(monoNow()) }

// watcher is the timer of a connection that has had a clock in force,
// and how many bytes the kernel had received from the peer at its last
// look.
type watcher struct {
	t        *time.Timer
	received uint64
}

// startWatch starts the connection's timer, or makes it look again at
// the clocks now in force.
func (s *CSA) startWatch() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return
	}
	if s.watcher == nil {
		if next, _, _ := s.clocks(monoNow(), s.lastProgress.Load()); next < 0 {
			return // no clock is in force
		}
		s.watcher = &watcher{}
	}
	next, _, _ := s.watchState(monoNow())
	if next < 0 {
		return
	}
	if s.watcher.t == nil {
		s.watcher.t = time.AfterFunc(next, s.watch)
		return
	}
	s.watcher.t.Reset(next)
}

// watch runs when a clock may have run out: it ends the connection if
// one has, and sets the timer for the next otherwise.
func (s *CSA) watch() {
	s.mu.Lock()
	next, reset, cause := s.watchState(monoNow())
	if cause == nil && !s.closed.Load() && next >= 0 {
		s.watcher.t.Reset(next)
	}
	s.mu.Unlock()
	switch {
	case cause == nil:
	case reset:
		s.abort(cause)
	default:
		s.close(cause)
	}
}

// watchState looks at the clocks at now, after counting as progress
// what the socket shows the adapter has yet to see (peerMoved). If a
// clock has run out it returns the cause to end the connection with,
// and whether to reset it (when data may be lost: an idle connection, a
// flush cut short);
// otherwise (cause nil) how long until the next may run out, or -1 if
// none is in force. s.mu must be held.
func (s *CSA) watchState(now int64) (next time.Duration, reset bool, cause error) {
	l := s.lastProgress.Load()
	if s.peerMoved() && now > l {
		s.lastProgress.CompareAndSwap(l, now) // unless the adapter saw later progress meanwhile
	}
	return s.clocks(now, s.lastProgress.Load())
}

// peerMoved looks at the socket once and reports whether it shows
// progress the adapter has yet to see (see above): bytes the kernel
// received from the peer since the last look while nothing waits to be
// sent, or room for bytes that wait to be sent, which the writer has
// yet to write (a peer that stops reading leaves no room). It notes the
// count for the next look. Where the kernel does not say (see
// receivedFD, writableFD) it reports false. s.mu must be held.
func (s *CSA) peerMoved() bool {
	toSend := !s.nothingToSend()
	var received uint64
	var counted, room bool
	s.withFD(func(fd uintptr) { // neither, if the socket is closed
		received, counted = receivedFD(fd)
		room = toSend && writableFD(fd)
	})
	moved := counted && received != s.watcher.received
	if counted {
		s.watcher.received = received
	}
	return room || moved && !toSend
}

// clocks is watchState without the look at the kernel's counts, for a
// connection whose last progress was at last.
func (s *CSA) clocks(now, last int64) (next time.Duration, reset bool, cause error) {
	due := int64(math.MaxInt64)
	if d := s.cfg.idleTimeout; d > 0 {
		at := last + int64(d)
		if now >= at {
			return 0, true, fmt.Errorf("%w for %v (%w)", ErrIdleTimeout, d, os.ErrDeadlineExceeded)
		}
		due = at
	}
	if from := s.lingerFrom.Load(); from != 0 {
		if d := s.cfg.lingerFor(); d > 0 {
			at := max(last, from) + int64(d)
			if now >= at {
				reset, cause := s.lingerError(fmt.Sprintf("no progress for %v", d))
				return 0, reset, cause
			}
			due = min(due, at)
		}
		if d := s.cfg.lingerCap; d > 0 {
			at := from + int64(d)
			if now >= at {
				reset, cause := s.lingerError(fmt.Sprintf("not over within the linger cap of %v", d))
				return 0, reset, cause
			}
			due = min(due, at)
		}
	}
	if due == math.MaxInt64 {
		return -1, false, nil
	}
	return time.Duration(due - now), false, nil
}

// lingerError is the cause of a close whose linger ran out, and whether
// to reset: a flush cut short lost data, a drain after the half-close
// did not.
func (s *CSA) lingerError(why string) (reset bool, cause error) {
	if !s.wfinished.Load() {
		return true, fmt.Errorf("%w: flush cut short: %s (%w)", ErrLinger, why, os.ErrDeadlineExceeded)
	}
	return false, fmt.Errorf("%w: waiting for the peer to finish after a half-close: %s (%w)", ErrLinger, why, os.ErrDeadlineExceeded)
}

// asReset reports whether msg is a Reset, by value or pointer.
func asReset(msg any) (Reset, bool) {
	switch m := msg.(type) {
	case Reset:
		return m, true
	case *Reset:
		if m != nil {
			return *m, true
		}
	}
	return Reset{}, false
}

// progressConn is the socket under a TLS connection: it notes the
// progress of the TCP bytes, so that a record arriving or leaving slowly
// counts as it moves, not only once it is whole.
type progressConn struct {
	net.Conn
	s  *CSA
	rc syscall.RawConn // nil: write with Conn.Write
}

func (p *progressConn) Read(b []byte) (int, error) {
	n, err := p.Conn.Read(b)
	if n > 0 {
		p.s.markProgress()
	}
	return n, err
}

// Write writes b, noting progress with every write call that moves
// bytes, where the plain Conn.Write would say nothing until all of b had
// gone.
func (p *progressConn) Write(b []byte) (int, error) {
	if p.rc == nil {
		n, err := p.Conn.Write(b)
		if n > 0 {
			p.s.markProgress()
		}
		return n, err
	}
	var written int
	var werr error
	err := p.rc.Write(func(fd uintptr) bool {
		for written < len(b) {
			n, err := writeFD(fd, b[written:])
			if n > 0 {
				written += n
				p.s.markProgress()
			}
			if err != nil {
				if isAgain(err) {
					return false // wait until the socket takes more
				}
				werr = err
				return true
			}
		}
		return true
	})
	if err == nil && werr != nil {
		err = &net.OpError{Op: "write", Net: "tcp", Source: p.LocalAddr(), Addr: p.RemoteAddr(), Err: os.NewSyscallError("write", werr)}
	}
	return written, err
}
