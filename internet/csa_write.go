package internet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
)

// writeBatch is how many bytes the writer takes from "inbox" before it
// writes them; chunks taken together go out in one writev. It is the
// size of the largest read (readSize), so a stream's chunks go out one
// read's worth per writev, and small ones many at a time, while a peer
// that stops reading holds at most this much (plus one chunk) besides
// the inbox's limit.
const writeBatch = readSize

// aLongTimeAgo is a deadline in the past, to interrupt a waiting read.
var aLongTimeAgo = time.Unix(1, 0)

// The writer. Messages on "inbox", "control" and "makessl" are handled
// strictly in the order they arrived (axon's Next), by whoever holds the
// writer role: first the step itself, in the goroutine that delivered the
// message, which writes as long as the socket takes data without
// blocking (a shutdown request on a plain connection included); when it
// would block, or a handshake or a TLS close must wait, the role passes
// to a flusher goroutine that lives only until the queue is empty again.
// An idle connection therefore has no writer goroutine.

// pump takes the writer role if it is free and works until the queue is
// empty or a flusher must take over. It runs in the step.
func (s *CSA) pump(ctx context.Context, c *axon.Core) {
	if !s.writing.CompareAndSwap(false, true) {
		return // a flusher has the role; it will see the new messages
	}
	for {
		if s.drive(ctx, false) {
			if err := c.Go(s.flush); err != nil {
				s.writing.Store(false)
			}
			return
		}
		if !s.release() {
			return
		}
	}
}

// flush is the flusher goroutine: it holds the writer role while there
// is work, blocking as needed, then hands the role back.
func (s *CSA) flush(ctx context.Context) {
	// Its end wakes the step (axon's Go does that), which then sees
	// whether the adapter is done.
	for {
		s.drive(ctx, true)
		if !s.release() {
			return
		}
	}
}

// release gives up the writer role. It returns true if the caller took
// it back because something arrived meanwhile (so no message is stranded
// between the last look and the release).
func (s *CSA) release() bool {
	s.writing.Store(false)
	if !s.AnyReady() {
		return false
	}
	return s.writing.CompareAndSwap(false, true)
}

// drive handles queued messages in arrival order. Without blocking it
// returns true as soon as it needs to block; with blocking it returns
// when the queue is empty.
func (s *CSA) drive(ctx context.Context, blocking bool) (needFlusher bool) {
	for {
		if len(s.pend) == 0 && s.op == nil {
			if !s.collect(ctx) {
				return false
			}
			continue // took only messages that need no write (empty, ignored, bad)
		}
		if len(s.pend) > 0 {
			if !blocking {
				if !s.tryWrite() {
					return true
				}
				continue
			}
			s.writePending()
			continue
		}
		if !blocking && !s.opNeverBlocks(s.op) {
			return true
		}
		op := s.op
		s.op = nil
		s.doOp(ctx, op)
	}
}

// collect takes data messages into pend until a batch is full or a
// control or makessl message comes next (kept in op). It returns false
// if there was nothing to take.
func (s *CSA) collect(ctx context.Context) bool {
	took := false
	size := 0
	for size < writeBatch {
		box, msg, ok := s.Next()
		if !ok {
			break
		}
		took = true
		switch box {
		case boxInbox:
			b, ok := asBytes(msg)
			if !ok {
				s.badMessage(ctx, msg)
				continue
			}
			if len(b) == 0 {
				continue
			}
			if s.wfinished.Load() || s.isClosed() {
				if !s.aborted.Load() { // a reset drops what is queued: its cause says so
					s.dropAfterClose(ctx, msg)
				}
				continue
			}
			s.pend = append(s.pend, b)
			if _, isBytes := msg.([]byte); isBytes && s.reuse.Load() {
				s.pown = append(s.pown, b)
			} else {
				s.pown = append(s.pown, nil)
			}
			size += len(b)
			s.pending.Add(int64(len(b)))
		case boxControl:
			if r, ok := asReset(msg); ok {
				s.Reset(r.Err)
				continue
			}
			if axon.IsShutdownRequest(msg) {
				s.op = msg
				return true
			}
		case boxMakeSSL:
			// Stop the reader now, before anything more is read: the
			// peer may start its handshake as soon as it has what we
			// wrote before this message.
			s.requestPause()
			op := makeSSLOp{}
			if m, ok := msg.(MakeSSL); ok {
				op.plaintext = m.Plaintext
			} else if m, ok := msg.(*MakeSSL); ok && m != nil {
				op.plaintext = m.Plaintext
			}
			s.op = op
			return true
		}
	}
	return took
}

type makeSSLOp struct{ plaintext []byte }

func asBytes(msg any) ([]byte, bool) {
	switch m := msg.(type) {
	case []byte:
		return m, true
	case string:
		return []byte(m), true
	}
	return nil, false
}

func (s *CSA) badMessage(ctx context.Context, msg any) {
	err := fmt.Errorf("%w: %T on %s's inbox", ErrBadMessage, msg, s.Name())
	if s.cfg.crashOnBadData {
		s.close(err)
		return
	}
	s.report(ctx, err, msg)
}

// dropAfterClose reports, once, data that came after the sending side
// was finished.
func (s *CSA) dropAfterClose(ctx context.Context, msg any) {
	if s.droppedOnce {
		return
	}
	s.droppedOnce = true
	s.report(ctx, fmt.Errorf("%w: %s", ErrWriteClosed, s.Name()), msg)
}

// tryWrite writes pend without blocking. It returns false if something
// is left that needs a blocking write.
func (s *CSA) tryWrite() bool {
	raw := s.raw // the writer role is the only one to change it
	if raw == nil {
		return false
	}
	s.wn, s.werr = 0, nil
	epoch := s.repoch.Load()
	if err := raw.Write(s.writeFn); err != nil {
		s.writeFailed(err)
		return true
	}
	if s.wn > 0 {
		s.wproof.Store(epoch) // see deliverInRead
		s.markProgress()
	}
	if s.werr != nil && !isAgain(s.werr) {
		s.writeFailed(&net.OpError{Op: "write", Net: "tcp", Source: s.base.LocalAddr(), Addr: s.base.RemoteAddr(), Err: os.NewSyscallError("writev", s.werr)})
		return true
	}
	s.consume(s.wn)
	return len(s.pend) == 0
}

// rawWrite is the callback for RawConn.Write: one write or writev,
// never a wait.
func (s *CSA) rawWrite(fd uintptr) bool {
	if len(s.pend) == 1 {
		s.wn, s.werr = writeFD(fd, s.pend[0])
		return true
	}
	iov := iovPool.Get().(*[iovBatch]iovec)
	s.wn, s.werr = writevFD(fd, s.pend, iov[:0])
	clear(iov[:min(len(s.pend), iovBatch)]) // hold no chunk in the pool
	iovPool.Put(iov)
	return true
}

// iovBatch is how many iovecs the scratch arrays of iovPool hold; a
// writev of more chunks grows its own.
const iovBatch = 64

// iovPool holds writev scratch arrays, so that an adapter does not keep
// one (1 KiB) for its whole life.
var iovPool = sync.Pool{New: func() any { return new([iovBatch]iovec) }}

// consume drops n written bytes from the front of pend.
func (s *CSA) consume(n int) {
	s.bytesOut.Add(int64(n))
	s.pending.Add(-int64(n))
	i := 0
	for i < len(s.pend) && n >= len(s.pend[i]) {
		n -= len(s.pend[i])
		s.pend[i] = nil
		i++
	}
	if i < len(s.pend) && n > 0 {
		s.pend[i] = s.pend[i][n:]
	}
	s.pend = s.pend[i:]
	s.reuseWritten(i)
	if len(s.pend) == 0 {
		s.pend = s.pendArr[:0]
	}
}

// reuseWritten recycles the first k chunks of pown, which have been
// written. pown may be shorter than pend had been: chunks appended to
// pend by others (a makessl's plaintext) are never reused.
func (s *CSA) reuseWritten(k int) {
	k = min(k, len(s.pown))
	for i, b := range s.pown[:k] {
		if b != nil {
			s.pown[i] = nil
			recycleChunk(b)
		}
	}
	s.pown = s.pown[k:]
	if len(s.pown) == 0 {
		s.pown = s.pownArr[:0]
	}
}

// forgetOwned drops pown without reusing anything.
func (s *CSA) forgetOwned() {
	clear(s.pown)
	s.pown = s.pownArr[:0]
}

// writePending writes pend, blocking until done or an error (the
// socket closed under it included). Every write call that moves bytes
// counts as progress, so a slow reader's connection is seen to move.
func (s *CSA) writePending() {
	if raw := s.raw; raw != nil { // the writer role is the only one to change it
		s.werr = nil
		if err := raw.Write(s.rawWriteAll); err != nil {
			s.writeFailed(err)
		} else if s.werr != nil {
			s.writeFailed(&net.OpError{Op: "write", Net: "tcp", Source: s.base.LocalAddr(), Addr: s.base.RemoteAddr(), Err: os.NewSyscallError("writev", s.werr)})
		}
		return
	}
	s.mu.Lock()
	conn := s.connLocked()
	s.mu.Unlock()
	for len(s.pend) > 0 {
		n, err := conn.Write(s.pend[0])
		if n > 0 {
			s.markProgress()
			s.consume(n)
		}
		if err != nil {
			s.writeFailed(err)
			return
		}
	}
}

// rawWriteAll is the callback for RawConn.Write that writes all of pend:
// it writes while the socket takes data and asks to wait for
// writability when it would block.
func (s *CSA) rawWriteAll(fd uintptr) bool {
	for len(s.pend) > 0 {
		s.rawWrite(fd)
		if s.wn > 0 {
			s.markProgress()
			s.consume(s.wn)
		}
		if s.werr != nil {
			if isAgain(s.werr) {
				s.werr = nil
				return false
			}
			return true
		}
	}
	return true
}

// writeFailed ends the connection after a write error.
func (s *CSA) writeFailed(err error) {
	var left int64
	for i, b := range s.pend {
		left += int64(len(b))
		s.pend[i] = nil
	}
	s.pending.Add(-left)
	s.pend = s.pendArr[:0]
	s.forgetOwned()
	if s.isClosed() {
		return // closed under us; the cause is already recorded
	}
	s.close(err)
}

// doOp carries out a control or makessl message, in its turn.
func (s *CSA) doOp(ctx context.Context, op any) {
	if m, ok := op.(makeSSLOp); ok {
		s.upgrade(ctx, m.plaintext)
		return
	}
	if s.wfinished.Load() {
		// The sending side is finished already. A shutdownMicroprocess
		// after a producerFinished stops the wait for the peer to
		// finish: close now, as it would have without it.
		if axon.IsShutdownMicroprocess(op) && !s.isClosed() {
			s.close(nil)
		}
		return
	}
	s.armLinger()
	s.wfinished.Store(true)
	if s.isClosed() {
		return
	}
	if axon.IsShutdownMicroprocess(op) {
		s.closeNotify()
		s.close(nil)
		return
	}
	// producerFinished: half-close, then wait (bounded) for the peer.
	// If the peer has finished already, closing sends the same FIN.
	if s.rdone.Load() {
		s.closeNotify()
		s.close(nil)
		return
	}
	if !s.halfClose() {
		s.close(nil)
		return
	}
	if s.rdone.Load() {
		s.close(nil)
	}
}

// opNeverBlocks reports whether op can be carried out without waiting,
// so the step may do it itself rather than start a flusher: a shutdown
// request on a connection that is not TLS (there is no close_notify to
// write; a half-close and a close do not wait).
func (s *CSA) opNeverBlocks(op any) bool {
	if _, ok := op.(makeSSLOp); ok {
		return false
	}
	s.mu.Lock()
	tc := s.tlsConn
	s.mu.Unlock()
	return tc == nil
}

// closeNotify sends TLS's close_notify, if the connection is TLS.
func (s *CSA) closeNotify() {
	s.mu.Lock()
	tc := s.tlsConn
	s.mu.Unlock()
	if tc != nil {
		_ = tc.CloseWrite()
	}
}

// halfClose ends the sending side (close_notify, then FIN). It returns
// false if the connection cannot be half-closed.
func (s *CSA) halfClose() bool {
	cw, ok := s.base.(interface{ CloseWrite() error })
	if !ok {
		return false
	}
	s.closeNotify()
	if err := cw.CloseWrite(); err != nil {
		if errors.Is(err, syscall.ENOTCONN) {
			// The kernel forgets a connection the peer has reset; a
			// half-close then finds it not connected. Say what happened.
			err = fmt.Errorf("%w (%w)", err, syscall.ECONNRESET)
		}
		s.close(fmt.Errorf("internet: half-close: %w", err))
	}
	return true
}
