package axon_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/kamaelia-go/kamaelia/axon"
)

func TestWaitReturnsOnDataAndCancel(t *testing.T) { synctest.Test(t, testWaitReturnsOnDataAndCancel) }

func testWaitReturnsOnDataAndCancel(t *testing.T) {
	ctx := testCtx(t)
	wakes := make(chan error, 4)
	c := axon.New("waiter", func(ctx context.Context, c *axon.Core) error {
		for {
			err := c.Wait(ctx)
			wakes <- err
			if err != nil {
				return err
			}
			for range c.Drain("inbox") {
			}
		}
	})
	if err := c.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	synctest.Wait()
	if len(wakes) != 0 {
		t.Fatal("Wait returned with nothing to do")
	}
	_ = c.Inbox("inbox").Put(ctx, "x")
	if err := <-wakes; err != nil {
		t.Fatal(err)
	}
	c.Stop()
	if err := <-wakes; !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait after Stop = %v", err)
	}
	<-c.Done()
}

func TestDeliveryWakesOnlyFinalOwner(t *testing.T) { synctest.Test(t, testDeliveryWakesOnlyFinalOwner) }

func testDeliveryWakesOnlyFinalOwner(t *testing.T) {
	ctx := testCtx(t)
	var parentWakes, childWakes atomic.Int32
	waiter := func(n *atomic.Int32) axon.Body {
		return func(ctx context.Context, c *axon.Core) error {
			for {
				if err := c.Wait(ctx); err != nil {
					return nil
				}
				n.Add(1)
				for range c.Drain("inbox") {
				}
			}
		}
	}
	parent := axon.New("parent", waiter(&parentWakes))
	child := axon.New("child", waiter(&childWakes))
	mustLink(t, axon.In(parent, "inbox"), axon.In(child, "inbox"))
	_ = parent.Activate(ctx)
	_ = child.Activate(ctx)
	synctest.Wait()
	_ = parent.Inbox("inbox").Put(ctx, "to the child")
	synctest.Wait()
	if p, c := parentWakes.Load(), childWakes.Load(); p != 0 || c != 1 {
		t.Fatalf("wakes: parent %d child %d, want 0 and 1", p, c)
	}
	parent.Stop()
	child.Stop()
	<-parent.Done()
	<-child.Done()
}

func TestRecvDataReadyAnyReadyDrain(t *testing.T) {
	ctx := testCtx(t)
	c := axon.New("c", nil)
	if c.AnyReady() {
		t.Fatal("AnyReady on empty boxes")
	}
	if _, ok := c.Recv("inbox"); ok {
		t.Fatal("Recv on empty box")
	}
	for i := range 5 {
		_ = c.Inbox("inbox").Put(ctx, i)
	}
	_ = c.Inbox("control").Put(ctx, "stop")
	if !c.AnyReady() || c.DataReady("inbox") != 5 || c.DataReady("control") != 1 {
		t.Fatal("counts wrong")
	}
	if m, ok := c.Recv("inbox"); !ok || m != 0 {
		t.Fatalf("Recv = %v %v", m, ok)
	}
	var got []any
	for m := range c.Drain("inbox") {
		got = append(got, m)
		if len(got) == 2 {
			break // stopping early leaves the rest queued, in order
		}
	}
	for m := range c.Drain("inbox") {
		got = append(got, m)
	}
	if !slices.Equal(got, []any{1, 2, 3, 4}) {
		t.Fatalf("drained %v", got)
	}
	if c.DataReady("nosuch") != 0 {
		t.Fatal("missing box has data")
	}
}

func TestNextFollowsArrivalOrderAcrossBoxes(t *testing.T) {
	ctx := testCtx(t)
	c := axon.New("c", nil, axon.AddInbox(axon.Box("makessl", "")))
	puts := []struct{ box, msg string }{
		{"inbox", "a"}, {"control", "b"}, {"inbox", "c"}, {"makessl", "d"}, {"inbox", "e"},
	}
	for _, p := range puts {
		if err := c.Inbox(p.box).Put(ctx, p.msg); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range puts {
		box, msg, ok := c.Next()
		if !ok || box != p.box || msg != p.msg {
			t.Fatalf("Next = %s %v %v, want %s %s", box, msg, ok, p.box, p.msg)
		}
	}
	if _, _, ok := c.Next(); ok {
		t.Fatal("Next on empty boxes")
	}
}

// A component may have more inboxes than its ready bits (64): the later
// ones share a bit, and Next, AnyReady and Wait must still see them.
func TestManyInboxes(t *testing.T) {
	ctx := testCtx(t)
	var specs []axon.BoxSpec
	for i := range 70 {
		specs = append(specs, axon.Box(fmt.Sprintf("in%d", i), ""))
	}
	c := axon.New("many", nil, axon.WithInboxes(specs...))
	tests := []struct {
		name string
		puts []string // box of each message, in order
	}{
		{"one late box", []string{"in66"}},
		{"two late boxes", []string{"in69", "in63", "in69"}},
		{"early and late", []string{"in64", "in0", "in62", "in65", "in1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, box := range tt.puts {
				if err := c.Inbox(box).Put(ctx, i); err != nil {
					t.Fatal(err)
				}
			}
			if !c.AnyReady() {
				t.Fatal("AnyReady = false with messages queued")
			}
			for i, want := range tt.puts {
				box, msg, ok := c.Next()
				if !ok || box != want || msg != i {
					t.Fatalf("Next = %s %v %v, want %s %d", box, msg, ok, want, i)
				}
			}
			if box, msg, ok := c.Next(); ok {
				t.Fatalf("Next on empty boxes = %s %v", box, msg)
			}
			if c.AnyReady() {
				t.Fatal("AnyReady = true with every box empty")
			}
		})
	}
}
