package internet

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
)

// TCPClient is a component with a TCP connection to a server: what is
// sent to its "inbox" goes to the server, and what the server sends comes
// out of its "outbox".
//
// Inboxes:
//
//	inbox           data to send: []byte or string. Data sent before the
//	                connection exists waits in this box (bounded, so a
//	                producer waits too) and is sent, in order, once
//	                connected.
//	control         producerFinished: send everything queued, half-close,
//	                keep delivering what the server sends until it closes
//	                (see Linger), then end. shutdownMicroprocess: send
//	                everything queued, close, end. Reset: abort with a
//	                TCP reset, dropping what is queued (see CSA.Reset).
//	                Before the connection exists, shutdownMicroprocess and
//	                Reset give up at once; producerFinished is kept and
//	                acted on after the queued data has been sent.
//	makessl         any message: switch the connection to TLS (see
//	                TLSClient). It may be sent before the connection exists.
//	_socketFeedback notices from the adapter (internal).
//
// Outboxes:
//
//	outbox       data received from the server, as []byte chunks.
//	signal       exactly one terminal axon.ProducerFinished when the client
//	             ends, whose Err is nil for a normal close, else the cause:
//	             errors.Is matches syscall.ECONNREFUSED for a refused
//	             connection, syscall.ECONNRESET for a reset, ErrShutdown
//	             for a shutdown before connecting; a connect timeout is a
//	             net.Error whose Timeout() is true, and so is a stall (see
//	             IdleTimeout: no progress for that long), which matches
//	             ErrIdleTimeout too; a TLS failure wraps the crypto/tls
//	             error (for instance *tls.CertificateVerificationError).
//	             Problems that do not end the connection (a message of the
//	             wrong type) come before it as axon.ErrorInformation.
//	sslready     SSLReady once TLS is up.
//	peerFinished one axon.SocketShutdown when the server has finished
//	             sending; all its data came out of "outbox" first.
//
// When the server finishes sending first, the client sends what is
// already queued and closes, ending like Kamaelia's did (and like nc). A
// protocol that goes on sending after the server's half-close asks for
// AllowHalfClose: the client then keeps the connection for sending until
// it gets producerFinished.
//
// Kamaelia's TCPClient also had _selectorSignal to register with its
// select() loop; Go's netpoller makes it unnecessary.
//
// A TCPClient is safe for concurrent use.
type TCPClient struct {
	*axon.Core
	host string
	port int
	cfg  config
	csa  atomic.Pointer[CSA]
}

// NewTCPClient returns a client for host and port; it connects when
// activated. host may be a name, an IPv4 address or an IPv6 address
// (with or without brackets). The options are Delay, ConnectTimeout,
// AllowHalfClose, TLSClient and the connection options (ConnOption:
// IdleTimeout, the stall timeout of a client; Linger, SendLimit, ...).
func NewTCPClient(host string, port int, opts ...TCPClientOption) *TCPClient {
	t := &TCPClient{host: trimBrackets(host), port: port, cfg: configOf(opts, TCPClientOption.applyTCPClient)}
	t.Core = axon.New("TCPClient", t.main,
		axon.WithInboxes(
			axon.Box(boxInbox, "data to send to the server: []byte or string"),
			axon.Box(boxControl, "producerFinished: finish and close after the server does; shutdownMicroprocess: close"),
			axon.Box(boxMakeSSL, "any message: switch the connection to TLS"),
			axon.Box("_socketFeedback", "notices from the ConnectedSocketAdapter"),
			axon.Box("_peerFinished", "the adapter's peerFinished notice"),
		),
		axon.WithOutboxes(
			axon.Box(boxOutbox, "data received from the server"),
			axon.Box(boxSignal, "exactly one ProducerFinished when the client ends, carrying the cause"),
			axon.Box(boxSSLReady, "SSLReady once TLS is up"),
			axon.Box(boxPeerFinished, "SocketShutdown once the server has finished sending"),
		),
	)
	return t
}

func trimBrackets(h string) string {
	if len(h) > 1 && h[0] == '[' && h[len(h)-1] == ']' {
		return h[1 : len(h)-1]
	}
	return h
}

// Addr returns "host:port" as the client dials it.
func (t *TCPClient) Addr() string { return net.JoinHostPort(t.host, strconv.Itoa(t.port)) }

// CSA returns the adapter of the connection, or nil before it exists.
func (t *TCPClient) CSA() *CSA { return t.csa.Load() }

func (t *TCPClient) main(ctx context.Context, c *axon.Core) error {
	finish, err := t.connectPhase(ctx, c)
	if err != nil {
		return t.end(ctx, err)
	}
	return t.connectedPhase(ctx, c, finish)
}

// connectPhase waits out the delay and connects, watching "control" all
// the while. It returns a producerFinished to act on after connecting,
// if one came.
func (t *TCPClient) connectPhase(ctx context.Context, c *axon.Core) (finish any, _ error) {
	dialCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		conn net.Conn
		err  error
	}
	res := make(chan result, 1)
	if err := c.Go(func(context.Context) {
		conn, err := t.dial(dialCtx)
		res <- result{conn, err}
		c.Wake()
	}); err != nil {
		return nil, err
	}
	for {
		if err := c.Wait(ctx); err != nil {
			cancel()
			if r := <-res; r.conn != nil {
				r.conn.Close()
			}
			return nil, err
		}
		for m := range c.Drain(boxControl) {
			_, reset := asReset(m)
			switch {
			case axon.IsShutdownMicroprocess(m), reset:
				cancel()
				if r := <-res; r.conn != nil {
					r.conn.Close()
				}
				return nil, fmt.Errorf("tcpclient %s: %w", t.Addr(), ErrShutdown)
			case axon.IsProducerFinished(m):
				finish = m
			}
		}
		select {
		case r := <-res:
			if r.err != nil {
				return nil, fmt.Errorf("tcpclient: connect to %s: %w", t.Addr(), r.err)
			}
			return finish, t.attach(ctx, c, r.conn)
		default:
		}
	}
}

// dial waits out the delay, then connects within the connect timeout.
func (t *TCPClient) dial(ctx context.Context) (net.Conn, error) {
	if t.cfg.delay > 0 {
		timer := time.NewTimer(t.cfg.delay)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		}
	}
	if to := t.cfg.connectTimeout; to >= 0 {
		if to == 0 {
			to = DefaultConnectTimeout
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, to)
		defer cancel()
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", t.Addr())
}

// attach makes the adapter for conn a child and wires it in, as
// Kamaelia's setupCSA did: inbox, control and makessl pass through to
// it (data queued before now moves along in order), its outbox and
// sslready surface as ours, and its notices come to _socketFeedback and
// _peerFinished.
func (t *TCPClient) attach(ctx context.Context, c *axon.Core, conn net.Conn) error {
	cfg := t.cfg
	cfg.tlsServer = false
	if cfg.tls != nil && cfg.tls.ServerName == "" && !cfg.tls.InsecureSkipVerify {
		cfg.tls = cfg.tls.Clone()
		cfg.tls.ServerName = t.host
	} else if cfg.tls == nil {
		cfg.tls = &tls.Config{ServerName: t.host}
	}
	csa := newCSA(conn, &cfg)
	links := [][2]axon.BoxRef{
		{axon.In(c, boxInbox), axon.In(csa, boxInbox)},
		{axon.In(c, boxMakeSSL), axon.In(csa, boxMakeSSL)},
		{axon.In(c, boxControl), axon.In(csa, boxControl)},
		{axon.Out(csa, boxOutbox), axon.Out(c, boxOutbox)},
		{axon.Out(csa, boxSSLReady), axon.Out(c, boxSSLReady)},
		{axon.Out(csa, boxPeerFinished), axon.In(c, "_peerFinished")},
		{axon.Out(csa, boxFeedback), axon.In(c, "_socketFeedback")},
		{axon.Out(csa, boxSignal), axon.In(c, "_socketFeedback")},
	}
	for _, l := range links {
		if _, err := c.Link(l[0], l[1]); err != nil {
			conn.Close()
			return fmt.Errorf("tcpclient %s: wiring: %w", t.Addr(), err)
		}
	}
	t.csa.Store(csa)
	return c.AddChildren(csa)
}

// connectedPhase waits for the adapter to end, passing its non-fatal
// notices on, and then ends with the adapter's cause.
func (t *TCPClient) connectedPhase(ctx context.Context, c *axon.Core, finish any) error {
	csa := t.csa.Load()
	if finish != nil {
		if err := csa.Inbox(boxControl).Put(ctx, finish); err != nil {
			csa.Stop()
		}
	}
	for {
		if err := c.Wait(ctx); err != nil {
			// Stopped: the adapter is a child and stops too.
			<-csa.Done()
			return t.end(ctx, err)
		}
		for m := range c.Drain("_peerFinished") {
			_ = c.Send(ctx, boxPeerFinished, m)
			if !t.cfg.allowHalfClose {
				_ = csa.Inbox(boxControl).Put(ctx, axon.ProducerFinished{Caller: t})
			}
		}
		for m := range c.Drain("_socketFeedback") {
			switch msg := m.(type) {
			case axon.ErrorInformation:
				_ = c.Send(ctx, boxSignal, axon.ErrorInformation{Caller: t, Err: msg.Err, Message: msg.Message})
			case axon.SocketShutdown:
				<-csa.Done()
				return t.end(ctx, msg.Err)
			}
		}
	}
}

// end sends the one terminal message and returns the cause as the
// component's error.
func (t *TCPClient) end(ctx context.Context, cause error) error {
	if ctx.Err() != nil {
		ctx = context.WithoutCancel(ctx)
	}
	sctx, cancel := context.WithTimeout(ctx, finalSendTimeout)
	defer cancel()
	_ = t.Send(sctx, boxSignal, axon.ProducerFinished{Caller: t, Err: cause})
	return cause
}
