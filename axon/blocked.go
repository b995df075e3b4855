package axon

import "sync"

// Which of a component's sends wait for room, for introspection.
//
// Nearly always a component has at most one send waiting, so that case
// costs one atomic operation on each side of the wait (as much as the
// single pointer this replaced): the waiter is the component's blocked
// send. A send that starts waiting while another
// already is (a helper's and the body's, say) goes into a process-wide
// overflow list, and when the blocked send ends its wait one of those
// takes its place. Info reads the blocked send once; the component is
// shown blocked while any of its sends waits, except for the moment a
// waiter is being promoted from the overflow list.
var overflow struct {
	mu      sync.Mutex
	waiting map[*Core][]*waiter
}

// blockOn records that one of c's sends waits, in w, for room in b. It
// reports whether w became c's blocked send at once, for unblock.
func (c *Core) blockOn(w *waiter, b *box) (first bool) {
	w.on = b
	if c.blocked.CompareAndSwap(nil, w) {
		return true
	}
	overflow.mu.Lock()
	c.moreBlocked.Add(1)
	// The blocked send may have ended meanwhile: if it did so before
	// moreBlocked counted w, it did not look for w, so take its place.
	if c.blocked.CompareAndSwap(nil, w) {
		c.moreBlocked.Add(-1)
	} else {
		if overflow.waiting == nil {
			overflow.waiting = map[*Core][]*waiter{}
		}
		overflow.waiting[c] = append(overflow.waiting[c], w)
	}
	overflow.mu.Unlock()
	return false
}

// unblock records that the send waiting in w has ended its wait; first
// is what blockOn returned.
func (c *Core) unblock(w *waiter, first bool) {
	if !first {
		overflow.mu.Lock()
		list := overflow.waiting[c]
		for i, x := range list {
			if x == w { // still in the overflow list: leave it
				c.moreBlocked.Add(-1)
				c.setOverflow(append(list[:i], list[i+1:]...))
				overflow.mu.Unlock()
				return
			}
		}
		overflow.mu.Unlock() // promoted: w is c's blocked send
	}
	c.blocked.Store(nil)
	if c.moreBlocked.Load() == 0 {
		return
	}
	overflow.mu.Lock()
	if list := overflow.waiting[c]; len(list) > 0 && c.blocked.CompareAndSwap(nil, list[0]) {
		c.moreBlocked.Add(-1)
		c.setOverflow(list[1:])
	}
	overflow.mu.Unlock()
}

// setOverflow stores c's overflow list. overflow.mu must be held.
func (c *Core) setOverflow(list []*waiter) {
	if len(list) == 0 {
		delete(overflow.waiting, c)
		return
	}
	overflow.waiting[c] = list
}
