package axon

import (
	"context"
	"fmt"
	"sync"
)

// Handle lets plain Go code (tests, main, libraries that are not
// components) drive a component: put messages into its inboxes, get
// messages from its outboxes, and wait for it to end. It is the Go form
// of Kamaelia's Handle and likefile.
//
// NewHandle links each of the component's outboxes that is not already
// linked to a private inbox of the handle, so what the component sends
// there queues in the handle (bounded like any inbox: a component whose
// output is never collected waits, it does not grow).
//
// A Handle is safe for concurrent use.
type Handle struct {
	c      *Core
	sink   *Core
	linked map[string]bool // outboxes the handle collects from; read-only once made

	mu    sync.Mutex
	bell  chan struct{} // closed and replaced on every delivery
	links []*Linkage    // until Close
}

// NewHandle returns a handle on c. It does not activate c.
func NewHandle(c Component) (*Handle, error) {
	cc := c.core()
	h := &Handle{c: cc, bell: make(chan struct{}), linked: map[string]bool{}}
	specs := make([]BoxSpec, 0, len(cc.outboxes))
	for i := range cc.outboxes {
		specs = append(specs, Box(cc.outboxes[i].spec.Name, cc.outboxes[i].spec.Doc))
	}
	h.sink = newCore("handle:"+cc.name, kindBody, []Option{WithInboxes(specs...), WithOutboxes()})
	h.sink.onDelivery = h.ring
	for i := range cc.outboxes {
		b := &cc.outboxes[i]
		linkMu.Lock()
		busy := b.link != nil
		linkMu.Unlock()
		if busy {
			continue
		}
		l, err := Link(Out(cc, b.name()), In(h.sink, b.name()))
		if err != nil {
			h.Close()
			return nil, err
		}
		h.links = append(h.links, l)
		h.linked[b.name()] = true
	}
	return h, nil
}

func (h *Handle) ring() {
	h.mu.Lock()
	close(h.bell)
	h.bell = make(chan struct{})
	h.mu.Unlock()
}

// Component returns the component the handle drives.
func (h *Handle) Component() *Core { return h.c }

// Put delivers msg into the component's named inbox, waiting for room
// or for ctx to end.
func (h *Handle) Put(ctx context.Context, inbox string, msg any) error {
	b := h.c.inbox(inbox)
	if b == nil {
		return &BoxError{Component: h.c.name, Box: inbox, Inbox: true, Err: ErrNoBox}
	}
	return b.deliver(ctx, msg, true)
}

// Get returns the next message the component sent out of the named
// outbox. It waits for one until ctx ends (returning ctx's error), or
// until the component has ended with nothing more queued (returning an
// error matching ErrFinished).
func (h *Handle) Get(ctx context.Context, outbox string) (any, error) {
	q := h.sink.inbox(outbox)
	if q == nil {
		return nil, &BoxError{Component: h.c.name, Box: outbox, Err: ErrNoBox}
	}
	if !h.linked[outbox] {
		// Linked elsewhere before the handle was made.
		return nil, &BoxError{Component: h.c.name, Box: outbox, Err: ErrAlreadyLinked}
	}
	for {
		h.mu.Lock()
		bell := h.bell
		h.mu.Unlock()
		if m, ok := q.q.pop(); ok {
			return m, nil
		}
		select {
		case <-bell:
		case <-h.c.Done():
			if m, ok := q.q.pop(); ok {
				return m, nil
			}
			return nil, fmt.Errorf("get from %s: %w", q.label(), ErrFinished)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// TryGet returns the next message from the named outbox, if one is
// queued.
func (h *Handle) TryGet(outbox string) (any, bool) {
	return h.sink.Recv(outbox)
}

// Done returns a channel closed when the component has ended.
func (h *Handle) Done() <-chan struct{} { return h.c.Done() }

// Wait waits for the component to end or ctx to be done, and returns the
// component's error (or ctx's).
func (h *Handle) Wait(ctx context.Context) error {
	select {
	case <-h.c.Done():
		return h.c.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close removes the handle's links. Messages sent afterwards to those
// outboxes are dropped (and counted).
func (h *Handle) Close() {
	h.mu.Lock()
	links := h.links
	h.links = nil
	h.mu.Unlock()
	for _, l := range links {
		_ = Unlink(l)
	}
}
