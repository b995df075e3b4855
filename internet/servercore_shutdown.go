package internet

import (
	"context"

	"github.com/kamaelia-go/kamaelia/axon"
)

// Shutdown shuts the server down gracefully and returns once it has
// ended (at once for a server never activated, after closing its
// listener):
//
//  1. It stops listening first, so another server may bind the port at
//     once.
//  2. Every handler gets a ShutdownBegun on "control", with ctx's
//     deadline, so a protocol can say goodbye; a handler may ignore it.
//  3. The connections go on being served, both ways, until their
//     clients finish (a handler such as components.Echo ends when its
//     client half-closes, after echoing everything), and the server
//     ends when the last one has closed.
//  4. A connection with nothing queued, nothing waiting for its handler,
//     none of its client's bytes waiting unread in the socket (where the
//     system says so: Linux) and no progress (see IdleTimeout) for a
//     second is closed cleanly meanwhile, as http.Server.Shutdown closes
//     idle ones.
//  5. If ctx ends first, every connection still open is reset (its
//     client sees ECONNRESET, never an orderly end, so it can tell it
//     was cut short) and its handler stopped; the server logs how many,
//     and the error matches ErrConnectionsCut, naming how many, and
//     ctx's error.
//
// A serverShutdown or shutdownMicroprocess on "control" does the same,
// bounded by ShutdownTimeout; its "signal" then carries the error.
// Calling Shutdown again with a context that has ended, during a drain,
// cuts the connections off at once. Shutdown is safe for concurrent use.
func (s *ServerCore) Shutdown(ctx context.Context) error {
	return shutdown(ctx, s.Core, &s.drain, "ServerCore "+s.Name(), s.tcp.Close)
}

// beginShutdown starts a graceful shutdown (see Shutdown) asked for by
// msg on "control".
func (s *ServerCore) beginShutdown(msg any) {
	timeout, deadline := graceFor(&s.cfg, msg)
	if !s.drain.begin(s.Core, timeout, deadline) {
		return
	}
	s.cfg.logger.Info("servercore: shutting down", "server", s.Name(), "connections", len(s.conns), "grace", graceText(deadline))
	_ = s.tcp.Close()
	notice := ShutdownBegun{Deadline: deadline}
	for _, sc := range s.conns {
		if !sc.handlerEnd && !sc.csaDone {
			offer(axon.CoreOf(sc.handler).Inbox(boxControl), notice)
		}
	}
	s.closeQuiet()
}

// closeQuiet closes, cleanly, the connections that a drain need not
// wait for: nothing queued either way, no progress for drainQuiet.
func (s *ServerCore) closeQuiet() {
	now := monoNow()
	for _, sc := range s.conns {
		if sc.csaDone || sc.quietClosed {
			continue
		}
		handlerEmpty := axon.CoreOf(sc.handler).Inbox(boxInbox).DataReady() == 0
		if shouldClose(sc.csa, now, handlerEmpty) && closeQuietly(sc.csa, s) {
			sc.quietClosed = true
		}
	}
}

// cutAll resets every connection still open and stops its handler,
// counting the connections, and stops the listening server.
func (s *ServerCore) cutAll() {
	_ = s.tcp.Close()
	var n int64
	for h, sc := range s.conns {
		if !sc.csaDone {
			n++
			s.drain.cutOff(sc.csa)
		}
		sc.csa.Stop()
		h.Stop()
		s.unwire(sc)
		delete(s.conns, h)
		sc.csa.sc = nil
	}
	s.tcp.Stop()
	if n > 0 {
		s.cfg.logger.Warn("servercore: connections cut off with a reset", "server", s.Name(), "connections", n, "shutdown", s.drain.active)
	}
}
