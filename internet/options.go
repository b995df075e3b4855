package internet

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
)

// The option types: one per constructor, and one per set of
// constructors an option applies to (see "Options" in the package
// documentation).

// CSAOption configures NewCSA.
type CSAOption interface{ applyCSA(*config) }

// TCPClientOption configures NewTCPClient.
type TCPClientOption interface{ applyTCPClient(*config) }

// TCPServerOption configures NewTCPServer.
type TCPServerOption interface{ applyTCPServer(*config) }

// ServerCoreOption configures NewServerCore and NewSimpleServer.
type ServerCoreOption interface{ applyServerCore(*config) }

// SingleServerOption configures NewSingleServer.
type SingleServerOption interface{ applySingleServer(*config) }

// ListenTCPOption configures ListenTCP.
type ListenTCPOption interface{ applyListenTCP(*config) }

// setter is what every option does: change the configuration.
type setter func(*config)

func (f setter) set(c *config) {
	if f != nil {
		f(c)
	}
}

// ConnOption configures the connections of a component: it is a
// CSAOption, TCPClientOption, TCPServerOption, ServerCoreOption and
// SingleServerOption. A server passes it on to every connection it
// accepts, a TCPClient to its one connection.
type ConnOption struct{ f setter }

func (o ConnOption) applyCSA(c *config)          { o.f.set(c) }
func (o ConnOption) applyTCPClient(c *config)    { o.f.set(c) }
func (o ConnOption) applyTCPServer(c *config)    { o.f.set(c) }
func (o ConnOption) applyServerCore(c *config)   { o.f.set(c) }
func (o ConnOption) applySingleServer(c *config) { o.f.set(c) }

// TLSClientOption is the client side of TLS: it is a CSAOption and a
// TCPClientOption.
type TLSClientOption struct{ f setter }

func (o TLSClientOption) applyCSA(c *config)       { o.f.set(c) }
func (o TLSClientOption) applyTCPClient(c *config) { o.f.set(c) }

// TLSServerOption is the server side of TLS: it is a CSAOption,
// TCPServerOption, ServerCoreOption and SingleServerOption.
type TLSServerOption struct{ f setter }

func (o TLSServerOption) applyCSA(c *config)          { o.f.set(c) }
func (o TLSServerOption) applyTCPServer(c *config)    { o.f.set(c) }
func (o TLSServerOption) applyServerCore(c *config)   { o.f.set(c) }
func (o TLSServerOption) applySingleServer(c *config) { o.f.set(c) }

// ListenerOption configures a listening socket: it is a ListenTCPOption,
// TCPServerOption, ServerCoreOption and SingleServerOption.
type ListenerOption struct{ f setter }

func (o ListenerOption) applyListenTCP(c *config)    { o.f.set(c) }
func (o ListenerOption) applyTCPServer(c *config)    { o.f.set(c) }
func (o ListenerOption) applyServerCore(c *config)   { o.f.set(c) }
func (o ListenerOption) applySingleServer(c *config) { o.f.set(c) }

// listenerOpt is a ListenerOption called name, which ServeOn refuses
// to go with.
func listenerOpt(name string, f setter) ListenerOption {
	return ListenerOption{func(c *config) {
		f(c)
		c.listenOpts = append(c.listenOpts, name)
	}}
}

// ServingOption configures a server: it is a TCPServerOption,
// ServerCoreOption and SingleServerOption.
type ServingOption struct{ f setter }

func (o ServingOption) applyTCPServer(c *config)    { o.f.set(c) }
func (o ServingOption) applyServerCore(c *config)   { o.f.set(c) }
func (o ServingOption) applySingleServer(c *config) { o.f.set(c) }

// MaxConnectionsOption limits how many connections a server serves at
// once: it is a TCPServerOption and a ServerCoreOption (a SingleServer
// serves one).
type MaxConnectionsOption struct{ f setter }

func (o MaxConnectionsOption) applyTCPServer(c *config)  { o.f.set(c) }
func (o MaxConnectionsOption) applyServerCore(c *config) { o.f.set(c) }

// clientOnly and coreOnly implement the options of one constructor.
type (
	clientOnly struct{ f setter }
	coreOnly   struct{ f setter }
)

func (o clientOnly) applyTCPClient(c *config) { o.f.set(c) }
func (o coreOnly) applyServerCore(c *config)  { o.f.set(c) }

type config struct {
	// connection (CSA)
	linger           time.Duration
	lingerCap        time.Duration
	idleTimeout      time.Duration
	crashOnBadData   bool
	tls              *tls.Config
	tlsServer        bool
	tlsSet           bool // TLSServer or ServeTLS was given, even with nil
	handshakeTimeout time.Duration
	sendLimit        axon.Limit
	reuseWritten     bool

	// client
	delay          time.Duration
	connectTimeout time.Duration
	allowHalfClose bool

	// listener
	host      string
	backlog   int
	reuseAddr bool
	reusePort bool
	keepAlive time.Duration
	// the names of the listener options given, and the listeners given
	// with ServeOn (see serveon.go)
	listenOpts []string
	given      []net.Listener
	serveOn    bool

	// servers
	logger          *slog.Logger
	noDelay         bool
	maxConns        int
	shutdownTimeout time.Duration
	serveTLS        bool
	connHook        func(ConnEvent) // OnConnState
	hooks           *connHooks      // calls connHook; made by the TCPServer

	// ServerCore
	receiveLimit axon.Limit

	// the counters of the TCPServer whose adapters share this
	// configuration (see counters.go); nil for any other
	stats *serverStats
}

// Defaults.
const (
	// DefaultLinger is how long closing a connection may go without
	// progress (see Linger): the flush of queued data and, after a
	// half-close, the wait for the peer to finish.
	DefaultLinger = 30 * time.Second
	// DefaultHandshakeTimeout bounds a makessl handshake, and so the
	// handshake of every connection a ServeTLS server accepts.
	DefaultHandshakeTimeout = 10 * time.Second
	// DefaultConnectTimeout bounds a TCPClient's connect, as Kamaelia's
	// connect_timeout did.
	DefaultConnectTimeout = 60 * time.Second
)

// DefaultSendLimit is the limit of a CSA's "inbox": at most 64 chunks and
// 32 KiB queued to send (an empty inbox takes one chunk of any size).
// With the batch a CSA holds while writing (32 KiB, overshot by at most
// one chunk), this bounds what a connection whose peer stops reading
// holds in the process (see CSA). A SingleServer's "inbox" has the same
// limit.
var DefaultSendLimit = axon.Limit{Messages: 64, Bytes: 32 << 10}

// DefaultReceiveLimit is the limit of the "inbox" of each protocol
// handler a ServerCore makes: at most 64 chunks and 32 KiB that the
// client sent and the handler has not taken yet. When it is full, the
// connection's adapter stops reading, and TCP slows the client.
var DefaultReceiveLimit = axon.Limit{Messages: 64, Bytes: 32 << 10}

// discard is the logger of a component given none: the library is
// silent unless asked to log.
var discard = slog.New(slog.DiscardHandler)

func defaultConfig() config {
	return config{
		linger:           DefaultLinger,
		handshakeTimeout: DefaultHandshakeTimeout,
		sendLimit:        DefaultSendLimit,
		connectTimeout:   DefaultConnectTimeout,
		reuseAddr:        true,
		noDelay:          true,
		logger:           discard,
	}
}

// configOf applies opts, skipping nil ones, over the defaults.
func configOf[O any](opts []O, apply func(O, *config)) config {
	c := defaultConfig()
	for _, o := range opts {
		if any(o) != nil {
			apply(o, &c)
		}
	}
	return c
}

// Linger bounds how long closing a connection may go without progress:
// from the moment a producerFinished or shutdownMicroprocess arrives,
// while queued data is written and, after a half-close, while the peer
// is expected to finish, some progress must be made every d. Progress
// is a byte read from the socket or a write that moved at least one
// byte into it, so a slow but steady peer is never cut off, however
// long the flush takes; one that stops reading (or, after the
// half-close, stops both reading and closing) is. As with IdleTimeout,
// this process falling behind does not count against the peer.
//
// A flush cut short resets the connection (the peer sees ECONNRESET,
// not an orderly end); a wait after the half-close that runs out closes
// it. Either way the connection ends with an error matching ErrLinger
// and os.ErrDeadlineExceeded. Zero means DefaultLinger; negative means
// no limit. LingerCap bounds the whole close instead.
func Linger(d time.Duration) ConnOption {
	return ConnOption{func(c *config) { c.linger = d }}
}

// LingerCap bounds closing a connection in absolute time, progress or
// not: everything Linger covers must be over within d of the
// producerFinished or shutdownMicroprocess, or the connection ends as
// it does when the linger runs out. Zero, the default, means no cap.
func LingerCap(d time.Duration) ConnOption {
	return ConnOption{func(c *config) { c.lingerCap = d }}
}

// CrashOnBadData makes a connection close when a message of the wrong
// type arrives on its "inbox", instead of reporting it on "signal" and
// carrying on (Kamaelia's crashOnBadDataToSend). The connection ends
// with an error matching ErrBadMessage.
func CrashOnBadData() ConnOption {
	return ConnOption{func(c *config) { c.crashOnBadData = true }}
}

// TLSClient makes makessl act as the TLS client with cfg. Certificates
// are verified; for a TCPClient, ServerName defaults to the host
// connected to. Set InsecureSkipVerify in cfg only to skip verification
// on purpose. Without it a TCPClient verifies against the system's
// roots, and a CSA refuses makessl (ErrNoTLSConfig).
func TLSClient(cfg *tls.Config) TLSClientOption {
	return TLSClientOption{func(c *config) { c.tls, c.tlsServer, c.tlsSet = cfg, false, false }}
}

// TLSServer makes makessl act as the TLS server with cfg, which must
// hold a certificate (Certificates, GetCertificate or
// GetConfigForClient): a server constructor refuses one without. It is
// what a server's protocol handlers need for STARTTLS; ServeTLS speaks
// TLS from the first byte instead. Without either, a server's makessl
// is refused with ErrNoTLSConfig.
func TLSServer(cfg *tls.Config) TLSServerOption {
	return TLSServerOption{func(c *config) { c.tls, c.tlsServer, c.tlsSet = cfg, true, true }}
}

// HandshakeTimeout bounds a makessl handshake (for a ServeTLS server,
// the handshake every connection starts with). A handshake that has not
// completed in d fails, and the connection is closed. Zero means
// DefaultHandshakeTimeout. A shorter IdleTimeout caps it.
func HandshakeTimeout(d time.Duration) ConnOption {
	return ConnOption{func(c *config) { c.handshakeTimeout = d }}
}

// SendLimit sets the limit of a connection's "inbox" (the data waiting
// to be written; for a SingleServer, the data waiting for a client).
// The zero Limit means DefaultSendLimit.
func SendLimit(l axon.Limit) ConnOption {
	return ConnOption{func(c *config) { c.sendLimit = l }}
}

// ReceiveLimit sets the limit of the "inbox" of every protocol handler a
// ServerCore makes (the data read from the client that the handler has
// not taken yet), whatever limit the handler declares. The zero Limit
// means DefaultReceiveLimit.
func ReceiveLimit(l axon.Limit) ServerCoreOption {
	return coreOnly{func(c *config) { c.receiveLimit = l }}
}

// Logger sets where a server logs: refused and failed connections,
// accept errors, failed handlers, shutdowns. The default discards
// everything, so a program that gives no logger hears nothing from this
// package; a nil l means the same.
func Logger(l *slog.Logger) ServingOption {
	return ServingOption{func(c *config) {
		c.logger = l
		if l == nil {
			c.logger = discard
		}
	}}
}

// Delay makes a TCPClient wait d after it is activated before it
// connects (Kamaelia's delay argument).
func Delay(d time.Duration) TCPClientOption {
	return clientOnly{func(c *config) { c.delay = d }}
}

// ConnectTimeout bounds a TCPClient's connect. Zero means
// DefaultConnectTimeout; negative means no limit.
func ConnectTimeout(d time.Duration) TCPClientOption {
	return clientOnly{func(c *config) { c.connectTimeout = d }}
}

// AllowHalfClose makes a TCPClient keep its connection open for sending
// after the server has finished sending (a TCP half-close), until the
// client gets producerFinished on "control". Without it the client sends
// what is queued and closes when the server finishes.
func AllowHalfClose() TCPClientOption {
	return clientOnly{func(c *config) { c.allowHalfClose = true }}
}

// Host sets the address to listen on: an IP address or a host name. The
// default, "", means every interface, as in Kamaelia and net.Listen;
// "127.0.0.1" keeps a server on loopback.
func Host(h string) ListenerOption {
	return listenerOpt("Host", func(c *config) { c.host = h })
}

// Backlog sets the listen backlog: how many connections the kernel may
// queue before they are accepted. Zero means the system's maximum
// (somaxconn); Kamaelia used 5.
func Backlog(n int) ListenerOption {
	return listenerOpt("Backlog", func(c *config) { c.backlog = n })
}

// ReuseAddress sets SO_REUSEADDR on the listening socket so it can
// listen again at once on a port with connections in TIME_WAIT. It is
// on by default (as in Go's net package).
func ReuseAddress(on bool) ListenerOption {
	return listenerOpt("ReuseAddress", func(c *config) { c.reuseAddr = on })
}

// ReusePort sets SO_REUSEPORT on the listening socket, so several
// servers can share one port and the kernel spreads connections among
// them. Off by default.
func ReusePort(on bool) ListenerOption {
	return listenerOpt("ReusePort", func(c *config) { c.reusePort = on })
}

// KeepAlive sets the TCP keep-alive period of accepted connections. Zero
// means Go's default (15 s); negative turns keep-alives off.
func KeepAlive(d time.Duration) ListenerOption {
	return listenerOpt("KeepAlive", func(c *config) { c.keepAlive = d })
}

// NoDelay sets TCP_NODELAY on accepted connections (on by default, as in
// Go): small writes go out at once instead of waiting to be coalesced.
func NoDelay(on bool) ServingOption {
	return ServingOption{func(c *config) { c.noDelay = on }}
}

// lingerFor is the linger in force: 0 for none.
func (c *config) lingerFor() time.Duration {
	switch {
	case c.linger < 0:
		return 0
	case c.linger == 0:
		return DefaultLinger
	}
	return c.linger
}

// sendLimitFor is the limit of a connection's "inbox" in force.
func (c *config) sendLimitFor() axon.Limit {
	if c.sendLimit == (axon.Limit{}) {
		return DefaultSendLimit
	}
	return c.sendLimit
}

// handshakeFor is the handshake timeout in force: HandshakeTimeout,
// capped by a shorter IdleTimeout.
func (c *config) handshakeFor() time.Duration {
	d := c.handshakeTimeout
	if d <= 0 {
		d = DefaultHandshakeTimeout
	}
	if c.idleTimeout > 0 {
		d = min(d, c.idleTimeout)
	}
	return d
}

// MaxConnections limits how many connections a server serves at once. A
// connection accepted past the limit is closed at once, before any data
// is read: the client sees the connection closed. Refusals are logged
// at most once a second, with how many there were. Zero (or less), the
// default, means no limit.
func MaxConnections(n int) MaxConnectionsOption {
	return MaxConnectionsOption{func(c *config) { c.maxConns = n }}
}

// IdleTimeout ends a connection that makes no progress for d: no byte
// read from the socket and no write that moved a byte into it, whether
// or not data is waiting to be sent. Such a connection is reset (the
// peer sees ECONNRESET; what was queued is dropped, with no linger
// flush) within d plus a little, and ends with an error matching
// ErrIdleTimeout and os.ErrDeadlineExceeded (a timeout, for net.Error
// too). Only the socket counts: time a protocol handler spends working
// out a reply, with nothing moving, is time without progress, so d must
// be longer than the slowest reply. This process falling behind
// (starved of CPU, or stopped and resumed) does not make a connection
// idle: on Linux, bytes the kernel received from the peer count as
// progress before the adapter reads them (unless the adapter has bytes
// to write that the peer is not taking), and so does room in the socket
// for bytes the adapter has yet to write.
//
// For a server it is Kamaelia's TimeOutCSA, applied to every
// connection: a client that stops reading and sending frees its slot,
// and a ServerCore handler's "control" gets a SocketShutdown whose Err
// carries the cause. For a TCPClient (or a CSA) it is a stall timeout:
// a server that stops answering or reading ends the client with that
// error. Zero, the default, means a connection may make no progress for
// ever.
func IdleTimeout(d time.Duration) ConnOption {
	return ConnOption{func(c *config) { c.idleTimeout = d }}
}

// ServeTLS makes a server speak TLS from the first byte of every
// connection, with cfg as the server side: cfg must hold a certificate
// (Certificates, GetCertificate or GetConfigForClient), or the
// constructor fails with an error matching ErrNoTLSConfig; it never
// falls back to plaintext. A ServerCore's handlers, a SingleServer's
// "outbox" and a TCPServer's adapters see only decrypted data, and
// ConnInfo.TLS is true. For STARTTLS instead, use TLSServer and let the
// handler send makessl.
func ServeTLS(cfg *tls.Config) ServingOption {
	return ServingOption{func(c *config) { c.tls, c.tlsServer, c.tlsSet, c.serveTLS = cfg, true, true, true }}
}

// ShutdownTimeout bounds the graceful shutdown a server starts when a
// shutdown request arrives on its "control": after d, connections still
// open are cut off with a reset. Shutdown(ctx) is bounded by its
// context instead. Zero means DefaultShutdownTimeout; negative means no
// limit.
func ShutdownTimeout(d time.Duration) ServingOption {
	return ServingOption{func(c *config) { c.shutdownTimeout = d }}
}

// DefaultShutdownTimeout bounds a graceful shutdown started from
// "control" when no ShutdownTimeout is given.
const DefaultShutdownTimeout = 30 * time.Second

// RecycleWrittenChunks makes every adapter built with it reuse the
// []byte chunks sent to its "inbox" once they are written (see
// CSA.ReuseWritten): a server whose handlers pass the chunks they read
// straight back, such as components.Echo, then allocates nothing per
// chunk. Use it only when no sender to an adapter's "inbox" keeps a chunk
// or sends the same one to two places; a handler that replies with a
// shared []byte (a constant greeting, say) must not be used with it.
func RecycleWrittenChunks() ConnOption {
	return ConnOption{func(c *config) { c.reuseWritten = true }}
}

// checkServerTLS reports an error if a server was given a TLS server
// configuration (TLSServer or ServeTLS) that cannot serve: none at all,
// or one without a certificate.
func (c *config) checkServerTLS() error {
	if !c.tlsSet && !c.serveTLS {
		return nil
	}
	what := "TLSServer"
	if c.serveTLS {
		what = "ServeTLS"
	}
	switch t := c.tls; {
	case t == nil:
		return fmt.Errorf("%w: %s(nil)", ErrNoTLSConfig, what)
	case len(t.Certificates) == 0 && t.GetCertificate == nil && t.GetConfigForClient == nil:
		return fmt.Errorf("%w: %s: the tls.Config holds no certificate (Certificates, GetCertificate or GetConfigForClient)", ErrNoTLSConfig, what)
	}
	return nil
}
