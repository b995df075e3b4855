package internet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"

	"github.com/kamaelia-go/kamaelia/axon"
)

// open makes the handler for a new connection, wires it to the adapter
// and starts both.
func (s *ServerCore) open(ctx context.Context, m NewCSANotice) {
	csa := m.CSA
	if csa == nil {
		return
	}
	info := connInfo(csa.Conn(), s.cfg.serveTLS)
	handler, err := s.callFactory(info)
	if err == nil && (handler == nil || axon.CoreOf(handler) == nil) {
		err = fmt.Errorf("factory returned no component")
	}
	sc := &serverConn{csa: csa, handler: handler}
	if err == nil {
		err = s.wire(sc)
	}
	if err != nil {
		s.logOpenError("servercore: cannot serve connection; closing it", info, err)
		s.unwire(sc)
		s.refuse(csa, fmt.Errorf("%w: %w", ErrHandler, err))
		return
	}
	csa.SetGroup(csa.ID()) // introspection draws a connection's components together
	axon.CoreOf(handler).SetGroup(csa.ID())
	if err := s.AddChildren(csa, handler); err != nil {
		s.logOpenError("servercore: cannot start connection; closing it", info, err)
		s.unwire(sc)
		s.refuse(csa, err)
		return
	}
	s.conns[axon.CoreOf(handler)] = sc
	csa.sc = sc
	if s.drain.active {
		// Accepted before the listener closed: served like the others,
		// and told at once.
		offer(axon.CoreOf(handler).Inbox(boxControl), ShutdownBegun{Deadline: s.drain.deadline})
	}
	if s.cfg.logger.Enabled(ctx, slog.LevelDebug) { // spares the arguments' cost per connection
		s.logConn(slog.LevelDebug, "servercore: connection opened", info.Peer(), "tls", info.TLS)
	}
}

// callFactory calls the factory, turning a panic into an error (an
// *axon.PanicError, with the stack) so that only this connection fails.
func (s *ServerCore) callFactory(info ConnInfo) (h axon.Component, err error) {
	defer func() {
		if v := recover(); v != nil {
			h, err = nil, &axon.PanicError{Component: "ServerCore " + s.Name() + " factory", Value: v, Stack: debug.Stack()}
		}
	}()
	return s.factory(info)
}

// logOpenError logs why a connection could not be served.
func (s *ServerCore) logOpenError(msg string, info ConnInfo, err error) {
	if pe := (*axon.PanicError)(nil); errors.As(err, &pe) {
		s.cfg.logger.Error(msg, "server", s.Name(), "peer", info.Peer(), "err", err, "stack", string(pe.Stack))
		return
	}
	s.cfg.logger.Error(msg, "server", s.Name(), "peer", info.Peer(), "err", err)
}

// logConn logs a connection's opening or end.
func (s *ServerCore) logConn(level slog.Level, msg string, peer any, key string, val any) {
	s.cfg.logger.Log(context.Background(), level, msg, "server", s.Name(), "peer", peer, key, val)
}

// refuse closes a connection the server will not serve, for cause,
// counting it as refused. Its adapter is still started, so that it ends
// and the TCPServer forgets it.
func (s *ServerCore) refuse(csa *CSA, cause error) {
	s.cfg.hooks.note(csa, cause)
	s.tcp.refuse(csa.Conn())
	if csa.Parent() == nil {
		if err := s.AddChildren(csa); err != nil {
			s.cfg.hooks.closed(csa, cause) // it will not end: it never starts
		}
	}
}

// wire makes the links between a connection's adapter and its handler.
func (s *ServerCore) wire(sc *serverConn) error {
	csa, h := sc.csa, sc.handler
	hc := axon.CoreOf(h)
	// One link at a time, not a table of them: this runs per connection,
	// often on a fresh goroutine whose stack a big frame would grow.
	if err := s.wireOne(sc, axon.Out(csa, boxOutbox), axon.In(h, boxInbox), s.recvLimit); err != nil {
		return err
	}
	if err := s.wireOne(sc, axon.Out(h, boxOutbox), axon.In(csa, boxInbox)); err != nil {
		return err
	}
	if err := s.wireOne(sc, axon.Out(h, boxSignal), axon.In(csa, boxControl)); err != nil {
		return err
	}
	if err := s.wireOne(sc, axon.Out(csa, boxPeerFinished), axon.In(h, boxControl)); err != nil {
		return err
	}
	if err := s.wireOne(sc, axon.Out(csa, boxSignal), axon.In(s, boxCSASignal)); err != nil {
		return err
	}
	if hc.Outbox(boxServerSignal) != nil {
		if err := s.wireOne(sc, axon.Out(h, boxServerSignal), axon.In(s, boxControl)); err != nil {
			return err
		}
	}
	if hc.Outbox(boxMakeSSL) != nil {
		if err := s.wireOne(sc, axon.Out(h, boxMakeSSL), axon.In(csa, boxMakeSSL)); err != nil {
			return err
		}
	}
	if hc.Inbox(boxSSLReadyIn) != nil {
		if err := s.wireOne(sc, axon.Out(csa, boxSSLReady), axon.In(h, boxSSLReadyIn)); err != nil {
			return err
		}
	}
	return nil
}

func (s *ServerCore) wireOne(sc *serverConn, src, dst axon.BoxRef, opts ...axon.LinkOption) error {
	lk, err := s.Link(src, dst, opts...)
	if err != nil {
		return fmt.Errorf("handler %s: %w", axon.CoreOf(sc.handler).Name(), err)
	}
	if sc.links == nil {
		sc.links = sc.linkArr[:0]
	}
	sc.links = append(sc.links, lk)
	return nil
}

// unwire removes the links the server made for a connection.
func (s *ServerCore) unwire(sc *serverConn) {
	for _, l := range sc.links {
		_ = s.Unlink(l)
	}
	sc.links = nil
	clear(sc.linkArr[:])
}

// closed handles the end of a connection's adapter: the handler hears of
// it on "control" (after everything the adapter read, which was
// delivered first), and the connection is forgotten once the handler has
// ended too.
func (s *ServerCore) closed(ctx context.Context, m ShutdownCSA) {
	csa := m.CSA
	if csa == nil {
		return
	}
	sc := csa.sc
	if sc == nil || sc.csaDone {
		return
	}
	sc.csaDone = true
	cause := m.Err
	if sc.cause != nil {
		cause = sc.cause
	}
	s.unwire(sc)
	switch {
	case errors.Is(cause, ErrIdleTimeout):
		s.logConn(slog.LevelInfo, "servercore: idle connection reset", csa.RemoteAddr(), "cause", cause)
	case !s.cfg.logger.Enabled(ctx, slog.LevelDebug): // spares the arguments' cost per connection
	case cause == nil:
		s.logConn(slog.LevelDebug, "servercore: connection closed", csa.RemoteAddr(), "clean", true)
	default:
		s.logConn(slog.LevelDebug, "servercore: connection closed", csa.RemoteAddr(), "cause", cause)
	}
	if hc := axon.CoreOf(sc.handler); !hc.Finished() {
		_ = hc.Inbox(boxControl).Put(ctx, SocketShutdown{
			ProducerFinished: axon.ProducerFinished{Err: cause},
			Conn:             m.Conn,
		})
	}
	s.forgetIfDone(sc)
}

// adapterReported passes on a problem an adapter reported that did not
// end its connection, all of them caused by what the handler sent: a
// refused makessl goes to the handler's "sslready", where it waits for
// the answer to makessl, if it has one; the rest (and that, if it has
// none) to its "control". It is logged too. A handler that does not
// take its "control" misses it rather than hold the server up.
func (s *ServerCore) adapterReported(ei axon.ErrorInformation) {
	s.cfg.logger.Warn("servercore: connection reported an error", "server", s.Name(), "peer", peerOf(ei.Caller), "err", ei.Err)
	csa, ok := ei.Caller.(*CSA)
	if !ok || csa.sc == nil || csa.sc.handlerEnd {
		return
	}
	hc := axon.CoreOf(csa.sc.handler)
	in := hc.Inbox(boxControl)
	if errors.Is(ei.Err, ErrNoTLSConfig) || errors.Is(ei.Err, ErrAlreadyTLS) {
		if ready := hc.Inbox(boxSSLReadyIn); ready != nil {
			in = ready
		}
	}
	offer(in, ei)
}

// handlerEnded acts on the end of a connection's handler: a failed one is
// logged, and the connection is closed after what the handler sent has
// been written.
func (s *ServerCore) handlerEnded(ctx context.Context, sc *serverConn) {
	if sc.handlerEnd {
		return
	}
	sc.handlerEnd = true
	hc := axon.CoreOf(sc.handler)
	var req any = axon.ProducerFinished{Caller: s}
	if err := hc.Err(); err != nil {
		s.logHandlerError(sc, hc, err)
		if sc.cause == nil {
			sc.cause = fmt.Errorf("%w: %w", ErrHandler, err)
		}
		req = axon.ShutdownMicroprocess{Caller: s}
		s.cfg.hooks.note(sc.csa, sc.cause)
	}
	if !sc.csaDone {
		_ = sc.csa.Inbox(boxControl).Put(ctx, req)
	}
	s.forgetIfDone(sc)
}

// logHandlerError logs a failed handler.
func (s *ServerCore) logHandlerError(sc *serverConn, hc *axon.Core, err error) {
	s.cfg.logger.Error("servercore: protocol handler failed; closing its connection", "server", s.Name(), "peer", sc.csa.RemoteAddr(), "handler", hc.Name(), "err", err)
}

// forgetIfDone forgets a connection once both its adapter and its
// handler have been seen to end.
func (s *ServerCore) forgetIfDone(sc *serverConn) {
	if sc.csaDone && sc.handlerEnd {
		delete(s.conns, axon.CoreOf(sc.handler))
		sc.csa.sc = nil
	}
}

// connInfo reads a connection's addresses.
func connInfo(conn net.Conn, tls bool) ConnInfo {
	info := ConnInfo{TLS: tls}
	if a, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
		info.PeerHost, info.PeerPort = a.IP.String(), a.Port
	}
	if a, ok := conn.LocalAddr().(*net.TCPAddr); ok {
		info.LocalHost, info.LocalPort = a.IP.String(), a.Port
	}
	return info
}
