package internet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
)

// Box names of a TCPServer.
const (
	boxNewConnection = "newconnection"
	boxFromCSA       = "_feedbackFromCSA"
	boxHandlerSignal = "protocolHandlerSignal"
)

// TCPServer is a component that listens for TCP connections and makes a
// ConnectedSocketAdapter (CSA) for each one. It does not decide what to
// do with a connection: whoever listens on "protocolHandlerSignal" wires
// each new CSA to something and activates it, as ServerCore does. While
// nothing is linked there, each connection is closed as it is accepted
// (logged at most once a second, with how many).
//
// Inboxes:
//
//	control          serverShutdown (or any shutdown request): shut down
//	                 gracefully, as Shutdown does, bounded by
//	                 ShutdownTimeout.
//	newconnection    accepted connections (net.Conn) to serve. The
//	                 server's accept loop delivers here; other code may too.
//	                 It holds up to AcceptAhead connections.
//	_feedbackFromCSA SocketShutdown from the adapters (internal).
//
// Outboxes:
//
//	protocolHandlerSignal NewCSANotice for each connection, carrying the
//	                      adapter (not yet activated: the receiver wires
//	                      and activates it); ShutdownCSA, with the
//	                      cause, when an adapter has ended; ShutdownBegun
//	                      when a graceful shutdown begins.
//	signal                one axon.ProducerFinished when the server ends;
//	                      its Err, also the server's own, matches
//	                      ErrConnectionsCut if a shutdown had to cut
//	                      connections off, and is the context's cause if
//	                      the server was stopped.
//
// The listening socket is opened by NewTCPServer, so a port already in
// use is an error there, and Addr reports the bound address at once.
// Kamaelia chose a random port in 2000-50000 when none was given, without
// retrying on a collision and without telling anyone which; here port 0
// asks the kernel for a free port, which is always free, and Addr says
// which it is. ServeOn gives the server a listener the program made
// instead (systemd's socket activation, a test's listener).
//
// Kamaelia's _selectorSignal and _selectorShutdownSignal outboxes talked
// to its select() loop; an accept goroutine on Go's netpoller replaces
// them. Accept errors such as running out of file descriptors are logged
// and retried with back-off (up to a second); the server keeps serving.
//
// Accepting and setting up are separate goroutines: the accept goroutine
// only accepts and queues, and the server's own goroutine makes the
// adapters (and, through ServerCore, the handlers). So in a burst of
// connections the kernel's listen queue is drained at the rate accept
// allows, not at the rate connections can be set up, and clients are not
// left to the kernel's one-second SYN retry when it overflows; up to
// AcceptAhead accepted connections wait in "newconnection" meanwhile.
//
// A TCPServer is safe for concurrent use.
type TCPServer struct {
	*axon.Core
	cfg config
	ln  net.Listener // its address is a *net.TCPAddr

	mu        sync.Mutex
	csas      map[*CSA]*axon.Linkage // each adapter's feedback link
	listening bool

	acceptDone chan struct{}
	started    bool  // step only
	drain      drain // step only, but for its atomics
	open       atomic.Int64
	refusals   refusalLog // over MaxConnections
	unwired    refusalLog // closed for want of a protocol handler
	stats      serverStats
	ended      atomic.Bool // it hears of no more ends (see settle)
}

// NewTCPServer opens a listening socket on port (0: a free port chosen by
// the kernel), or takes the listener given with ServeOn, and returns the
// server component; it accepts once activated. The options are those of
// the listening socket
// (ListenerOption: Host, Backlog, ...), of a server (ServingOption:
// ServeTLS, ShutdownTimeout, Logger, ...), MaxConnections, TLSServer
// (the server side of makessl), and the connection options (ConnOption:
// Linger, IdleTimeout, ...), which it passes to every adapter. A
// TLSServer or ServeTLS configuration without a certificate is an error
// matching ErrNoTLSConfig.
func NewTCPServer(port int, opts ...TCPServerOption) (*TCPServer, error) {
	return newTCPServer(port, configOf(opts, TCPServerOption.applyTCPServer))
}

// newTCPServer makes a TCPServer with the configuration cfg.
func newTCPServer(port int, cfg config) (*TCPServer, error) {
	if err := cfg.checkServerTLS(); err != nil {
		cfg.closeGiven()
		return nil, err
	}
	ln, err := cfg.listen(port)
	if err != nil {
		return nil, err
	}
	cfg.tlsServer = true
	s := &TCPServer{cfg: cfg, ln: ln, csas: map[*CSA]*axon.Linkage{}, listening: true, acceptDone: make(chan struct{})}
	s.cfg.stats = &s.stats // the adapters count their TLS handshakes and cuts here
	if cfg.connHook != nil {
		s.cfg.hooks = newConnHooks(cfg.connHook, s)
	}
	s.refusals.log = func(n int) {
		s.cfg.logger.Warn("tcpserver: connection limit reached; refused connections", "server", s.Name(), "refused", n, "limit", s.cfg.maxConns)
	}
	s.unwired.log = func(n int) {
		s.cfg.logger.Warn("tcpserver: no protocol handler is linked; closed connections", "server", s.Name(), "closed", n)
	}
	s.Core = axon.New("TCPServer", s.run,
		axon.WithInboxes(
			axon.Box(boxControl, "serverShutdown: stop listening; open connections carry on"),
			axon.Box(boxNewConnection, "accepted connections (net.Conn) to serve").WithLimit(axon.Limit{Messages: AcceptAhead}),
			axon.Box(boxFromCSA, "SocketShutdown from the adapters").WithLimit(axon.Unbounded),
		),
		axon.WithOutboxes(
			axon.Box(boxHandlerSignal, "NewCSANotice for each new connection; ShutdownCSA when one ends"),
			axon.Box(boxSignal, "ProducerFinished when the server has ended"),
		),
	)
	return s, nil
}

// Addr returns the address the server listens on, with the port the
// kernel chose if port 0 was asked for.
func (s *TCPServer) Addr() *net.TCPAddr { return s.ln.Addr().(*net.TCPAddr) }

// Port returns the port the server listens on.
func (s *TCPServer) Port() int { return s.Addr().Port }

// Connections returns how many connections the server has announced
// that have not ended yet. It is safe for concurrent use.
func (s *TCPServer) Connections() int {
	s.settle()
	return int(s.open.Load())
}

// Close stops listening. Use it for a server that will not be activated;
// an active server stops listening on serverShutdown or when stopped.
// It is safe for concurrent use.
func (s *TCPServer) Close() error {
	s.mu.Lock()
	s.listening = false
	s.mu.Unlock()
	err := s.ln.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// AcceptAhead is how many accepted connections may wait to be set up
// (see TCPServer). Past it, the accept goroutine waits, and the kernel's
// listen queue (Backlog) fills instead. A waiting connection costs well
// under a KiB in the process, so the most this holds is a few MiB; it is
// large so that a burst of some ten thousand clients arriving faster
// than they can be set up fits here and in a typical listen queue (4,096)
// together, rather than overflowing into the kernel's SYN retry.
const AcceptAhead = 16384

// run is the server's body: its own goroutine, so that the accept loop
// hands connections over without running their set-up itself, and so
// that the set-up runs on one stack that has grown once rather than on a
// fresh one per burst.
func (s *TCPServer) run(ctx context.Context, c *axon.Core) error {
	for {
		if err := s.step(ctx, c); err != nil {
			return err
		}
		if c.Wait(ctx) != nil {
			return s.step(ctx, c) // stopped: one last step ends it
		}
	}
}

// step handles what has arrived. It returns axon.ErrStop once the server
// has ended.
func (s *TCPServer) step(ctx context.Context, c *axon.Core) error {
	if !s.started {
		s.started = true
		if err := c.Go(s.acceptLoop); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		_ = s.Close()
		// Connections accepted and not yet served are closed, not left
		// to the garbage collector.
		for msg := range c.Drain(boxNewConnection) {
			if conn, ok := msg.(net.Conn); ok {
				s.stats.accepted.Add(1)
				s.refuse(conn)
			}
		}
		return s.end(context.Cause(ctx))
	}
	for {
		box, msg, ok := c.Next()
		if !ok {
			break
		}
		switch box {
		case boxNewConnection:
			s.serve(ctx, msg)
		case boxFromCSA:
			s.connectionEnded(ctx, msg)
		case boxControl:
			if axon.IsShutdownRequest(msg) {
				s.beginShutdown(ctx, msg)
			}
		}
	}
	if s.drain.tick.Swap(false) {
		s.closeQuiet()
	}
	if s.drain.cutReq.Load() {
		s.cutAll()
	}
	if s.done() {
		return s.end(s.drain.err("TCPServer "+s.Name(), nil))
	}
	return nil
}

// done reports whether the server has stopped listening, its accept loop
// has returned, and every connection it announced has ended.
func (s *TCPServer) done() bool {
	s.mu.Lock()
	idle := !s.listening && len(s.csas) == 0
	s.mu.Unlock()
	if !idle {
		return false
	}
	select {
	case <-s.acceptDone:
		return true
	default:
		return false
	}
}

// end sends the one terminal message, with err, and ends the server
// with it.
func (s *TCPServer) end(err error) error {
	s.ended.Store(true)
	s.drain.end()
	s.refusals.flush()
	s.unwired.flush()
	ctx, cancel := lastSends()
	defer cancel()
	_ = s.Send(ctx, boxSignal, axon.ProducerFinished{Caller: s, Err: err})
	return endWith(err)
}

// serve makes an adapter for an accepted connection and announces it.
func (s *TCPServer) serve(ctx context.Context, msg any) {
	conn, ok := msg.(net.Conn)
	if !ok {
		_ = s.Send(ctx, boxSignal, axon.ErrorInformation{Caller: s, Err: fmt.Errorf("%w: %T on %s's newconnection", ErrBadMessage, msg, s.Name()), Message: msg})
		return
	}
	s.stats.accepted.Add(1)
	if !s.Outbox(boxHandlerSignal).Linked() {
		s.refuse(conn)
		s.unwired.add()
		return
	}
	if max := s.cfg.maxConns; max > 0 && s.open.Load() >= int64(max) {
		s.refuse(conn)
		s.refusals.add()
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok && !s.cfg.noDelay {
		_ = tc.SetNoDelay(false)
	}
	csa := newCSA(conn, &s.cfg) // shared: the server's settings do not change
	if !s.cfg.hooks.accepted(csa) {
		s.refuse(conn)
		return
	}
	if s.cfg.serveTLS {
		// Queued before the adapter starts, so that it reads nothing
		// before the handshake: TLS from the first byte, never plaintext.
		if !offer(csa.Inbox(boxMakeSSL), MakeSSL{}) {
			s.refuseAccepted(csa, conn, errNotServed)
			return
		}
	}
	fb, err := s.Link(axon.Out(csa, boxFeedback), axon.In(s, boxFromCSA))
	if err != nil {
		s.refuseAccepted(csa, conn, err)
		return
	}
	s.mu.Lock()
	s.csas[csa] = fb
	s.mu.Unlock()
	s.open.Add(1)
	if err := s.Send(ctx, boxHandlerSignal, NewCSANotice{Notify: axon.Notify{Caller: s, Object: csa}, CSA: csa, Conn: conn}); err != nil {
		s.forget(csa, nil) // never announced: it will not be heard of again
		_ = s.Unlink(fb)
		csa.Stop()
		s.refuseAccepted(csa, conn, err)
	}
}

// connectionEnded passes an adapter's end on as ShutdownCSA.
func (s *TCPServer) connectionEnded(ctx context.Context, msg any) {
	ss, ok := msg.(SocketShutdown)
	if !ok {
		return
	}
	csa, ok := ss.Caller.(*CSA)
	if !ok {
		return
	}
	fb, known := s.forget(csa, ss.Err)
	if !known {
		return
	}
	_ = s.Unlink(fb)
	_ = s.Send(ctx, boxHandlerSignal, ShutdownCSA{Notify: axon.Notify{Caller: s, Object: csa}, CSA: csa, Conn: ss.Conn, Err: ss.Err})
}

// acceptLoop accepts connections until the listener is closed, handing
// each to "newconnection".
func (s *TCPServer) acceptLoop(ctx context.Context) {
	defer func() {
		close(s.acceptDone)
		s.Wake() // the server may be done now
	}()
	in := s.Inbox(boxNewConnection)
	var backoff time.Duration
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.cfg.logger.Error("tcpserver: accept failed; retrying", "server", s.Name(), "addr", s.ln.Addr(), "err", err, "retry_in", backoff)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			}
			continue
		}
		backoff = 0
		if err := in.Put(ctx, conn); err != nil {
			s.stats.accepted.Add(1)
			s.refuse(conn)
			return
		}
	}
}
