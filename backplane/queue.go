package backplane

import "github.com/kamaelia-go/kamaelia/axon"

// queue is a subscriber's FIFO of messages: a ring that grows on demand,
// so a subscriber that keeps up holds only a few slots whatever its
// limit. It is guarded by its subscriber's mu.
type queue struct {
	buf   []any
	head  int
	n     int
	bytes int
}

// room reports whether a message of sz bytes fits under the limits of
// msgs messages and (if positive) bytes bytes, when held more messages
// of heldBytes bytes are taken out but not yet sent. An empty queue takes
// any one message, however large, as an axon inbox does.
func (q *queue) room(msgs, bytes, sz, held, heldBytes int) bool {
	if q.n == 0 {
		return true
	}
	return q.n+held < msgs && (bytes <= 0 || q.bytes+heldBytes+sz <= bytes)
}

// popInto moves up to len(dst) messages into dst and returns how many,
// and their bytes.
func (q *queue) popInto(dst []any) (n, bytes int) {
	for n < len(dst) {
		msg, ok := q.pop()
		if !ok {
			break
		}
		dst[n] = msg
		bytes += axon.MessageBytes(msg)
		n++
	}
	return n, bytes
}

func (q *queue) push(msg any, sz int) {
	if q.n == len(q.buf) {
		nb := make([]any, max(2*len(q.buf), 4))
		for i := range q.n {
			nb[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = nb, 0
	}
	q.buf[(q.head+q.n)%len(q.buf)] = msg
	q.n++
	q.bytes += sz
}

func (q *queue) pop() (any, bool) {
	if q.n == 0 {
		return nil, false
	}
	msg := q.buf[q.head]
	q.buf[q.head] = nil
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	q.bytes -= axon.MessageBytes(msg)
	if q.n == 0 {
		q.head, q.bytes = 0, 0
		if len(q.buf) > 64 {
			q.buf = nil // a burst does not hold its memory
		}
	}
	return msg, true
}

// clear empties the queue and returns how many messages it held.
func (q *queue) clear() uint64 {
	n := q.n
	*q = queue{}
	return uint64(n)
}
