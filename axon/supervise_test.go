package axon_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/kamaelia-go/kamaelia/axon"
)

func panicky(ctx context.Context, c *axon.Core) error {
	if _, ok := c.Recv("inbox"); ok {
		panic("bad input")
	}
	return nil
}

func TestPanicBecomesErrorWithStack(t *testing.T) {
	tests := []struct {
		name string
		c    *axon.Core
	}{
		{"body", axon.New("p", func(ctx context.Context, c *axon.Core) error {
			if err := c.Wait(ctx); err != nil {
				return err
			}
			return panicky(ctx, c)
		})},
		{"step", axon.NewReactive("p", panicky)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			h, err := axon.NewHandle(tt.c)
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.c.Activate(ctx); err != nil {
				t.Fatal(err)
			}
			if err := h.Put(ctx, "inbox", "boom"); err != nil {
				t.Fatal(err)
			}
			err = h.Wait(ctx)
			var pe *axon.PanicError
			if !errors.As(err, &pe) {
				t.Fatalf("Run error = %v, want *PanicError", err)
			}
			if pe.Value != "bad input" || !strings.Contains(string(pe.Stack), "panicky") {
				t.Fatalf("panic error lacks value or stack: %v\n%s", pe.Value, pe.Stack)
			}
			sig, err := h.Get(ctx, "signal")
			if err != nil {
				t.Fatal(err)
			}
			if !axon.IsProducerFinished(sig) || !errors.As(axon.Cause(sig), &pe) {
				t.Fatalf("signal got %#v, want ProducerFinished carrying the panic", sig)
			}
		})
	}
}

func TestPanicIsReportedToParentAndSpareSiblings(t *testing.T) {
	ctx := testCtx(t)
	crasher := axon.New("crasher", func(ctx context.Context, c *axon.Core) error {
		panic(errors.New("oops"))
	})
	sibling := newCollector(1)
	report := make(chan error, 1)
	parent := axon.New("parent", func(ctx context.Context, c *axon.Core) error {
		for {
			if err := c.Wait(ctx); err != nil {
				return err
			}
			select {
			case <-crasher.Done():
				report <- crasher.Err()
				<-ctx.Done()
				return nil
			default:
			}
		}
	})
	if err := parent.AddChildren(crasher, sibling); err != nil {
		t.Fatal(err)
	}
	if err := parent.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-report:
	case <-ctx.Done():
		t.Fatal("parent never told of the panic")
	}
	var pe *axon.PanicError
	if !errors.As(err, &pe) || pe.Unwrap().Error() != "oops" {
		t.Fatalf("parent saw %v", err)
	}
	// The sibling still works.
	if err := sibling.Inbox("inbox").Put(ctx, "still here"); err != nil {
		t.Fatal(err)
	}
	if m := recvN(t, ctx, sibling.got, 1)[0]; m != "still here" {
		t.Fatalf("sibling got %v", m)
	}
	parent.Stop()
	waitDone(t, ctx, parent)
}

func TestPanicInHelperFailsComponent(t *testing.T) {
	ctx := testCtx(t)
	c := axon.New("c", func(ctx context.Context, c *axon.Core) error {
		if err := c.Go(func(context.Context) { panic("helper") }); err != nil {
			return err
		}
		<-ctx.Done()
		return nil
	})
	err := c.Run(ctx)
	var pe *axon.PanicError
	if !errors.As(err, &pe) || pe.Value != "helper" {
		t.Fatalf("Run = %v", err)
	}
}

// Only a component that panicked itself sends the ProducerFinished that
// reports a panic: a parent that ends with an error wrapping its child's
// panic sends nothing of the kind.
func TestWrappedPanicSendsNothingOnSignal(t *testing.T) {
	ctx := testCtx(t)
	child := axon.New("child", func(context.Context, *axon.Core) error { panic("child") })
	parent := axon.New("parent", func(ctx context.Context, c *axon.Core) error {
		for c.NumChildren() > 0 {
			if err := c.Wait(ctx); err != nil {
				return err
			}
		}
		return fmt.Errorf("my child failed: %w", child.Err())
	})
	if err := parent.AddChildren(child); err != nil {
		t.Fatal(err)
	}
	h, err := axon.NewHandle(parent)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := parent.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	var pe *axon.PanicError
	if err := h.Wait(ctx); !errors.As(err, &pe) {
		t.Fatalf("parent Err = %v, want the child's panic wrapped", err)
	}
	if m, err := h.Get(ctx, "signal"); !errors.Is(err, axon.ErrFinished) {
		t.Fatalf("parent sent %#v on signal (err %v), want nothing", m, err)
	}
}

// Err is nil while the component runs, even after a helper's panic has
// stopped it: the panic is its Err once its body has ended.
func TestErrIsNilWhileRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := testCtx(t)
		release := make(chan struct{})
		c := axon.New("c", func(ctx context.Context, c *axon.Core) error {
			if err := c.Go(func(context.Context) { panic("helper") }); err != nil {
				return err
			}
			<-ctx.Done() // the panic stops it
			<-release
			return nil
		})
		if err := c.Activate(ctx); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // the helper has panicked; the body waits for release
		if err := c.Err(); err != nil {
			t.Fatalf("Err = %v while the body runs", err)
		}
		close(release)
		<-c.Done()
		var pe *axon.PanicError
		if !errors.As(c.Err(), &pe) {
			t.Fatalf("Err = %v, want the helper's panic", c.Err())
		}
	})
}
