package backplane

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/control"
)

// DefaultQueueLimit is the queue of a SubscribeTo that sets none: 1024
// messages, and no byte limit (subscribers share the messages they are
// given, so bytes queued for one are mostly bytes queued for all).
var DefaultQueueLimit = axon.Limit{Messages: 1024}

// Policy says what a SubscribeTo does when a message arrives for its
// full queue.
type Policy uint8

const (
	// Disconnect cuts the subscriber off: it discards its queue and ends
	// with an error matching ErrSlowSubscriber. It is the default.
	Disconnect Policy = iota
	// DropOldest drops the oldest queued message to make room for the new
	// one; the subscriber carries on with a gap.
	DropOldest
)

func (p Policy) String() string {
	switch p {
	case Disconnect:
		return "Disconnect"
	case DropOldest:
		return "DropOldest"
	}
	return fmt.Sprintf("Policy(%d)", uint8(p))
}

// SubscribeOption configures a SubscribeTo.
type SubscribeOption func(*SubscribeTo)

// QueueLimit bounds the subscriber's queue: at most l.Messages messages
// and, if l.Bytes is positive, at most l.Bytes bytes of []byte and string
// messages. A Messages of zero or less means DefaultQueueLimit.Messages:
// the queue is always bounded.
func QueueLimit(l axon.Limit) SubscribeOption {
	return func(s *SubscribeTo) {
		if l.Messages <= 0 {
			l.Messages = DefaultQueueLimit.Messages
		}
		s.limit = l
	}
}

// OnFull sets what happens when a message arrives for the full queue:
// Disconnect (the default) or DropOldest.
func OnFull(p Policy) SubscribeOption { return func(s *SubscribeTo) { s.policy = p } }

// NotFrom makes the subscriber skip the messages published through pub:
// a connection that publishes what its client says and subscribes to
// what everyone says does not hear itself.
func NotFrom(pub *PublishTo) SubscribeOption { return func(s *SubscribeTo) { s.notFrom = pub } }

// Subscriber states, guarded by SubscribeTo.mu.
const (
	subNew          = iota // not attached yet
	subActive              // attached: takes messages
	subLeft                // detached at its own request (control, Stop)
	subDisconnected        // cut off for falling behind
	subClosed              // its backplane ended
)

// SubscribeTo receives what is published on the backplane of its name,
// Kamaelia's SubscribeTo.
//
//	inbox    in   not used: anything arriving is reported on signal
//	control  in   shutdown requests: the subscriber detaches and passes
//	              the request on out of signal, then ends. After a
//	              producerFinished it first sends what it has queued;
//	              after a shutdownMicroprocess it discards it. Other
//	              messages are passed on.
//	outbox   out  the published messages, in the backplane's order
//	signal   out  the shutdown request received; a ProducerFinished when
//	              its backplane has ended (after the last message), or
//	              carrying the error when it could not subscribe (no
//	              such backplane: axon.ErrNoService) or was disconnected
//	              for falling behind (ErrSlowSubscriber);
//	              axon.ErrorInformation for anything sent to inbox
//
// Messages wait in the subscriber's own bounded queue (QueueLimit) until
// its "outbox" can take them: a Send there waits for room, so the
// subscriber goes at the pace of what it feeds. What happens when the
// queue is full is its policy's business (OnFull; see the package
// documentation). Stopping it (Stop, or the end of its context) detaches
// it at once and discards its queue; nothing is sent.
//
// A SubscribeTo is reactive: it holds a goroutine only while it has
// messages to send. Its methods are safe for concurrent use.
type SubscribeTo struct {
	*axon.Core
	name    string
	limit   axon.Limit
	policy  Policy
	notFrom *PublishTo

	bp      *Backplane // set by the first step
	removed bool       // guarded by bp.mu: no longer in bp.subs

	mu        sync.Mutex
	q         queue
	held      int  // messages taken out of q in the batch being sent; they count as queued
	heldBytes int  // their bytes
	scheduled bool // a step will look at q: set when a message is queued, cleared when q is found empty
	state     int
	cause     error
	cancel    context.CancelFunc // ends a Send that waits, when the subscriber is cut off

	delivered atomic.Uint64
	dropped   atomic.Uint64

	// step only
	started  bool
	sendCtx  context.Context
	stopMsg  any
	batch    [maxBatch]any // taken from q under one lock, sent one by one
	batchMax int           // how many to take at once: a quarter of the limit, up to maxBatch
	bi, bn   int           // next to send and end of batch
}

// maxBatch is the most messages a subscriber takes out of its queue at
// once. Taking several per lock keeps the publisher and the subscriber
// off each other's lock; a quarter of the queue's limit at most, so what
// is taken out still counts toward the limit without filling it.
const maxBatch = 16

var subscribeOptions = []axon.Option{
	axon.StartInline(), // the first step only attaches
	axon.WithInboxes(
		axon.Box("inbox", "not used: anything arriving is reported on signal"),
		axon.Box("control", "shutdown requests: detach, pass on out of signal, end"),
	),
	axon.WithOutboxes(
		axon.Box("outbox", "the published messages, in order"),
		axon.Box("signal", "the shutdown request received; ProducerFinished when the backplane ended, or with the error (ErrSlowSubscriber, no backplane)"),
	),
}

// NewSubscribeTo returns a subscriber to the backplane called name. It
// looks the backplane up and attaches when activated.
func NewSubscribeTo(name string, opts ...SubscribeOption) *SubscribeTo {
	s := &SubscribeTo{name: name, limit: DefaultQueueLimit}
	for _, o := range opts {
		o(s)
	}
	s.batchMax = min(maxBatch, max(1, s.limit.Messages/4))
	s.Core = axon.NewReactive("SubscribeTo:"+name, s.step, subscribeOptions...)
	s.SetStatsReporter((*subscriberReport)(s))
	return s
}

// SubscriberStats are a subscriber's counters.
type SubscriberStats struct {
	Queued    int    // messages waiting to be sent out of "outbox" (and the batch being sent)
	Delivered uint64 // messages sent out of "outbox"
	// Dropped counts messages it was given and will never send: dropped
	// for a newer one (DropOldest), or discarded when it was disconnected
	// or shut down with them queued.
	Dropped      uint64
	Disconnected bool // cut off for falling behind
}

// Stats returns the subscriber's counters. Snapshots of the registry
// show them too, as its axon.Stats.Counters "delivered", "dropped" and
// "disconnected" (1 once it has been cut off). It is safe for concurrent
// use.
func (s *SubscribeTo) Stats() SubscriberStats {
	s.mu.Lock()
	st := SubscriberStats{Queued: s.q.n + s.held, Disconnected: s.state == subDisconnected}
	s.mu.Unlock()
	st.Delivered = s.delivered.Load()
	st.Dropped = s.dropped.Load()
	return st
}

// offer queues msg (of sz bytes) for sending. It runs in the publisher's
// goroutine with the backplane's mu held, and returns false if it cut the
// subscriber off.
func (s *SubscribeTo) offer(msg any, sz int) bool {
	s.mu.Lock()
	if s.state != subActive {
		s.mu.Unlock()
		return true
	}
	if !s.q.room(s.limit.Messages, s.limit.Bytes, sz, s.held, s.heldBytes) {
		if s.policy == Disconnect {
			queued := s.q.n + s.held
			n := s.q.clear()
			s.state = subDisconnected
			s.cause = fmt.Errorf("backplane %q: %s fell %d messages behind (its queue's limit): %w",
				s.name, s.Name(), queued, ErrSlowSubscriber)
			s.scheduled = true
			s.mu.Unlock()
			s.removed = true
			s.countDropped(n)
			s.bp.disconnected.Add(1)
			s.cancel()
			s.Wake()
			return false
		}
		var n uint64
		for !s.q.room(s.limit.Messages, s.limit.Bytes, sz, s.held, s.heldBytes) {
			s.q.pop()
			n++
		}
		s.countDropped(n)
	}
	s.q.push(msg, sz)
	wake := !s.scheduled
	s.scheduled = true
	s.mu.Unlock()
	if wake {
		s.Wake()
	}
	return true
}

func (s *SubscribeTo) countDropped(n uint64) {
	if n > 0 {
		s.dropped.Add(n)
		s.bp.dropped.Add(n)
	}
}

// backplaneClosed is called when the backplane ends: the subscriber
// sends what it holds and then ends.
func (s *SubscribeTo) backplaneClosed() {
	s.mu.Lock()
	if s.state == subActive {
		s.state = subClosed
	}
	s.scheduled = true
	s.mu.Unlock()
	s.Wake()
}

// leave detaches the subscriber at its own request; discard drops what
// it has queued.
func (s *SubscribeTo) leave(discard bool) {
	if s.bp == nil {
		return
	}
	s.bp.unsubscribe(s)
	s.mu.Lock()
	if s.state == subActive {
		s.state = subLeft
	}
	var n uint64
	if discard {
		n = s.q.clear() + s.dropBatch()
		s.held, s.heldBytes = 0, 0
	}
	s.mu.Unlock()
	s.countDropped(n)
}

// dropBatch forgets what is left of the batch being sent and returns how
// many messages that was.
func (s *SubscribeTo) dropBatch() uint64 {
	n := s.bn - s.bi
	clear(s.batch[s.bi:s.bn])
	s.bi, s.bn = 0, 0
	return uint64(n)
}

func (s *SubscribeTo) step(ctx context.Context, c *axon.Core) error {
	if !s.started {
		s.started = true
		if err := s.attach(ctx, c); err != nil {
			return control.Finish(ctx, s, err)
		}
	}
	if err := ctx.Err(); err != nil {
		s.leave(true)
		return err
	}
	for s.stopMsg == nil {
		box, msg, ok := c.Next()
		if !ok {
			break
		}
		switch {
		case box == "inbox":
			if err := c.Send(ctx, "signal", axon.ErrorInformation{Caller: s, Message: msg,
				Err: &axon.BoxError{Component: s.Name(), Box: box, Inbox: true,
					Err: fmt.Errorf("SubscribeTo takes nothing here, got %T", msg)}}); err != nil {
				return err
			}
		case axon.IsShutdownRequest(msg):
			s.stopMsg = msg
			s.leave(axon.IsShutdownMicroprocess(msg))
		default:
			if err := c.Send(ctx, "signal", msg); err != nil {
				return err
			}
		}
	}
	if err := s.deliver(c); err != nil && ctx.Err() != nil {
		s.leave(true)
		return err // stopped while sending
	}
	s.mu.Lock()
	state, cause, empty := s.state, s.cause, s.q.n == 0
	s.mu.Unlock()
	switch {
	case state == subDisconnected:
		return control.Finish(ctx, s, cause)
	case s.stopMsg != nil:
		return control.Pass(ctx, c, s.stopMsg)
	case state == subClosed && empty:
		return control.Finish(ctx, s, nil)
	}
	return nil
}

// attach finds the backplane and joins it.
func (s *SubscribeTo) attach(ctx context.Context, c *axon.Core) error {
	sendCtx, cancel := context.WithCancel(ctx)
	s.sendCtx = sendCtx
	s.mu.Lock()
	s.cancel = cancel
	s.mu.Unlock()
	bp, err := find(c.Registry(), s.name)
	if err == nil {
		s.bp = bp
		s.mu.Lock()
		s.state = subActive
		s.mu.Unlock()
		if err = bp.subscribe(s); err != nil {
			s.mu.Lock()
			s.state = subNew
			s.mu.Unlock()
		}
	}
	if err != nil {
		cancel()
	}
	return err
}

// deliver sends what is queued out of "outbox" until the queue is empty
// or a Send fails: the subscriber was cut off (its send context ended)
// or stopped. It takes the queue's messages a batch at a time.
func (s *SubscribeTo) deliver(c *axon.Core) error {
	for {
		if s.bi == s.bn {
			s.mu.Lock()
			s.bi = 0
			s.bn, s.heldBytes = s.q.popInto(s.batch[:s.batchMax])
			s.held = s.bn
			if s.bn == 0 {
				s.scheduled = false
			}
			s.mu.Unlock()
			if s.bn == 0 {
				return nil
			}
		}
		msg := s.batch[s.bi]
		s.batch[s.bi] = nil
		s.bi++
		if err := c.Send(s.sendCtx, "outbox", msg); err != nil {
			s.countDropped(1 + s.dropBatch())
			s.mu.Lock()
			s.held, s.heldBytes = 0, 0 // what was held is dropped: no longer queued
			s.mu.Unlock()
			return err
		}
		s.delivered.Add(1)
	}
}
