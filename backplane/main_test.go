package backplane_test

import (
	"context"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/backplane"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// start activates a backplane called name and ends it with the test.
func start(t *testing.T, ctx context.Context, name string) *backplane.Backplane {
	t.Helper()
	bp := backplane.New(name)
	axontest.Activate(t, ctx, bp)
	t.Cleanup(func() { bp.Stop(); <-bp.Done() })
	return bp
}

// subscribe activates a subscriber with a handle on its outboxes; it is
// stopped when the test ends.
func subscribe(t *testing.T, ctx context.Context, name string, opts ...backplane.SubscribeOption) (*backplane.SubscribeTo, *axon.Handle) {
	t.Helper()
	s := backplane.NewSubscribeTo(name, opts...)
	h := axontest.Handle(t, s)
	axontest.Activate(t, ctx, s)
	t.Cleanup(func() { s.Stop(); <-s.Done() })
	return s, h
}

// publisher activates a PublishTo with a handle; it is stopped when the
// test ends.
func publisher(t *testing.T, ctx context.Context, name string) (*backplane.PublishTo, *axon.Handle) {
	t.Helper()
	p := backplane.NewPublishTo(name)
	h := axontest.Handle(t, p)
	axontest.Activate(t, ctx, p)
	t.Cleanup(func() { p.Stop(); <-p.Done() })
	return p, h
}

// getN takes n messages from the handle's outbox.
func getN(t *testing.T, ctx context.Context, h *axon.Handle, n int) []any {
	t.Helper()
	out := make([]any, 0, n)
	for range n {
		out = append(out, axontest.Get(t, ctx, h, "outbox"))
	}
	return out
}

// eventually waits until cond holds, looking every millisecond, or fails
// the test when ctx ends.
func eventually(t *testing.T, ctx context.Context, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("condition not met before the deadline")
		case <-time.After(time.Millisecond):
		}
	}
}
