package axon

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// linkMu serialises every change to the link graph. Links change when
// components are wired (at start-up and per connection), never per
// message: a send only reads its box's resolved target.
var linkMu sync.Mutex

// Passthrough is the kind of a linkage, named after Kamaelia's
// passthrough argument.
type Passthrough int

const (
	// Normal links an outbox to an inbox (passthrough=0).
	Normal Passthrough = 0
	// Inward links a parent's inbox to a child's inbox (passthrough=1).
	Inward Passthrough = 1
	// Outward links a child's outbox to a parent's outbox (passthrough=2).
	Outward Passthrough = 2
)

func (p Passthrough) String() string {
	switch p {
	case Normal:
		return "outbox→inbox"
	case Inward:
		return "inbox→inbox"
	case Outward:
		return "outbox→outbox"
	}
	return fmt.Sprintf("Passthrough(%d)", int(p))
}

// Linkage is one link from a source box to a destination box. It
// belongs to the component that made it (or to nobody, for links made
// with the package-level Link) and is removed when that component ends.
type Linkage struct {
	src, dst *box
	owner    *Core
	kind     Passthrough
	at       int // index in owner.links, guarded by owner.mu
}

// Source returns the source box of the link.
func (l *Linkage) Source() BoxRef { return BoxRef{c: l.src.owner, name: l.src.name(), in: l.src.in()} }

// Destination returns the destination box of the link.
func (l *Linkage) Destination() BoxRef {
	return BoxRef{c: l.dst.owner, name: l.dst.name(), in: l.dst.in()}
}

// Kind returns the passthrough kind of the link.
func (l *Linkage) Kind() Passthrough { return l.kind }

// Owner returns the component that made the link, or nil.
func (l *Linkage) Owner() *Core { return l.owner }

func (l *Linkage) String() string {
	return l.src.label() + " → " + l.dst.label()
}

// LinkOption configures a link.
type LinkOption func(*linkConfig)

type linkConfig struct {
	limit    Limit
	setLimit bool
}

// Width sets the limit of the link's destination box, as Kamaelia's
// pipewidth does. Only the limit of the final inbox of a chain counts.
func Width(l Limit) LinkOption {
	return func(c *linkConfig) { c.limit, c.setLimit = l, true }
}

// Link joins src to dst and records the link as c's: it is removed when
// c ends, or by c.Unlink. The kind follows from the boxes: outbox to
// inbox, inbox to inbox (a parent passing its inbox through to a child)
// or outbox to outbox (a child's outbox surfacing as the parent's).
//
// A message sent into src (or anything linked into src) then goes
// straight to the final inbox of the chain in one step. Messages already
// queued in src (an inbox) move to that inbox, in order. Fan-in is
// allowed; a src that is already linked gives an error matching
// ErrAlreadyLinked, and a box that does not exist one matching ErrNoBox,
// each naming the box.
func (c *Core) Link(src, dst BoxRef, opts ...LinkOption) (*Linkage, error) {
	return link(c, src, dst, opts)
}

// Link joins src to dst like Core.Link, but the link belongs to no
// component: it stays until Unlink removes it. It is for wiring done by
// plain Go code, such as tests and main.
func Link(src, dst BoxRef, opts ...LinkOption) (*Linkage, error) {
	return link(nil, src, dst, opts)
}

func linkConfigOf(opts []LinkOption) linkConfig {
	var cfg linkConfig
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

func link(owner *Core, src, dst BoxRef, opts []LinkOption) (*Linkage, error) {
	var cfg linkConfig
	if len(opts) > 0 {
		cfg = linkConfigOf(opts) // kept apart: the options make it escape
	}
	s, err := src.resolve()
	if err != nil {
		return nil, err
	}
	d, err := dst.resolve()
	if err != nil {
		return nil, err
	}
	var kind Passthrough
	switch {
	case !s.in() && d.in():
		kind = Normal
	case s.in() && d.in():
		kind = Inward
	case !s.in() && !d.in():
		kind = Outward
	default:
		return nil, fmt.Errorf("link %s → %s: %w: an inbox cannot feed an outbox", s.label(), d.label(), ErrBadLink)
	}

	linkMu.Lock()
	defer linkMu.Unlock()
	if n := s.next(); n != nil {
		return nil, s.err(fmt.Errorf("%w (%s)", ErrAlreadyLinked, n.label()))
	}
	for b := d; b != nil; b = b.next() {
		if b == s {
			return nil, fmt.Errorf("link %s → %s: %w: the chain would loop", s.label(), d.label(), ErrBadLink)
		}
	}
	l := &Linkage{src: s, dst: d, owner: owner, kind: kind}
	if owner != nil {
		owner.mu.Lock()
		if owner.state.Load() >= stateFinished {
			owner.mu.Unlock()
			return nil, fmt.Errorf("link %s → %s: owner %s: %w", s.label(), d.label(), owner.name, ErrFinished)
		}
		k := owner.family()
		l.at = len(k.links)
		k.links = append(k.links, l)
		owner.mu.Unlock()
	}
	if cfg.setLimit && d.in() {
		d.q.mu.Lock()
		d.q.limit = cfg.limit.normalized()
		d.q.mu.Unlock()
	}
	s.link = l
	d.prev = append(d.prev, s)
	final := d.target.Load()
	if s.in() {
		moveQueued(s, final) // retargets s with its queue locked
	} else {
		retarget(s, final)
	}
	return l, nil
}

// retarget points b, and every box that feeds b, at final.
func retarget(b *box, final *queue) {
	b.target.Store(final)
	for _, p := range b.prev {
		retarget(p, final)
	}
}

// moveQueued points b (an inbox) and the boxes that feed it at dst,
// marks b's queue as forwarded and moves its messages into dst, in
// order, past dst's limit if need be (they were already accepted once).
// Senders racing with the move see forwarded and follow the new target.
// The retarget happens with both queues locked: a sender that already
// sees the new target then waits for the move, so nothing it sends can
// overtake the messages that were queued before it.
//
// Moved messages keep their arrival numbers, and dst's counter is moved
// past them, so when a parent passes several boxes through to a child
// (inbox, control, makessl...) the child's Next still sees the messages
// in the order they first arrived, whatever order the links were made in.
// The parent becomes the child's feeder: from now on every number the
// child gives moves the parent's clock past it too (see Core.number), so
// a message that reaches a parent's box still to be linked is numbered
// after what reached the child directly before it.
func moveQueued(b *box, dst *queue) {
	src := b.q
	src.mu.Lock()
	src.forwarded = true
	var moved bool
	if dst == nil || dst == src {
		retarget(b, dst)
	} else {
		dst.mu.Lock()
		retarget(b, dst)
		if !feeds(dst.owner, b.owner) {
			dst.owner.feeder.Store(b.owner)
			advance(&b.owner.arrivals, dst.owner.arrivals.Load())
		}
		var last uint64
		for src.n > 0 {
			s := src.popLocked()
			dst.appendLocked(s.msg, s.seq, MessageBytes(s.msg))
			last = max(last, s.seq)
			moved = true
		}
		advance(&dst.owner.arrivals, last)
		dst.mu.Unlock()
	}
	// Senders waiting on src follow their messages into dst, in order.
	for _, w := range src.waiters {
		if dst == nil || dst == src {
			src.dropped++
			w.decide(waitDropped, nil)
			continue
		}
		dst.mu.Lock()
		dst.appendLocked(w.msg, dst.owner.number(), w.sz)
		dst.mu.Unlock()
		w.decide(waitAccepted, dst)
		moved = true
	}
	src.waiters = nil
	src.mu.Unlock()
	if moved {
		dst.owner.notify(nil, false)
	}
}

// feeds reports whether c is src or among src's feeders, so that making
// src c's feeder would close a loop. Feeders are set only under linkMu,
// and never so as to close a loop, so the walk ends.
func feeds(c, src *Core) bool {
	for f := src; f != nil; f = f.feeder.Load() {
		if f == c {
			return true
		}
	}
	return false
}

// advance raises counter to at least v.
func advance(counter *atomic.Uint64, v uint64) {
	for {
		old := counter.Load()
		if old >= v || counter.CompareAndSwap(old, v) {
			return
		}
	}
}

// Unlink removes a link that c made. It returns an error matching
// ErrNotLinked if l is not one of c's links. Messages already delivered
// stay where they are.
func (c *Core) Unlink(l *Linkage) error {
	c.mu.Lock()
	links := c.links()
	found := l.owner == c && l.at < len(links) && links[l.at] == l
	if found {
		// Swap with the last link: removing one of many is O(1), which
		// matters for a server that owns links for every connection.
		last := len(links) - 1
		links[l.at] = links[last]
		links[l.at].at = l.at
		links[last] = nil
		c.kin.links = links[:last]
	}
	c.mu.Unlock()
	if !found {
		return fmt.Errorf("unlink %s by %s: %w", l, c.name, ErrNotLinked)
	}
	unlinkAll([]*Linkage{l})
	return nil
}

// Unlink removes a link made with the package-level Link.
func Unlink(l *Linkage) error {
	if l.owner != nil {
		return l.owner.Unlink(l)
	}
	linkMu.Lock()
	ok := l.src.link == l
	linkMu.Unlock()
	if !ok {
		return fmt.Errorf("unlink %s: %w", l, ErrNotLinked)
	}
	unlinkAll([]*Linkage{l})
	return nil
}

// UnlinkComponent removes every link c made that has other (one of its
// boxes) at either end.
func (c *Core) UnlinkComponent(other Component) {
	oc := other.core()
	c.mu.Lock()
	var drop []*Linkage
	links := c.links()
	keep := links[:0]
	for _, l := range links {
		if l.src.owner == oc || l.dst.owner == oc {
			drop = append(drop, l)
		} else {
			l.at = len(keep)
			keep = append(keep, l)
		}
	}
	for i := len(keep); i < len(links); i++ {
		links[i] = nil
	}
	if c.kin != nil {
		c.kin.links = keep
	}
	c.mu.Unlock()
	unlinkAll(drop)
}

// Links returns the links c made that are still in place.
func (c *Core) Links() []*Linkage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*Linkage(nil), c.links()...)
}

func unlinkAll(links []*Linkage) {
	if len(links) == 0 {
		return
	}
	linkMu.Lock()
	defer linkMu.Unlock()
	for _, l := range links {
		s := l.src
		if s.link != l {
			continue
		}
		d := s.next()
		s.link = nil
		for i, p := range d.prev {
			if p == s {
				// Order does not matter; swapping in the last one keeps
				// removal from a wide fan-in free of allocation.
				last := len(d.prev) - 1
				d.prev[i] = d.prev[last]
				d.prev[last] = nil
				d.prev = d.prev[:last]
				break
			}
		}
		var own *queue
		if s.in() {
			own = s.q
		}
		retarget(s, own)
		if s.in() {
			s.q.mu.Lock()
			s.q.forwarded = false
			s.q.mu.Unlock()
		}
	}
}
