package internet

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"
)

// upgrade switches the live connection to TLS. It runs in the writer's
// turn, so everything queued before makessl has been written in
// plaintext, and everything after waits for it.
//
// The reader is parked first, at a point where it has delivered what it
// read: bytes the peer sends from now on (its half of the handshake) stay
// in the socket for TLS to read, so nothing past the upgrade point is
// read as plaintext or lost.
func (s *CSA) upgrade(ctx context.Context, plaintext []byte) {
	s.mu.Lock()
	already := s.tlsConn != nil
	s.mu.Unlock()
	var refuse error
	switch {
	case already:
		refuse = ErrAlreadyTLS
	case s.cfg.tls == nil:
		refuse = ErrNoTLSConfig
	}
	if refuse != nil || s.isClosed() || s.wfinished.Load() {
		if s.pauseReader(ctx) { // finish the pause collect asked for
			_ = s.base.SetReadDeadline(time.Time{})
			s.resumeReader()
		}
		if refuse != nil {
			s.report(ctx, fmt.Errorf("%w: makessl on %s", refuse, s.Name()), nil)
		}
		return
	}
	readerParked := s.pauseReader(ctx)
	if readerParked {
		defer s.resumeReader()
	}
	_ = s.base.SetReadDeadline(time.Time{})
	if len(plaintext) > 0 {
		s.pend = append(s.pend, plaintext)
		s.pending.Add(int64(len(plaintext)))
		s.writePending()
		if s.isClosed() {
			return
		}
	}

	// TLS reads and writes the socket through progressConn, so that the
	// bytes of the handshake and of every record count as progress.
	pc := &progressConn{Conn: s.base, s: s}
	if s.raw != nil {
		pc.rc = s.raw
	}
	var tc *tls.Conn
	if s.cfg.tlsServer {
		tc = tls.Server(pc, s.cfg.tls)
	} else {
		tc = tls.Client(pc, s.cfg.tls)
	}
	hctx, cancel := context.WithTimeout(ctx, s.cfg.handshakeFor())
	err := tc.HandshakeContext(hctx)
	cancel()
	s.cfg.stats.handshake(err) // a server's adapter: counted for its server
	if err != nil {
		side := "client"
		if s.cfg.tlsServer {
			side = "server"
		}
		// It ends the connection: the cause goes with the terminal
		// notices, not in an ErrorInformation.
		s.close(fmt.Errorf("internet: TLS %s handshake with %s: %w", side, s.base.RemoteAddr(), err))
		return
	}
	s.mu.Lock()
	s.tlsConn, s.raw = tc, nil
	s.mu.Unlock()
	_ = s.Send(ctx, boxSSLReady, SSLReady{State: tc.ConnectionState()})
}
