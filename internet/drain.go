package internet

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
)

// A graceful shutdown (a drain), the same for ServerCore, SingleServer
// and a bare TCPServer:
//
//   - The listener closes first, so a new process can bind the port at
//     once.
//   - Every connection goes on being served, both ways, until its peer
//     finishes; the handlers (or whoever wires the adapters) hear that
//     shutdown has begun (ShutdownBegun).
//   - A connection with nothing queued to send, nothing of its peer's
//     waiting to be read (where the system says: Linux), and no progress
//     for drainQuiet is closed cleanly, as http.Server.Shutdown closes
//     idle ones: at once if it was already quiet, else when it becomes
//     so.
//   - When the grace runs out, every connection still open is reset, so
//     its peer can tell it was cut short, and counted.

// drainQuiet is how long a connection with nothing queued must have
// made no progress for a drain to close it.
const drainQuiet = time.Second

// drainTick is how often a draining server looks for quiet connections.
const drainTick = drainQuiet / 4

// drain is a server's graceful shutdown. Its plain fields belong to the
// server's step; the atomics are set by the timers and by Shutdown.
type drain struct {
	active   bool
	deadline time.Time // when the grace runs out; zero: no limit
	timer    *time.Timer

	cutReq atomic.Bool  // the grace has run out: cut what is left
	tick   atomic.Bool  // time to look for quiet connections again
	cut    atomic.Int64 // connections cut off
}

// shutdownCall is what Shutdown(ctx) puts on a server's "control": a
// drain whose grace ends with ctx (Shutdown sets cutReq then), not
// after ShutdownTimeout. Deadline is ctx's, for ShutdownBegun.
type shutdownCall struct {
	axon.ShutdownMicroprocess
	deadline time.Time
}

// graceFor returns the grace a shutdown request on "control" gives and
// the deadline to announce: ShutdownTimeout's for a message, none of its
// own (the caller's context decides) for a shutdownCall.
func graceFor(cfg *config, msg any) (timeout time.Duration, deadline time.Time) {
	if call, ok := msg.(shutdownCall); ok {
		return -1, call.deadline
	}
	timeout = cfg.shutdownTimeout
	if timeout == 0 {
		timeout = DefaultShutdownTimeout
	}
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	return timeout, deadline
}

// graceText describes the grace a drain has until deadline, for logs.
func graceText(deadline time.Time) string {
	if deadline.IsZero() {
		return "no limit"
	}
	return time.Until(deadline).Round(time.Millisecond).String()
}

// begin starts the drain of the server whose core is c: the grace timer
// (none for a negative timeout) and the clock that looks for quiet
// connections. It returns false if the drain had begun already.
func (d *drain) begin(c *axon.Core, timeout time.Duration, deadline time.Time) bool {
	if d.active {
		return false
	}
	d.active, d.deadline = true, deadline
	if timeout >= 0 {
		d.timer = time.AfterFunc(timeout, func() {
			d.cutReq.Store(true)
			c.Wake()
		})
	}
	_ = c.Go(func(ctx context.Context) {
		t := time.NewTicker(drainTick)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				d.tick.Store(true)
				c.Wake()
			case <-ctx.Done():
				return
			}
		}
	})
	return true
}

// end stops the drain's timer.
func (d *drain) end() {
	if d.timer != nil {
		d.timer.Stop()
	}
}

// shouldClose reports whether a draining server should close csa now:
// nothing is queued for it to send, nothing it read waits elsewhere
// (othersEmpty), it has made no progress for drainQuiet, and its peer's
// bytes do not wait unread in the socket. (An adapter held up by a slow
// consumer, or a server too busy to read for a second, makes no progress
// while its peer is still sending: that connection is not quiet.)
func shouldClose(csa *CSA, now int64, othersEmpty bool) bool {
	quiet, empty := csa.quietFor(now)
	return empty && othersEmpty && quiet >= drainQuiet && csa.unread() <= 0
}

// closeQuietly asks csa to close as shutdownMicroprocess does (there is
// nothing to flush), without waiting for room in its "control".
func closeQuietly(csa *CSA, caller axon.Component) bool {
	return offer(csa.Inbox(boxControl), axon.ShutdownMicroprocess{Caller: caller, Message: "shutdown: connection quiet"})
}

// cutOff resets a connection still open when the grace has run out,
// or at a stop, counting it for the drain's error and for the server's
// counters.
func (d *drain) cutOff(csa *CSA) {
	d.cut.Add(1)
	csa.cfg.stats.countCut()
	csa.Reset(errCutOff)
}

// errCutOff is the cause a connection cut off at shutdown ends with.
var errCutOff = fmt.Errorf("%w: reset at the end of the grace", ErrConnectionsCut)

// cancelled is a context that has ended, for offer.
var cancelled = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// offer puts msg into in if there is room, without waiting, and reports
// whether it did.
func offer(in *axon.Inbox, msg any) bool { return in.Put(cancelled, msg) == nil }

// shutdown is Shutdown(ctx) for a server whose core is c and whose
// drain is d: it asks for a drain whose grace ends with ctx, waits for
// the server to end, and cuts off what is left when ctx ends first. It
// returns an error naming how many connections were cut off, if any,
// which matches ErrConnectionsCut (and ctx's error if ctx ended it). A
// server never activated only has its listener closed (closeListener).
func shutdown(ctx context.Context, c *axon.Core, d *drain, what string, closeListener func() error) error {
	select {
	case <-c.Done():
		return d.err(what, nil)
	default:
	}
	if !c.Activated() {
		return closeListener()
	}
	deadline, _ := ctx.Deadline()
	call := shutdownCall{ShutdownMicroprocess: axon.ShutdownMicroprocess{Message: "Shutdown"}, deadline: deadline}
	if err := c.Inbox(boxControl).Put(ctx, call); err == nil {
		select {
		case <-c.Done():
			return d.err(what, nil)
		case <-ctx.Done():
		}
	}
	d.cutReq.Store(true)
	c.Wake()
	<-c.Done()
	return d.err(what, context.Cause(ctx))
}

// err is the error of a drain that cut connections off, if it did.
func (d *drain) err(what string, ctxErr error) error {
	if n := d.cut.Load(); n > 0 {
		return &cutError{what: what, n: n, ctxErr: ctxErr}
	}
	return nil
}

// errOr is err, or ctxErr itself if no connection was cut off.
func (d *drain) errOr(what string, ctxErr error) error {
	if err := d.err(what, ctxErr); err != nil {
		return err
	}
	return ctxErr
}

// cutError says how many connections a shutdown cut off. It matches
// ErrConnectionsCut, and the context's error if that ended the grace.
type cutError struct {
	what   string // "ServerCore name"
	n      int64
	ctxErr error
}

func (e *cutError) Error() string {
	msg := fmt.Sprintf("internet: %s shutdown: %d connection(s) cut off with a reset", e.what, e.n)
	if e.ctxErr != nil {
		msg += ": " + e.ctxErr.Error()
	}
	return msg
}

func (e *cutError) Unwrap() []error {
	if e.ctxErr == nil {
		return []error{ErrConnectionsCut}
	}
	return []error{ErrConnectionsCut, e.ctxErr}
}
