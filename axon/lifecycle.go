package axon

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
)

// Activate starts the component in the background: its body in a new
// goroutine, or its first step, and every child added so far. ctx bounds
// the component's life: when ctx is done the component is stopped. It
// returns an error matching ErrActivated if the component was activated
// before.
func (c *Core) Activate(ctx context.Context) error {
	return c.activate(ctx, nil)
}

// Run activates the component and waits until it and all its children
// have ended. It returns the component's error (see Err).
func (c *Core) Run(ctx context.Context) error {
	if err := c.Activate(ctx); err != nil {
		return err
	}
	<-c.Done()
	return c.Err()
}

// Run activates c and waits for it to end; see Core.Run.
func Run(ctx context.Context, c Component) error { return c.core().Run(ctx) }

// Done returns a channel that is closed when the component's body (or
// step) has ended, every helper started with Go has returned, and every
// child has ended.
// The channel is made on first use: most components (those made per
// connection, say) are never waited for this way.
func (c *Core) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
		if c.ended {
			close(c.done)
		}
	}
	return c.done
}

// Activated reports whether the component has been activated (it may
// have ended since).
func (c *Core) Activated() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ctx != nil
}

// Finished reports whether the component's body or step has ended (its
// children may still be running).
func (c *Core) Finished() bool { return c.state.Load() >= stateFinished }

// Err returns why the component ended: nil for a normal end, the error
// its body or step returned, or a *PanicError (of its body, step or a
// helper, which comes first). It is nil while the component's body or
// step is running.
func (c *Core) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Load() < stateFinished {
		return nil // a helper's panic is recorded before the body ends
	}
	return c.err
}

// Stop asks the component to end by cancelling its context, and those
// of the children it started (and theirs, down the tree). A Body sees
// ctx done; a reactive component's step is called one last time. Stop
// does not wait; use Done for that. It has no effect before Activate or
// after the component has ended.
func (c *Core) Stop() { c.stop(nil) }

// stop cancels the component's context (and its helpers') with cause,
// has its step called if it is reactive, and stops the children it
// started (see wakeTree).
func (c *Core) stop(cause error) {
	c.mu.Lock()
	cancel := c.cancel
	c.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel(cause)
	c.mu.Lock()
	auxCancel := c.auxCancel
	c.mu.Unlock()
	if auxCancel != nil {
		auxCancel(context.Cause(c.ctx))
	}
	// Before the component is active its first step sees the stop.
	if c.kind != kindBody && c.state.Load() == stateActive && c.claim() {
		go runFrom(c)
	}
	c.wakeTree()
}

// wakeTree passes the end of c's context on to the children c started:
// each is stopped with the same cause, and so on down the tree. A
// child's context does not derive from its parent's (see Core.pctx), so
// that RemoveChild can set it free; and rather than each child watching
// its parent's context (an AfterFunc per component, which costs memory
// for every connection a server holds), whoever cancels a context
// passes it on. A child that was activated by someone else before it
// was added has a context of its own and is left alone.
func (c *Core) wakeTree() {
	cause := context.Cause(c.ctx)
	for _, ch := range c.Children() {
		cc := ch.core()
		cc.mu.Lock()
		inherits := cc.inherits
		cc.mu.Unlock()
		if inherits {
			cc.stop(cause)
		}
	}
}

// watch has the end of c's activation context (pctx) reach c: its step
// runs, if it is reactive and has not finished, and its children are
// stopped. The context ends c.ctx by itself, but not the step of an
// idle reactive component, nor the children's contexts. Components
// started by a parent need no watch: the parent's end reaches them (see
// wakeTree). The watch lasts until c is done, so that a parent that has
// finished still passes the end on to the children it waits for.
func (c *Core) watch() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if (c.kin != nil && c.kin.stopAfter != nil) || c.pctx == nil || c.ended {
		return
	}
	c.family().stopAfter = context.AfterFunc(c.pctx, func() {
		<-c.ctx.Done() // the cancellation reaches c.ctx in a moment
		if c.kind != kindBody && c.claim() {
			runFrom(c)
		}
		c.wakeTree()
	})
}

func (c *Core) activate(ctx context.Context, parent *Core) error {
	c.mu.Lock()
	if c.state.Load() != stateNew || c.ctx != nil {
		c.mu.Unlock()
		return fmt.Errorf("%s: %w", c.name, ErrActivated)
	}
	if c.registry == nil && parent == nil {
		c.registry = RegistryFrom(ctx)
	}
	c.ctx, c.cancel = context.WithCancelCause(ctx)
	c.pctx = ctx
	c.inherits = parent != nil
	c.rctx.Context = c.ctx
	children := append([]Component(nil), c.children()...)
	c.mu.Unlock()
	if parent != nil {
		c.mu.Lock()
		if c.registry == nil {
			c.mu.Unlock()
			r := parent.Registry()
			c.mu.Lock()
			c.registry = r
		}
		c.mu.Unlock()
		// The parent may have been stopped while this child was being
		// added: its wakeTree then found the child not yet activated.
		parent.mu.Lock()
		pctx := parent.ctx
		parent.mu.Unlock()
		if pctx.Err() != nil {
			c.cancel(context.Cause(pctx))
		}
	}

	c.registry.add(c)
	c.state.Store(stateActive)
	if parent == nil && (c.kind != kindBody || len(children) > 0) {
		// Before any child starts: a child that ends at once may run
		// this component's step.
		c.watch()
	}
	for _, ch := range children {
		if cc := ch.core(); cc.state.Load() == stateNew {
			_ = cc.activate(ctx, c)
		}
	}
	if c.kind == kindBody {
		go func() { c.finish(c.call()) }()
		return nil
	}
	if c.claim() {
		c.firstStep(ctx, parent)
	}
	return nil
}

// firstStep runs the first step of a reactive component whose run token
// the caller holds: in a new goroutine, or, with StartInline, without
// one. Activated from a step (by its component's AddChildren, or by an
// Activate given the step's context), it is queued on that step's runner
// rather than run inside the step; otherwise it runs here.
func (c *Core) firstStep(ctx context.Context, parent *Core) {
	if !c.inlineFirst || c.AnyReady() {
		go runFrom(c)
		return
	}
	from := parent
	if from == nil {
		from = callerOf(ctx)
	}
	c.schedule(from, true)
}

// call runs the body (or one step) and turns a panic into a PanicError.
func (c *Core) call() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Component: c.name, Value: r, Stack: debug.Stack()}
		}
	}()
	return c.body(&c.rctx, c)
}

// runSteps runs a reactive component's step while there is work, on
// runner r, holding the run token (runBit) that the caller acquired.
func (c *Core) runSteps(r *runner) {
	c.runner.Store(r)
	for {
		stopping := c.rctx.Err() != nil
		err := c.call()
		// Off the runner before the token goes: whoever claims it next
		// may put it on another.
		c.runner.Store(nil)
		if stopping || err != nil {
			c.finish(err) // keeps the run token: no step runs again
			return
		}
		if c.run.CompareAndSwap(runBit, 0) {
			return // nothing arrived meanwhile: the token is released
		}
		c.run.Store(runBit) // keep the token, clear pending, look again
		c.runner.Store(r)
	}
}

// finish does what follows the end of a body or step: the error is
// recorded, a panic is reported on "signal", the links the component
// made are removed and its inboxes closed, and its helpers told to stop.
func (c *Core) finish(err error) {
	if errors.Is(err, ErrStop) {
		err = nil
	}
	// Only its own panic (from call): an error that merely wraps a
	// child's panic is reported by the child.
	if pe, ok := err.(*PanicError); ok && pe.Component == c.name {
		if b := c.outbox("signal"); b != nil {
			_ = b.deliver(context.Background(), ProducerFinished{Caller: c, Err: err}, false)
		}
	}
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	links := c.links()
	if c.kin != nil {
		c.kin.links = nil
	}
	auxCancel := c.auxCancel
	c.state.Store(stateFinished)
	c.mu.Unlock()

	unlinkAll(links)
	for i := range c.inboxes {
		c.inboxes[i].q.close()
	}
	if err != nil {
		c.cancel(err)
		c.wakeTree()
	}
	if auxCancel != nil {
		auxCancel(context.Cause(c.ctx))
	}
	c.release()
}

// release drops one reason to stay alive; the last one completes c.
func (c *Core) release() {
	if c.live.Add(-1) == 0 {
		c.complete()
	}
}

func (c *Core) complete() {
	c.state.Store(stateDone)
	c.cancel(nil)
	c.registry.remove(c)
	c.mu.Lock()
	p := c.parent
	c.parent = nil
	c.ended = true
	done := c.done
	var stopAfter func() bool
	if c.kin != nil {
		stopAfter, c.kin.stopAfter = c.kin.stopAfter, nil
	}
	c.mu.Unlock()
	if stopAfter != nil {
		stopAfter()
	}
	if done != nil {
		close(done)
	}
	if p != nil {
		p.childDone(c)
	}
}

func (c *Core) childDone(child *Core) {
	c.mu.Lock()
	c.dropChild(child)
	if c.trackEnds {
		k := c.family()
		k.endedKids = append(k.endedKids, child)
	}
	c.mu.Unlock()
	c.woken.Store(true)
	c.notify(nil, false)
	c.release()
}

// Go runs fn in a new goroutine that belongs to the component: the
// component is not Done until fn returns. ctx is cancelled when the
// component's body or step ends or the component is stopped. A panic in
// fn is recovered and fails the component. When fn returns, a reactive
// component's step is run (in fn's goroutine, if no step is running) as
// if Wake had been called, so it sees what fn did. Go returns an error
// matching ErrFinished if the component has not been activated or has
// ended.
func (c *Core) Go(fn func(ctx context.Context)) error {
	c.mu.Lock()
	if c.ctx == nil || c.state.Load() >= stateFinished {
		c.mu.Unlock()
		return fmt.Errorf("%s: Go: %w", c.name, ErrFinished)
	}
	if c.auxCtx == nil {
		// Derived from the tree's context, not c.ctx (that would give
		// c.ctx a table of children): stop and finish cancel it along
		// with c.ctx.
		ctx, cancel := context.WithCancelCause(c.pctx)
		c.auxCtx, c.auxCancel = ctx, cancel
		if c.ctx.Err() != nil {
			cancel(context.Cause(c.ctx))
		}
	}
	rc := c.auxCtx
	c.live.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.release()
		defer func() {
			if r := recover(); r != nil {
				c.fail(&PanicError{Component: c.name, Value: r, Stack: debug.Stack()})
			}
		}()
		fn(rc)
		if c.kind == kindReactive {
			// Let the step see what fn changed. This goroutine has
			// nothing suspended beneath it, so the step may run here.
			c.woken.Store(true)
			c.notify(nil, true)
		}
	}()
	return nil
}

// fail records err as the component's error (if it has none) and stops it.
func (c *Core) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
	c.stop(err)
}

// AddChildren makes the given components children of c. Children start
// when c starts (at once if c is already running), c is woken when a
// child ends, and c is not Done until all its children are. Stopping c,
// or c failing, stops the children it started. A child activated by
// someone else before being added keeps its own context: c waits for it
// but does not stop it.
func (c *Core) AddChildren(children ...Component) error {
	for _, ch := range children {
		cc := ch.core()
		if cc == c {
			return fmt.Errorf("axon: %s cannot be its own child", c.name)
		}
		c.mu.Lock()
		if c.state.Load() >= stateFinished {
			c.mu.Unlock()
			return fmt.Errorf("axon: add child %s to %s: %w", cc.name, c.name, ErrFinished)
		}
		cc.mu.Lock()
		if cc.parent != nil || cc.state.Load() == stateDone {
			cc.mu.Unlock()
			c.mu.Unlock()
			return fmt.Errorf("axon: %s already has a parent or has ended", cc.name)
		}
		cc.parent = c
		cc.mu.Unlock()
		k := c.family()
		cc.childAt = len(k.children)
		k.children = append(k.children, ch)
		c.live.Add(1)
		ctx := c.pctx
		unwatched := !c.inherits && k.stopAfter == nil
		c.mu.Unlock()
		if ctx == nil {
			continue // started when c is
		}
		if unwatched {
			c.watch() // the end of c's context must reach its children
		}
		if cc.state.Load() == stateNew {
			if err := cc.activate(ctx, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// RemoveChild stops treating child as c's child: c no longer waits for
// it, every link c made to or from it is removed, and c's end no longer
// stops it. The child itself keeps running, with its helpers and its
// own children, until it ends by itself or is stopped; the context the
// tree was activated with still bounds it.
func (c *Core) RemoveChild(child Component) {
	cc := child.core()
	cc.mu.Lock()
	was := cc.parent == c
	if was {
		cc.parent = nil
		cc.inherits = false
	}
	cc.mu.Unlock()
	c.UnlinkComponent(child)
	if !was {
		return
	}
	c.mu.Lock()
	c.dropChild(cc)
	c.mu.Unlock()
	cc.watch() // it answers to the tree's context alone now
	c.release()
}

// dropChild removes child from c's children by swapping in the last
// one, so that ending one of many children is O(1). c.mu must be held.
func (c *Core) dropChild(child *Core) {
	i := child.childAt
	kids := c.children()
	if i >= len(kids) || kids[i].core() != child {
		return
	}
	last := len(kids) - 1
	kids[i] = kids[last]
	kids[i].core().childAt = i
	kids[last] = nil
	c.kin.children = kids[:last]
}

// Children returns the component's children that have not ended, in no
// particular order.
func (c *Core) Children() []Component {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Component(nil), c.children()...)
}

// NumChildren returns how many of the component's children have not
// ended. Unlike Children it does not copy the list.
func (c *Core) NumChildren() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.children())
}

// Parent returns the component's parent, or nil.
func (c *Core) Parent() *Core {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.parent
}

// Registry returns the registry the component uses for services and
// introspection: the one given with WithRegistry, else its parent's,
// else the one in its activation context, else DefaultRegistry.
func (c *Core) Registry() *Registry {
	c.mu.Lock()
	r, p := c.registry, c.parent
	c.mu.Unlock()
	switch {
	case r != nil:
		return r
	case p != nil:
		return p.Registry()
	}
	return DefaultRegistry
}
