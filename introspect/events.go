package introspect

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// hub feeds the live pages: server-sent events, one graph per interval.
// A picture is taken only while a page watches, once per interval however
// many watch, and offered to each page without waiting: a page's queue
// holds a few pictures, and when it is full the oldest is dropped (each
// picture is whole, so the page is in step again with the next one it
// gets). A page that stops reading is cut off after the write timeout.
// Nothing a page does can hold up the components.
type hub struct {
	shots *snapshots
	cfg   config

	mu      sync.Mutex
	clients map[*client]struct{}
	running bool          // run's goroutine is on
	closed  bool          // close was called
	stop    chan struct{} // closed by close
	idle    chan struct{} // tells run that the last client left
	done    sync.WaitGroup
}

// client is one live page.
type client struct {
	frames  chan *picture
	dropped atomic.Int64 // pictures dropped since the page was last told
	// cut ends a write in progress at once (close calls it, under the
	// hub's lock, while the client is still listed: its handler has not
	// returned). writing says whether one is in progress; a page that
	// is not being written to ends cleanly instead.
	cut     func()
	writing atomic.Bool
}

func newHub(shots *snapshots, cfg config) *hub {
	return &hub{shots: shots, cfg: cfg, clients: map[*client]struct{}{},
		stop: make(chan struct{}), idle: make(chan struct{}, 1)}
}

// errors of join.
var (
	errTooMany = errors.New("too many live pages")
	errClosed  = errors.New("closed")
)

// join adds a client, starting the pictures if it is the first.
func (h *hub) join(cut func()) (*client, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, errClosed
	}
	if len(h.clients) >= h.cfg.maxClients {
		return nil, errTooMany
	}
	c := &client{frames: make(chan *picture, h.cfg.queueLen), cut: cut}
	h.clients[c] = struct{}{}
	if !h.running {
		h.running = true
		h.done.Add(1)
		go h.run()
	}
	return c, nil
}

// leave removes a client; the pictures stop with the last one.
func (h *hub) leave(c *client) {
	h.mu.Lock()
	delete(h.clients, c)
	last := len(h.clients) == 0
	h.mu.Unlock()
	if last {
		select {
		case h.idle <- struct{}{}:
		default:
		}
	}
}

// run takes a picture per interval and offers it to every client, until
// no client is left or the hub is closed.
func (h *hub) run() {
	defer h.done.Done()
	t := time.NewTicker(h.cfg.interval)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-h.idle:
		case <-t.C:
		}
		h.mu.Lock()
		if len(h.clients) == 0 {
			h.running = false
			h.mu.Unlock()
			return
		}
		h.mu.Unlock()
		p := h.shots.take()
		p.json() // encoded here, once, not in the first client's writer
		h.mu.Lock()
		for c := range h.clients {
			c.offer(p)
		}
		h.mu.Unlock()
	}
}

// offer queues p for the client without waiting: if the queue is full,
// the oldest picture in it makes room.
func (c *client) offer(p *picture) {
	for {
		select {
		case c.frames <- p:
			return
		default:
		}
		select {
		case <-c.frames:
			c.dropped.Add(1)
		default:
		}
	}
}

// close ends every live page, even one whose write is stuck, and the
// pictures.
func (h *hub) close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	close(h.stop)
	for c := range h.clients {
		if c.writing.Load() {
			c.cut()
		}
	}
	h.mu.Unlock()
	h.done.Wait()
}

// SSE pieces.
var (
	graphEventStart = []byte("event: graph\ndata: ")
	eventEnd        = []byte("\n\n")
)

// serve streams pictures to one page as server-sent events: "hello"
// first (the settings the page needs), then "graph" with a Graph
// document per interval, and "dropped" with a count when pictures had to
// be dropped because the page read too slowly.
func (h *hub) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no") // no buffering proxy in between
	if r.Method == http.MethodHead {
		return
	}
	rc := http.NewResponseController(w)
	c, err := h.join(func() { _ = rc.SetWriteDeadline(time.Now()) })
	if err != nil {
		w.Header().Set("Retry-After", "5")
		http.Error(w, "503 service unavailable: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	defer h.leave(c)
	send := func(parts ...[]byte) bool {
		c.writing.Store(true)
		defer c.writing.Store(false)
		_ = rc.SetWriteDeadline(time.Now().Add(h.cfg.writeTimeout))
		select {
		case <-h.stop:
			return false // close may have looked before writing was set, or cut before the deadline was
		default:
		}
		for _, p := range parts {
			if _, err := w.Write(p); err != nil {
				return false
			}
		}
		return rc.Flush() == nil
	}
	w.WriteHeader(http.StatusOK)
	hello := fmt.Appendf(nil, "retry: 2000\nevent: hello\ndata: {\"version\":%d,\"interval_ms\":%d,\"collapse_above\":%d}\n\n",
		Version, h.cfg.interval.Milliseconds(), h.cfg.collapseAbove)
	p := h.shots.take() // the first picture now, not an interval later
	if !send(hello, graphEventStart, bytes.TrimSuffix(p.json(), []byte("\n")), eventEnd) {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-h.stop:
			return
		case p := <-c.frames:
			if n := c.dropped.Swap(0); n > 0 {
				if !send(fmt.Appendf(nil, "event: dropped\ndata: %d\n\n", n)) {
					return
				}
			}
			if !send(graphEventStart, bytes.TrimSuffix(p.json(), []byte("\n")), eventEnd) {
				return
			}
		}
	}
}
