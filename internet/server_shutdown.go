package internet

import "context"

// Shutdown shuts a bare TCPServer down gracefully, as ServerCore's
// Shutdown does, and returns once it has ended (at once for a server
// never activated, after closing its listener): it stops listening,
// sends a ShutdownBegun out of "protocolHandlerSignal", lets the
// connections it announced go on until they end, closes those with
// nothing queued either way (on Linux, none of the peer's bytes waiting
// unread in the socket either) and no progress for a second, and when ctx
// ends resets those still open. The error names how many were cut off
// and matches ErrConnectionsCut and ctx's error. A server adopted by a
// ServerCore or SingleServer is shut down through its owner instead. It
// is safe for concurrent use.
func (s *TCPServer) Shutdown(ctx context.Context) error {
	return shutdown(ctx, s.Core, &s.drain, "TCPServer "+s.Name(), s.Close)
}

// beginShutdown starts a graceful shutdown asked for by msg on
// "control".
func (s *TCPServer) beginShutdown(ctx context.Context, msg any) {
	timeout, deadline := graceFor(&s.cfg, msg)
	if !s.drain.begin(s.Core, timeout, deadline) {
		return
	}
	_ = s.Close()
	_ = s.Send(ctx, boxHandlerSignal, ShutdownBegun{Deadline: deadline})
	s.closeQuiet()
}

// closeQuiet closes, cleanly, the connections that a drain need not
// wait for (see drain).
func (s *TCPServer) closeQuiet() {
	now := monoNow()
	for _, csa := range s.adapters() {
		if !csa.lingerArmed.Load() && shouldClose(csa, now, true) {
			closeQuietly(csa, s)
		}
	}
}

// cutAll resets every connection still open, counting them.
func (s *TCPServer) cutAll() {
	_ = s.Close()
	n := 0
	for _, csa := range s.adapters() {
		if !csa.isClosed() {
			s.drain.cutOff(csa)
			n++
		}
	}
	if n > 0 {
		s.cfg.logger.Warn("tcpserver: connections cut off with a reset", "server", s.Name(), "connections", n)
	}
	s.drain.cutReq.Store(false) // done; a later request finds nothing more
}

// adapters returns the adapters of the connections not yet ended.
func (s *TCPServer) adapters() []*CSA {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := make([]*CSA, 0, len(s.csas))
	for csa := range s.csas {
		list = append(list, csa)
	}
	return list
}
