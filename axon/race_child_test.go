package axon_test

import (
	"context"
	"testing"
	"testing/synctest"

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
// too, whether the root is a body or reactive.
func TestCancellationWakesIdleReactiveDescendants(t *testing.T) {
	roots := []struct {
		name string
		make func() *axon.Core
	}{
		{"reactive root", func() *axon.Core { return idleReactive("root") }},
		{"body root", func() *axon.Core { return idle("root") }},
	}
	tests := []struct {
		name string
		end  func(cancel context.CancelFunc, root, mid *axon.Core)
	}{
		{"root context cancelled", func(cancel context.CancelFunc, _, _ *axon.Core) { cancel() }},
		{"root stopped", func(_ context.CancelFunc, root, _ *axon.Core) { root.Stop() }},
		{"middle stopped", func(_ context.CancelFunc, _, mid *axon.Core) { mid.Stop() }},
	}
	for _, rt := range roots {
		for _, tc := range tests {
			t.Run(rt.name+"/"+tc.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					ctx, cancel := context.WithCancel(context.Background())
					defer cancel()
					root := rt.make()
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
					synctest.Wait() // every step has run once: they are idle
					tc.end(cancel, root, mid)
					synctest.Wait()
					for _, c := range []*axon.Core{leaf, leaf2, mid} {
						if !c.Finished() {
							t.Fatalf("%s did not end", c.Name())
						}
					}
					root.Stop()
					<-root.Done()
				})
			})
		}
	}
}

// A parent that has finished (its body or step ended normally) while
// its children run still passes on the end of its activation context:
// its idle reactive children end, and it is Done.
func TestCancellationReachesChildrenOfFinishedParent(t *testing.T) {
	parents := []struct {
		name string
		make func() *axon.Core
	}{
		{"reactive", func() *axon.Core {
			return axon.NewReactive("parent", func(context.Context, *axon.Core) error { return axon.ErrStop })
		}},
		{"body", func() *axon.Core {
			return axon.New("parent", func(context.Context, *axon.Core) error { return nil })
		}},
	}
	for _, pt := range parents {
		t.Run(pt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				parent := pt.make()
				if err := parent.AddChildren(idleReactive("child")); err != nil {
					t.Fatal(err)
				}
				if err := parent.Activate(ctx); err != nil {
					t.Fatal(err)
				}
				synctest.Wait()
				if !parent.Finished() {
					t.Fatal("parent has not finished")
				}
				cancel()
				synctest.Wait()
				select {
				case <-parent.Done():
				default:
					t.Fatal("parent not done: its idle child never saw the context end")
				}
			})
		})
	}
}
