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

	// ServerCore
	idleTimeout     time.Duration
	serveTLS        bool
	shutdownTimeout time.Duration
}

// Defaults.
const (
	// DefaultLinger bounds how long closing a connection may take: the
	// flush of queued data and, after a half-close, the wait for the peer
	// to finish.
	DefaultLinger = 30 * time.Second
	// DefaultHandshakeTimeout bounds a makessl handshake.
	DefaultHandshakeTimeout = 30 * time.Second
	// DefaultConnectTimeout bounds a TCPClient's connect, as Kamaelia's
	// connect_timeout did.
	DefaultConnectTimeout = 60 * time.Second
)

// DefaultSendLimit is the limit of a CSA's "inbox": at most 64 chunks and
// 256 KiB queued to send. With the chunk a CSA holds while writing, this
// bounds what a connection whose peer stops reading can hold in the
// process (see CSA).
var DefaultSendLimit = axon.Limit{Messages: 64, Bytes: 256 << 10}

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

// Linger bounds closing a connection (CSA, TCPClient, TCPServer): from
// the moment a producerFinished or shutdownMicroprocess arrives, queued
// data must be written, and after a half-close the peer must finish,
// within d. A flush cut short ends the connection with an error matching
// ErrLinger and os.ErrDeadlineExceeded. Zero means DefaultLinger;
// negative means no limit.
func Linger(d time.Duration) Option { return func(c *config) { c.linger = d } }

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

// HandshakeTimeout bounds a makessl handshake. Zero means
// DefaultHandshakeTimeout.
func HandshakeTimeout(d time.Duration) Option {
	return func(c *config) { c.handshakeTimeout = d }
}

// SendLimit sets the limit of a CSA's "inbox" (the data waiting to be
// written). The zero Limit means DefaultSendLimit.
func SendLimit(l axon.Limit) Option { return func(c *config) { c.sendLimit = l } }

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

func (c *config) lingerDeadline(from time.Time) time.Time {
	switch {
	case c.linger < 0:
		return time.Time{}
	case c.linger == 0:
		return from.Add(DefaultLinger)
	}
	return from.Add(c.linger)
}

// MaxConnections limits how many connections a TCPServer (and so a
// ServerCore) serves at once. A connection accepted past the limit is
// closed at once, before any data is read, and the refusal is logged: the
// client sees the connection closed. Zero, the default, means no limit.
func MaxConnections(n int) Option { return func(c *config) { c.maxConns = n } }

// IdleTimeout makes a ServerCore close a connection on which nothing has
// been read or written for d, Kamaelia's TimeOutCSA. The handler's
// "control" then gets a SocketShutdown whose Err matches ErrIdleTimeout.
// Zero, the default, means connections may stay idle for ever.
func IdleTimeout(d time.Duration) Option { return func(c *config) { c.idleTimeout = d } }

// ServeTLS makes a ServerCore speak TLS from the first byte of every
// connection, with cfg as the server side (it must hold a certificate).
// The handler sees only decrypted data, and ConnInfo.TLS is true. For
// STARTTLS instead, use TLSServer and let the handler send makessl.
func ServeTLS(cfg *tls.Config) Option {
	return func(c *config) { c.tls, c.tlsServer, c.serveTLS = cfg, true, true }
}

// ShutdownTimeout bounds the graceful shutdown a ServerCore starts when a
// shutdown request arrives on its "control": after d, connections still
// open are cut off. Shutdown(ctx) is bounded by its context instead.
// Zero means DefaultShutdownTimeout; negative means no limit.
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
