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
//	                connection exists waits in this box (bounded by
//	                SendLimit, so a producer waits too) and is sent, in
//	                order, once connected.
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
//	_peerFinished   the adapter's peerFinished notice (internal).
//
// Outboxes:
//
//	outbox       data received from the server, as []byte chunks.
//	signal       exactly one terminal axon.ProducerFinished when the client
//	             ends, stopped or not, whose Err (also the client's own
//	             Err) is nil for a normal close, else the cause (the
//	             context's for a stop):
//	             errors.Is matches syscall.ECONNREFUSED for a refused
//	             connection, syscall.ECONNRESET for a reset, ErrShutdown
//	             for a shutdown before connecting; a connect timeout is a
//	             net.Error whose Timeout() is true, and so is a stall (see
//	             IdleTimeout: no progress for that long), which matches
//	             ErrIdleTimeout too; a TLS failure wraps the crypto/tls
//	             error (for instance *tls.CertificateVerificationError).
//	             Problems that do not end the connection (a message of the
//	             wrong type, a makessl on a connection already TLS) come
//	             before it as axon.ErrorInformation; a failed TLS
//	             handshake ends the connection, so it comes only as the
//	             terminal message's Err.
//	sslready     SSLReady once TLS is up.
//	peerFinished one SocketShutdown when the server has finished
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
// A TCPClient is a reactive component: it runs only when something
// arrives for it, so waiting (its Delay, a slow connect, an idle
// connection) costs no CPU, whatever is queued meanwhile. It holds one
// goroutine while it connects, and none of its own once connected (the
// adapter has its reader).
//
// A TCPClient is safe for concurrent use.
type TCPClient struct {
	*axon.Core
	host string
	port int
	cfg  config
	csa  atomic.Pointer[CSA]

	// step only
	started    bool
	dialed     chan dialResult // the connect goroutine's result
	cancelDial context.CancelFunc
	finish     any   // a producerFinished that came before the connection
	closed     bool  // the adapter has said the socket closed, with cause
	cause      error // the adapter's cause
}

// boxClientFeedback is the TCPClient's inbox for its adapter's notices.
const boxClientFeedback = "_socketFeedback"

// NewTCPClient returns a client for host and port; it connects when
// activated. host may be a name, an IPv4 address or an IPv6 address
// (with or without brackets). The options are Delay, ConnectTimeout,
// AllowHalfClose, TLSClient and the connection options (ConnOption:
// IdleTimeout, the stall timeout of a client; Linger, SendLimit, ...).
func NewTCPClient(host string, port int, opts ...TCPClientOption) *TCPClient {
	t := &TCPClient{host: trimBrackets(host), port: port, cfg: configOf(opts, TCPClientOption.applyTCPClient)}
	t.Core = axon.NewReactive("TCPClient", t.step,
		axon.WithInboxes(
			// Bounded as the adapter's is: data sent before the
			// connection exists waits here.
			axon.Box(boxInbox, "data to send to the server: []byte or string").WithLimit(t.cfg.sendLimitFor()),
			axon.Box(boxControl, "producerFinished: finish and close after the server does; shutdownMicroprocess: close; Reset"),
			axon.Box(boxMakeSSL, "any message: switch the connection to TLS"),
			// Unbounded: the adapter sends a few notices, and one per bad
			// message it was given, which the client passes on at once.
			axon.Box(boxClientFeedback, "notices from the ConnectedSocketAdapter").WithLimit(axon.Unbounded),
			axon.Box(boxPeerDone, "the adapter's peerFinished notice").WithLimit(axon.Unbounded),
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

// NewTCPClientAddr is NewTCPClient for an address in the form net.Dial
// takes: "host:port", "[::1]:port", or ":port" for the local system,
// where port is a number or a service name such as "https". The options
// are NewTCPClient's. A malformed address, or port 0, is an error
// naming the address, and no client is made.
func NewTCPClientAddr(addr string, opts ...TCPClientOption) (*TCPClient, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("internet: NewTCPClientAddr: %w", err) // "address X: missing port in address"
	}
	if p == "" || p == "0" {
		return nil, fmt.Errorf("internet: NewTCPClientAddr: address %s: missing port (port 0 is nobody's)", addr)
	}
	port, err := net.LookupPort("tcp", p)
	if err != nil {
		return nil, fmt.Errorf("internet: NewTCPClientAddr: %w", err) // "address X: invalid port", "lookup tcp/X: unknown port"
	}
	return NewTCPClient(host, port, opts...), nil
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

// dialResult is what the connect goroutine hands the step.
type dialResult struct {
	conn net.Conn
	err  error
}

// step runs when the client starts, whenever something arrives on
// "control", "_socketFeedback" or "_peerFinished", when the connect
// goroutine is done, when the adapter ends, and when the client is
// stopped. Data and makessl queued before the connection exists stay in
// their boxes, without running anything, until the adapter takes them
// over: waiting costs nothing.
func (t *TCPClient) step(ctx context.Context, c *axon.Core) error {
	if !t.started {
		t.started = true
		t.dialed = make(chan dialResult, 1)
		dctx, cancel := context.WithCancel(ctx)
		t.cancelDial = cancel
		if err := c.Go(func(context.Context) {
			conn, err := t.dial(dctx)
			t.dialed <- dialResult{conn, err} // the end of Go runs the step
		}); err != nil {
			cancel()
			return t.end(err)
		}
	}
	if ctx.Err() != nil { // stopped
		cause := context.Cause(ctx)
		csa := t.csa.Load()
		if csa == nil {
			t.giveUp()
			return t.end(cause)
		}
		// The adapter, a child, is stopped with us. The terminal message
		// comes after its last, so wait for it to end; not here, since
		// this step may be running inside one of the adapter's own
		// goroutines (a notice it sent us).
		if c.Go(func(context.Context) {
			<-csa.Done()
			t.end(cause)
		}) != nil {
			t.end(cause)
		}
		return cause
	}
	if t.csa.Load() == nil {
		return t.connecting(ctx, c)
	}
	return t.connected(ctx, c)
}

// connecting watches "control" while the connect goroutine works, and
// wires the connection in once it has one.
func (t *TCPClient) connecting(ctx context.Context, c *axon.Core) error {
	for m := range c.Drain(boxControl) {
		if r, reset := asReset(m); reset || axon.IsShutdownMicroprocess(m) {
			t.giveUp()
			err := fmt.Errorf("%w to %s", ErrShutdown, t.Addr())
			if reset && r.Err != nil {
				err = fmt.Errorf("%w: %w", err, r.Err)
			}
			return t.end(err)
		}
		if axon.IsProducerFinished(m) {
			t.finish = m
		}
	}
	var r dialResult
	select {
	case r = <-t.dialed:
	default:
		return nil // still connecting
	}
	if r.err != nil {
		return t.end(fmt.Errorf("internet: TCPClient: %w", r.err))
	}
	if err := t.attach(c, r.conn); err != nil {
		return t.end(err)
	}
	if t.finish != nil {
		// Acted on after the data queued before it, which the adapter
		// took over first.
		csa := t.csa.Load()
		if !offer(csa.Inbox(boxControl), t.finish) {
			csa.Stop()
		}
		t.finish = nil
	}
	return t.connected(ctx, c)
}

// giveUp stops the connect and closes the connection if it was made
// after all.
func (t *TCPClient) giveUp() {
	t.cancelDial()
	if r := <-t.dialed; r.conn != nil { // prompt: the connect was cancelled
		r.conn.Close()
	}
}

// connected passes the adapter's notices on and, once it has ended,
// ends with its cause.
func (t *TCPClient) connected(ctx context.Context, c *axon.Core) error {
	csa := t.csa.Load()
	for m := range c.Drain(boxPeerDone) {
		_ = c.Send(ctx, boxPeerFinished, m)
		if !t.cfg.allowHalfClose {
			_ = csa.Inbox(boxControl).Put(ctx, axon.ProducerFinished{Caller: t})
		}
	}
	for m := range c.Drain(boxClientFeedback) {
		switch msg := m.(type) {
		case axon.ErrorInformation:
			_ = c.Send(ctx, boxSignal, axon.ErrorInformation{Caller: t, Err: msg.Err, Message: msg.Message})
		case SocketShutdown:
			t.cause, t.closed = msg.Err, true
		}
	}
	if !t.closed {
		return nil
	}
	select {
	case <-csa.Done():
		return t.end(t.cause)
	default:
		return nil // its end runs the step again
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
func (t *TCPClient) attach(c *axon.Core, conn net.Conn) error {
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
		{axon.Out(csa, boxPeerFinished), axon.In(c, boxPeerDone)},
		{axon.Out(csa, boxFeedback), axon.In(c, boxClientFeedback)},
		{axon.Out(csa, boxSignal), axon.In(c, boxClientFeedback)},
	}
	for _, l := range links {
		if _, err := c.Link(l[0], l[1]); err != nil {
			conn.Close()
			return fmt.Errorf("internet: TCPClient to %s: wiring: %w", t.Addr(), err)
		}
	}
	t.csa.Store(csa)
	return c.AddChildren(csa)
}

// end sends the one terminal message and returns the cause as the
// component's error (axon.ErrStop, a normal end, for none).
func (t *TCPClient) end(cause error) error {
	ctx, cancel := lastSends()
	defer cancel()
	_ = t.Send(ctx, boxSignal, axon.ProducerFinished{Caller: t, Err: cause})
	return endWith(cause)
}
