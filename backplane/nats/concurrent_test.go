package nats_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/backplane"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/natstest"
)

// Publishers in two processes talk at once while subscribers come and
// go, and Stats, snapshots and Close are called from other goroutines:
// a steady subscriber in each process gets every message once, and
// nothing races (run with -race).
func TestConcurrentUse(t *testing.T) {
	srv := natstest.Start(t)
	a, b := startProc(t, srv.URL()), startProc(t, srv.URL())
	const pubs, n = 4, 200
	// They read only once the publishers are done: room for it all.
	all := backplane.QueueLimit(axon.Limit{Messages: 2 * pubs * n})
	_, ha := a.subscribe(t, all)
	_, hb := b.subscribe(t, all)
	done := make(chan struct{})
	var bg sync.WaitGroup
	for _, p := range []*proc{a, b} {
		bg.Go(func() { // look while it runs
			for {
				select {
				case <-done:
					return
				default:
				}
				_ = p.bp.Stats()
				_ = axon.RegistryFrom(p.ctx).Snapshot()
			}
		})
		bg.Go(func() { // subscribers come and go
			for {
				select {
				case <-done:
					return
				default:
				}
				s := backplane.NewSubscribeTo("chat", backplane.OnFull(backplane.DropOldest))
				if err := s.Activate(p.ctx); err != nil {
					t.Error(err)
					return
				}
				s.Stop()
				<-s.Done()
			}
		})
	}
	var wg sync.WaitGroup
	for i := range pubs {
		for who, p := range map[string]*proc{"a": a, "b": b} {
			wg.Go(func() {
				pub := backplane.NewPublishTo("chat")
				h := axontest.Handle(t, pub)
				axontest.Activate(t, p.ctx, pub)
				defer func() { pub.Stop(); <-pub.Done() }()
				for j := range n {
					if err := h.Put(p.ctx, "inbox", fmt.Appendf(nil, "%s%d-%d", who, i, j)); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	for _, s := range []struct {
		p *proc
		h *axon.Handle
	}{{a, ha}, {b, hb}} {
		seen := map[string]bool{}
		for range 2 * pubs * n {
			m := getString(t, s.p.ctx, s.h)
			if seen[m] {
				t.Fatalf("%q twice", m)
			}
			seen[m] = true
		}
	}
	close(done)
	bg.Wait()
	// Close while active cuts the process off from NATS; Close again
	// does nothing.
	var cw sync.WaitGroup
	for range 3 {
		cw.Go(func() { a.bp.Close() })
	}
	cw.Wait()
	if a.bp.Stats().Connected {
		t.Fatal("still connected after Close")
	}
}
