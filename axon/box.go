package axon

import (
	"context"
	"sync/atomic"
)

// DefaultInboxLimit is the limit of an inbox that declares none: 64
// messages and no byte limit.
//
// Why 64: it is deep enough that a producer and a consumer running at
// about the same speed rarely wait for each other, and that a consumer
// that drains everything queued at each wake-up handles work in batches
// (a socket writer turns a batch into one writev). It is shallow enough
// that a stalled consumer holds back at most 64 messages per box, so a
// slow peer cannot grow a process without bound. Boxes on network paths
// add a byte limit as well (see the internet package).
var DefaultInboxLimit = Limit{Messages: 64}

// Limit bounds an inbox. A Send to a full inbox waits for room; TrySend
// returns ErrBoxFull. An empty inbox always accepts one message, however
// large, so one oversized message cannot wedge a box.
type Limit struct {
	// Messages is the most messages the box holds. Zero means the
	// default (DefaultInboxLimit.Messages); negative means no limit.
	Messages int
	// Bytes, if positive, also bounds the total length of the []byte
	// and string messages queued. Other message types weigh nothing.
	Bytes int
}

// MessageBytes is what msg counts toward a Limit's Bytes (and the
// queued bytes introspection reports): the length of a []byte or string,
// else 0. A component that queues messages itself under a Limit counts
// them with it, so that its bound means what an inbox's does. It is safe
// for concurrent use.
func MessageBytes(msg any) int {
	switch m := msg.(type) {
	case []byte:
		return len(m)
	case string:
		return len(m)
	}
	return 0
}

// Unbounded is a Limit with no bound at all. Use it only where the
// producer is known to be bounded by something else.
var Unbounded = Limit{Messages: -1}

func (l Limit) normalized() Limit {
	if l.Messages == 0 {
		l.Messages = DefaultInboxLimit.Messages
		if l.Bytes == 0 {
			l.Bytes = DefaultInboxLimit.Bytes
		}
	}
	return l
}

// BoxSpec declares one box: its name, a one-line description that
// introspection shows, and (for inboxes) its limit.
type BoxSpec struct {
	Name  string
	Doc   string
	Limit Limit // inboxes only; the zero Limit means DefaultInboxLimit
}

// Box returns a BoxSpec with the given name and description.
func Box(name, doc string) BoxSpec { return BoxSpec{Name: name, Doc: doc} }

// WithLimit returns a copy of s with the given limit.
func (s BoxSpec) WithLimit(l Limit) BoxSpec { s.Limit = l; return s }

// The default boxes every component has unless it declares its own.
var (
	defaultInboxes = []BoxSpec{
		Box("inbox", "data to process"),
		Box("control", "shutdown signalling: producerFinished, shutdownMicroprocess"),
	}
	defaultOutboxes = []BoxSpec{
		Box("outbox", "data produced"),
		Box("signal", "shutdown signalling: producerFinished, shutdownMicroprocess"),
	}
)

// DefaultInboxes returns the specs of the default inboxes, "inbox" and
// "control", for components that extend rather than replace them.
func DefaultInboxes() []BoxSpec { return append([]BoxSpec(nil), defaultInboxes...) }

// DefaultOutboxes returns the specs of the default outboxes, "outbox"
// and "signal".
func DefaultOutboxes() []BoxSpec { return append([]BoxSpec(nil), defaultOutboxes...) }

// box is one inbox or outbox. Its link fields are guarded by linkMu.
type box struct {
	owner *Core
	// spec is the box's declaration. Components declared alike (every
	// adapter, every handler of a kind) share one: an option copies
	// the specs it is given once, when it is made, and nothing writes
	// them afterwards.
	spec *BoxSpec
	q    *queue // inboxes only (and always): the box's own storage

	// target is the final storage that a message put into this box ends
	// in: for an unlinked inbox its own queue, for an unlinked outbox
	// nil (messages are dropped). Changed only under linkMu.
	target atomic.Pointer[queue]

	link *Linkage // the linkage from this box onward (to link.dst), if any
	prev []*box   // boxes linked into this one
	sent atomic.Uint64
	drop atomic.Uint64
}

// name returns the box's name.
func (b *box) name() string { return b.spec.Name }

// next returns the box this one is linked to, if any. linkMu must be
// held, as for the link fields.
func (b *box) next() *box {
	if l := b.link; l != nil {
		return l.dst
	}
	return nil
}

// in reports whether b is an inbox.
func (b *box) in() bool { return b.q != nil }

func (b *box) err(cause error) error {
	return &BoxError{Component: b.owner.name, Box: b.name(), Inbox: b.in(), Err: cause}
}

// label is "component.box" for messages and introspection.
func (b *box) label() string { return b.owner.name + "." + b.name() }

// deliver puts msg into b as its sender would: into the final inbox of
// b's chain, in the calling goroutine. ctx is the sender's context; for
// an inbox (Put) it also names the component putting, if any.
func (b *box) deliver(ctx context.Context, msg any, block bool) error {
	b.sent.Add(1)
	q := b.target.Load()
	if q == nil {
		b.drop.Add(1)
		return nil
	}
	from := b.owner // an outbox's owner sends
	if b.in() {
		from = callerOf(ctx) // Put: the step or body that puts, if any
	}
	got, err := q.push(ctx, msg, block, from)
	if err != nil {
		b.sent.Add(^uint64(0))
		return b.err(err)
	}
	if got == nil {
		b.drop.Add(1)
		return nil
	}
	// A sender that may wait runs a reactive receiver itself, except a
	// body's own send: a body has a goroutine of its own, so, as with a
	// channel, the receiver's steps run beside it, on a goroutine of
	// theirs. (A Put's from is already the caller.)
	inline := block
	if from != nil && from.kind == kindBody && got.owner.kind != kindBody &&
		(b.in() || callerOf(ctx) == from) {
		inline = false
	}
	got.owner.notify(from, inline)
	return nil
}

// Inbox is a handle on one inbox of a component: Put feeds it from code
// outside the component, Peek and DataReady let its owner look at it.
// (The component itself receives with Core.Messages.) A handle is the
// box itself, seen through its public methods: getting one allocates
// nothing, and using one touches no memory but the box's. Its methods
// are safe for concurrent use.
type Inbox box

func (h *Inbox) box() *box { return (*box)(h) }

// Name returns the box name.
func (h *Inbox) Name() string { return h.box().name() }

// Peek returns the oldest message in the box without removing it.
func (h *Inbox) Peek() (any, bool) { return h.q.peek() }

// DataReady returns how many messages wait in this box's own storage.
// A box that is passthrough-linked onward holds nothing of its own.
func (h *Inbox) DataReady() int { return h.q.len() }

// Put delivers msg into this inbox (following any passthrough link) as
// if it came from a linked outbox, waiting for room like Send. It is how
// code outside the component graph feeds a component; it is safe for
// concurrent use. A step or body that puts should pass the context it
// was given (or one derived from it): it names the component putting,
// so that a step's put is queued like its sends (see NewReactive)
// rather than run in the middle of the step, and a body's starts a
// reactive receiver beside the body, like its sends.
func (h *Inbox) Put(ctx context.Context, msg any) error { return h.box().deliver(ctx, msg, true) }

// Outbox is a handle on one outbox of a component, for asking whether
// it leads anywhere; a component sends with Core.Send. Like an Inbox,
// it is the box itself, and its methods are safe for concurrent use.
type Outbox box

func (h *Outbox) box() *box { return (*box)(h) }

// Name returns the box name.
func (h *Outbox) Name() string { return h.box().name() }

// Linked reports whether the outbox currently leads to an inbox.
func (h *Outbox) Linked() bool { return h.target.Load() != nil }

// BoxRef names one box of one component, for linking. Make one with In
// or Out.
type BoxRef struct {
	c    Component
	name string
	in   bool
}

// In refers to the inbox called name of c.
func In(c Component, name string) BoxRef { return BoxRef{c: c, name: name, in: true} }

// Out refers to the outbox called name of c.
func Out(c Component, name string) BoxRef { return BoxRef{c: c, name: name} }

// Component returns the component the reference names.
func (r BoxRef) Component() Component { return r.c }

// Name returns the box name.
func (r BoxRef) Name() string { return r.name }

// IsInbox reports whether the reference is to an inbox.
func (r BoxRef) IsInbox() bool { return r.in }

func (r BoxRef) String() string {
	kind := "outbox"
	if r.in {
		kind = "inbox"
	}
	if r.c == nil {
		return kind + " " + r.name + " of <nil>"
	}
	return r.c.Name() + "." + r.name + " (" + kind + ")"
}

// resolve finds the box, or returns a BoxError naming it.
func (r BoxRef) resolve() (*box, error) {
	if r.c == nil {
		return nil, &BoxError{Component: "<nil>", Box: r.name, Inbox: r.in, Err: ErrNoBox}
	}
	c := r.c.core()
	var b *box
	if r.in {
		b = c.inbox(r.name)
	} else {
		b = c.outbox(r.name)
	}
	if b == nil {
		return nil, &BoxError{Component: c.name, Box: r.name, Inbox: r.in, Err: ErrNoBox}
	}
	return b, nil
}
