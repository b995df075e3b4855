package internet

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/kamaelia-go/kamaelia/axon"
)

// readLoop is the adapter's reader: it runs until the read side ends,
// sending what it reads out of "outbox" and, last, one notice out of
// "peerFinished".
func (s *CSA) readLoop(ctx context.Context) {
	// Its end wakes the step (axon's Go does that for a reactive component).
	defer s.readerEnded()
	s.rctx = ctx
	raw, conn := s.source()
	for {
		if s.pauseReq.Load() {
			if !s.awaitResume(ctx) { // closed (a failed handshake, say) or stopped
				s.endReadStopped(ctx)
				return
			}
			raw, conn = s.source() // a makessl may have switched them
		}
		chunk, err := s.read(raw, conn)
		if err == errDeliveryStopped {
			s.endReadStopped(ctx)
			return
		}
		if len(chunk) > 0 {
			if s.sendOn(chunk) != nil { // the adapter was stopped
				s.endReadStopped(ctx)
				return
			}
		}
		if err == nil {
			continue
		}
		if s.pauseReq.Load() && errors.Is(err, os.ErrDeadlineExceeded) {
			continue // kicked out of a read to make way for a TLS handshake
		}
		s.endRead(s.readError(err))
		return
	}
}

// source returns what the reader reads from: the raw socket while it
// is plain TCP, else the connection. They change only while the reader
// is parked (see upgrade).
func (s *CSA) source() (syscall.RawConn, net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.raw, s.connLocked()
}

// awaitResume parks the reader while a makessl handshake uses the
// socket. It returns false if the adapter is stopped meanwhile.
func (s *CSA) awaitResume(ctx context.Context) bool {
	select {
	case s.paused <- struct{}{}:
	case <-s.closedCh:
		return false
	case <-ctx.Done():
		return false
	}
	select {
	case <-s.resume:
		return true
	case <-s.closedCh:
		return false
	case <-ctx.Done():
		return false
	}
}

// read returns the next chunk. On a plain TCP socket it waits for
// readability without a buffer and reads as rawRead says, so an idle
// connection holds no buffer; otherwise (TLS, or a net.Conn without a
// file descriptor) it reads into a buffer of its own. A chunk may come
// with the error that ended reading.
func (s *CSA) read(raw syscall.RawConn, conn net.Conn) ([]byte, error) {
	if raw != nil {
		if err := raw.Read(s.readFn); err != nil {
			return nil, err
		}
		if s.rclose {
			s.rclose = false
			_ = s.base.Close()
			return nil, net.ErrClosed
		}
		if s.rstopped {
			return nil, errDeliveryStopped
		}
		if s.rpaused {
			s.rpaused = false
			return nil, nil
		}
		chunk, err := s.rchunk, s.rerr
		s.rchunk, s.rerr = nil, nil
		switch {
		case err != nil:
			err = &net.OpError{Op: "read", Net: "tcp", Source: s.base.LocalAddr(), Addr: s.base.RemoteAddr(), Err: os.NewSyscallError("read", err)}
		case len(chunk) == 0:
			err = io.EOF
		}
		return chunk, err
	}
	if s.gbuf == nil {
		s.gbuf = new([tlsReadSize]byte)
	}
	n, err := conn.Read(s.gbuf[:])
	if n > 0 {
		s.markProgress() // a plain net.Conn; under TLS, progressConn saw the bytes already
		return copyChunk(s.gbuf[:n]), err
	}
	return nil, err
}

// rawRead is the callback for RawConn.Read: it reads what is there,
// or asks to wait for readability.
//
// It reads into a buffer sized by what the reads before it got (see
// nextReadSize), so that a message of the usual size lands in a chunk of
// its own with no copy. While reads are short, that buffer is
// smallRead bytes on the reader's stack: a read that finds nothing then
// costs no buffer at all, and a short message only the chunk it is
// copied into.
//
// Mostly it leaves the chunk in s.rchunk (with s.rerr) for readLoop to
// send on, and the next call reads again, to see EAGAIN before it
// waits. A connection of requests and replies can skip that read, which
// would find nothing (see deliverInRead): its reads are short, and the
// kernel says (TCP_INQ) that the socket held nothing more after each.
func (s *CSA) rawRead(fd uintptr) bool {
	// At most one delivery per call, so that the read deadline, which
	// only RawConn.Read checks, is looked at between chunks.
	for first := true; ; first = false {
		if s.pauseReq.Load() {
			s.rpaused = true
			return true
		}
		chunk, inq, again := s.readChunk(fd)
		switch {
		case again:
			return false
		case chunk == nil: // the end, with s.rerr
			return true
		case inq != 0 || !first || !s.rstate.CompareAndSwap(0, rsDelivering):
			s.rchunk = chunk
			return true
		}
		if wait, leave := s.deliverInRead(chunk); wait || leave {
			return !wait
		}
	}
}

// readChunk reads once. It returns the chunk read, or again if there was
// nothing to read yet, or neither at the end (s.rerr says why, nil for
// the peer's close). inq is 0 only if the read was short and the kernel
// said the socket held nothing more, not even the peer's close.
func (s *CSA) readChunk(fd uintptr) (chunk []byte, inq int, again bool) {
	var n, size int
	var err error
	if s.rsize == 0 {
		var small [smallRead]byte
		n, inq, err = s.readOnce(fd, small[:])
		if n > 0 && err == nil {
			chunk = copyChunk(small[:n])
		}
		size = smallRead
	} else {
		buf := getChunk(int(s.rsize))
		n, inq, err = s.readOnce(fd, buf)
		if n > 0 && err == nil {
			chunk = trimChunk(buf, n)
		} else {
			recycleChunk(buf)
		}
		size = len(buf)
	}
	switch {
	case isAgain(err):
		return nil, -1, true
	case chunk == nil:
		s.rerr = err
		return nil, -1, false
	}
	s.markProgress()
	if n < size {
		s.noteShortRead(fd)
	} else {
		inq = -1 // only a short read is sent on from inside the read
	}
	s.nextReadSize(n)
	return chunk, inq, false
}

// readOnce reads into p, with TCP_INQ's count once it is on; inq is -1
// (unknown) otherwise.
func (s *CSA) readOnce(fd uintptr, p []byte) (n, inq int, err error) {
	if s.rinq == inqOn {
		return readInq(fd, p)
	}
	n, err = readFD(fd, p)
	return n, -1, err
}

// States of CSA.rinq besides the count of short reads before inqOn.
const (
	inqOn  = 2  // TCP_INQ is on: the second short read turns it on
	inqOff = -1 // the socket has no TCP_INQ
)

// noteShortRead counts a short read and turns TCP_INQ on at the
// second, so a connection that only ever carries one message (or a
// stream that fills every read) does not pay the system call.
func (s *CSA) noteShortRead(fd uintptr) {
	if !inqSupported || s.rinq == inqOn || s.rinq == inqOff {
		return
	}
	if s.rinq++; s.rinq == inqOn && !enableInq(fd) {
		s.rinq = inqOff
	}
}

// deliverInRead sends a chunk on from inside RawConn.Read, after a read
// that emptied the socket. Then, if a write that began after that read
// succeeded, rawRead can wait for readability at once (wait): the
// socket had no data and no FIN (TCP_INQ said so) and no reset (a reset
// socket takes no write), and whatever comes later wakes the wait.
// Without such a write it must read again first, since a reset that
// came with the data would not wake it. leave says to leave the read: a
// close, a stop or a pause came meanwhile.
func (s *CSA) deliverInRead(chunk []byte) (wait, leave bool) {
	epoch := s.repoch.Add(1)
	err := s.sendOn(chunk)
	if s.rstate.Swap(0)&rsCloseDeferred != 0 {
		s.rstate.Store(rsClosing)
		s.rclose = true
		return false, true
	}
	switch {
	case err != nil: // the adapter was stopped
		s.rstopped = true
		return false, true
	case s.pauseReq.Load():
		s.rpaused = true
		return false, true
	}
	return s.wproof.Load() == epoch, false
}

// sendOn counts a chunk read and sends it out of "outbox", in the
// reader's goroutine. It fails only if the adapter was stopped.
func (s *CSA) sendOn(chunk []byte) error {
	s.bytesIn.Add(int64(len(chunk)))
	return s.Send(s.rctx, boxOutbox, chunk)
}

// errDeliveryStopped is what read returns when rawRead could not send a
// chunk on because the adapter was stopped.
var errDeliveryStopped = errors.New("internet: adapter stopped")

// nextReadSize sets the buffer size for the next read from the n bytes
// this one got: the smallest chunk class larger than n, so that a
// message of the same size does not fill it (a full buffer is read
// again), up to readSize; 0 (the stack buffer) when that is no more than
// smallRead. It grows at once and shrinks only after two reads in a row
// that would have fitted a smaller buffer, so a stream's occasional
// short read does not cost it several small reads.
func (s *CSA) nextReadSize(n int) {
	next := int32(min(minChunk<<chunkClass(n+1), readSize))
	if next <= smallRead {
		next = 0
	}
	switch {
	case next >= s.rsize:
		s.rsize, s.rshrink = next, false
	case s.rshrink:
		s.rsize, s.rshrink = next, false
	default:
		s.rshrink = true
	}
}

// readError turns the error that ended reading into the cause to report:
// nil for the peer's orderly close; for our own close, its cause (nil
// for a clean one), since the socket's error says only that it was
// closed.
func (s *CSA) readError(err error) error {
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case s.isClosed():
		return s.closeCause()
	}
	return err
}

// closeCause is the cause the socket was closed with, if the adapter
// closed it; nil otherwise.
func (s *CSA) closeCause() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed.Load() {
		return nil
	}
	return s.cause
}

// endRead marks the read side finished, says so on "peerFinished", and
// closes the socket if the write side is finished too or reading failed.
func (s *CSA) endRead(cause error) {
	if cause != nil {
		// Record the cause before the read side is seen to be done: a
		// writer that then closes must not close first with none.
		s.close(cause)
	}
	s.announceReadEnd(cause, true)
}

// endReadStopped ends the read side of an adapter whose socket was
// closed, or that was stopped, while the reader waited (to deliver, or
// for a handshake): the notice carries the close's cause, else the
// stop's. The socket is left to whoever closes it.
func (s *CSA) endReadStopped(ctx context.Context) {
	cause := s.closeCause()
	if cause == nil && !s.isClosed() {
		cause = context.Cause(ctx)
	}
	s.announceReadEnd(cause, false)
}

// announceReadEnd marks the read side finished and says so on
// "peerFinished" with cause; with closeIfDone it closes the socket if
// the write side is finished too.
func (s *CSA) announceReadEnd(cause error, closeIfDone bool) {
	s.rdone.Store(true)
	ctx, cancel := lastSends()
	defer cancel()
	_ = s.Send(ctx, boxPeerFinished, SocketShutdown{
		ProducerFinished: axon.ProducerFinished{Caller: s, Err: cause},
		Conn:             s.base,
	})
	if closeIfDone && s.wfinished.Load() {
		s.close(nil)
	}
}

// readerEnded records that the reader goroutine is done with the socket.
func (s *CSA) readerEnded() {
	s.mu.Lock()
	s.readerGone.Store(true)
	if s.readerDone != nil {
		close(s.readerDone)
	}
	s.mu.Unlock()
}

// requestPause asks the reader to stop at its next safe point (before
// its next read) and kicks a read that is waiting for data.
func (s *CSA) requestPause() {
	// The channels of the pause are made on first use: most connections
	// never switch to TLS. The reader looks at them only after it has
	// seen pauseReq set, which happens after this.
	s.mu.Lock()
	if s.paused == nil {
		s.paused, s.resume = make(chan struct{}), make(chan struct{}, 1)
		// Made closed if what they announce has already happened.
		s.closedCh, s.readerDone = make(chan struct{}), make(chan struct{})
		if s.closed.Load() {
			close(s.closedCh)
		}
		if s.readerGone.Load() {
			close(s.readerDone)
		}
	}
	s.mu.Unlock()
	if s.pauseReq.CompareAndSwap(false, true) {
		_ = s.base.SetReadDeadline(aLongTimeAgo)
	}
}

// pauseReader stops the reader at a safe point before a TLS handshake
// takes over the socket. It returns false if the reader has ended.
func (s *CSA) pauseReader(ctx context.Context) bool {
	s.requestPause()
	select {
	case <-s.paused:
		return true
	case <-s.readerDone:
		return false
	case <-s.closedCh:
		return false
	case <-ctx.Done():
		return false
	}
}

func (s *CSA) resumeReader() {
	s.pauseReq.Store(false)
	select {
	case s.resume <- struct{}{}:
	default:
	}
}
