package internet

import (
	"sync"
	"time"
)

// refusalLog logs the connections a server refuses (over its limit, or
// for want of a handler) at most once a second, with how many there
// were, so that a flood of refusals cannot flood the log. It is safe
// for concurrent use.
type refusalLog struct {
	log func(n int) // writes one line for n refusals

	mu      sync.Mutex
	n       int // refusals not logged yet
	last    time.Time
	pending *time.Timer // logs the refusals counted since last
}

// add counts a refusal: it is logged at once if the last line is a
// second old, else with the others when the second is up.
func (r *refusalLog) add() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	if r.pending != nil {
		return
	}
	wait := time.Second - time.Since(r.last)
	if wait <= 0 {
		r.flushLocked()
		return
	}
	r.pending = time.AfterFunc(wait, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.pending = nil
		r.flushLocked()
	})
}

// flush logs what is counted now, and stops the timer.
func (r *refusalLog) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pending != nil {
		r.pending.Stop()
		r.pending = nil
	}
	r.flushLocked()
}

func (r *refusalLog) flushLocked() {
	if r.n == 0 {
		return
	}
	r.log(r.n)
	r.n, r.last = 0, time.Now()
}
