package internet

import (
	"crypto/tls"
	"log/slog"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
)

// Option configures a CSA, TCPClient or TCPServer. Each option says which
// of them it applies to; the others ignore it. A TCPClient or TCPServer
// passes the connection options on to the adapters it makes.
type Option func(*config)

type config struct {
	// connection (CSA)
	linger           time.Duration
	lingerCap        time.Duration
	idleTimeout      time.Duration
	crashOnBadData   bool
	tls              *tls.Config
	tlsServer        bool
	handshakeTimeout time.Duration
	sendLimit        axon.Limit
	logger           *slog.Logger
	reuseWritten     bool

	// client
	delay          time.Duration
	connectTimeout time.Duration
	allowHalfClose bool

	// server
	host      string
	backlog   int
	reuseAddr bool
	reusePort bool
	noDelay   bool
	keepAlive time.Duration
	maxConns  int

	// servers
	shutdownTimeout time.Duration

	// ServerCore
	serveTLS     bool
	receiveLimit axon.Limit
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
// holds in the process (see CSA).
var DefaultSendLimit = axon.Limit{Messages: 64, Bytes: 32 << 10}

// DefaultReceiveLimit is the limit of the "inbox" of each protocol
// handler a ServerCore makes: at most 64 chunks and 32 KiB that the
// client sent and the handler has not taken yet. When it is full, the
// connection's adapter stops reading, and TCP slows the client.
var DefaultReceiveLimit = axon.Limit{Messages: 64, Bytes: 32 << 10}

func newConfig(opts []Option) config {
	c := config{
		linger:           DefaultLinger,
		handshakeTimeout: DefaultHandshakeTimeout,
		sendLimit:        DefaultSendLimit,
		connectTimeout:   DefaultConnectTimeout,
		reuseAddr:        true,
		noDelay:          true,
		logger:           slog.Default(),
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// Linger bounds how long closing a connection (CSA, TCPClient,
// TCPServer and the servers built on it) may go without progress: from
// the moment a producerFinished or shutdownMicroprocess arrives, while
// queued data is written and, after a half-close, while the peer is
// expected to finish, some progress must be made every d. Progress is a
// byte read from the socket or a write that moved at least one byte
// into it, so a slow but steady peer is never cut off, however long the
// flush takes; one that stops reading (or, after the half-close, stops
// both reading and closing) is.
//
// A flush cut short resets the connection (the peer sees ECONNRESET,
// not an orderly end); a wait after the half-close that runs out closes
// it. Either way the connection ends with an error matching ErrLinger
// and os.ErrDeadlineExceeded. Zero means DefaultLinger; negative means
// no limit. LingerCap bounds the whole close instead.
func Linger(d time.Duration) Option { return func(c *config) { c.linger = d } }

// LingerCap bounds closing a connection in absolute time, progress or
// not: everything Linger covers must be over within d of the
// producerFinished or shutdownMicroprocess, or the connection ends as
// it does when the linger runs out. Zero, the default, means no cap.
// Applies to CSA, TCPClient, TCPServer and the servers built on it.
func LingerCap(d time.Duration) Option { return func(c *config) { c.lingerCap = d } }

// CrashOnBadData makes a CSA close its connection when a message of the
// wrong type arrives on "inbox", instead of reporting it on "signal" and
// carrying on (Kamaelia's crashOnBadDataToSend). Applies to CSA,
// TCPClient and TCPServer.
func CrashOnBadData() Option { return func(c *config) { c.crashOnBadData = true } }

// TLSConfig gives the configuration makessl uses. For a TCPClient it is
// the client side: certificates are verified, and ServerName defaults to
// the host connected to; set InsecureSkipVerify in cfg only to skip that
// on purpose. For a TCPServer it is the server side and must hold a
// certificate. For a CSA made directly, use TLSClient or TLSServer.
func TLSConfig(cfg *tls.Config) Option { return func(c *config) { c.tls = cfg } }

// TLSClient makes a CSA's makessl act as the TLS client with cfg.
func TLSClient(cfg *tls.Config) Option {
	return func(c *config) { c.tls, c.tlsServer = cfg, false }
}

// TLSServer makes a CSA's makessl act as the TLS server with cfg, which
// must hold a certificate (Certificates or GetCertificate).
func TLSServer(cfg *tls.Config) Option {
	return func(c *config) { c.tls, c.tlsServer = cfg, true }
}

// HandshakeTimeout bounds a makessl handshake (for a ServeTLS server,
// the handshake every connection starts with). A handshake that has not
// completed in d fails, and the connection is closed. Zero means
// DefaultHandshakeTimeout. A shorter IdleTimeout caps it.
func HandshakeTimeout(d time.Duration) Option {
	return func(c *config) { c.handshakeTimeout = d }
}

// SendLimit sets the limit of a CSA's "inbox" (the data waiting to be
// written). The zero Limit means DefaultSendLimit.
func SendLimit(l axon.Limit) Option { return func(c *config) { c.sendLimit = l } }

// ReceiveLimit sets the limit of the "inbox" of every protocol handler a
// ServerCore makes (the data read from the client that the handler has
// not taken yet), whatever limit the handler declares. The zero Limit
// means DefaultReceiveLimit.
func ReceiveLimit(l axon.Limit) Option { return func(c *config) { c.receiveLimit = l } }

// Logger sets where TCPServer (accept errors) and the adapters log. The
// default is slog.Default().
func Logger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// Delay makes a TCPClient wait d after it is activated before it
// connects (Kamaelia's delay argument).
func Delay(d time.Duration) Option { return func(c *config) { c.delay = d } }

// ConnectTimeout bounds a TCPClient's connect. Zero means
// DefaultConnectTimeout; negative means no limit.
func ConnectTimeout(d time.Duration) Option { return func(c *config) { c.connectTimeout = d } }

// AllowHalfClose makes a TCPClient keep its connection open for sending
// after the server has finished sending (a TCP half-close), until the
// client gets producerFinished on "control". Without it the client sends
// what is queued and closes when the server finishes.
func AllowHalfClose() Option { return func(c *config) { c.allowHalfClose = true } }

// Host sets the address a TCPServer listens on: an IP address or a host
// name. The default, "", means every interface, as in Kamaelia and
// net.Listen; "127.0.0.1" keeps a server on loopback.
func Host(h string) Option { return func(c *config) { c.host = h } }

// Backlog sets a TCPServer's listen backlog: how many connections the
// kernel may queue before they are accepted. Zero means the system's
// maximum (somaxconn); Kamaelia used 5.
func Backlog(n int) Option { return func(c *config) { c.backlog = n } }

// ReuseAddress sets SO_REUSEADDR on a TCPServer's socket so it can listen
// again at once on a port with connections in TIME_WAIT. It is on by
// default (as in Go's net package).
func ReuseAddress(on bool) Option { return func(c *config) { c.reuseAddr = on } }

// ReusePort sets SO_REUSEPORT on a TCPServer's socket, so several
// servers can share one port and the kernel spreads connections among
// them. Off by default.
func ReusePort(on bool) Option { return func(c *config) { c.reusePort = on } }

// NoDelay sets TCP_NODELAY on accepted connections (on by default, as in
// Go): small writes go out at once instead of waiting to be coalesced.
func NoDelay(on bool) Option { return func(c *config) { c.noDelay = on } }

// KeepAlive sets the TCP keep-alive period of accepted connections. Zero
// means Go's default (15 s); negative turns keep-alives off.
func KeepAlive(d time.Duration) Option { return func(c *config) { c.keepAlive = d } }

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

// MaxConnections limits how many connections a TCPServer (and so a
// ServerCore) serves at once. A connection accepted past the limit is
// closed at once, before any data is read: the client sees the
// connection closed. Refusals are logged at most once a second, with
// how many there were. Zero, the default, means no limit.
func MaxConnections(n int) Option { return func(c *config) { c.maxConns = n } }

// IdleTimeout ends a connection that makes no progress for d: no byte
// read from the socket and no write that moved a byte into it, whether
// or not data is waiting to be sent. Such a connection is reset (the
// peer sees ECONNRESET; what was queued is dropped, with no linger
// flush) within d plus a little, and ends with an error matching
// ErrIdleTimeout and os.ErrDeadlineExceeded (a timeout, for net.Error
// too). Only the socket counts: time a protocol handler spends working
// out a reply, with nothing moving, is time without progress, so d must
// be longer than the slowest reply.
//
// For a ServerCore (or TCPServer, SingleServer) it is Kamaelia's
// TimeOutCSA, applied to every connection: a client that stops reading
// and sending frees its slot, and the handler's "control" gets a
// SocketShutdown whose Err carries the cause. For a TCPClient (or a CSA)
// it is a stall timeout: a server that stops answering or reading ends
// the client with that error. Zero, the default, means a connection may
// make no progress for ever.
func IdleTimeout(d time.Duration) Option { return func(c *config) { c.idleTimeout = d } }

// ServeTLS makes a ServerCore speak TLS from the first byte of every
// connection, with cfg as the server side (it must hold a certificate).
// The handler sees only decrypted data, and ConnInfo.TLS is true. For
// STARTTLS instead, use TLSServer and let the handler send makessl.
func ServeTLS(cfg *tls.Config) Option {
	return func(c *config) { c.tls, c.tlsServer, c.serveTLS = cfg, true, true }
}

// ShutdownTimeout bounds the graceful shutdown a ServerCore, TCPServer
// or SingleServer starts when a shutdown request arrives on its
// "control": after d, connections still open are cut off with a reset.
// Shutdown(ctx) is bounded by its context instead. Zero means
// DefaultShutdownTimeout; negative means no limit.
func ShutdownTimeout(d time.Duration) Option { return func(c *config) { c.shutdownTimeout = d } }

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
func RecycleWrittenChunks() Option { return func(c *config) { c.reuseWritten = true } }
