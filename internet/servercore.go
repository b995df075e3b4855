package internet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/kamaelia-go/kamaelia/axon"
)

// Box names of a ServerCore.
const (
	boxSocketActivity = "_socketactivity"
	boxCSASignal      = "_csasignal"
	boxServerSignal   = "serversignal" // a handler's optional outbox
	boxSSLReadyIn     = "sslready"     // a handler's optional inbox
)

// ConnInfo describes an accepted connection to a protocol Factory.
type ConnInfo struct {
	PeerHost  string // the client's IP address
	PeerPort  int    // the client's port
	LocalHost string // the IP address the connection was accepted on
	LocalPort int    // the port it was accepted on
	TLS       bool   // the connection speaks TLS from its first byte (ServeTLS)
}

// Peer returns the client's address as host:port.
func (i ConnInfo) Peer() string { return net.JoinHostPort(i.PeerHost, strconv.Itoa(i.PeerPort)) }

// Factory makes the protocol handler for one connection. It is called in
// the server's goroutine, one connection at a time, so it should return
// quickly; an error, a nil component or a panic closes that connection,
// is logged (a panic with its stack), and the server and every other
// connection carry on.
type Factory func(ConnInfo) (axon.Component, error)

// ServerCore is a server built from components, Kamaelia's ServerCore:
// it runs a TCPServer and, for every connection, makes a protocol handler
// with its Factory and wires it to the connection's adapter (CSA):
//
//	CSA "outbox"       → handler "inbox"    what the client sends
//	handler "outbox"   → CSA "inbox"        what to send the client
//	handler "signal"   → CSA "control"      producerFinished or
//	                                        shutdownMicroprocess: close
//	CSA "peerFinished" → handler "control"  the client has finished
//	                                        sending (a SocketShutdown)
//	handler "serversignal" → ServerCore "control", if the handler has
//	                         that outbox: a shutdown request there stops
//	                         the whole server, gracefully
//	handler "makessl"  → CSA "makessl", and CSA "sslready" → handler
//	                     "sslready", if the handler has those boxes
//	                     (STARTTLS; needs the TLSServer option). With
//	                     ServeTLS, "sslready" gets the SSLReady of the
//	                     connection's first handshake.
//
// A handler is a component with at least "inbox", "control", "outbox"
// and "signal". It gets the bytes as []byte chunks with arbitrary
// boundaries (components.LineHandler joins them into lines); its "inbox"
// is bounded by ReceiveLimit, whatever it declares. When the connection
// has ended, after every byte read was delivered to "inbox", its
// "control" gets a SocketShutdown carrying the cause (nil for a
// clean close); the handler should then end. If the handler ends first,
// the server closes its connection after writing what the handler sent:
// unlike Kamaelia, a handler that simply returns does not leave the
// connection open. A handler that fails or panics closes only its own
// connection; the error is logged with the client's address. A handler
// may abort its connection with a reset by sending a Reset on "signal"
// (see Reset): the reset a shutdown uses when its grace runs out.
// When the server begins a graceful shutdown, its "control" gets a
// ShutdownBegun (see Shutdown).
//
// A problem the adapter reports without closing the connection is
// caused by what the handler sent, so the handler hears of it, as an
// axon.ErrorInformation: a makessl that cannot be carried out (no
// TLSServer or ServeTLS: ErrNoTLSConfig; already TLS: ErrAlreadyTLS) on
// its "sslready", where it waits for the answer (on "control" if it has
// no "sslready"); data it cannot write (ErrBadMessage) or sent after the
// sending side finished (ErrWriteClosed) on "control". The server logs
// them too.
//
// Inboxes:
//
//	control          serverShutdown or shutdownMicroprocess: shut down
//	                 gracefully, as Shutdown does, bounded by
//	                 ShutdownTimeout. producerFinished is ignored.
//	_socketactivity  NewCSANotice and ShutdownCSA from the TCPServer (internal)
//	_csasignal       what the adapters report on "signal" (internal:
//	                 logged, and passed to the handler)
//
// Outboxes:
//
//	signal           one axon.ProducerFinished when the server has ended;
//	                 its Err, also the server's own, matches
//	                 ErrConnectionsCut if a shutdown had to cut
//	                 connections off, and the context's cause if the
//	                 server was stopped (which resets the connections)
//
// Options (ServerCoreOption): those of TCPServer (Host, Backlog,
// ReuseAddress, Logger, MaxConnections, ShutdownTimeout, ServeTLS,
// TLSServer, the connection options such as IdleTimeout, Linger and
// HandshakeTimeout, ...) and ReceiveLimit. A ServerCore is safe for
// concurrent use.
type ServerCore struct {
	*axon.Core
	cfg     config
	factory Factory
	tcp     *TCPServer

	recvLimit axon.LinkOption // the Width of each handler's "inbox"

	// step only, but for drain's atomics
	conns map[*axon.Core]*serverConn // open connections, by handler; CSA.sc leads from an adapter to its entry
	drain drain
}

// serverConn is one connection: its adapter, its handler and the links
// the server made between them.
type serverConn struct {
	csa         *CSA
	handler     axon.Component
	links       []*axon.Linkage
	linkArr     [5]*axon.Linkage // links' storage for the usual five
	csaDone     bool
	handlerEnd  bool
	quietClosed bool  // a drain asked it to close
	cause       error // why the server closed it, if it did
}

// NewServerCore opens a listening socket on port (0: a free port chosen
// by the kernel), or takes the listener given with ServeOn, and returns
// a server that makes a handler with factory
// for every connection once activated. A port already in use is an
// error here, and so is a TLSServer or ServeTLS configuration without a
// certificate (ErrNoTLSConfig).
func NewServerCore(factory Factory, port int, opts ...ServerCoreOption) (*ServerCore, error) {
	cfg := configOf(opts, ServerCoreOption.applyServerCore)
	if factory == nil {
		cfg.closeGiven()
		return nil, errors.New("internet: NewServerCore: nil factory")
	}
	tcp, err := newTCPServer(port, cfg)
	if err != nil {
		return nil, err
	}
	recv := tcp.cfg.receiveLimit
	if recv == (axon.Limit{}) {
		recv = DefaultReceiveLimit
	}
	s := &ServerCore{cfg: tcp.cfg, factory: factory, tcp: tcp, conns: map[*axon.Core]*serverConn{}, recvLimit: axon.Width(recv)}
	s.Core = axon.NewReactive("ServerCore", s.step,
		axon.TrackChildEnds(), // a handler's end is found without looking at every connection
		axon.WithInboxes(
			axon.Box(boxControl, "serverShutdown or shutdownMicroprocess: shut down gracefully"),
			axon.Box(boxSocketActivity, "NewCSANotice and ShutdownCSA from the TCPServer").WithLimit(axon.Unbounded),
			axon.Box(boxCSASignal, "reports from the adapters: logged, and passed to the handler").WithLimit(axon.Unbounded),
		),
		axon.WithOutboxes(
			axon.Box(boxSignal, "ProducerFinished when the server has ended"),
		),
	)
	if err := adoptTCPServer(s.Core, tcp); err != nil {
		return nil, fmt.Errorf("internet: NewServerCore: %w", err)
	}
	return s, nil
}

// adoptTCPServer makes tcp a child of parent, announcing its connections
// on parent's "_socketactivity". Stopping it is parent's business: it
// closes tcp's listener directly, which takes effect at once, where a
// serverShutdown message would wait its turn. On failure tcp's listener
// is closed.
func adoptTCPServer(parent *axon.Core, tcp *TCPServer) error {
	_, err := parent.Link(axon.Out(tcp, boxHandlerSignal), axon.In(parent, boxSocketActivity))
	if err == nil {
		err = parent.AddChildren(tcp)
	}
	if err != nil {
		tcp.Close()
	}
	return err
}

// NewSimpleServer is NewServerCore for handlers that need no details of
// their connection, Kamaelia's SimpleServer: protocol is called with no
// arguments for every connection.
func NewSimpleServer(protocol func() axon.Component, port int, opts ...ServerCoreOption) (*ServerCore, error) {
	if protocol == nil {
		cfg := configOf(opts, ServerCoreOption.applyServerCore)
		cfg.closeGiven()
		return nil, errors.New("internet: NewSimpleServer: nil protocol")
	}
	return NewServerCore(func(ConnInfo) (axon.Component, error) { return protocol(), nil }, port, opts...)
}

// Addr returns the address the server listens on.
func (s *ServerCore) Addr() *net.TCPAddr { return s.tcp.Addr() }

// Port returns the port the server listens on.
func (s *ServerCore) Port() int { return s.tcp.Port() }

// Connections returns how many connections are open.
func (s *ServerCore) Connections() int { return s.tcp.Connections() }

// TCPServer returns the listening component the server runs.
func (s *ServerCore) TCPServer() *TCPServer { return s.tcp }

func (s *ServerCore) step(ctx context.Context, c *axon.Core) error {
	if ctx.Err() != nil { // stopped: the children are stopped with us
		s.cutAll()
		return s.end(context.Cause(ctx))
	}
	for box, msg := range c.Messages(ctx) {
		switch box {
		case boxSocketActivity:
			switch m := msg.(type) {
			case NewCSANotice:
				s.open(ctx, m)
			case ShutdownCSA:
				s.closed(ctx, m)
			}
		case boxCSASignal:
			if ei, ok := msg.(axon.ErrorInformation); ok {
				s.adapterReported(ei)
			}
		case boxControl:
			if axon.IsShutdownMicroprocess(msg) {
				s.beginShutdown(msg)
			}
		}
	}
	if s.drain.tick.Swap(false) {
		s.closeQuiet()
	}
	if s.drain.cutReq.Load() {
		s.drain.active = true
		s.cutAll()
	}
	// Count before collecting: a child that ends in between is then in
	// the list, not missed (see axon's EndedChildren).
	left := c.NumChildren()
	for _, child := range c.EndedChildren() {
		if sc := s.conns[child]; sc != nil {
			s.handlerEnded(ctx, sc)
		}
	}
	if s.drain.active && left == 0 {
		return s.end(nil)
	}
	return nil
}

// end sends the final ProducerFinished and ends the server, with the
// stop's cause if it was stopped (stopped, nil otherwise), joined with
// ErrConnectionsCut if connections were cut off.
func (s *ServerCore) end(stopped error) error {
	s.drain.end()
	err := s.drain.errOr("ServerCore "+s.Name(), stopped)
	ctx, cancel := lastSends()
	defer cancel()
	_ = s.Send(ctx, boxSignal, axon.ProducerFinished{Caller: s, Err: err})
	return endWith(err)
}

func peerOf(c axon.Component) any {
	if csa, ok := c.(*CSA); ok {
		return csa.RemoteAddr()
	}
	return nil
}
