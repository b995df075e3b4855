package internet

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
)

// Box names of a ConnectedSocketAdapter.
const (
	boxInbox        = "inbox"
	boxControl      = "control"
	boxMakeSSL      = "makessl"
	boxOutbox       = "outbox"
	boxSignal       = "signal"
	boxFeedback     = "CreatorFeedback"
	boxSSLReady     = "sslready"
	boxPeerFinished = "peerFinished"
)

// CSA is a ConnectedSocketAdapter: a component wrapping one connected
// net.Conn, so that a socket is just another pair of boxes.
//
// Inboxes:
//
//	inbox    []byte or string: data to write, in order. Chunks waiting
//	         together are written with one writev. Anything else is
//	         reported on "signal" and skipped (or, with CrashOnBadData,
//	         closes the connection).
//	control  producerFinished: write everything queued, half-close
//	         (FIN; close_notify first under TLS), keep delivering what the
//	         peer sends until it closes, then close. shutdownMicroprocess:
//	         write everything queued, then close (after a producerFinished:
//	         stop waiting for the peer, and close). Either is bounded by
//	         Linger (no progress for that long ends it) and LingerCap.
//	         Reset: abort at once with a TCP reset (see Reset). Other
//	         messages are ignored.
//	makessl  any message: switch the live connection to TLS (client or
//	         server side as configured). Data queued before it is written
//	         in plaintext first; data after it is held until the handshake
//	         is done and then goes out encrypted.
//
// Outboxes:
//
//	outbox          []byte chunks read from the socket, as they came; the
//	                receiver owns each chunk.
//	peerFinished    one SocketShutdown when no more data will come out
//	                of "outbox": the peer closed its side (Err nil), the
//	                connection failed (Err is the cause), or we closed it.
//	                Every byte read is delivered before it. The adapter may
//	                go on writing after a peer's half-close.
//	signal          axon.ErrorInformation for problems that do not end the
//	                connection (a bad message, a makessl refused for want
//	                of a TLS configuration or because the connection is
//	                TLS already), then ShutdownCSA when the adapter
//	                ends, whose Err (the connection's cause, nil for a
//	                clean close) is also the adapter's own Err. A failed
//	                TLS handshake ends the connection: its cause comes only
//	                with the terminal notices.
//	CreatorFeedback SocketShutdown when the socket has closed; Err
//	                carries the cause (nil for a clean close).
//	sslready        SSLReady once a makessl handshake has completed.
//
// Kamaelia's CSA also had ReadReady, SendReady and _selectorSignal to talk
// to its select() loop. Here Go's netpoller does that work, so those boxes
// do not exist: the adapter waits for readability itself, without holding
// a buffer, and writes without a helper goroutine until the socket would
// block. On Linux, once a connection's reads are short (requests and
// replies), it asks the kernel with each read whether more is queued
// (TCP_INQ), and so skips the read that would only have found nothing.
//
// Back-pressure: if the inbox that "outbox" leads to is full, the adapter
// stops reading, so TCP's flow control slows the peer. Its own "inbox" is
// bounded (DefaultSendLimit), so a peer that stops reading makes senders
// wait; the most a connection holds in the process is that limit plus the
// one batch being written (32 KiB, overshot by at most one chunk).
//
// Progress is a byte read from the socket or a write that moved at least
// one byte into it. With IdleTimeout, a connection that makes no progress
// for that long is reset, whether or not data is waiting to be sent; Linger
// bounds a close the same way.
//
// Stopping the adapter (Stop, or the end of its context) closes the
// socket at once, without a flush: with a reset if its sending side had
// not finished, since what was queued is lost. Its notices then carry
// the context's cause. (The package documentation has a table of every
// way a component stops and the Err it ends with.)
//
// A CSA is a reactive component. Its methods are safe for concurrent use.
type CSA struct {
	// The fields every chunk touches come first, together: after each
	// system call the kernel has evicted much of what the adapter uses,
	// so the fewer cache lines a chunk's way through it spans, the less
	// it costs.
	*axon.Core
	// raw is the socket while it is plain TCP. It is set under mu; the
	// writer role reads it without, since only that role changes it
	// (see upgrade).
	raw     syscall.RawConn
	readFn  func(uintptr) bool
	writeFn func(uintptr) bool
	control *axon.Inbox

	// Reader state, owned by the reader goroutine.
	rctx     context.Context // the reader's
	rchunk   []byte          // what rawRead read, with rerr
	rerr     error
	rsize    int32 // buffer size for the next read; 0: smallRead on the stack
	rshrink  bool  // the last read would have fitted a smaller buffer
	rpaused  bool
	rclose   bool // a close came while rawRead delivered; the reader closes
	rstopped bool // a delivery in rawRead failed: the adapter was stopped
	rinq     int8 // short reads seen, up to inqOn; or inqOff

	started     bool // step only
	finalSent   bool // step only
	droppedOnce bool // writer only

	// repoch counts the reader's deliveries from inside rawRead; wproof
	// is the count the writer saw before its last successful write. They
	// tell the reader that a write began after its read (deliverInRead).
	// 32 bits keep a CSA at 512 bytes; the count would have to wrap
	// during one non-blocking write for a stale one to match.
	repoch, wproof atomic.Uint32

	// rstate tells a closer whether the reader is delivering from inside
	// RawConn.Read, where a Close would wait for the reader (see
	// closeSocket).
	rstate atomic.Int32

	pauseReq    atomic.Bool
	writing     atomic.Bool // the writer role is taken
	reuse       atomic.Bool
	wfinished   atomic.Bool
	closed      atomic.Bool // set once, under mu; read without it
	readerGone  atomic.Bool // the reader has ended; set under mu
	rdone       atomic.Bool
	lingerArmed atomic.Bool
	aborted     atomic.Bool // closed by a reset: what is left is dropped quietly

	bytesIn, bytesOut, pending atomic.Int64

	// lastProgress is when the socket last made progress (monoNow); the
	// no-progress clock (see watch) reads it.
	lastProgress atomic.Int64

	// Writer state, owned by whoever holds the writer role (writing): the
	// step when it can write without blocking, else a flusher goroutine.
	pend    [][]byte  // chunks taken from inbox, not yet written
	pown    [][]byte  // pend's chunks as taken, to reuse once written (nil: not ours)
	pendArr [2][]byte // pend's storage while it is short
	pownArr [2][]byte
	wn      int
	werr    error
	op      any // a control or makessl message waiting its turn

	cfg  *config  // shared with the server or client that made it; read only
	base net.Conn // the connection as given (the TCP socket under any TLS)

	mu         sync.Mutex // guards tlsConn, cause and watcher, and the setting of raw and closed
	tlsConn    *tls.Conn  // the connection over base once it is TLS; what we read and write then
	cause      error
	closedCh   chan struct{} // closed with the socket; made by the first requestPause
	watcher    *watcher      // the no-progress clocks' timer, once one is in force (see watch)
	lingerFrom atomic.Int64  // when the linger began (monoNow); 0: not yet

	readerDone chan struct{}      // closed when the reader ends; made by the first requestPause
	paused     chan struct{}      // made by the first requestPause
	resume     chan struct{}      // likewise
	gbuf       *[tlsReadSize]byte // the reader's buffer when it cannot read the socket directly (TLS)

	sc *serverConn // the ServerCore connection it serves, if any; ServerCore's step only
}

// NewCSA returns an adapter for conn, which must be connected. It does
// not activate it. The options are the connection options (ConnOption:
// Linger, IdleTimeout, SendLimit, ...) and the side makessl takes,
// TLSClient or TLSServer.
func NewCSA(conn net.Conn, opts ...CSAOption) *CSA {
	cfg := configOf(opts, CSAOption.applyCSA)
	return newCSA(conn, &cfg)
}

// newCSA makes an adapter with the settings cfg points to, which may be
// shared with other adapters and must not change afterwards.
func newCSA(conn net.Conn, cfg *config) *CSA {
	s := &CSA{
		cfg:  cfg,
		base: conn,
	}
	s.markProgress() // a connection not yet started is not quiet
	if sc, ok := conn.(syscall.Conn); ok && rawIOSupported {
		if rc, err := sc.SyscallConn(); err == nil {
			s.raw = rc
			s.readFn = s.rawRead
			s.writeFn = s.rawWrite
		}
	}
	s.reuse.Store(cfg.reuseWritten)
	s.Core = axon.NewReactive("CSA", s.step, csaOptionsFor(cfg.sendLimitFor())...)
	s.SetStatsReporter((*csaStats)(s)) // byte counters for introspection
	s.control = s.Inbox(boxControl)
	return s
}

// csaOptions are the box declarations of a CSA whose "inbox" has the
// given limit. They are made once per limit and reused (options only
// read their specs), since an adapter is made per connection.
type csaOptions struct {
	limit axon.Limit
	opts  []axon.Option
}

var lastCSAOptions atomic.Pointer[csaOptions]

func csaOptionsFor(limit axon.Limit) []axon.Option {
	if o := lastCSAOptions.Load(); o != nil && o.limit == limit {
		return o.opts
	}
	o := &csaOptions{limit: limit, opts: []axon.Option{
		axon.StartInline(),
		axon.WithInboxes(
			axon.Box(boxInbox, "data to write to the socket: []byte or string").WithLimit(limit),
			axon.Box(boxControl, "producerFinished: flush, half-close, drain, close; shutdownMicroprocess: flush, close"),
			axon.Box(boxMakeSSL, "any message: switch the connection to TLS"),
		),
		axon.WithOutboxes(
			axon.Box(boxOutbox, "data read from the socket: []byte chunks the receiver owns"),
			axon.Box(boxSignal, "ErrorInformation for non-fatal problems; ShutdownCSA when the adapter ends"),
			axon.Box(boxFeedback, "SocketShutdown when the socket has closed, with the cause"),
			axon.Box(boxSSLReady, "SSLReady once a makessl handshake has completed"),
			axon.Box(boxPeerFinished, "SocketShutdown once no more data will come out of outbox"),
		),
	}}
	lastCSAOptions.Store(o)
	return o.opts
}

// Conn returns the connection as given to NewCSA (the TCP socket, even
// after a switch to TLS).
//
// Do not close it from a component that the adapter's "outbox" feeds:
// that component's step may run inside the adapter's read, and a
// net.Conn's Close waits for reads in progress to return. Send
// shutdownMicroprocess to "control", or stop the adapter, instead.
func (s *CSA) Conn() net.Conn { return s.base }

// RemoteAddr returns the peer's address.
func (s *CSA) RemoteAddr() net.Addr { return s.base.RemoteAddr() }

// LocalAddr returns the local address of the connection.
func (s *CSA) LocalAddr() net.Addr { return s.base.LocalAddr() }

// TLS reports whether the connection has switched to TLS, and its state.
func (s *CSA) TLS() (tls.ConnectionState, bool) {
	s.mu.Lock()
	tc := s.tlsConn
	s.mu.Unlock()
	if tc == nil {
		return tls.ConnectionState{}, false
	}
	return tc.ConnectionState(), true
}

// ReuseWritten hands the adapter the []byte chunks sent to its "inbox":
// once a chunk has been written, its memory goes back to the pool that
// adapters read into, so a connection that echoes or forwards what it
// reads allocates nothing per chunk. Without it the adapter never reuses
// what it is sent, and each chunk it reads is memory of its own that the
// garbage collector frees.
//
// Call it only when every sender to "inbox" gives each chunk away: it
// neither keeps the chunk nor sends the same one anywhere else (send a
// copy to each place instead). Echoing a connection to itself, directly
// or through a pass-through handler such as components.Echo, is such a
// case. Strings are never reused.
func (s *CSA) ReuseWritten() { s.reuse.Store(true) }

// CSAStats are a connection's byte counters.
type CSAStats struct {
	BytesRead    int64 // read from the socket and sent out of "outbox"
	BytesWritten int64 // written to the socket
	BytesPending int64 // taken from "inbox" and not yet written
}

// Stats returns the connection's byte counters. Together with the
// introspection figures of "inbox" they tell everything the adapter
// holds.
func (s *CSA) Stats() CSAStats {
	return CSAStats{BytesRead: s.bytesIn.Load(), BytesWritten: s.bytesOut.Load(), BytesPending: s.pending.Load()}
}

// Reset aborts the connection at once: what is queued to send is
// dropped, and the socket is closed with SO_LINGER 0, so the peer sees a
// reset (ECONNRESET), never an orderly end, and can tell that the stream
// was cut short. The adapter then ends as for any close, with cause (nil
// means ErrReset) on "CreatorFeedback" and "signal". Resetting a closed
// connection does nothing. A handler that cannot call it sends a Reset
// message to "control" instead.
//
// It may be called from any goroutine, a step that the adapter's own
// reader runs included.
func (s *CSA) Reset(cause error) {
	if cause == nil {
		cause = ErrReset
	}
	s.abort(cause)
}

// quietFor reports how long the socket has made no progress, and
// whether nothing is queued to send (inbox and the batch being written
// both empty).
func (s *CSA) quietFor(now int64) (quiet time.Duration, empty bool) {
	return time.Duration(now - s.lastProgress.Load()), s.nothingToSend()
}

// nothingToSend reports whether nothing is queued to send: inbox and
// the batch being written are both empty.
func (s *CSA) nothingToSend() bool {
	return s.pending.Load() == 0 && s.Inbox(boxInbox).DataReady() == 0
}

// unread returns how many bytes of the peer's wait in the socket,
// unread, or -1 if the system does not say (or the socket is closed).
func (s *CSA) unread() int {
	n := -1
	s.withFD(func(fd uintptr) { n = unreadFD(fd) })
	return n
}

// withFD calls f with the socket's file descriptor, unless the socket
// has none or is closed.
func (s *CSA) withFD(f func(fd uintptr)) {
	sc, ok := s.base.(syscall.Conn)
	if !ok {
		return
	}
	if rc, err := sc.SyscallConn(); err == nil {
		_ = rc.Control(f)
	}
}

// step runs whenever something arrives, a helper reports, or the
// adapter is stopped.
func (s *CSA) step(ctx context.Context, c *axon.Core) error {
	if !s.started {
		s.started = true
		s.markProgress() // the no-progress clocks start with the adapter
		if s.cfg.idleTimeout > 0 {
			s.startWatch()
		}
		if _, ok := c.Inbox(boxMakeSSL).Peek(); ok {
			// makessl was queued before the adapter started (a server
			// that speaks TLS from the first byte): the reader must not
			// read the peer's handshake as data.
			s.requestPause()
		}
		if err := c.Go(s.readLoop); err != nil {
			return err
		}
	}
	if ctx.Err() != nil { // stopped: close at once, no flush
		if s.wfinished.Load() {
			s.close(context.Cause(ctx))
		} else {
			s.abort(context.Cause(ctx)) // what was queued is lost: say so with a reset
		}
		return s.sendFinal()
	}
	if m, ok := s.control.Peek(); ok {
		if r, ok := asReset(m); ok {
			s.Reset(r.Err) // at once, ahead of the data queued before it
		} else if axon.IsShutdownRequest(m) {
			s.armLinger() // bounds a flush already blocked on a slow peer too
		}
	}
	s.pump(ctx, c)
	if s.finished() {
		return s.sendFinal()
	}
	return nil
}

// finished reports whether the socket is closed and both helpers are
// done with it.
func (s *CSA) finished() bool {
	return s.isClosed() && !s.writing.Load() && s.readerGone.Load()
}

func (s *CSA) isClosed() bool { return s.closed.Load() }

// connLocked returns what the adapter reads and writes: the socket, or
// TLS over it. mu must be held.
func (s *CSA) connLocked() net.Conn {
	if s.tlsConn != nil {
		return s.tlsConn
	}
	return s.base
}

// close closes the socket once, recording the first cause.
func (s *CSA) close(cause error) { s.closeWith(cause, false) }

// abort closes the socket once with a reset, recording the first cause.
func (s *CSA) abort(cause error) { s.closeWith(cause, true) }

func (s *CSA) closeWith(cause error, reset bool) {
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		return
	}
	if reset {
		s.aborted.Store(true)
	}
	s.closed.Store(true)
	s.cause = cause
	if s.closedCh != nil {
		close(s.closedCh)
	}
	if s.watcher != nil && s.watcher.t != nil {
		s.watcher.t.Stop()
	}
	raw := s.raw
	s.mu.Unlock()
	if reset {
		if l, ok := s.base.(interface{ SetLinger(int) error }); ok {
			_ = l.SetLinger(0) // the close sends a reset, not a FIN
		}
	}
	s.closeSocket(raw, reset)
	s.Wake()
}

// States of CSA.rstate.
const (
	rsDelivering    = 1 << iota // the reader is in rawRead, sending a chunk on
	rsCloseDeferred             // a close came meanwhile; the reader closes
	rsClosing                   // the socket is closed or being closed
)

// closeSocket closes the socket, or, if the reader is delivering a chunk
// from inside RawConn.Read, shuts it down and leaves the close to the
// reader. Closing a net.Conn waits until no read is in progress, and
// that delivery may be waiting in turn: for this very goroutine (a step
// run inline by the reader) or for a writer that the shutdown unblocks.
// A reset must not send the FIN a shutdown would: it unblocks a writer
// with a deadline in the past instead.
func (s *CSA) closeSocket(raw syscall.RawConn, reset bool) {
	for {
		st := s.rstate.Load()
		if st&rsDelivering == 0 {
			if s.rstate.CompareAndSwap(st, st|rsClosing) {
				_ = s.base.Close()
				return
			}
			continue
		}
		if s.rstate.CompareAndSwap(st, st|rsCloseDeferred) {
			switch {
			case reset:
				_ = s.base.SetWriteDeadline(aLongTimeAgo)
			case raw != nil:
				_ = raw.Control(shutdownFD)
			}
			return
		}
	}
}

// sendFinal tells the creator and everyone else that the adapter is
// done, and returns what ends the step: the cause the connection ended
// with, the adapter's own Err, or axon.ErrStop (a normal end) for none.
func (s *CSA) sendFinal() error {
	s.mu.Lock()
	cause := s.cause
	s.mu.Unlock()
	if s.finalSent {
		return endWith(cause)
	}
	s.finalSent = true
	s.cfg.hooks.closed(s, cause) // a server's OnConnState
	ctx, cancel := lastSends()
	defer cancel()
	_ = s.Send(ctx, boxFeedback, SocketShutdown{
		ProducerFinished: axon.ProducerFinished{Caller: s, Err: cause},
		Conn:             s.base,
	})
	_ = s.Send(ctx, boxSignal, ShutdownCSA{
		Notify: axon.Notify{Caller: s, Object: s},
		CSA:    s, Conn: s.base, Err: cause,
	})
	return endWith(cause)
}

// endWith is what a step returns to end its component with err: err
// itself, or axon.ErrStop (a normal end) for nil.
func endWith(err error) error {
	if err == nil {
		return axon.ErrStop
	}
	return err
}

// finalSendTimeout bounds how long an ending adapter waits for room to
// deliver its last messages.
const finalSendTimeout = 5 * time.Second

// lastSends is the context of a component's last messages (an adapter's,
// a server's): they wait at most finalSendTimeout for room, because a
// component that has ended must not be kept for ever by a receiver that
// no longer takes anything.
func lastSends() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), finalSendTimeout)
}

// report sends a non-fatal problem out of "signal".
func (s *CSA) report(ctx context.Context, err error, msg any) {
	_ = s.Send(ctx, boxSignal, axon.ErrorInformation{Caller: s, Err: err, Message: msg})
}

// armLinger starts the linger clocks (once): from now on, the flush of
// queued writes and the drain after a half-close must make progress
// every Linger, and be over within LingerCap.
func (s *CSA) armLinger() {
	if !s.lingerArmed.CompareAndSwap(false, true) {
		return
	}
	if s.cfg.lingerFor() == 0 && s.cfg.lingerCap <= 0 {
		return
	}
	s.lingerFrom.Store(max(monoNow(), 1))
	s.startWatch()
}
