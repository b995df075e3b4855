package axon

import (
	"context"
	"errors"
	"iter"
	"math/bits"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
)

// Component is anything built on a Core: a *Core itself, or any type
// that embeds a *Core. Chassis such as Pipeline take Components, so a
// user's own types can be wired like the built-in ones.
//
// The interface is sealed: the only way to implement it is to embed (or
// be) a *Core.
type Component interface {
	// Name returns the component's name, unique per process.
	Name() string
	core() *Core
}

// CoreOf returns the Core of a component: nil for nil, including a nil
// pointer of a component type (which would otherwise panic when its
// embedded Core is reached).
func CoreOf(c Component) *Core {
	if c == nil {
		return nil
	}
	if v := reflect.ValueOf(c); v.Kind() == reflect.Pointer && v.IsNil() {
		return nil
	}
	return c.core()
}

// Body is a component's main function, run in its own goroutine (the
// Go form of Kamaelia's generator main). It returns when the component
// has finished: nil for a normal end, an error otherwise. ctx is done
// when the component is stopped; pass it to Send and Wait.
type Body func(ctx context.Context, c *Core) error

// Step is the body of a reactive component (see NewReactive). It is
// called once when the component starts and again whenever something
// new arrives in one of its inboxes, a child ends, or Wake is called. It
// should take everything it can from its inboxes and return: nil to wait
// for more, ErrStop to finish normally, or another error to fail.
//
// When ctx is done (the component was stopped), the step is called one
// last time so it can release what it holds, and the component ends
// whatever it returns.
type Step func(ctx context.Context, c *Core) error

type kind uint8

const (
	kindBody kind = iota
	kindReactive
)

// Life-cycle states of a Core.
const (
	stateNew      int32 = iota // constructed, not activated
	stateActive                // body or step running or waiting
	stateFinished              // body ended; children or helpers may still run
	stateDone                  // everything ended; Done is closed
)

var lastID atomic.Uint64

// Core is the machinery of one component: its named inboxes and
// outboxes, the links it made, its children, and its life cycle. Build
// one with New or NewReactive, and embed it in your own type to make
// that type a Component.
//
// All methods are safe for concurrent use. Recv, Next, Drain and Wait
// are meant to be called by the component itself (its body, step or
// helpers): messages one caller takes are not seen by another.
type Core struct {
	// The fields a delivery and a step touch come first, close
	// together: a message passed along a chain of components in one
	// goroutine costs mostly the cache lines it brings in, so they are
	// few.
	kind        kind
	inlineFirst bool // Reactive: run the first step in Activate's caller
	trackEnds   bool // keep ended children for EndedChildren
	ended       bool // complete has run; guarded by mu
	state       atomic.Int32
	run         atomic.Int32 // Reactive: runBit (the run token) | pendBit
	sleeping    atomic.Bool  // Body component parked in Wait
	onDelivery  func()       // Handle sinks: called after each delivery
	body        Body
	// arrivals numbers messages as they arrive, for Next.
	arrivals atomic.Uint64
	// feeder is the component, if any, whose inbox passes through into
	// one of this one's (see moveQueued). Its clock is kept at or past
	// this one's (see number).
	feeder atomic.Pointer[Core]
	// ready has bit i set while inbox i holds a message (bit 63 is
	// shared by inboxes 63 and up; see overflowBit), written by whoever
	// turns a queue empty or non-empty, so that finding the boxes with
	// something in them reads one word rather than every box.
	ready atomic.Uint64
	rctx  stepCtx // context handed to the body or step
	// runner is the runner that has this reactive component queued or
	// running, nil between runs; runNext links its queue (see runner).
	runner   atomic.Pointer[runner]
	runNext  *Core
	inboxes  []box // both in one allocation (see makeBoxes)
	outboxes []box
	woken    atomic.Bool   // Wake or a child end not yet seen by Wait
	live     atomic.Int32  // body + helper goroutines + children not yet done
	wakeCh   chan struct{} // Body components: one token

	id   uint64
	name string

	mu       sync.Mutex // guards the fields below it
	registry *Registry
	parent   *Core
	childAt  int     // index in parent's children, guarded by parent.mu
	kin      *family // made by the first child, link or watch
	ctx      context.Context
	cancel   context.CancelCauseFunc
	// pctx is the context the tree was activated with: the one Activate
	// was given, or for a child started by its parent the parent's pctx.
	// c.ctx and the helpers' context derive from it, not from the
	// parent's own context, so that a child removed from its parent
	// does not end with it: a parent's end reaches its children through
	// wakeTree instead.
	pctx      context.Context
	auxCancel context.CancelCauseFunc
	auxCtx    context.Context
	err       error

	done chan struct{} // made by the first Done; guarded by mu
	// blocked is one of its sends waiting for room (see blocked.go);
	// moreBlocked counts the others.
	moreBlocked atomic.Int32
	blocked     atomic.Pointer[waiter]

	inherits bool     // started by its parent: the parent's end stops it; guarded by mu
	build    *builder // box declarations, during New or NewReactive only

	group atomic.Uint64 // see SetGroup
	stats StatsReporter // see SetStatsReporter; guarded by mu
}

// family is what a component has only once it has children, has made
// links or watches its activation context: most components of a server
// (one adapter and one handler per connection) have none of it, so it
// is not part of every Core. Guarded by the Core's mu.
type family struct {
	children  []Component
	links     []*Linkage  // the postoffice: links this component made
	endedKids []*Core     // children ended since EndedChildren
	stopAfter func() bool // ends the watch on pctx (see watch)
}

// family returns c's family, made if need be. c.mu must be held.
func (c *Core) family() *family {
	if c.kin == nil {
		c.kin = new(family)
	}
	return c.kin
}

// children returns c's children (nil if it has none). c.mu must be held.
func (c *Core) children() []Component {
	if c.kin == nil {
		return nil
	}
	return c.kin.children
}

// links returns the links c made (nil if none). c.mu must be held.
func (c *Core) links() []*Linkage {
	if c.kin == nil {
		return nil
	}
	return c.kin.links
}

// Option configures a component built by New or NewReactive. Options
// take effect only there: applied to a Core afterwards they do nothing.
type Option func(*Core)

// WithInboxes replaces the default inboxes ("inbox", "control") with
// the given ones. It copies specs: every component built with the
// option shares that copy, so make the option once per kind of
// component, not per component.
func WithInboxes(specs ...BoxSpec) Option {
	specs = slices.Clone(specs)
	return func(c *Core) {
		if b := c.build; b != nil {
			b.ins = specs
		}
	}
}

// WithOutboxes replaces the default outboxes ("outbox", "signal") with
// the given ones. Like WithInboxes, it copies specs once.
func WithOutboxes(specs ...BoxSpec) Option {
	specs = slices.Clone(specs)
	return func(c *Core) {
		if b := c.build; b != nil {
			b.outs = specs
		}
	}
}

// AddInbox adds one inbox to those declared so far (replacing one of
// the same name).
func AddInbox(spec BoxSpec) Option {
	return func(c *Core) {
		if b := c.build; b != nil {
			b.ins = replaceSpec(b.ins, spec)
		}
	}
}

// AddOutbox adds one outbox to those declared so far (replacing one of
// the same name).
func AddOutbox(spec BoxSpec) Option {
	return func(c *Core) {
		if b := c.build; b != nil {
			b.outs = replaceSpec(b.outs, spec)
		}
	}
}

// builder collects the box declarations of a component while New or
// NewReactive applies its options, so that the boxes are made once, from
// the final lists.
type builder struct {
	ins, outs []BoxSpec // never written in place: see replaceSpec
}

// replaceSpec replaces the spec of the same name in list, or appends s.
// list is never written in place (it may be the defaults or a caller's
// slice): a replacement copies it, an append past its length reallocates.
func replaceSpec(list []BoxSpec, s BoxSpec) []BoxSpec {
	for i, old := range list {
		if old.Name == s.Name {
			list = append(list[:0:0], list...)
			list[i] = s
			return list
		}
	}
	return append(list[:len(list):len(list)], s)
}

// WithRegistry makes the component (and children that do not name their
// own) use r for services and introspection instead of the registry
// inherited from its parent, its activation context, or DefaultRegistry.
func WithRegistry(r *Registry) Option { return func(c *Core) { c.registry = r } }

// TrackChildEnds makes the component keep a list of its children that
// have ended, which EndedChildren hands over. Use it for a component with
// many children (one per connection, say) that must act on each one's
// end without looking at them all.
func TrackChildEnds() Option { return func(c *Core) { c.trackEnds = true } }

// EndedChildren returns the children that have ended (are Done) since
// the last call, in the order they ended, and forgets them. It returns
// nil unless the component was built with TrackChildEnds. Like the
// child's end itself, which wakes the component, it is meant for the
// component's own body or step.
//
// To stop once every child has ended, call NumChildren before
// EndedChildren, not after: a child that ends between the two calls is
// then in the list, where otherwise the count could reach zero with its
// end never handed over.
func (c *Core) EndedChildren() []*Core {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.kin == nil {
		return nil
	}
	ended := c.kin.endedKids
	c.kin.endedKids = nil
	return ended
}

// StartInline makes a reactive component run its first step without a
// goroutine of its own, unless one of its inboxes already holds a
// message then (passing that on could wait for room downstream): in the
// goroutine that calls Activate, before Activate returns, or, when a
// step activates it (its parent's step adding it as a child, say), on
// that step's runner once the step returns (see NewReactive). Use it
// only for a first step that never blocks; it saves a goroutine start
// per component, which matters for components made per connection.
func StartInline() Option { return func(c *Core) { c.inlineFirst = true } }

// makeBoxes materialises the declared boxes: all of a component's boxes
// in one allocation, and the queues of its inboxes in another. Specs
// come in declaration order; a later spec of the same name has already
// replaced an earlier one (replaceSpec). The boxes point at the specs,
// which nothing writes once an option holds them (see WithInboxes).
func (c *Core) makeBoxes(ins, outs []BoxSpec) {
	n := len(ins) + len(outs)
	if n == 0 {
		return
	}
	boxes := make([]box, n)
	var qs []queue
	if len(ins) > 0 {
		qs = make([]queue, len(ins))
	}
	for i := range ins {
		b := &boxes[i]
		b.owner, b.spec = c, &ins[i]
		q := &qs[i]
		q.box, q.owner, q.limit, q.bit = b, c, ins[i].Limit.normalized(), bitFor(i)
		b.q = q
		b.target.Store(q)
	}
	for j := range outs {
		b := &boxes[len(ins)+j]
		b.owner, b.spec = c, &outs[j]
	}
	c.inboxes = boxes[:len(ins):len(ins)]
	c.outboxes = boxes[len(ins):]
}

// New returns a component whose body runs in its own goroutine once it
// is activated. name is a label for logs and introspection; a unique
// number is appended. Without options it has the inboxes "inbox" and
// "control" and the outboxes "outbox" and "signal".
func New(name string, body Body, opts ...Option) *Core {
	c := newCore(name, kindBody, opts)
	c.body = body
	c.wakeCh = make(chan struct{}, 1)
	return c
}

// NewReactive returns a component with no goroutine of its own: its
// step runs whenever there is something to do, in the goroutine that
// delivered the message. An idle reactive component costs only its
// memory, which is what lets a server hold many idle connections
// cheaply.
//
// Steps run one at a time, never one inside another. A delivery from
// outside any step (a helper, plain Go code) runs the step in the
// sender's goroutine before Send returns. A body's own delivery (from
// its body or its helpers, with their context) starts the step on a
// goroutine of its own instead, and returns once the message is
// queued: a body already runs beside the rest, as a goroutine that
// sends on a channel does. A delivery from a step queues the receiver,
// and the same goroutine runs it when that step returns; so a message
// crosses a chain of reactive components in one goroutine with one step
// on the stack at a time, and a step's Send returns before the receiver
// has run. When the step is already running elsewhere, a delivery only
// marks that there is more to do, and it runs again before it lets go: a
// component's steps never overlap.
//
// Its step must not block for long: while it runs it holds up the
// sender that triggered it. Waiting in Send for room downstream is fine
// (that is how back-pressure travels upstream); blocking I/O belongs in
// a goroutine started with Go, or in a component made with New.
func NewReactive(name string, step Step, opts ...Option) *Core {
	c := newCore(name, kindReactive, opts)
	c.body = Body(step)
	return c
}

func newCore(name string, k kind, opts []Option) *Core {
	c := &Core{id: lastID.Add(1), kind: k}
	c.live.Store(1) // the body, until it ends
	c.name = name + "#" + strconv.FormatUint(c.id, 10)
	if len(opts) == 0 {
		c.makeBoxes(defaultInboxes, defaultOutboxes)
	} else {
		b := builder{ins: defaultInboxes, outs: defaultOutboxes}
		c.build = &b
		for _, o := range opts {
			o(c)
		}
		c.build = nil
		c.makeBoxes(b.ins, b.outs)
	}
	c.rctx.self = c
	return c
}

func (c *Core) core() *Core { return c }

// Name returns the component's name: the label given to New plus "#"
// and a process-unique number.
func (c *Core) Name() string { return c.name }

// ID returns the component's process-unique number.
func (c *Core) ID() uint64 { return c.id }

func (c *Core) String() string { return c.name }

func (c *Core) inbox(name string) *box { return boxNamed(c.inboxes, name) }

func (c *Core) outbox(name string) *box { return boxNamed(c.outboxes, name) }

func boxNamed(list []box, name string) *box {
	for i := range list {
		if b := &list[i]; b.name() == name {
			return b
		}
	}
	return nil
}

// Inbox returns a handle on the named inbox, or nil if there is none.
func (c *Core) Inbox(name string) *Inbox {
	if b := c.inbox(name); b != nil {
		return (*Inbox)(b)
	}
	return nil
}

// Outbox returns a handle on the named outbox, or nil if there is none.
func (c *Core) Outbox(name string) *Outbox {
	if b := c.outbox(name); b != nil {
		return (*Outbox)(b)
	}
	return nil
}

// InboxNames returns the names of the component's inboxes, in the order
// they were declared.
func (c *Core) InboxNames() []string { return boxNames(c.inboxes) }

// OutboxNames returns the names of the component's outboxes.
func (c *Core) OutboxNames() []string { return boxNames(c.outboxes) }

func boxNames(list []box) []string {
	names := make([]string, len(list))
	for i := range list {
		names[i] = list[i].name()
	}
	return names
}

// Send delivers msg out of the named outbox, straight into the final
// inbox it leads to, in the calling goroutine. It is the one way a
// component sends. If that inbox is full it waits for room or for ctx to
// end (then it returns ctx's error, wrapped). A message sent to an
// outbox that leads nowhere is dropped and counted. It returns an error
// matching ErrNoBox if there is no such outbox. Safe for concurrent use.
//
// A step or body passes the context it was given (or one derived from
// it). From a body, that tells Send to start a reactive receiver on a
// goroutine of its own rather than run it (see NewReactive). From a
// step, when the inbox is full, it tells Send the step itself is
// waiting, so that nothing waits behind it and a cycle of waiting steps
// is broken (see the package documentation on bounded boxes).
func (c *Core) Send(ctx context.Context, outbox string, msg any) error {
	b := c.outbox(outbox)
	if b == nil {
		return &BoxError{Component: c.name, Box: outbox, Err: ErrNoBox}
	}
	return b.deliver(ctx, msg, true)
}

// TrySend is Send without waiting, for a sender that would rather shed
// a message than be held up: if the destination is full it returns an
// error that matches ErrBoxFull, and the message is not delivered.
func (c *Core) TrySend(outbox string, msg any) error {
	b := c.outbox(outbox)
	if b == nil {
		return &BoxError{Component: c.name, Box: outbox, Err: ErrNoBox}
	}
	return b.deliver(context.Background(), msg, false)
}

// Recv removes and returns the oldest message in the named inbox. It
// returns false if the box is empty or does not exist.
func (c *Core) Recv(inbox string) (any, bool) {
	b := c.inbox(inbox)
	if b == nil {
		return nil, false
	}
	return b.q.pop()
}

// DataReady returns how many messages wait in the named inbox (0 if it
// does not exist). Like Kamaelia's dataReady it counts the box's own
// storage: an inbox passthrough-linked to a child holds nothing.
func (c *Core) DataReady(inbox string) int {
	b := c.inbox(inbox)
	if b == nil {
		return 0
	}
	return b.q.len()
}

// AnyReady reports whether any inbox holds a message.
func (c *Core) AnyReady() bool {
	rb := c.ready.Load()
	if rb&^(1<<overflowBit) != 0 {
		return true
	}
	if rb == 0 || len(c.inboxes) <= overflowBit {
		return false
	}
	for i := overflowBit; i < len(c.inboxes); i++ {
		if c.inboxes[i].q.len() > 0 {
			return true
		}
	}
	return false
}

// Drain returns an iterator that takes messages from the named inbox
// until it is empty:
//
//	for msg := range c.Drain("inbox") { ... }
func (c *Core) Drain(inbox string) func(yield func(any) bool) {
	b := c.inbox(inbox)
	return func(yield func(any) bool) {
		if b == nil {
			return
		}
		var batch [16]slot
		for b.q.maybeReady() {
			k := b.q.popBatch(batch[:])
			if k == 0 {
				return
			}
			for i := 0; i < k; i++ {
				m := batch[i].msg
				batch[i] = slot{}
				if !yield(m) {
					// Put back what was taken but not consumed, in order.
					b.q.unpop(batch[i+1 : k])
					return
				}
			}
		}
	}
}

// Next removes and returns the message that arrived first among all the
// component's inboxes, with the name of its box. Messages are numbered
// as they arrive, so Next sees them in the order they were delivered
// even across boxes: data sent to "inbox" before a producerFinished sent
// to "control" comes out of Next first.
func (c *Core) Next() (inbox string, msg any, ok bool) {
	for {
		// The boxes are looked at one after another, so a box found
		// empty may fill before the last one is looked at. If the oldest
		// head found arrived after the look began, an earlier message
		// from the same sender may have landed in a box already passed:
		// look again.
		mark := c.arrivals.Load()
		rb := c.ready.Load()
		if rb == 0 {
			return "", nil, false
		}
		if rb&(rb-1) == 0 && rb != 1<<overflowBit {
			// The usual case, one box with anything in it: take its
			// head in one go if it is not newer than the look.
			only := &c.inboxes[bits.TrailingZeros64(rb)]
			if m, ok, newer := only.q.popUpTo(mark); ok {
				return only.name(), m, true
			} else if newer {
				continue
			}
		}
		var best *box
		var bestSeq uint64
		for i := range c.inboxes {
			b := &c.inboxes[i]
			if !b.q.maybeReady() {
				continue
			}
			if seq, ok := b.q.peekSeq(); ok && (best == nil || seq < bestSeq) {
				best, bestSeq = b, seq
			}
		}
		if best == nil {
			return "", nil, false
		}
		if bestSeq > mark {
			continue
		}
		m, ok := best.q.pop()
		return best.name(), m, ok
	}
}

// Messages returns an iterator over the messages that arrive in the
// component's inboxes, each with the name of its box, in arrival order
// across boxes (see Next). It is the way a component receives:
//
//	for box, msg := range c.Messages(ctx) {
//		...
//	}
//
// In a body it waits for more whenever none is queued, and ends only
// when ctx is done: when the component is stopped (Stop, its parent's
// end, the end of its activation context) if ctx is the body's own
// context or derived from it. Afterwards ctx.Err() says why it ended,
// and context.Cause(ctx) what caused it. In a step it yields what is
// queued and ends when nothing is left, and the step returns to wait
// for more. Either way it ends as soon as ctx is done, leaving what is
// still queued, and a break ends it at once. A body that must also act
// on Wake or on its children's ends uses Wait and Next instead.
//
// Messages taken by one loop are not seen by another: it is meant for
// the component's own body or step.
func (c *Core) Messages(ctx context.Context) iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		for ctx.Err() == nil {
			box, msg, ok := c.Next()
			if ok {
				if !yield(box, msg) {
					return
				}
				continue
			}
			if c.kind != kindBody || c.Wait(ctx) != nil {
				return
			}
		}
	}
}

// Wake makes a waiting component look again: Wait returns, or a
// reactive component's step is called. It is Kamaelia's unpause.
func (c *Core) Wake() {
	c.woken.Store(true)
	c.notify(nil, false)
}

// Wait blocks until any inbox holds a message, a child has ended, Wake
// was called, or ctx is done (then it returns ctx's error). It is the Go
// form of Kamaelia's pause-and-yield, for Body components.
func (c *Core) Wait(ctx context.Context) error {
	if c.kind != kindBody {
		return errors.New("axon: Wait called on a reactive component")
	}
	for {
		if (c.woken.Load() && c.woken.Swap(false)) || c.AnyReady() {
			return nil
		}
		c.sleeping.Store(true)
		if c.woken.Load() || c.AnyReady() {
			if !c.sleeping.CompareAndSwap(true, false) {
				<-c.wakeCh // a notifier already claimed the wake-up
			}
			continue
		}
		select {
		case <-c.wakeCh:
		case <-ctx.Done():
			if !c.sleeping.CompareAndSwap(true, false) {
				<-c.wakeCh
			}
			return ctx.Err()
		}
	}
}

// notify tells the owner that something arrived. For a Body component
// that is a wake-up; for a reactive one it makes the step runnable (see
// schedule). from is the sending component, nil for plain Go code;
// inline is false for a sender that must not run the step itself.
func (c *Core) notify(from *Core, inline bool) {
	if h := c.onDelivery; h != nil {
		h()
		return
	}
	if c.kind == kindBody {
		if c.sleeping.Load() && c.sleeping.CompareAndSwap(true, false) {
			c.wakeCh <- struct{}{}
		}
		return
	}
	if c.state.Load() != stateActive {
		c.run.Or(pendBit)
		return
	}
	if c.claim() {
		c.schedule(from, inline)
	}
}

// schedule sees that c, whose run token the caller holds, runs: queued
// on from's runner if from's step is running there, else in this
// goroutine if inline, else in a new one.
func (c *Core) schedule(from *Core, inline bool) {
	if from != nil {
		if r := from.runner.Load(); r != nil && r.add(c) {
			return
		}
	}
	if !inline {
		go runFrom(c)
		return
	}
	runFrom(c)
}

// Bits of Core.run, the run token of a reactive component. Whoever
// holds runBit runs the step; pendBit says something arrived that the
// running step may not have seen, so the runner must look again.
const (
	runBit  = 1
	pendBit = 2
)

// claim records that there is work and reports whether the caller took
// the run token (and so must run the steps).
func (c *Core) claim() bool {
	for {
		old := c.run.Load()
		if old&runBit != 0 {
			if old&pendBit != 0 || c.run.CompareAndSwap(old, old|pendBit) {
				return false
			}
			continue
		}
		if c.run.CompareAndSwap(old, runBit) {
			return true
		}
	}
}
