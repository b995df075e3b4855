package axon_test

import (
	"context"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// testCtx returns a context that ends with the test (or after a generous
// deadline, so a broken test fails instead of hanging) and carries a
// registry of its own.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return axon.NewContext(ctx, axon.NewRegistry())
}

// idle is a component that only ends when stopped.
func idle(name string) *axon.Core {
	return axon.New(name, func(ctx context.Context, c *axon.Core) error {
		<-ctx.Done()
		return nil
	})
}

// collector is a reactive component that records everything reaching
// "inbox", and ends on any shutdown request on "control".
type collector struct {
	*axon.Core
	got chan any
}

func newCollector(n int) *collector {
	k := &collector{got: make(chan any, n)}
	k.Core = axon.NewReactive("collector", func(ctx context.Context, c *axon.Core) error {
		for m := range c.Drain("inbox") {
			k.got <- m
		}
		if m, ok := c.Recv("control"); ok && axon.IsShutdownRequest(m) {
			return axon.ErrStop
		}
		return nil
	})
	return k
}

// recvN reads n messages from ch or fails the test at the deadline.
func recvN(t *testing.T, ctx context.Context, ch <-chan any, n int) []any {
	t.Helper()
	out := make([]any, 0, n)
	for len(out) < n {
		select {
		case m := <-ch:
			out = append(out, m)
		case <-ctx.Done():
			t.Fatalf("got %d of %d messages before the deadline: %v", len(out), n, out)
		}
	}
	return out
}

func mustLink(t *testing.T, src, dst axon.BoxRef, opts ...axon.LinkOption) *axon.Linkage {
	t.Helper()
	l, err := axon.Link(src, dst, opts...)
	if err != nil {
		t.Fatalf("link %v → %v: %v", src, dst, err)
	}
	return l
}

func waitDone(t *testing.T, ctx context.Context, c axon.Component) {
	t.Helper()
	select {
	case <-axon.CoreOf(c).Done():
	case <-ctx.Done():
		t.Fatalf("%s did not end", c.Name())
	}
}

// startChain builds and activates a chain of reactive stages ending in a
// collector of size n. Stage i passes on f(i, m) for each message m.
func startChain(t *testing.T, ctx context.Context, stages, n int, f func(i int, m any) any) ([]*axon.Core, *collector) {
	t.Helper()
	var chain []*axon.Core
	for i := range stages {
		chain = append(chain, axon.NewReactive("stage", func(ctx context.Context, c *axon.Core) error {
			for m := range c.Drain("inbox") {
				if err := c.Send(ctx, "outbox", f(i, m)); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	sink := newCollector(n)
	for i := range stages - 1 {
		mustLink(t, axon.Out(chain[i], "outbox"), axon.In(chain[i+1], "inbox"))
	}
	mustLink(t, axon.Out(chain[stages-1], "outbox"), axon.In(sink, "inbox"))
	activateAll(t, ctx, append(chain, sink.Core)...)
	return chain, sink
}

// activateAll activates each component with ctx.
func activateAll(t *testing.T, ctx context.Context, cs ...*axon.Core) {
	t.Helper()
	for _, c := range cs {
		if err := c.Activate(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// stopAll stops each component, then waits until each has ended.
func stopAll(t *testing.T, ctx context.Context, cs ...*axon.Core) {
	t.Helper()
	for _, c := range cs {
		c.Stop()
	}
	for _, c := range cs {
		waitDone(t, ctx, c)
	}
}
