package internet

import (
	"crypto/tls"
	"net"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
)

// The socket messages of Kamaelia's vocabulary (Kamaelia.IPC). Each
// embeds the head of its family, so axon's family predicates match it:
// axon.IsProducerFinished matches a SocketShutdown, and
// axon.IsShutdownMicroprocess a ServerShutdown; axon.Cause reads the Err
// of any of them.

// SocketShutdown says a socket has closed (on a CSA's "CreatorFeedback")
// or that the peer has finished sending (on a CSA's "peerFinished"). It
// is a ProducerFinished: Err carries the cause, nil for a clean close.
type SocketShutdown struct {
	axon.ProducerFinished
	Conn net.Conn // the socket, if known
}

// ServerShutdown asks a server to stop listening. It is a
// ShutdownMicroprocess.
type ServerShutdown struct {
	axon.ShutdownMicroprocess
}

// NewCSANotice announces a new connection: a TCPServer sends it on
// "protocolHandlerSignal" with the (not yet activated) adapter. It is
// Kamaelia's newCSA, renamed because NewCSA is the adapter's
// constructor. It is a Notify.
type NewCSANotice struct {
	axon.Notify
	CSA  *CSA     // the ConnectedSocketAdapter for the connection
	Conn net.Conn // its socket
}

// ShutdownCSA says a connection's adapter has ended: a TCPServer sends
// it on "protocolHandlerSignal" and the adapter on its own "signal". It
// is a Notify.
type ShutdownCSA struct {
	axon.Notify
	CSA  *CSA     // the adapter that ended
	Conn net.Conn // its socket
	Err  error    // why the connection ended: nil for a clean close
}

// Cause returns Err, so that axon.Cause reads it.
func (m ShutdownCSA) Cause() error { return m.Err }

// SSLReady is sent on "sslready" once a makessl upgrade has completed its
// handshake. Data sent after makessl is encrypted from then on (it was
// held back until now). Kamaelia sent an empty string; State tells the
// negotiated version, cipher suite and the peer's certificates.
type SSLReady struct {
	State tls.ConnectionState
}

// MakeSSL is the message to send on "makessl". Any message on that box
// starts the upgrade, as in Kamaelia; a MakeSSL can also carry the last
// plaintext to write before the handshake.
type MakeSSL struct {
	// Plaintext, if set, is written after the adapter has stopped reading
	// and just before the handshake. A server answering STARTTLS must put
	// its "go ahead" reply here rather than send it on "inbox" first: the
	// client starts its handshake as soon as it reads the reply, and this
	// way none of it can be read as plaintext. A reply sent on "inbox"
	// before makessl races with the client: even a reactive handler, which
	// usually runs in the adapter's reader, runs elsewhere when another
	// goroutine holds its turn (its first step, for one), and the reader
	// may then read the start of the handshake as data.
	Plaintext []byte
}

// Reset, on a CSA's "control" (and so on a ServerCore handler's
// "signal", or a TCPClient's "control"), aborts the connection at once:
// what is queued to send is dropped, and the socket is closed with
// SO_LINGER 0, so the peer sees a reset (ECONNRESET) rather than an
// orderly end and can tell that the stream was cut short. It is what
// CSA.Reset does, as a message.
//
// It acts ahead of data queued on "inbox", but after control messages
// that arrived before it. Err is the cause the connection ends with;
// nil means ErrReset.
type Reset struct {
	Err error
}

// ShutdownBegun tells a protocol handler that its server has begun a
// graceful shutdown: the server no longer accepts connections, and this
// one may go on until its client finishes or the grace runs out at
// Deadline (zero if there is no limit), when it is reset. A handler may
// use it to say goodbye in its protocol and finish early; one that does
// nothing goes on serving.
//
// It arrives on a handler's "control". It is deliberately not in the
// ProducerFinished or ShutdownMicroprocess family, so handlers that end
// on a shutdown request (components.Echo, for one) carry on; a handler
// that passes its control messages on out of "signal" hands it to its
// adapter, which ignores it. A TCPServer sends it out of
// "protocolHandlerSignal", and a SingleServer out of "signal".
type ShutdownBegun struct {
	Deadline time.Time
}
