package internet

import (
	"errors"
	"sync/atomic"

	"github.com/kamaelia-go/kamaelia/axon"
)

// A server's counters, for monitoring (the introspect package serves
// them as Prometheus metrics). The TCPServer keeps them: it accepts
// every connection, makes every adapter and hears of every end, and its
// adapters share its configuration, through which they count their TLS
// handshakes. A ServerCore or SingleServer reports the counters of the
// TCPServer it runs.
//
// The data path pays nothing for them: an adapter already counts the
// bytes it moves, and the server adds an adapter's figures to its own
// once the connection has ended, reading the live adapters' only when
// asked.

// ServerStats are a server's counters of its connections, from its
// making: each only goes up. Connections says how many are open now.
type ServerStats struct {
	// Accepted counts the connections the server has taken from its
	// listener (or been handed on a TCPServer's "newconnection"), the
	// refused ones included.
	Accepted uint64
	// Refused counts the accepted connections closed without being
	// served: past MaxConnections (or, for a SingleServer, while a
	// client is connected), while shutting down or stopping, with no
	// protocol handler linked, when a ServerCore's Factory failed or
	// panicked, or when an OnConnState hook panicked on ConnAccepted. A
	// connection is counted before it is closed.
	Refused uint64
	// Cut counts the connections reset because a shutdown's grace ran
	// out, or by a Stop: the total of the counts the server's errors
	// matching ErrConnectionsCut name, all counted by the time the
	// server has ended.
	Cut uint64
	// IdleClosed counts the connections reset for making no progress
	// for IdleTimeout (ended with an error matching ErrIdleTimeout),
	// once the server has heard of their end: before Connections stops
	// counting them.
	IdleClosed uint64
	// TLSHandshakes counts the server-side TLS handshakes completed on
	// the server's connections: ServeTLS's, and those of a handler's
	// makessl (with TLSServer). Each is counted before the connection
	// reads anything over it.
	TLSHandshakes uint64
	// TLSHandshakeFailures counts the server-side handshakes that
	// failed: the client sent something that is not TLS, rejected the
	// server's certificate, offered nothing the server accepts, went
	// away, did not finish within HandshakeTimeout, or the server was
	// shut down or stopped meanwhile. Each failure closes its
	// connection.
	TLSHandshakeFailures uint64
	// BytesRead counts the bytes the server's connections have read
	// from their clients (the data, after TLS decryption): exactly,
	// for the connections that have ended, and so far for the open ones.
	BytesRead uint64
	// BytesWritten counts the bytes the connections have written to
	// their clients (the data, before TLS encryption), as BytesRead
	// counts what they read.
	BytesWritten uint64
}

// serverStats are a TCPServer's counters. A nil *serverStats (an
// adapter no server made) counts nothing.
type serverStats struct {
	accepted, refused, cut, idleClosed atomic.Uint64
	tlsOK, tlsFailed                   atomic.Uint64

	// The bytes of the connections that have ended, guarded by the
	// server's mu together with its map of live ones, so that a
	// connection is counted in exactly one of the two.
	endedRead, endedWritten uint64
}

// handshake counts a server-side TLS handshake that ended with err.
func (st *serverStats) handshake(err error) {
	switch {
	case st == nil:
	case err == nil:
		st.tlsOK.Add(1)
	default:
		st.tlsFailed.Add(1)
	}
}

// countCut counts a connection cut off by a shutdown or a stop.
func (st *serverStats) countCut() {
	if st != nil {
		st.cut.Add(1)
	}
}

// refuse counts a connection the server closes without serving it, and
// then closes it: counted first, so that a client that sees its
// connection closed finds the count up to date.
func (s *TCPServer) refuse(conn interface{ Close() error }) {
	s.stats.refused.Add(1)
	conn.Close()
}

// refuseAccepted refuses conn, whose adapter csa the OnConnState hook
// has heard of as accepted, and tells the hook that it closed, for
// cause: the adapter never runs, so it would not say so itself.
func (s *TCPServer) refuseAccepted(csa *CSA, conn interface{ Close() error }, cause error) {
	s.refuse(conn)
	s.cfg.hooks.closed(csa, cause)
}

// forget removes an adapter that has ended, with cause, from the live
// ones, and reports whether it was one of the server's, with its
// feedback link.
func (s *TCPServer) forget(csa *CSA, cause error) (fb *axon.Linkage, known bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fb, known = s.csas[csa]
	if known {
		s.endedLocked(csa, cause)
	}
	return fb, known
}

// endedLocked counts the end of a live adapter, with cause: its bytes
// join those of the connections that ended before, a connection that
// ended for want of progress counts as an idle close, and Connections
// no longer counts it. s.mu must be held.
func (s *TCPServer) endedLocked(csa *CSA, cause error) {
	delete(s.csas, csa)
	s.stats.endedRead += uint64(csa.bytesIn.Load())
	s.stats.endedWritten += uint64(csa.bytesOut.Load())
	if errors.Is(cause, ErrIdleTimeout) {
		s.stats.idleClosed.Add(1)
	}
	s.open.Add(-1)
}

// settle, once the server has ended, counts the ends of the adapters
// that have ended since, which it no longer hears of: those a
// ServerCore or SingleServer that stopped or cut its connections is
// ending at the same time as its TCPServer, or those a bare TCPServer's
// wirer still serves. Before that it does nothing, so it costs nothing
// while the server runs.
func (s *TCPServer) settle() {
	if !s.ended.Load() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for csa := range s.csas {
		select {
		case <-csa.Done(): // its counts are final
			s.endedLocked(csa, csa.closeCause())
		default:
		}
	}
}

// Stats returns the server's counters. Each is read on its own, so the
// figures of a busy server are not all of one instant; but Accepted is
// read last, so it is never below Refused, and the two byte counts are
// read together. Reading the byte counts costs a look at every open
// connection; the connections count nothing extra for it. It is safe
// for concurrent use.
func (s *TCPServer) Stats() ServerStats {
	s.settle()
	st := ServerStats{
		Refused:              s.stats.refused.Load(),
		Cut:                  s.stats.cut.Load(),
		IdleClosed:           s.stats.idleClosed.Load(),
		TLSHandshakes:        s.stats.tlsOK.Load(),
		TLSHandshakeFailures: s.stats.tlsFailed.Load(),
	}
	s.mu.Lock()
	st.BytesRead, st.BytesWritten = s.stats.endedRead, s.stats.endedWritten
	for csa := range s.csas {
		st.BytesRead += uint64(csa.bytesIn.Load())
		st.BytesWritten += uint64(csa.bytesOut.Load())
	}
	s.mu.Unlock()
	st.Accepted = s.stats.accepted.Load()
	return st
}

// Stats returns the counters of the server's connections: those of the
// TCPServer it runs (see TCPServer.Stats). It is safe for concurrent
// use.
func (s *ServerCore) Stats() ServerStats { return s.tcp.Stats() }

// Stats returns the counters of the server's connections: those of the
// TCPServer it runs (see TCPServer.Stats). A client that connects while
// another is connected counts as refused. It is safe for concurrent
// use.
func (s *SingleServer) Stats() ServerStats { return s.tcp.Stats() }

// Connections returns how many connections are open: the client's, if
// one is connected, and any the server is refusing while the last
// client's end is on its way. It is safe for concurrent use.
func (s *SingleServer) Connections() int { return s.tcp.Connections() }
