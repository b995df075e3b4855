package introspect

import (
	"sync"
	"sync/atomic"

	"github.com/kamaelia-go/kamaelia/axon"
)

// snapshots takes pictures of a registry for every endpoint. Requests
// that come while a picture is being taken share it, so a burst of
// requests costs the data path one snapshot, not one each.
type snapshots struct {
	reg     *axon.Registry
	observe func(*Graph) // sees every graph taken (the byte tally)

	mu       sync.Mutex
	inflight *picture
	lastSize atomic.Int64 // of the last JSON document, to size the next one's buffer
}

// picture is one graph and, once asked for, its JSON.
type picture struct {
	done  chan struct{} // closed once g is set
	g     *Graph
	once  sync.Once
	jsonb []byte
	size  *atomic.Int64
}

// take returns a graph taken now, or by a request in progress.
func (s *snapshots) take() *picture {
	s.mu.Lock()
	if p := s.inflight; p != nil {
		s.mu.Unlock()
		<-p.done
		return p
	}
	p := &picture{done: make(chan struct{}), size: &s.lastSize}
	s.inflight = p
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inflight = nil
		s.mu.Unlock()
		close(p.done)
	}()
	p.g = FromSnapshot(s.reg.Snapshot())
	if s.observe != nil {
		s.observe(p.g)
	}
	return p
}

// json returns the graph's JSON document (with a final newline), encoded
// once however many clients ask.
func (p *picture) json() []byte {
	p.once.Do(func() {
		buf := make([]byte, 0, p.size.Load()+p.size.Load()/8+4096)
		p.jsonb = append(p.g.AppendJSON(buf), '\n')
		p.size.Store(int64(len(p.jsonb)))
	})
	return p.jsonb
}
