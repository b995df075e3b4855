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

// clockBase is the origin of monoNow.
var clockBase = time.Now()

// monoNow is the monotonic clock in nanoseconds since clockBase: cheap
// enough to read with every read and write.
func monoNow() int64 { return int64(time.Since(clockBase)) }

// markProgress notes that the socket has just made progress.
func (s *CSA) markProgress() { s.lastProgress.Store(monoNow()) }

// startWatch starts the connection's timer, or makes it look again at
// the clocks now in force.
func (s *CSA) startWatch() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return
	}
	next, _, _ := s.watchState(monoNow())
	if next < 0 {
		return
	}
	if s.watchT == nil {
		s.watchT = time.AfterFunc(next, s.watch)
		return
	}
	s.watchT.Reset(next)
}

// watch runs when a clock may have run out: it ends the connection if
// one has, and sets the timer for the next otherwise.
func (s *CSA) watch() {
	next, reset, cause := s.watchState(monoNow())
	if cause != nil {
		if reset {
			s.abort(cause)
		} else {
			s.close(cause)
		}
		return
	}
	s.mu.Lock()
	if !s.closed.Load() && next >= 0 {
		s.watchT.Reset(next)
	}
	s.mu.Unlock()
}

// watchState looks at the clocks at now. If one has run out it returns
// the cause to end the connection with, and whether to reset it (when
// data may be lost: an idle connection, a flush cut short); otherwise
// (cause nil) how long until the next may run out, or -1 if none is in
// force.
func (s *CSA) watchState(now int64) (next time.Duration, reset bool, cause error) {
	next, reset, cause = s.clocks(now)
	if cause != nil && s.ourStall() {
		s.markProgress() // the peer moved; we have yet to see it
		next, reset, cause = s.clocks(monoNow())
	}
	return next, reset, cause
}

// States of CSA.waits: where the reader and the writer wait.
const (
	ioSending   = 1 << iota // the reader is sending a chunk on (the handler's back-pressure may hold it)
	ioWriteWait             // the writer waits for the socket to take more
)

// ourStall reports whether the peer has moved and this process has yet
// to catch up: the socket holds something for a reader that is waiting
// to read (not held by the handler's back-pressure, nor parked for a
// handshake), or would take a write the writer is waiting to make. A
// clock that runs out then measures our own delay (a starved scheduler,
// a stopped process), not the peer's.
func (s *CSA) ourStall() bool {
	w := s.waits.Load()
	reading := w&ioSending == 0 && !s.rdone.Load() && !s.readerGone.Load() && !s.pauseReq.Load()
	writing := w&ioWriteWait != 0
	if !reading && !writing {
		return false
	}
	var readable, writable bool
	if !s.withFD(func(fd uintptr) { readable, writable = readyFD(fd) }) {
		return false
	}
	return reading && readable || writing && writable
}

// clocks is watchState without the check for our own stall.
func (s *CSA) clocks(now int64) (next time.Duration, reset bool, cause error) {
	last := s.lastProgress.Load()
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
		p.s.waits.And(^uint32(ioWriteWait))
		for written < len(b) {
			n, err := writeFD(fd, b[written:])
			if n > 0 {
				written += n
				p.s.markProgress()
			}
			if err != nil {
				if isAgain(err) {
					p.s.waits.Or(ioWriteWait)
					return false // wait until the socket takes more
				}
				werr = err
				return true
			}
		}
		return true
	})
	p.s.waits.And(^uint32(ioWriteWait)) // a wait that failed
	if err == nil && werr != nil {
		err = &net.OpError{Op: "write", Net: "tcp", Source: p.LocalAddr(), Addr: p.RemoteAddr(), Err: os.NewSyscallError("write", werr)}
	}
	return written, err
}
