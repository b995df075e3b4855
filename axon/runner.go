package axon

import (
	"sync"
	"sync/atomic"
)

// A runner runs reactive steps one at a time in one goroutine, and never
// one inside another: it is the trampoline of the core.
//
// Whoever makes a reactive component runnable while no step of theirs
// is running (a helper, a socket's reader, plain Go code) takes the
// component's run token and becomes its runner: it runs the step in its
// own goroutine. A body's own send starts a new goroutine as the runner
// instead (see box.deliver). A step that makes another component
// runnable does not run it; it queues it on its own runner, which runs
// it after the current step returns. So a chain of components passes a
// message along in the goroutine that brought it, with one step on the
// stack at a time, and the sender's Send returns before the receiver's
// step runs.
//
// The queue is guarded by mu because a component's helpers (see Go) send
// from other goroutines while its step runs; they queue on its runner
// too, or, if the runner has finished, run the receiver themselves.
type runner struct {
	mu         sync.Mutex
	head, tail *Core // runnable components, linked by Core.runNext
	done       bool  // the runner has returned; add refuses
	// waiting is non-zero while the running step waits for room in an
	// inbox. Nothing is queued behind a step that waits: add refuses,
	// and what was queued moves to a new runner (see beforeWait).
	waiting int
	// waitsFor is the component the running step waits for room in, if
	// it waits: other steps follow it to find a cycle of waits.
	waitsFor atomic.Pointer[Core]
}

// runners are reused: each delivery from outside any step needs one.
// A component may still point at a runner that was put back (see
// Core.runner); every use of the queue checks done under mu, so such a
// pointer only ever queues onto a live runner or is refused.
var runners = sync.Pool{New: func() any { return new(runner) }}

// runFrom runs c (whose run token the caller holds) in this goroutine,
// then every component its steps make runnable, in the order they
// became runnable, until none is left.
func runFrom(c *Core) { newRunner().run(c) }

// newRunner returns a runner, fresh or reused, ready to run.
func newRunner() *runner {
	r := runners.Get().(*runner)
	r.mu.Lock()
	r.done = false
	r.mu.Unlock()
	return r
}

// run runs c, then whatever is queued, then gives r back.
func (r *runner) run(c *Core) {
	for c != nil {
		c.runSteps(r)
		c = r.pop()
	}
	runners.Put(r)
}

// add queues c, whose run token the caller holds, to run after the
// current step. It reports false if r has finished: the caller must
// then see that c runs.
func (r *runner) add(c *Core) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done || r.waiting > 0 {
		return false
	}
	c.runner.Store(r)
	c.runNext = nil
	if r.tail == nil {
		r.head = c
	} else {
		r.tail.runNext = c
	}
	r.tail = c
	return true
}

// pop takes the next component off the queue, or marks r finished and
// returns nil when there is none.
func (r *runner) pop() *Core {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.head
	if c == nil {
		r.done = true
		return nil
	}
	r.head, c.runNext = c.runNext, nil
	if r.head == nil {
		r.tail = nil
	}
	return c
}

// beforeWait readies r for a wait of its running step, from's, for room
// in c's inbox: what r has queued (c, perhaps) goes to a new goroutine,
// and nothing more is queued on r until afterWait, so the wait depends
// on no work stuck behind it. It reports false, and undoes that, if the
// wait would close a cycle of steps each waiting for the next: then the
// caller must not wait.
func (r *runner) beforeWait(from, c *Core) bool {
	r.mu.Lock()
	r.waiting++
	head := r.head
	r.head, r.tail = nil, nil
	for x := head; x != nil; x = x.runNext {
		x.runner.Store(nil) // runQueued gives them their new runner
	}
	r.mu.Unlock()
	if head != nil {
		go runQueued(head)
	}
	// Published before looking, so that of two steps that begin to wait
	// for each other at once, at least one sees the other.
	r.waitsFor.Store(c)
	if waitsOn(c, from) {
		r.afterWait()
		return false
	}
	return true
}

// afterWait ends what beforeWait began.
func (r *runner) afterWait() {
	r.waitsFor.Store(nil)
	r.mu.Lock()
	r.waiting--
	r.mu.Unlock()
}

// maxWaitChain bounds how far waitsOn follows a chain of waiting steps.
const maxWaitChain = 64

// waitsOn reports whether c's step waits, directly or through a chain
// of other waiting steps, for room in from's inbox.
func waitsOn(c, from *Core) bool {
	for range maxWaitChain {
		r := c.runner.Load()
		if r == nil {
			return false
		}
		next := r.waitsFor.Load()
		if next == nil {
			return false
		}
		if next == from {
			return true
		}
		c = next
	}
	return false
}

// take removes c from r's queue and reports whether it was there.
func (r *runner) take(c *Core) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	var prev *Core
	for x := r.head; x != nil; prev, x = x, x.runNext {
		if x != c {
			continue
		}
		if prev == nil {
			r.head = x.runNext
		} else {
			prev.runNext = x.runNext
		}
		if r.tail == x {
			r.tail = prev
		}
		x.runNext = nil
		x.runner.Store(nil)
		return true
	}
	return false
}

// runQueued runs, on a runner of its own, the components linked from
// head, which a waiting step's runner handed over.
func runQueued(head *Core) {
	r := newRunner()
	for c := head; c != nil; {
		next := c.runNext
		r.add(c)
		c = next
	}
	r.run(r.pop())
}
