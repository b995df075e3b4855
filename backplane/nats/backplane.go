package nats

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	natsgo "github.com/nats-io/nats.go"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/backplane"
	"github.com/kamaelia-go/kamaelia/internal/control"
)

// OriginHeader is the NATS header that carries the origin ID of the
// backplane that published a message (see Backplane.Origin).
const OriginHeader = "Kamaelia-Origin"

// confirmTimeout bounds each wait for the NATS server's answer: the
// subscription at start and after a reconnect, and the last messages
// when the backplane ends.
const confirmTimeout = 5 * time.Second

// bridgeLimit bounds the messages published in this process that wait
// to be handed to the NATS client; past it the oldest are dropped and
// counted (Stats.Unsent). Handing over only waits when the connection's
// socket is full.
var bridgeLimit = axon.Limit{Messages: 4096, Bytes: 8 << 20}

// Backplane is a Backplane whose messages are shared, through NATS, with
// every backplane on the same subject in other processes (see the
// package documentation). It has the boxes of the in-process one:
//
//	inbox    in   messages to publish, here and in the other processes:
//	              []byte or string (other types are delivered here only,
//	              and counted as unsent)
//	control  in   shutdown requests: the backplane stops taking messages
//	              from NATS, its subscribers here end once they have sent
//	              what they hold, what was published here is sent to
//	              NATS, and the request is passed on out of signal; then
//	              it closes its connection and ends
//	signal   out  the shutdown request received; or a ProducerFinished
//	              carrying the error if the name could not be registered
//	              (errors.Is(err, axon.ErrServiceExists))
//
// and three it uses inside, shown by introspection: "_publish" (what was
// published here, to send to NATS), "_bridge" (the end of the subscriber
// that feeds "_publish") and "_deliver" (what came from NATS, to
// publish here).
//
// When it starts it registers, as the in-process one does, under
// backplane.ServiceName(name) in its registry, so PublishTo and
// SubscribeTo find it by name and need no change. Its first step runs
// inside Activate. Stopping it (Stop, or the end of its context) drops
// what has not been sent yet and closes the connection; nothing is sent
// on signal. It is Done once the connection is closed.
//
// Its methods are safe for concurrent use.
type Backplane struct {
	*axon.Core
	name    string
	subject string
	origin  string
	url     string // with passwords hidden
	log     *slog.Logger
	header  natsgo.Header // the origin, shared by every message sent (never changed)

	room *backplane.Backplane   // this process's backplane
	in   *backplane.PublishTo   // publishes what comes from NATS here
	out  *backplane.SubscribeTo // takes what is published here (not by in) to send to NATS

	nc  *natsgo.Conn
	sub *natsgo.Subscription

	sent, received, echoes, unsent, lost atomic.Uint64
	disconnects, reconnects              atomic.Uint64

	closeOnce sync.Once
	closed    chan struct{} // closed by nats.go's ClosedHandler
	closing   atomic.Bool   // the backplane closes the connection: not an outage

	mu           sync.Mutex // guards the outage's record
	down         time.Time  // when the connection was lost; zero while connected
	downUnsent   uint64     // messages not sent since then
	unsentLogged bool       // an unsent message has been logged since the last (re)connect

	// step only
	started bool
	stopMsg any
}

var boxes = []axon.Option{
	axon.StartInline(), // the first step starts the receiver, inside Activate
	axon.WithInboxes(
		axon.Box("inbox", "messages to publish here and, []byte or string, on NATS"),
		axon.Box("control", "shutdown requests: stop taking from NATS, send what is left, pass on out of signal, end"),
		axon.Box("_publish", "messages published in this process, to send to NATS"),
		axon.Box("_bridge", "the end of the subscriber that feeds _publish"),
	),
	axon.WithOutboxes(
		axon.Box("signal", "the shutdown request received; ProducerFinished with the error if the backplane could not start"),
		axon.Box("_deliver", "messages from other processes, to publish here"),
	),
}

// New connects to the NATS server at url and returns a backplane called
// name that shares its messages there. url is a NATS URL,
// nats://host:port (tls://host:port for TLS; ws:// and wss:// for
// WebSocket), or several separated by commas, as nats.go takes them.
//
// New returns an error, and no backplane, if url is not a NATS URL, a
// file named by an option cannot be read, the server cannot be reached
// or refuses the connection (TLS, credentials), or the subscription is
// not allowed; the error is one line, naming the URL (with any password
// hidden) and the cause. Once New returns, the backplane is subscribed.
// Activate it as the in-process one; a backplane that will not be
// activated must be closed with Close.
func New(name, url string, opts ...Option) (*Backplane, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	b := &Backplane{name: name, subject: cfg.subject, log: cfg.logger, closed: make(chan struct{})}
	if b.subject == "" {
		b.subject = DefaultSubject(name)
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if err := checkSubject(b.subject); err != nil {
		return nil, fmt.Errorf("backplane %q: %w", name, err)
	}
	var id [12]byte
	rand.Read(id[:])
	b.origin = hex.EncodeToString(id[:])
	b.header = natsgo.Header{OriginHeader: []string{b.origin}}
	if err := b.connect(url, &cfg); err != nil {
		return nil, fmt.Errorf("backplane %q: %w", name, err)
	}

	b.room = backplane.New(name)
	b.in = backplane.NewPublishTo(name)
	b.out = backplane.NewSubscribeTo(name, backplane.NotFrom(b.in),
		backplane.QueueLimit(bridgeLimit), backplane.OnFull(backplane.DropOldest))
	b.Core = axon.NewReactive("NATSBackplane:"+name, b.step, boxes...)
	b.SetStatsReporter((*report)(b))
	// The room first: it registers the name as it starts, and the
	// others look it up as they start.
	err := b.AddChildren(b.room, b.in, b.out)
	for _, l := range [][2]axon.BoxRef{
		{axon.In(b, "inbox"), axon.In(b.room, "inbox")},
		{axon.Out(b.out, "outbox"), axon.In(b, "_publish")},
		{axon.Out(b.out, "signal"), axon.In(b, "_bridge")},
		{axon.Out(b, "_deliver"), axon.In(b.in, "inbox")},
	} {
		if err == nil {
			_, err = b.Link(l[0], l[1])
		}
	}
	if err != nil { // cannot happen: the boxes are ours
		b.closeConn()
		return nil, fmt.Errorf("backplane %q: %w", name, err)
	}
	return b, nil
}

// Origin returns the backplane's origin ID: random, different for every
// backplane made, and sent with each message it publishes on NATS (in
// the header OriginHeader), so that it skips its own messages when NATS
// hands them back.
func (b *Backplane) Origin() string { return b.origin }

// Subject returns the NATS subject the backplane uses.
func (b *Backplane) Subject() string { return b.subject }

// Close closes the connection to NATS. It is for a backplane that will
// not be activated; an active one closes its connection when it ends,
// and one closed while active goes on delivering what is published in
// this process only. Close waits until nats.go has closed the
// connection. It is safe for concurrent use, and to call more than once.
func (b *Backplane) Close() error {
	b.closeConn()
	return nil
}

// closeConn closes the connection, once, and waits for nats.go to say it
// is closed.
func (b *Backplane) closeConn() {
	b.closeOnce.Do(func() {
		b.closing.Store(true)
		b.nc.Close()
	})
	<-b.closed
}

func (b *Backplane) step(ctx context.Context, c *axon.Core) error {
	if !b.started {
		b.started = true
		// First, so that the connection is closed however the
		// backplane ends.
		if err := c.Go(b.receive); err != nil {
			b.closeConn()
			return err
		}
		if b.room.Finished() { // it could not register the name
			return control.Finish(ctx, b, b.room.Err())
		}
	}
	if err := ctx.Err(); err != nil {
		return err // stopped: receive closes the connection
	}
	for {
		box, msg, ok := c.Next()
		if !ok {
			return nil
		}
		switch box {
		case "_publish":
			b.send(msg)
		case "_bridge":
			if axon.IsProducerFinished(msg) {
				return b.bridgeEnded(ctx, c, msg)
			}
		default: // control
			if axon.IsShutdownRequest(msg) {
				if b.stopMsg == nil {
					b.stopMsg = msg
					b.shutDown()
				}
				continue
			}
			if err := control.Pass(ctx, c, msg); err != nil {
				return err
			}
		}
	}
}

// shutDown begins a graceful end: nothing more is taken from NATS, and
// the room closes, so its subscribers (the bridge among them) end once
// they have sent what they hold.
func (b *Backplane) shutDown() {
	_ = b.sub.Unsubscribe()
	b.in.Stop()
	b.room.Stop()
}

// bridgeEnded ends the backplane once the subscriber that feeds
// "_publish" has ended: after a shutdown request, once what it sent has
// been flushed to NATS; else (its room was stopped from outside, or it
// failed) with an error, as nothing published here can reach NATS any
// more.
func (b *Backplane) bridgeEnded(ctx context.Context, c *axon.Core, msg any) error {
	if b.stopMsg == nil {
		b.shutDown()
		err := axon.Cause(msg)
		if err == nil {
			err = backplane.ErrClosed
		}
		return control.Finish(ctx, b, fmt.Errorf("backplane %q: the bridge to NATS ended: %w", b.name, err))
	}
	if b.nc.IsConnected() {
		if err := b.nc.FlushTimeout(confirmTimeout); err != nil {
			b.log.Warn("backplane: NATS did not confirm the last messages", "backplane", b.name, "nats", b.url, "err", err)
		}
	} else if n, _ := b.nc.Buffered(); n > 0 {
		b.log.Warn("backplane: ending while NATS is unreachable; messages kept for reconnecting are lost",
			"backplane", b.name, "nats", b.url, "bytes", n)
	}
	return control.Pass(ctx, c, b.stopMsg)
}

// send hands a message published here to NATS.
func (b *Backplane) send(msg any) {
	var data []byte
	switch m := msg.(type) {
	case []byte:
		data = m
	case string:
		data = []byte(m)
	default:
		b.refused(fmt.Errorf("a %T is not []byte or string", msg))
		return
	}
	if err := b.nc.PublishMsg(&natsgo.Msg{Subject: b.subject, Header: b.header, Data: data}); err != nil {
		b.refused(err)
		return
	}
	b.sent.Add(1)
}

// refused counts a message that was not sent, and logs the first since
// the connection was last made.
func (b *Backplane) refused(err error) {
	b.unsent.Add(1)
	b.mu.Lock()
	b.downUnsent++
	first := !b.unsentLogged
	b.unsentLogged = true
	b.mu.Unlock()
	if first {
		b.log.Warn("backplane: message not sent to NATS; counting those that follow",
			"backplane", b.name, "nats", b.url, "err", err)
	}
}

// receive is the backplane's helper: it hands what comes from NATS to
// the room until the backplane ends, then closes the connection.
func (b *Backplane) receive(ctx context.Context) {
	defer b.closeConn()
	for {
		msg, err := b.sub.NextMsgWithContext(ctx)
		switch {
		case err == nil:
			if msg.Header.Get(OriginHeader) == b.origin {
				b.echoes.Add(1)
				continue
			}
			// Counted before it is handed on, so that whoever sees it
			// delivered sees it counted too.
			b.received.Add(1)
			if b.Send(ctx, "_deliver", msg.Data) != nil {
				b.received.Add(^uint64(0)) // not delivered after all
				return                     // ending
			}
		case errors.Is(err, natsgo.ErrSlowConsumer):
			b.countLost()
			b.log.Warn("backplane: messages from NATS arrived faster than they were published here; some were dropped",
				"backplane", b.name, "nats", b.url, "dropped", b.lost.Load())
		case ctx.Err() != nil:
			return
		default:
			// The subscription or the connection has ended: at a
			// shutdown, or closed for good (see connClosed).
			<-ctx.Done()
			return
		}
	}
}

// countLost records what nats.go dropped from the subscription.
func (b *Backplane) countLost() {
	if n, err := b.sub.Dropped(); err == nil && n > 0 {
		for {
			old := b.lost.Load()
			if uint64(n) <= old || b.lost.CompareAndSwap(old, uint64(n)) {
				return
			}
		}
	}
}

// disconnected is nats.go's DisconnectErrHandler: the connection was
// lost, and nats.go reconnects.
func (b *Backplane) disconnected(_ *natsgo.Conn, err error) {
	if b.closing.Load() {
		return
	}
	b.mu.Lock()
	b.down, b.downUnsent, b.unsentLogged = time.Now(), 0, false
	b.mu.Unlock()
	b.log.Warn("backplane: lost NATS; delivering here only, reconnecting",
		"backplane", b.name, "nats", b.url, "err", err)
	b.disconnects.Add(1)
}

// reconnected is nats.go's ReconnectHandler. It waits until the server
// has the subscription again, so that once the reconnection is counted
// and logged, messages from the other processes arrive.
func (b *Backplane) reconnected(nc *natsgo.Conn) {
	err := nc.FlushTimeout(confirmTimeout)
	b.mu.Lock()
	down, unsent := b.down, b.downUnsent
	b.down, b.downUnsent, b.unsentLogged = time.Time{}, 0, false
	b.mu.Unlock()
	args := []any{"backplane", b.name, "nats", nc.ConnectedUrlRedacted(), "unsent", unsent}
	if !down.IsZero() {
		args = append(args, "outage", time.Since(down).Round(time.Millisecond))
	}
	if err != nil {
		args = append(args, "err", err)
	}
	b.log.Info("backplane: NATS is back", args...)
	b.reconnects.Add(1)
}

// connClosed is nats.go's ClosedHandler: the connection is closed for
// good.
func (b *Backplane) connClosed(nc *natsgo.Conn) {
	if !b.closing.Load() {
		b.log.Error("backplane: NATS connection closed for good; delivering here only",
			"backplane", b.name, "nats", b.url, "err", nc.LastError())
	}
	close(b.closed)
}

// asyncError is nats.go's ErrorHandler.
func (b *Backplane) asyncError(sub *natsgo.Subscription, err error) {
	if errors.Is(err, natsgo.ErrSlowConsumer) && sub != nil {
		b.countLost()
		return // logged by receive, which hears of it too
	}
	b.log.Warn("backplane: NATS reported an error", "backplane", b.name, "nats", b.url, "err", err)
}
