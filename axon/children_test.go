package axon_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/kamaelia-go/kamaelia/axon"
)

// A child removed with RemoveChild keeps running, with its helpers,
// however its former parent ends afterwards; it ends when it is stopped
// itself, or when the context the tree was activated with ends.
func TestRemovedChildKeepsRunning(t *testing.T) {
	boom := errors.New("boom")
	kinds := []struct {
		name string
		make func(helperCtx chan<- context.Context) *axon.Core
	}{
		{"body", func(helperCtx chan<- context.Context) *axon.Core {
			return axon.New("child", func(ctx context.Context, c *axon.Core) error {
				if err := c.Go(func(ctx context.Context) { helperCtx <- ctx; <-ctx.Done() }); err != nil {
					return err
				}
				<-ctx.Done()
				return ctx.Err()
			})
		}},
		{"reactive", func(helperCtx chan<- context.Context) *axon.Core {
			started := false
			return axon.NewReactive("child", func(ctx context.Context, c *axon.Core) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				if !started {
					started = true
					return c.Go(func(ctx context.Context) { helperCtx <- ctx; <-ctx.Done() })
				}
				return nil
			})
		}},
	}
	ends := []struct {
		name string
		end  func(cancel context.CancelFunc, parent *axon.Core, fail chan<- error)
	}{
		{"parent stopped", func(_ context.CancelFunc, parent *axon.Core, _ chan<- error) { parent.Stop() }},
		{"parent fails", func(_ context.CancelFunc, _ *axon.Core, fail chan<- error) { fail <- boom }},
		{"parent ends", func(_ context.CancelFunc, _ *axon.Core, fail chan<- error) { fail <- nil }},
	}
	for _, k := range kinds {
		for _, e := range ends {
			t.Run(k.name+"/"+e.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					ctx := testCtx(t)
					fail := make(chan error)
					parent := axon.New("parent", func(ctx context.Context, c *axon.Core) error {
						select {
						case err := <-fail:
							return err
						case <-ctx.Done():
							return ctx.Err()
						}
					})
					helperCtx := make(chan context.Context, 1)
					child := k.make(helperCtx)
					if err := parent.AddChildren(child); err != nil {
						t.Fatal(err)
					}
					if err := parent.Activate(ctx); err != nil {
						t.Fatal(err)
					}
					hctx := <-helperCtx
					parent.RemoveChild(child)
					if p := child.Parent(); p != nil {
						t.Fatalf("removed child has parent %s", p.Name())
					}
					e.end(nil, parent, fail)
					<-parent.Done()
					synctest.Wait()
					if child.Finished() || hctx.Err() != nil {
						t.Fatalf("removed child ended with its former parent (finished %v, helper's context %v)", child.Finished(), hctx.Err())
					}
					child.Stop()
					<-child.Done()
					if !errors.Is(child.Err(), context.Canceled) || hctx.Err() == nil {
						t.Fatalf("stopped child: Err %v, helper's context %v", child.Err(), hctx.Err())
					}
				})
			})
		}
	}
}

// The context a tree was activated with still bounds a child removed
// from it: when it ends, the child is stopped, even an idle reactive one.
func TestRemovedChildEndsWithTheTreesContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(testCtx(t))
		defer cancel()
		parent := idle("parent")
		child := idleReactive("child")
		if err := parent.AddChildren(child); err != nil {
			t.Fatal(err)
		}
		if err := parent.Activate(ctx); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		parent.RemoveChild(child)
		parent.Stop()
		<-parent.Done()
		cancel()
		<-child.Done()
		if !errors.Is(child.Err(), context.Canceled) {
			t.Fatalf("Err = %v, want context.Canceled", child.Err())
		}
	})
}

// A component activated on its own and then added as a child keeps its
// own context: its parent waits for it but stopping the parent does not
// stop it.
func TestAdoptedChildKeepsItsOwnContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := testCtx(t)
		parent := idle("parent")
		if err := parent.Activate(ctx); err != nil {
			t.Fatal(err)
		}
		child := idleReactive("child")
		if err := child.Activate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := parent.AddChildren(child); err != nil {
			t.Fatal(err)
		}
		parent.Stop()
		synctest.Wait()
		if child.Finished() {
			t.Fatal("stopping the parent stopped a child it did not start")
		}
		select {
		case <-parent.Done():
			t.Fatal("parent done while its child runs")
		default:
		}
		child.Stop()
		<-parent.Done()
	})
}
