package components

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/kamaelia-go/kamaelia/axon"
)

// StreamForwarder joins two byte streams both ways: its own side (its
// boxes, wired to one connection) and a target component that it runs as
// its child (another connection, such as an internet.TCPClient). It is
// the heart of a TCP proxy: a ServerCore whose factory returns
//
//	components.NewStreamForwarder(internet.NewTCPClient(host, port, internet.AllowHalfClose()))
//
// forwards every client to host:port, bytes unchanged both ways.
//
//	inbox    in   bytes from this side ([]byte or string), passed to the
//	              target's inbox as they are
//	control  in   notices about this side: a producerFinished (such as a
//	              CSA's peerFinished SocketShutdown) says it has finished
//	              sending, and the target gets a producerFinished after
//	              the last bytes (a half-close); a second one, or a
//	              Notify such as internet.ShutdownCSA (its adapter has
//	              ended), says it is gone; one carrying an
//	              error says it failed. A shutdownMicroprocess closes both
//	              sides at once (bytes still on their way may be cut off).
//	outbox   out  bytes from the target
//	signal   out  producerFinished when the target has finished sending
//	              (half-close this side); shutdownMicroprocess when this
//	              side must close (the target failed, or is gone while
//	              this side still sends); error reports for messages that
//	              are not bytes
//
// The target must have the boxes "inbox" and "control" (bytes to send;
// producerFinished or shutdownMicroprocess) and "outbox" and "signal"
// (bytes received; a producerFinished when it has finished sending or
// has ended, carrying the cause if it failed). Its "peerFinished" outbox
// is used if it has one. A TCPClient and a CSA both fit. Give a TCPClient
// AllowHalfClose: then a half-close by its server is carried across and
// the client's side may go on sending, where otherwise the TCPClient
// closes when its server finishes (and this side is closed as soon as
// it sends more). The time a half-closed connection waits for its peer
// is bounded by the connection's Linger.
//
// Each direction is a child component of its own, run in the goroutine
// of the connection that delivers to it, so a full destination holds up
// only the source of that direction: that connection stops reading and
// TCP's flow control slows its peer, while the other direction goes on.
// What a StreamForwarder holds is bounded by its destinations' inbox
// limits. It ends when both sides have finished sending, and is Done
// once its target is.
//
// Failures: when the target fails (a refused connection, a reset), this
// side is closed (shutdownMicroprocess, after the bytes already
// forwarded) and the StreamForwarder ends with the target's error, which
// a ServerCore logs. When this side fails, the target is closed, and the
// StreamForwarder ends without an error of its own (the owner of this
// side knows the cause). With AbortWith, the side that did not fail is
// sent that message instead: a proxy resets it, so its peer can tell
// that the stream was cut short. Stopping the StreamForwarder stops the
// target.
//
// Kamaelia had no such component; its name here is not Forwarder because
// that is ConsoleEchoer's option. StreamForwarder is reactive, and so are
// its two relays. It is safe for concurrent use; its methods are those
// of axon.Core.
type StreamForwarder struct {
	*axon.Core
	target   *axon.Core
	toTarget *relay // this side to the target
	toSide   *relay // the target to this side

	abort func(cause error) any // what closes a side when the other fails (AbortWith)

	// step only
	done       [2]bool // the side has finished sending (or is gone)
	targetSeen bool    // the target's end has been put in line
}

// The two sides of a StreamForwarder.
const (
	sideSelf   = 0
	sideTarget = 1
)

// ForwarderOption configures NewStreamForwarder.
type ForwarderOption func(*StreamForwarder)

// AbortWith sets the message that closes a side when the other side
// fails: msg(cause) goes out of "signal" when the target fails, and to
// the target's "control" when this side fails. Without it, that message
// is a shutdownMicroprocess carrying the cause, which closes the side in
// order, after what was forwarded. A proxy gives an internet.Reset, so
// that a client whose target refused or reset it sees a reset too (and
// a target whose client reset, likewise):
//
//	components.AbortWith(func(cause error) any { return internet.Reset{Err: cause} })
//
// A nil msg means the default.
func AbortWith(msg func(cause error) any) ForwarderOption {
	return func(f *StreamForwarder) { f.abort = msg }
}

// NewStreamForwarder returns a StreamForwarder to target, which becomes
// its child: it starts when the StreamForwarder does. target must have
// the boxes "inbox", "control", "outbox" and "signal", and no parent.
func NewStreamForwarder(target axon.Component, opts ...ForwarderOption) (*StreamForwarder, error) {
	tc := axon.CoreOf(target)
	if tc == nil {
		return nil, fmt.Errorf("components: NewStreamForwarder: nil target")
	}
	f := &StreamForwarder{target: tc}
	for _, o := range opts {
		if o != nil {
			o(f)
		}
	}
	f.toTarget = newRelay(f, sideSelf)
	f.toSide = newRelay(f, sideTarget)
	f.Core = axon.NewReactive("StreamForwarder", f.step,
		axon.WithInboxes(
			axon.Box("inbox", "bytes from this side, passed to the target"),
			axon.Box("control", "this side finished (producerFinished), gone or failed; shutdownMicroprocess closes both"),
			axon.Box("_notices", "the relays' notices, in order with the bytes").WithLimit(axon.Unbounded),
		),
		axon.WithOutboxes(
			axon.Box("outbox", "bytes from the target"),
			axon.Box("signal", "producerFinished: the target finished sending; shutdownMicroprocess: close; error reports"),
			axon.Box("_targetControl", "producerFinished or shutdownMicroprocess for the target"),
		),
	)
	links := [][2]axon.BoxRef{
		{axon.In(f, "inbox"), axon.In(f.toTarget, "inbox")},
		{axon.In(f, "control"), axon.In(f.toTarget, "control")},
		{axon.Out(f.toTarget, "outbox"), axon.In(tc, "inbox")},
		{axon.Out(f, "_targetControl"), axon.In(tc, "control")},
		{axon.Out(tc, "outbox"), axon.In(f.toSide, "inbox")},
		{axon.Out(tc, "signal"), axon.In(f.toSide, "control")},
		{axon.Out(f.toSide, "outbox"), axon.Out(f, "outbox")},
		{axon.Out(f.toTarget, "notice"), axon.In(f, "_notices")},
		{axon.Out(f.toSide, "notice"), axon.In(f, "_notices")},
	}
	if tc.Outbox("peerFinished") != nil {
		links = append(links, [2]axon.BoxRef{axon.Out(tc, "peerFinished"), axon.In(f.toSide, "control")})
	}
	for _, l := range links {
		if _, err := f.Link(l[0], l[1]); err != nil {
			return nil, fmt.Errorf("components: NewStreamForwarder: %w", err)
		}
	}
	if err := f.AddChildren(f.toTarget, f.toSide, target); err != nil {
		return nil, fmt.Errorf("components: NewStreamForwarder: %w", err)
	}
	return f, nil
}

// ForwardStats are a StreamForwarder's byte counters.
type ForwardStats struct {
	ToTarget   int64 // bytes passed from this side to the target
	FromTarget int64 // bytes passed from the target to this side
}

// Stats returns the StreamForwarder's byte counters. It is safe for concurrent
// use.
func (f *StreamForwarder) Stats() ForwardStats {
	return ForwardStats{ToTarget: f.toTarget.bytes.Load(), FromTarget: f.toSide.bytes.Load()}
}

// Target returns the target component.
func (f *StreamForwarder) Target() *axon.Core { return f.target }

// notice is what a relay tells its StreamForwarder: a message that arrived on
// its control box, or data it could not pass on, in order with the
// bytes it passed on.
type notice struct {
	side int
	msg  any
	bad  bool // msg arrived on inbox and is not bytes
}

// targetEnded is put in line behind the target's last notices when the
// target component has ended.
type targetEnded struct{ err error }

func (f *StreamForwarder) step(ctx context.Context, c *axon.Core) error {
	if err := ctx.Err(); err != nil {
		return err // the relays and the target are stopped with us
	}
	for m := range c.Drain("_notices") {
		n := m.(notice)
		if end, err := f.handle(ctx, n); end {
			return f.end(err)
		}
	}
	for _, r := range []*relay{f.toTarget, f.toSide} {
		if r.Finished() { // only if it failed: a relay ends when stopped
			return f.end(fmt.Errorf("%s: relay %s: %w", f.Name(), r.Name(), r.Err()))
		}
	}
	if !f.targetSeen && f.target.Finished() {
		// Behind whatever the target said last, so that its bytes and
		// notices are dealt with first.
		f.targetSeen = true
		if err := f.toSide.Inbox("control").Put(ctx, targetEnded{err: f.target.Err()}); err != nil {
			return err
		}
	}
	return nil
}

// handle acts on one notice and reports whether the StreamForwarder should end,
// and with what error.
func (f *StreamForwarder) handle(ctx context.Context, n notice) (end bool, err error) {
	if n.bad {
		box := "inbox"
		if n.side == sideTarget {
			box = "target's outbox"
		}
		return false, unexpected(ctx, f, box, n.msg, "[]byte or string")
	}
	other := 1 - n.side
	var cause error
	gone := false
	switch m := n.msg.(type) {
	case targetEnded:
		gone, cause = true, m.err
	default:
		switch {
		case axon.IsNotify(m): // an adapter's end, such as internet.ShutdownCSA
			gone, cause = true, axon.Cause(m)
		case axon.IsShutdownMicroprocess(m):
			f.tell(ctx, sideSelf, axon.ShutdownMicroprocess{Caller: f})
			f.tell(ctx, sideTarget, axon.ShutdownMicroprocess{Caller: f})
			return true, nil
		case !axon.IsProducerFinished(m):
			return false, nil // a report that ends nothing
		default:
			cause, gone = axon.Cause(m), f.done[n.side]
		}
	}
	if cause != nil {
		// The side failed: close the other at once.
		var stop any = axon.ShutdownMicroprocess{Caller: f, Message: cause}
		if f.abort != nil {
			stop = f.abort(cause)
		}
		f.tell(ctx, other, stop)
		if n.side == sideTarget {
			return true, fmt.Errorf("%s: target %s: %w", f.Name(), f.target.Name(), cause)
		}
		return true, nil
	}
	if !f.done[n.side] {
		f.done[n.side] = true
		f.tell(ctx, other, axon.ProducerFinished{Caller: f}) // half-close
	} else if gone && !f.done[other] {
		// Gone while the other side still sends: nowhere for it to go.
		f.tell(ctx, other, axon.ShutdownMicroprocess{Caller: f})
		return true, nil
	}
	return f.done[sideSelf] && f.done[sideTarget], nil
}

// tell sends msg toward a side: out of signal for this side, to the
// target's control for the target.
func (f *StreamForwarder) tell(ctx context.Context, side int, msg any) {
	box := "signal"
	if side == sideTarget {
		box = "_targetControl"
	}
	_ = f.Send(ctx, box, msg)
}

// end stops the relays and ends the StreamForwarder's step; it is Done once
// its target is.
func (f *StreamForwarder) end(err error) error {
	f.toTarget.Stop()
	f.toSide.Stop()
	if err != nil {
		return err
	}
	return axon.ErrStop
}

// relay passes one direction's bytes on, and its notices to the
// StreamForwarder in order with them.
type relay struct {
	*axon.Core
	side  int
	bytes atomic.Int64
}

func newRelay(f *StreamForwarder, side int) *relay {
	r := &relay{side: side}
	name := "StreamForwarder.toTarget"
	if side == sideTarget {
		name = "StreamForwarder.fromTarget"
	}
	r.Core = axon.NewReactive(name, r.step,
		axon.WithInboxes(
			axon.Box("inbox", "bytes to pass on"),
			axon.Box("control", "notices about the source, passed to the StreamForwarder").WithLimit(axon.Unbounded),
		),
		axon.WithOutboxes(
			axon.Box("outbox", "the bytes, to the other side"),
			axon.Box("notice", "notices, to the StreamForwarder"),
		),
	)
	return r
}

func (r *relay) step(ctx context.Context, c *axon.Core) error {
	return dispatch(ctx, c, func(box string, msg any) error {
		if box == "control" {
			return c.Send(ctx, "notice", notice{side: r.side, msg: msg})
		}
		switch m := msg.(type) {
		case []byte:
			r.bytes.Add(int64(len(m)))
		case string:
			r.bytes.Add(int64(len(m)))
		default:
			return c.Send(ctx, "notice", notice{side: r.side, msg: msg, bad: true})
		}
		return c.Send(ctx, "outbox", msg)
	})
}
