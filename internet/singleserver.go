package internet

import (
	"context"
	"fmt"
	"net"

	"github.com/kamaelia-go/kamaelia/axon"
)

const boxPeerDone = "_peerFinished"

// SingleServer serves one connection at a time as its own boxes,
// Kamaelia's SingleServer: what the client sends comes out of "outbox",
// and what arrives on "inbox" is sent to the client.
//
// While a client is connected, any other that connects is closed at
// once, before anything is read: it sees its connection closed, a clean
// refusal (Kamaelia accepted it first and then hung up). When the client
// leaves, a SocketShutdown goes out of "signal" and the next client may
// connect. Data arriving on "inbox" while no client is connected waits
// there, in order, and is sent to the next client; the box is bounded by
// SendLimit (DefaultSendLimit), so a producer that runs ahead waits for
// room rather than grow the process. Data already handed to a client's
// connection when that client leaves is lost with it, as a write to a
// closed socket is; what the server still holds when it ends is
// dropped.
//
// When the client finishes sending (half-closes), the server writes what
// is queued for it and closes the connection.
//
// A shutdown is graceful, as ServerCore's is (see Shutdown): the server
// stops listening, says so with a ShutdownBegun out of "signal", and
// serves the client, both ways, until it finishes, or until the
// connection is quiet (nothing queued either way, no progress for a
// second), or until the grace runs out, when the connection is reset.
//
// Inboxes:
//
//	inbox           data ([]byte or string) to send to the client; while
//	                none is connected it waits here for the next one
//	control         shutdown requests: shut down gracefully, as
//	                Shutdown does, bounded by ShutdownTimeout
//	_socketactivity NewCSANotice and ShutdownCSA from the TCPServer (internal)
//	_peerFinished   the client's half-close (internal)
//
// Outboxes:
//
//	outbox          data from the client, as []byte chunks it owns
//	signal          a SocketShutdown (a producerFinished) each time a
//	                client leaves, with the cause; ShutdownBegun when a
//	                graceful shutdown begins; ProducerFinished when the
//	                server ends (its Err, also the server's own, matches
//	                ErrConnectionsCut if the client was cut off, and the
//	                context's cause if the server was stopped)
//
// A SingleServer is safe for concurrent use.
type SingleServer struct {
	*axon.Core
	tcp *TCPServer

	// step only, but for drain's atomics
	active    *CSA
	activeCut bool // active has been cut off
	links     []*axon.Linkage
	drain     drain
}

// NewSingleServer opens a listening socket on port (0: a free port
// chosen by the kernel), or takes the listener given with ServeOn, and
// returns the server; it accepts once
// activated. The options are TCPServer's but MaxConnections, since a
// SingleServer serves one client at a time.
func NewSingleServer(port int, opts ...SingleServerOption) (*SingleServer, error) {
	cfg := configOf(opts, SingleServerOption.applySingleServer)
	cfg.maxConns = 1
	tcp, err := newTCPServer(port, cfg)
	if err != nil {
		return nil, err
	}
	s := &SingleServer{tcp: tcp}
	s.Core = axon.NewReactive("SingleServer", s.step,
		axon.WithInboxes(
			axon.Box(boxInbox, "data to send to the client; waits for the next one while none is connected").WithLimit(cfg.sendLimitFor()),
			axon.Box(boxControl, "shutdown requests: shut down gracefully, as Shutdown does"),
			axon.Box(boxSocketActivity, "NewCSANotice and ShutdownCSA from the TCPServer").WithLimit(axon.Unbounded),
			axon.Box(boxPeerDone, "the client has finished sending"),
		),
		axon.WithOutboxes(
			axon.Box(boxOutbox, "data from the client"),
			axon.Box(boxSignal, "SocketShutdown each time a client leaves; ShutdownBegun; ProducerFinished when the server ends"),
		),
	)
	if err := adoptTCPServer(s.Core, tcp); err != nil {
		return nil, fmt.Errorf("internet: NewSingleServer: %w", err)
	}
	return s, nil
}

// Addr returns the address the server listens on.
func (s *SingleServer) Addr() *net.TCPAddr { return s.tcp.Addr() }

// Port returns the port the server listens on.
func (s *SingleServer) Port() int { return s.tcp.Port() }

// Shutdown shuts the server down gracefully and returns once it has
// ended (at once for a server never activated, after closing its
// listener): it stops listening, says so with a ShutdownBegun out of
// "signal", and serves the connected client until it finishes or its
// connection is quiet (nothing queued either way, no progress for a
// second). If ctx ends first, the connection is reset, and the error
// matches ErrConnectionsCut and ctx's error. It is safe for concurrent
// use.
func (s *SingleServer) Shutdown(ctx context.Context) error {
	return shutdown(ctx, s.Core, &s.drain, "SingleServer "+s.Name(), s.tcp.Close)
}

func (s *SingleServer) step(ctx context.Context, c *axon.Core) error {
	if ctx.Err() != nil { // stopped: the connection is stopped with us
		s.cut()
		return s.end(context.Cause(ctx))
	}
	// Box by box, never with Next: "inbox" is not ours to take. While
	// a client is connected it leads straight to the client's adapter;
	// while none is, what arrives there waits in it for the next one.
	for msg := range c.Drain(boxSocketActivity) {
		switch m := msg.(type) {
		case NewCSANotice:
			s.connect(ctx, m)
		case ShutdownCSA:
			s.disconnect(ctx, m)
		}
	}
	for msg := range c.Drain(boxPeerDone) {
		// The client has finished sending: its adapter writes what is
		// queued for it and closes. The notice names its adapter, which
		// may have ended (and another connected) in the meantime.
		if ss, ok := msg.(SocketShutdown); ok {
			if csa, ok := ss.Caller.(*CSA); ok {
				_ = csa.Inbox(boxControl).Put(ctx, axon.ProducerFinished{Caller: s})
			}
		}
	}
	for msg := range c.Drain(boxControl) {
		if axon.IsShutdownRequest(msg) {
			s.beginShutdown(msg)
		}
	}
	if s.drain.tick.Swap(false) {
		s.closeQuiet()
	}
	if s.drain.cutReq.Load() {
		s.drain.active = true
		s.cut()
	}
	if s.drain.active && c.NumChildren() == 0 {
		return s.end(nil)
	}
	return nil
}

// beginShutdown starts a graceful shutdown asked for by msg on
// "control".
func (s *SingleServer) beginShutdown(msg any) {
	timeout, deadline := graceFor(&s.tcp.cfg, msg)
	if !s.drain.begin(s.Core, timeout, deadline) {
		return
	}
	_ = s.tcp.Close()
	_ = s.TrySend(boxSignal, ShutdownBegun{Deadline: deadline})
	s.closeQuiet()
}

// closeQuiet closes the connection cleanly if a drain need not wait for
// it (see drain).
func (s *SingleServer) closeQuiet() {
	if a := s.active; a != nil && !a.lingerArmed.Load() && shouldClose(a, monoNow(), true) {
		closeQuietly(a, s)
	}
}

// cut resets the connection if it is still open (the server has not
// seen it end), and stops listening.
func (s *SingleServer) cut() {
	_ = s.tcp.Close()
	if a := s.active; a != nil && !s.activeCut {
		s.activeCut = true
		s.drain.cutOff(a)
		s.tcp.cfg.logger.Warn("singleserver: connection cut off with a reset", "server", s.Name(), "peer", a.RemoteAddr())
	}
	s.tcp.Stop()
}

// end sends the final ProducerFinished and ends the server, with the
// stop's cause if it was stopped (stopped, nil otherwise), joined with
// ErrConnectionsCut if the connection was cut off.
func (s *SingleServer) end(stopped error) error {
	s.drain.end()
	err := s.drain.errOr("SingleServer "+s.Name(), stopped)
	ctx, cancel := lastSends()
	defer cancel()
	_ = s.Send(ctx, boxSignal, axon.ProducerFinished{Caller: s, Err: err})
	return endWith(err)
}

// connect makes a new connection the server's, or refuses it if one is
// active (which the TCPServer's limit of one makes rare: it can happen
// only while the last client's end is on its way).
func (s *SingleServer) connect(ctx context.Context, m NewCSANotice) {
	csa := m.CSA
	if csa == nil {
		return
	}
	if s.active != nil || s.drain.active {
		s.tcp.refuse(csa.Conn())
		_ = s.AddChildren(csa)
		return
	}
	for _, l := range [][2]axon.BoxRef{
		{axon.In(s, boxInbox), axon.In(csa, boxInbox)},
		{axon.Out(csa, boxOutbox), axon.Out(s, boxOutbox)},
		{axon.Out(csa, boxPeerFinished), axon.In(s, boxPeerDone)},
	} {
		lk, err := s.Link(l[0], l[1])
		if err != nil {
			s.unlinkActive()
			s.tcp.refuse(csa.Conn())
			_ = s.AddChildren(csa)
			return
		}
		s.links = append(s.links, lk)
	}
	s.active, s.activeCut = csa, false
	if err := s.AddChildren(csa); err != nil {
		s.unlinkActive()
		s.tcp.refuse(csa.Conn())
		s.active = nil
	}
}

// disconnect forgets the connection that ended and says so.
func (s *SingleServer) disconnect(ctx context.Context, m ShutdownCSA) {
	if m.CSA == nil || m.CSA != s.active {
		return
	}
	s.unlinkActive()
	s.active = nil
	_ = s.Send(ctx, boxSignal, SocketShutdown{
		ProducerFinished: axon.ProducerFinished{Caller: s, Err: m.Err},
		Conn:             m.Conn,
	})
}

func (s *SingleServer) unlinkActive() {
	for _, l := range s.links {
		_ = s.Unlink(l)
	}
	s.links = nil
}
