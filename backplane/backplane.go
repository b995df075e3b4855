package backplane

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/control"
)

// ServiceName returns the name under which the backplane called name is
// registered: "Backplane_I_" + name, as in Kamaelia.
func ServiceName(name string) string { return "Backplane_I_" + name }

// Backplane is a named publish/subscribe hub, Kamaelia's Backplane. It
// hands every message published to it to each subscriber's queue (see
// the package documentation for what happens when a queue is full).
//
//	inbox    in   messages to publish, of any type: what is linked or put
//	              here reaches every subscriber (as from no PublishTo, so
//	              NotFrom skips none of it)
//	control  in   shutdown requests: passed on out of signal; the
//	              backplane leaves the registry, its subscribers end once
//	              they have sent what they hold, and publishing fails
//	signal   out  the shutdown request received; or a ProducerFinished
//	              carrying the error if the name could not be registered
//	              (errors.Is(err, axon.ErrServiceExists))
//
// When it starts, it registers itself in its registry under
// ServiceName(name); the first step runs inside Activate, so the name is
// there when Activate returns. Stopping it (Stop, or the end of its
// context) has the same effect as a shutdown request, but nothing is
// sent on signal.
//
// A Backplane is reactive and holds no goroutine. Publishing runs in the
// publisher's goroutine and never waits for a subscriber. Its methods are
// safe for concurrent use.
type Backplane struct {
	*axon.Core
	name string

	// mu is the publish lock: a message is offered to every subscriber
	// under it, and subscribers join and leave under it, so they all see
	// one order and a joiner never gets half of a fan-out.
	mu        sync.Mutex
	subs      []*SubscribeTo
	closed    bool
	published uint64

	dropped      atomic.Uint64
	disconnected atomic.Uint64

	// step only
	started    bool
	registry   *axon.Registry
	registered bool
}

var backplaneOptions = []axon.Option{
	axon.StartInline(), // registers the name inside Activate
	axon.WithInboxes(
		axon.Box("inbox", "messages to publish to every subscriber"),
		axon.Box("control", "shutdown requests: passed on out of signal, then the backplane closes"),
	),
	axon.WithOutboxes(
		axon.Box("signal", "the shutdown request received; ProducerFinished with the error if the name could not be registered"),
	),
}

// New returns a backplane called name. It registers the name when
// activated.
func New(name string) *Backplane {
	b := &Backplane{name: name}
	b.Core = axon.NewReactive("Backplane:"+name, b.step, backplaneOptions...)
	b.SetStatsReporter((*backplaneReport)(b))
	return b
}

// Stats are a backplane's counters. Each is read on its own, so a
// picture of a busy backplane is not one instant.
type Stats struct {
	Subscribers int    // subscribers attached now
	Published   uint64 // messages published
	// Dropped counts messages that a subscriber was given and will never
	// send: dropped for a newer one (DropOldest), or discarded because
	// the subscriber was disconnected or shut down with them queued.
	Dropped uint64
	// Disconnected counts subscribers cut off for falling behind.
	Disconnected uint64
}

// Stats returns the backplane's counters. Snapshots of the registry
// show them too, as the backplane's axon.Stats.Counters "published",
// "dropped" and "disconnected". It is safe for concurrent use.
func (b *Backplane) Stats() Stats {
	b.mu.Lock()
	s := Stats{Subscribers: len(b.subs), Published: b.published}
	b.mu.Unlock()
	s.Dropped = b.dropped.Load()
	s.Disconnected = b.disconnected.Load()
	return s
}

func (b *Backplane) step(ctx context.Context, c *axon.Core) error {
	if !b.started {
		b.started = true
		b.registry = c.Registry()
		if err := b.registry.RegisterService(ServiceName(b.name), b, "inbox"); err != nil {
			b.close()
			return control.Finish(ctx, b, fmt.Errorf("backplane %q: %w", b.name, err))
		}
		b.registered = true
	}
	if err := ctx.Err(); err != nil {
		b.close()
		return err
	}
	for box, msg := range c.Messages(ctx) {
		if box == "inbox" {
			_ = b.publish(nil, msg) // cannot fail: only close closes, below
			continue
		}
		if axon.IsShutdownRequest(msg) {
			b.close()
		}
		if err := control.Pass(ctx, c, msg); err != nil {
			return err
		}
	}
	return nil
}

// publish offers msg, published by from (nil for the backplane's own
// inbox), to every subscriber that takes it.
func (b *Backplane) publish(from *PublishTo, msg any) error {
	sz := axon.MessageBytes(msg)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return fmt.Errorf("backplane %q: publish: %w", b.name, ErrClosed)
	}
	b.published++
	cut := false
	for _, s := range b.subs {
		if from != nil && s.notFrom == from {
			continue
		}
		if !s.offer(msg, sz) {
			cut = true
		}
	}
	if cut {
		b.subs = slices.DeleteFunc(b.subs, func(s *SubscribeTo) bool { return s.removed })
	}
	return nil
}

// subscribe attaches s. It fails if the backplane has closed.
func (b *Backplane) subscribe(s *SubscribeTo) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return fmt.Errorf("backplane %q: subscribe: %w", b.name, ErrClosed)
	}
	b.subs = append(b.subs, s)
	return nil
}

// unsubscribe detaches s, if it is still attached.
func (b *Backplane) unsubscribe(s *SubscribeTo) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !s.removed {
		s.removed = true
		if i := slices.Index(b.subs, s); i >= 0 {
			b.subs = slices.Delete(b.subs, i, i+1)
		}
	}
}

// close stops publishing, leaves the registry and tells every subscriber.
func (b *Backplane) close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	subs := b.subs
	b.subs = nil
	for _, s := range subs {
		s.removed = true
	}
	b.mu.Unlock()
	if b.registered {
		_ = b.registry.DeregisterService(ServiceName(b.name))
	}
	for _, s := range subs {
		s.backplaneClosed()
	}
}

// find returns the backplane registered as name in r.
func find(r *axon.Registry, name string) (*Backplane, error) {
	ref, err := r.Service(ServiceName(name))
	if err != nil {
		return nil, fmt.Errorf("backplane %q: %w", name, err)
	}
	b, ok := ref.Component().(*Backplane)
	if !ok {
		return nil, fmt.Errorf("backplane %q: service names %s, not a backplane: %w", name, ref, axon.ErrNoService)
	}
	return b, nil
}
