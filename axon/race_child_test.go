package axon_test

import (
	"context"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
)

// A child that ends at once runs its reactive parent's step before
// Activate has returned; under -race this once showed the parent's end
// racing with its own activation.
func TestReactiveParentWhoseChildEndsAtOnce(t *testing.T) {
	ctx := context.Background()
	for range 3000 {
		p := axon.NewReactive("parent", func(ctx context.Context, c *axon.Core) error {
			if c.NumChildren() == 0 {
				return axon.ErrStop
			}
			return nil
		})
		if err := p.AddChildren(axon.New("child", func(context.Context, *axon.Core) error { return nil })); err != nil {
			t.Fatal(err)
		}
		if err := p.Run(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// idleReactive is a reactive component that only ends when stopped.
func idleReactive(name string) *axon.Core {
	return axon.NewReactive(name, func(ctx context.Context, c *axon.Core) error { return ctx.Err() })
}

// Cancelling an ancestor's context, or stopping or failing an ancestor,
// reaches idle reactive components below it, through body components
// too.
func TestCancellationWakesIdleReactiveDescendants(t *testing.T) {
	tests := []struct {
		name string
		end  func(cancel context.CancelFunc, root, mid *axon.Core)
	}{
		{"root context cancelled", func(cancel context.CancelFunc, _, _ *axon.Core) { cancel() }},
		{"root stopped", func(_ context.CancelFunc, root, _ *axon.Core) { root.Stop() }},
		{"middle stopped", func(_ context.CancelFunc, _, mid *axon.Core) { mid.Stop() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			root := idleReactive("root")
			mid := axon.New("mid", func(ctx context.Context, c *axon.Core) error {
				<-ctx.Done()
				return nil
			})
			leaf, leaf2 := idleReactive("leaf"), idleReactive("leaf2")
			if err := mid.AddChildren(leaf, leaf2); err != nil {
				t.Fatal(err)
			}
			if err := root.AddChildren(mid); err != nil {
				t.Fatal(err)
			}
			if err := root.Activate(ctx); err != nil {
				t.Fatal(err)
			}
			tc.end(cancel, root, mid)
			for _, c := range []*axon.Core{leaf, leaf2, mid} {
				select {
				case <-c.Done():
				case <-time.After(10 * time.Second):
					t.Fatalf("%s did not end", c.Name())
				}
			}
			root.Stop()
			<-root.Done()
		})
	}
}
