package internet

import (
	"context"
	"fmt"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
)

// now is the clock of the idle check.
var now = time.Now

// Shutdown shuts the server down gracefully, in the manner of
// http.Server.Shutdown: it stops accepting, asks every handler to finish
// (an axon.ProducerFinished on its "control"; Echo and the components of
// this project pass it on to the adapter, which writes what is queued,
// half-closes, and closes once the client has closed its side), and
// waits for the connections to drain. Waiting for the client matters:
// closing a socket while the client is still sending makes the kernel
// send a reset, which can destroy replies not yet delivered. If ctx
// ends first, the connections still open are cut off (closed without a
// flush, their handlers stopped), and the error matches both
// ErrConnectionsCut, naming how many, and ctx's error. It returns once
// the server has ended, or at once for a server never activated.
//
// A serverShutdown or shutdownMicroprocess on "control" does the same,
// bounded by ShutdownTimeout. Shutdown is safe for concurrent use.
func (s *ServerCore) Shutdown(ctx context.Context) error {
	select {
	case <-s.Done():
		return s.shutdownErr(nil)
	default:
	}
	if !s.Activated() {
		return s.tcp.Close()
	}
	err := s.Inbox(boxControl).Put(ctx, axon.ServerShutdown{ShutdownMicroprocess: axon.ShutdownMicroprocess{Message: "Shutdown"}})
	if err == nil {
		select {
		case <-s.Done():
			return s.shutdownErr(nil)
		case <-ctx.Done():
		}
	}
	s.cutReq.Store(true)
	s.Wake()
	<-s.Done()
	return s.shutdownErr(context.Cause(ctx))
}

func (s *ServerCore) shutdownErr(ctxErr error) error {
	n := s.cut.Load()
	if n == 0 {
		return nil
	}
	if ctxErr == nil {
		return fmt.Errorf("internet: ServerCore %s shutdown: %d connection(s): %w", s.Name(), n, ErrConnectionsCut)
	}
	return fmt.Errorf("internet: ServerCore %s shutdown: %d connection(s): %w: %w", s.Name(), n, ErrConnectionsCut, ctxErr)
}

// beginShutdown starts a graceful shutdown: stop listening, ask every
// handler to finish, and arm the clock that cuts off what is left.
func (s *ServerCore) beginShutdown(ctx context.Context, timeout time.Duration) {
	if s.draining {
		return
	}
	s.draining = true
	s.cfg.logger.Info("servercore: shutting down", "server", s.Name(), "connections", len(s.conns))
	_ = s.tcp.Close()
	for _, sc := range s.conns {
		if sc.handlerEnd || sc.csaDone {
			continue
		}
		_ = axon.CoreOf(sc.handler).Inbox(boxControl).Put(ctx, axon.ProducerFinished{Caller: s, Message: "server shutdown"})
	}
	if timeout == 0 {
		timeout = DefaultShutdownTimeout
	}
	if timeout > 0 {
		s.stopTime = time.AfterFunc(timeout, func() {
			s.cutReq.Store(true)
			s.Wake()
		})
	}
}

// cutAll closes every connection still open without a flush and stops
// its handler, counting the connections.
func (s *ServerCore) cutAll() {
	if !s.draining {
		s.draining = true
		_ = s.tcp.Close()
	}
	for h, sc := range s.conns {
		if !sc.csaDone || !sc.handlerEnd {
			s.cut.Add(1)
		}
		sc.csa.Stop()
		h.Stop()
		s.unwire(sc)
		delete(s.conns, h)
		sc.csa.sc = nil
	}
	s.tcp.Stop()
}

// idleClock wakes the server to check for idle connections, four times
// per IdleTimeout.
func (s *ServerCore) idleClock(ctx context.Context) {
	t := time.NewTicker(max(s.cfg.idleTimeout/4, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.tick.Store(true)
			s.Wake()
		case <-ctx.Done():
			return
		}
	}
}

// checkIdle closes connections on which nothing was read or written for
// the idle timeout.
func (s *ServerCore) checkIdle(ctx context.Context) {
	t := now()
	for _, sc := range s.conns {
		if sc.csaDone || sc.cause != nil {
			continue
		}
		st := sc.csa.Stats()
		if a := st.BytesRead + st.BytesWritten; a != sc.activity || st.BytesPending > 0 {
			sc.activity, sc.lastActive = a, t
			continue
		}
		if t.Sub(sc.lastActive) < s.cfg.idleTimeout {
			continue
		}
		sc.cause = fmt.Errorf("internet: no data for %v: %w", s.cfg.idleTimeout, ErrIdleTimeout)
		s.cfg.logger.Info("servercore: closing idle connection", "server", s.Name(), "peer", sc.csa.RemoteAddr(), "idle", s.cfg.idleTimeout)
		_ = sc.csa.Inbox(boxControl).Put(ctx, axon.ShutdownMicroprocess{Caller: s, Message: "idle timeout"})
	}
}
