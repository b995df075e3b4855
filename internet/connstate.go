package internet

import (
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/kamaelia-go/kamaelia/axon"
)

// ConnState is what has happened to a server's connection, as an
// OnConnState hook hears it.
type ConnState int

const (
	// ConnAccepted: the server has accepted the connection and is about
	// to serve it.
	ConnAccepted ConnState = iota + 1
	// ConnClosed: the connection has ended; ConnEvent.Err says why.
	ConnClosed
)

// String returns "accepted" or "closed".
func (s ConnState) String() string {
	switch s {
	case ConnAccepted:
		return "accepted"
	case ConnClosed:
		return "closed"
	}
	return fmt.Sprintf("ConnState(%d)", int(s))
}

// ConnEvent is one call of an OnConnState hook.
type ConnEvent struct {
	State ConnState
	Info  ConnInfo // the connection's addresses, the same in both events
	// Err, for ConnClosed, is why the connection ended, as the
	// connection's own notices say it: nil for an orderly close, else a
	// cause matching syscall.ECONNRESET, ErrIdleTimeout, ErrLinger,
	// ErrConnectionsCut, a Reset's Err (ErrReset), ErrHandler (the
	// protocol handler failed, or its Factory could not make one), a TLS
	// error, or the context's cause when the server was stopped. Nil for
	// ConnAccepted.
	Err error
}

// OnConnState makes a server call f for each connection it serves:
// once with ConnAccepted when it accepts it, before any of its data is
// read, and once with ConnClosed when it has ended, whoever ended it
// (the peer, a handler, a limit, a shutdown or a stop), so a program can
// count and log connections or feed its metrics. Connections refused
// at once (past MaxConnections, or by a TCPServer with no handler
// linked) are not reported: they were never served.
//
// f is called from the server's goroutines, several of them at once for
// different connections, so it must be safe for concurrent use; for one
// connection, ConnAccepted comes before ConnClosed. f must return
// quickly, and must not wait for the server (Shutdown, say): the
// connection waits meanwhile.
//
// A panic in f is contained as one in a Factory is: it is logged, with
// its stack, and the server and its other connections carry on. On
// ConnAccepted, the connection is closed unserved, and there is no
// ConnClosed for it.
func OnConnState(f func(ConnEvent)) ServingOption {
	return ServingOption{func(c *config) { c.connHook = f }}
}

// connHooks calls a server's OnConnState hook: it remembers each
// connection accepted until its end is reported, so that each end is
// reported once, with the cause the server noted if it noted one.
type connHooks struct {
	f      func(ConnEvent)
	server *TCPServer // for the log

	mu   sync.Mutex
	open map[*CSA]*hookedConn
}

type hookedConn struct {
	info  ConnInfo
	cause error // why the server closed it, if it noted why
}

func newConnHooks(f func(ConnEvent), s *TCPServer) *connHooks {
	return &connHooks{f: f, server: s, open: map[*CSA]*hookedConn{}}
}

// accepted reports csa's connection as accepted. It returns false if the
// hook panicked: the connection is not to be served.
func (h *connHooks) accepted(csa *CSA) bool {
	if h == nil {
		return true
	}
	hc := &hookedConn{info: connInfo(csa.base, h.server.cfg.serveTLS)}
	h.mu.Lock()
	h.open[csa] = hc
	h.mu.Unlock()
	if h.call(ConnEvent{State: ConnAccepted, Info: hc.info}) {
		return true
	}
	h.mu.Lock()
	delete(h.open, csa)
	h.mu.Unlock()
	return false
}

// note records why the server is closing csa's connection, for its
// ConnClosed: the adapter itself sees only an orderly close.
func (h *connHooks) note(csa *CSA, cause error) {
	if h == nil || cause == nil {
		return
	}
	h.mu.Lock()
	if hc := h.open[csa]; hc != nil && hc.cause == nil {
		hc.cause = cause
	}
	h.mu.Unlock()
}

// closed reports csa's connection as ended with cause, unless the server
// noted a cause of its own. Only the first report of a connection
// accepted counts.
func (h *connHooks) closed(csa *CSA, cause error) {
	if h == nil {
		return
	}
	h.mu.Lock()
	hc := h.open[csa]
	delete(h.open, csa)
	h.mu.Unlock()
	if hc == nil {
		return
	}
	if hc.cause != nil {
		cause = hc.cause
	}
	h.call(ConnEvent{State: ConnClosed, Info: hc.info, Err: cause})
}

// call calls the hook, containing a panic. It reports whether the hook
// returned.
func (h *connHooks) call(ev ConnEvent) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			ok = false
			s := h.server
			err := &axon.PanicError{Component: "TCPServer " + s.Name() + " OnConnState hook", Value: v, Stack: debug.Stack()}
			msg := "tcpserver: connection state hook panicked"
			if ev.State == ConnAccepted {
				msg += "; closing the connection"
			}
			s.cfg.logger.Error(msg, "server", s.Name(), "peer", ev.Info.Peer(), "state", ev.State, "err", err, "stack", string(err.Stack))
		}
	}()
	h.f(ev)
	return true
}
