package axon_test

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/kamaelia-go/kamaelia/axon"
)

func TestReactiveStepRunsInSendersGoroutine(t *testing.T) { synctest.Test(t, testReactiveInline) }

func testReactiveInline(t *testing.T) {
	ctx := testCtx(t)
	var seen []any // written by the step, read by the test: no lock needed if the step ran inline
	steps := 0
	c := axon.NewReactive("inline", func(ctx context.Context, c *axon.Core) error {
		steps++
		for m := range c.Drain("inbox") {
			seen = append(seen, m)
		}
		return nil
	})
	src := axon.New("src", nil)
	mustLink(t, axon.Out(src, "outbox"), axon.In(c, "inbox"))
	if err := c.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	synctest.Wait() // the first step has run
	if steps != 1 {
		t.Fatalf("steps after start = %d, want 1", steps)
	}
	for i := range 3 {
		if err := src.Send(ctx, "outbox", i); err != nil {
			t.Fatal(err)
		}
		if len(seen) != i+1 {
			t.Fatalf("after Send %d the step has seen %v: it did not run in the sender", i, seen)
		}
	}
	c.Stop()
	<-c.Done()
	if steps != 5 {
		t.Fatalf("steps = %d, want 5 (start, 3 messages, stop)", steps)
	}
}

// An inline step that fills the inbox of the component suspended beneath
// it must not wait forever. (Two components in separate goroutines that
// each wait on the other's full box deadlock, as channels would: that is
// the cost of bounded boxes, and the package doc says so.)
func TestReactiveCycleWithFullBoxesDoesNotDeadlock(t *testing.T) {
	synctest.Test(t, testReactiveCycle)
}

func testReactiveCycle(t *testing.T) {
	ctx := testCtx(t)
	one := axon.Limit{Messages: 1}
	results := make(chan any, 1024)
	// a sends every number below 6 on to b twice; b sends all back to a.
	a := axon.NewReactive("a", func(ctx context.Context, c *axon.Core) error {
		for m := range c.Drain("inbox") {
			n := m.(int)
			results <- n
			if n >= 6 {
				continue
			}
			for range 2 {
				if err := c.Send(ctx, "outbox", n+1); err != nil {
					return err
				}
			}
		}
		return nil
	}, axon.WithInboxes(axon.Box("inbox", "").WithLimit(one), axon.Box("control", "")))
	b := axon.NewReactive("b", func(ctx context.Context, c *axon.Core) error {
		for m := range c.Drain("inbox") {
			if err := c.Send(ctx, "outbox", m); err != nil {
				return err
			}
		}
		return nil
	}, axon.WithInboxes(axon.Box("inbox", "").WithLimit(one), axon.Box("control", "")))
	mustLink(t, axon.Out(a, "outbox"), axon.In(b, "inbox"))
	mustLink(t, axon.Out(b, "outbox"), axon.In(a, "inbox"))
	for _, c := range []*axon.Core{a, b} {
		if err := c.Activate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	synctest.Wait() // both idle: the whole exchange runs inline below
	if err := a.Inbox("inbox").Put(ctx, 0); err != nil {
		t.Fatal(err)
	}
	got := recvN(t, ctx, results, 127) // 1 + 2 + 4 + ... + 64
	sum := 0
	for _, m := range got {
		sum += m.(int)
	}
	if want := 0*1 + 1*2 + 2*4 + 3*8 + 4*16 + 5*32 + 6*64; sum != want {
		t.Fatalf("sum of values = %d, want %d", sum, want)
	}
	if a.Info().Inboxes[0].Overflow == 0 {
		t.Error("expected the deadlock guard to let some messages past the limit")
	}
	a.Stop()
	b.Stop()
	waitDone(t, ctx, a)
	waitDone(t, ctx, b)
}

func TestDeepReactiveChain(t *testing.T) {
	ctx := testCtx(t)
	const stages = 50
	chain, sink := startChain(t, ctx, stages, 100, func(_ int, m any) any { return m.(int) + 1 })
	for i := range 100 {
		if err := chain[0].Inbox("inbox").Put(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	for i, m := range recvN(t, ctx, sink.got, 100) {
		if m != i+stages {
			t.Fatalf("message %d = %v, want %d (order or count broken)", i, m, i+stages)
		}
	}
	stopAll(t, ctx, append(chain, sink.Core)...)
}
