package axon

import (
	"context"
	"sync"
)

// slot is one queued message with its arrival number (see Core.Next).
type slot struct {
	msg any
	seq uint64
}

// queue is the storage of one inbox: a bounded FIFO ring that grows on
// demand up to its limit, so an idle box costs almost nothing.
//
// All fields below mu are guarded by it. The owner's ready bits mirror
// n > 0 (see Core.ready) and are written only when the queue turns empty
// or non-empty, so AnyReady, Next, and the readers below when the queue
// is empty, can read them without the lock, and the hot path writes no
// more than that.
type queue struct {
	box   *box  // the inbox this storage belongs to
	owner *Core // box.owner, one load nearer

	mu        sync.Mutex
	buf       []slot
	head      int
	n         int
	bytes     int
	limit     Limit
	closed    bool      // owner ended: pushes are dropped
	forwarded bool      // box is passthrough-linked: pushes follow box.target
	bit       uint8     // this queue's bit in the owner's ready bits; set at creation
	waiters   []*waiter // senders waiting for room, oldest first
	pushed    uint64    // messages ever accepted
	popped    uint64    // messages ever taken
	dropped   uint64    // messages discarded because the owner ended
	overflow  uint64    // messages accepted past the limit to avoid a deadlock
}

// overflowBit is the ready bit shared by a component's 64th and later
// inboxes. It is set when any of them turns non-empty and never cleared,
// so for them it only says "look": their own count, under their lock,
// decides.
const overflowBit = 63

func bitFor(index int) uint8 { return uint8(min(index, overflowBit)) }

// setReady and clearReady record that the queue turned non-empty or
// empty. mu must be held.
func (q *queue) setReady() { q.owner.ready.Or(1 << q.bit) }

func (q *queue) clearReady() {
	if q.bit != overflowBit {
		q.owner.ready.And(^(uint64(1) << q.bit))
	}
}

// number returns the arrival number for a message arriving at c now.
//
// When a component's inbox is passed through into another's after
// messages have queued in its other boxes (a TCPClient that connects
// while data and a producerFinished arrive), the messages moved by the
// later links keep the numbers they arrived with (see moveQueued), and
// so must be comparable with those of messages that arrived meanwhile
// at the inner component directly. So every number given here also
// moves the feeders' clocks past it: a message that reaches a feeder
// later is numbered after it. Feeding chains are as deep as composites
// that pass boxes through are nested.
func (c *Core) number() uint64 {
	seq := c.arrivals.Add(1)
	for f := c.feeder.Load(); f != nil; f = f.feeder.Load() { // feeders never loop (see feeds)
		advance(&f.arrivals, seq)
	}
	return seq
}

// maybeReady reports whether the queue may hold a message: false means
// it was empty when looked at.
func (q *queue) maybeReady() bool { return q.owner.ready.Load()&(1<<q.bit) != 0 }

// retainSlots is the ring capacity kept when a queue drains: a bounded
// box at the default limit keeps its ring (so a busy box never
// reallocates), while a ring that grew past it, in an unbounded or
// generously limited box, is released so one burst does not hold memory.
const retainSlots = 64

// fullFor reports whether accepting msg (of size sz) would pass the limit.
// mu must be held. An empty queue always accepts one message, however
// large, so a single big message cannot wedge a box.
func (q *queue) fullFor(sz int) bool {
	n := q.n
	if n == 0 {
		return false
	}
	if m := q.limit.Messages; m > 0 && n >= m {
		return true
	}
	if b := q.limit.Bytes; b > 0 && q.bytes+sz > b {
		return true
	}
	return false
}

// appendLocked stores msg at the tail. mu must be held.
func (q *queue) appendLocked(msg any, seq uint64, sz int) {
	n := q.n
	if n == len(q.buf) {
		q.grow()
	}
	i := q.head + n
	if i >= len(q.buf) {
		i -= len(q.buf)
	}
	q.buf[i] = slot{msg: msg, seq: seq}
	q.n = n + 1
	if n == 0 {
		q.setReady()
	}
	q.bytes += sz
	q.pushed++
}

func (q *queue) grow() {
	n := q.n
	// Start with one slot: most boxes of an idle connection have held
	// one message at a time, and a busy box reaches its size in a few
	// doublings that it keeps (see retainSlots).
	size := max(2*len(q.buf), 1)
	nb := make([]slot, size)
	for i := 0; i < n; i++ {
		j := q.head + i
		if j >= len(q.buf) {
			j -= len(q.buf)
		}
		nb[i] = q.buf[j]
	}
	q.buf, q.head = nb, 0
}

// popLocked removes and returns the head. mu must be held and n > 0.
func (q *queue) popLocked() slot {
	s := q.buf[q.head]
	q.buf[q.head] = slot{}
	q.head++
	if q.head == len(q.buf) {
		q.head = 0
	}
	q.n--
	q.bytes -= MessageBytes(s.msg)
	q.popped++
	if q.n == 0 {
		q.clearReady()
		q.head = 0
		if len(q.buf) > retainSlots {
			q.buf = nil
		}
	}
	q.admit()
	return s
}

// waiter is a sender parked on a full queue with its message. Whoever
// frees room moves the message in and signals ready, so a woken sender
// never has to compete for the lock again (the way channels hand off).
type waiter struct {
	msg   any
	sz    int
	ready chan struct{} // one token per decision
	fate  int           // decided under the queue's lock
	into  *queue        // the queue that took the message

	on *box // the box waited on, for introspection (see blocked.go)
}

const (
	waitPending = iota
	waitAccepted
	waitDropped
)

// admit moves waiting senders' messages in while they fit, oldest
// first. mu must be held.
func (q *queue) admit() {
	if len(q.waiters) == 0 {
		return
	}
	for len(q.waiters) > 0 {
		w := q.waiters[0]
		if q.fullFor(w.sz) {
			break
		}
		q.waiters[0] = nil
		q.waiters = q.waiters[1:]
		q.appendLocked(w.msg, q.owner.number(), w.sz)
		w.decide(waitAccepted, q)
	}
	if len(q.waiters) == 0 {
		q.waiters = nil
	}
	if o := q.owner; o.kind == kindReactive {
		o.run.Or(pendBit) // the running step must look again
	}
}

func (w *waiter) decide(fate int, into *queue) {
	w.msg, w.fate, w.into = nil, fate, into
	w.ready <- struct{}{}
}

// peekSeq returns the arrival number of the head, or false if empty.
func (q *queue) peekSeq() (uint64, bool) {
	if !q.maybeReady() {
		return 0, false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n == 0 {
		return 0, false
	}
	return q.buf[q.head].seq, true
}

// len returns the number of messages queued.
func (q *queue) len() int {
	if !q.maybeReady() {
		return 0
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// peek returns the head without removing it.
func (q *queue) peek() (any, bool) {
	if !q.maybeReady() {
		return nil, false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n == 0 {
		return nil, false
	}
	return q.buf[q.head].msg, true
}

// pop removes the head, if any.
func (q *queue) pop() (any, bool) {
	if !q.maybeReady() {
		return nil, false
	}
	q.mu.Lock()
	if q.n == 0 {
		q.mu.Unlock()
		return nil, false
	}
	s := q.popLocked()
	q.mu.Unlock()
	return s.msg, true
}

// popUpTo removes the head if it arrived no later than mark (see
// Core.Next). newer reports that a head was there but arrived later.
func (q *queue) popUpTo(mark uint64) (msg any, ok, newer bool) {
	q.mu.Lock()
	if q.n == 0 {
		q.mu.Unlock()
		return nil, false, false
	}
	if q.buf[q.head].seq > mark {
		q.mu.Unlock()
		return nil, false, true
	}
	s := q.popLocked()
	q.mu.Unlock()
	return s.msg, true, false
}

// popBatch moves up to len(dst) messages into dst and returns how many.
func (q *queue) popBatch(dst []slot) int {
	q.mu.Lock()
	k := 0
	for k < len(dst) && q.n > 0 {
		dst[k] = q.popLocked()
		k++
	}
	q.mu.Unlock()
	return k
}

// unpop puts slots taken by popBatch but not consumed back at the head,
// in order.
func (q *queue) unpop(back []slot) {
	if len(back) == 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		q.dropped += uint64(len(back))
		return
	}
	for i := len(back) - 1; i >= 0; i-- {
		if q.n == len(q.buf) {
			q.grow()
		}
		q.head--
		if q.head < 0 {
			q.head += len(q.buf)
		}
		q.buf[q.head] = back[i]
		q.n++
		q.bytes += MessageBytes(back[i].msg)
		q.popped--
	}
	q.setReady() // at least one went back
}

// close marks the queue's owner as ended: queued messages are discarded
// (and counted) and waiting senders are released.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	for q.n > 0 {
		q.popLocked()
		q.dropped++
	}
	q.buf = nil
	for _, w := range q.waiters {
		q.dropped++
		w.decide(waitDropped, nil)
	}
	q.waiters = nil
	q.mu.Unlock()
}

// push delivers msg into the final storage reached from q, following
// passthrough forwarding. It waits for room when block is set. from is
// the sending component (nil for plain Go code), shown as blocked while
// it waits; ctx tells whether it is from's step that sends (see
// runner.beforeWait). It returns the queue that took the message (nil
// if it was dropped).
func (q *queue) push(ctx context.Context, msg any, block bool, from *Core) (*queue, error) {
	sz := MessageBytes(msg)
	for {
		q.mu.Lock()
		if q.forwarded {
			next := q.box.target.Load()
			q.mu.Unlock()
			if next == nil {
				return nil, nil
			}
			q = next
			continue
		}
		if q.closed {
			q.mu.Unlock()
			return nil, nil
		}
		if len(q.waiters) == 0 && !q.fullFor(sz) {
			break
		}
		if !block {
			q.mu.Unlock()
			return nil, ErrBoxFull
		}
		if from == nil {
			return q.wait(ctx, msg, sz, nil)
		}
		r := from.runner.Load()
		if r != nil && callerOf(ctx) == from {
			// from's own step: it waits unless waiting could never end,
			// because the consumer is the sender itself or waits for
			// it, directly or through others. Then the message goes in
			// past the limit, and the count of that shows.
			if q.owner == from || !r.beforeWait(from, q.owner) {
				q.overflow++
				break
			}
			got, err := q.wait(ctx, msg, sz, from)
			r.afterWait()
			return got, err
		}
		if r != nil && q.owner.runner.Load() == r && r.take(q.owner) {
			// A helper of from (or a step that did not pass its
			// context): the consumer must not wait behind from's step.
			go runFrom(q.owner)
		}
		return q.wait(ctx, msg, sz, from)
	}
	q.appendLocked(msg, q.owner.number(), sz)
	q.mu.Unlock()
	return q, nil
}

// wait parks the sender with its message until a consumer admits it, the
// owner ends, or ctx ends. mu is held on entry and released. While it
// waits, who (if any) is shown blocked on q's box.
func (q *queue) wait(ctx context.Context, msg any, sz int, who *Core) (*queue, error) {
	// A fresh waiter each time: waiting already costs a park and a
	// wake-up, and a pooled channel could cross testing/synctest bubbles.
	w := &waiter{msg: msg, sz: sz, ready: make(chan struct{}, 1)}
	q.waiters = append(q.waiters, w)
	q.mu.Unlock()
	if who != nil {
		first := who.blockOn(w, q.box)
		defer who.unblock(w, first)
	}
	select {
	case <-w.ready:
	case <-ctx.Done():
		q.mu.Lock()
		if w.fate == waitPending {
			for i, x := range q.waiters {
				if x == w {
					q.waiters = append(q.waiters[:i:i], q.waiters[i+1:]...)
					break
				}
			}
			q.mu.Unlock()
			return nil, ctx.Err()
		}
		q.mu.Unlock()
		<-w.ready // decided while we were giving up: honour the decision
	}
	if w.fate == waitDropped {
		return nil, nil
	}
	return w.into, nil
}
