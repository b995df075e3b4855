package axon_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/kamaelia-go/kamaelia/axon"
)

// stackDepth is the number of frames on the calling goroutine's stack.
func stackDepth() int {
	pcs := make([]uintptr, 1024)
	return runtime.Callers(0, pcs)
}

// A chain of reactive components passes a message along in the sender's
// goroutine one step at a time: every stage's step runs at the same
// stack depth, however long the chain. (Steps that ran one inside
// another would sit a few frames deeper at every stage.)
func TestChainStepsDoNotNest(t *testing.T) { synctest.Test(t, testChainStepsDoNotNest) }

func testChainStepsDoNotNest(t *testing.T) {
	ctx := testCtx(t)
	const stages = 40
	depth := make([]int, stages) // written by the steps, all in the Put's goroutine
	chain, sink := startChain(t, ctx, stages, 1, func(i int, m any) any {
		depth[i] = stackDepth()
		return m
	})
	synctest.Wait() // every first step has run
	if err := chain[0].Inbox("inbox").Put(ctx, "m"); err != nil {
		t.Fatal(err)
	}
	recvN(t, ctx, sink.got, 1)
	for i := 1; i < stages; i++ {
		if depth[i] != depth[1] {
			t.Fatalf("stage %d ran at stack depth %d, stage 1 at %d: steps nest", i, depth[i], depth[1])
		}
	}
	stopAll(t, ctx, append(chain, sink.Core)...)
}

// A step's Send returns before the receiver's step runs, and the
// components a step makes runnable run after it in the order they were
// made runnable.
func TestStepsRunInTurn(t *testing.T) { synctest.Test(t, testStepsRunInTurn) }

func testStepsRunInTurn(t *testing.T) {
	ctx := testCtx(t)
	var mu sync.Mutex
	var order []string
	note := func(s string) {
		mu.Lock()
		order = append(order, s)
		mu.Unlock()
	}
	relay := func(name string, outs ...string) *axon.Core {
		return axon.NewReactive(name, func(ctx context.Context, c *axon.Core) error {
			for range c.Drain("inbox") {
				note(name)
				for _, o := range outs {
					if err := c.Send(ctx, o, name); err != nil {
						return err
					}
					note(name + " sent")
				}
			}
			return nil
		}, axon.WithOutboxes(axon.Box("left", ""), axon.Box("right", ""), axon.Box("signal", "")))
	}
	a := relay("a", "left", "right")
	b := relay("b", "left")
	c := relay("c")
	d := relay("d")
	mustLink(t, axon.Out(a, "left"), axon.In(b, "inbox"))
	mustLink(t, axon.Out(a, "right"), axon.In(c, "inbox"))
	mustLink(t, axon.Out(b, "left"), axon.In(d, "inbox"))
	all := []*axon.Core{a, b, c, d}
	activateAll(t, ctx, all...)
	synctest.Wait()
	if err := a.Inbox("inbox").Put(ctx, "go"); err != nil {
		t.Fatal(err)
	}
	// The Put ran the whole cascade in this goroutine before returning.
	want := []string{"a", "a sent", "a sent", "b", "b sent", "c", "d"}
	mu.Lock()
	got := append([]string(nil), order...)
	mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("steps ran as %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("steps ran as %v, want %v", got, want)
		}
	}
	stopAll(t, ctx, all...)
}

// A component's helper goroutine may send while the component's step
// runs in another goroutine: whatever it makes runnable is run, by the
// step's runner or by the helper, and nothing is lost.
func TestHelperSendsWhileStepsRun(t *testing.T) {
	for round := range 20 {
		ctx := testCtx(t)
		const n = 2000
		relay := axon.NewReactive("relay", func(ctx context.Context, c *axon.Core) error {
			for m := range c.Drain("inbox") {
				if err := c.Send(ctx, "outbox", m); err != nil {
					return err
				}
			}
			return nil
		})
		sink := newCollector(2 * n)
		mustLink(t, axon.Out(relay, "outbox"), axon.In(sink, "inbox"))
		activateAll(t, ctx, relay, sink.Core)
		if err := relay.Go(func(ctx context.Context) {
			for i := range n {
				if err := relay.Send(ctx, "outbox", -i-1); err != nil {
					return
				}
			}
		}); err != nil {
			t.Fatal(err)
		}
		in := relay.Inbox("inbox")
		for i := range n {
			if err := in.Put(ctx, i); err != nil {
				t.Fatal(err)
			}
		}
		got := recvN(t, ctx, sink.got, 2*n)
		seen := make(map[int]bool, 2*n)
		for _, m := range got {
			seen[m.(int)] = true
		}
		if len(seen) != 2*n {
			t.Fatalf("round %d: %d distinct messages of %d arrived", round, len(seen), 2*n)
		}
		stopAll(t, ctx, relay, sink.Core)
	}
}

// A step that waits for room leaves nothing queued behind it: here the
// consumer it waits on is itself waiting for a component that the step
// made runnable just before. Were that component left on the step's
// runner, the three would wait on each other for ever.
func TestNothingWaitsBehindAWaitingStep(t *testing.T) {
	synctest.Test(t, testNothingWaitsBehindAWaitingStep)
}

func testNothingWaitsBehindAWaitingStep(t *testing.T) {
	ctx := testCtx(t)
	one := axon.WithInboxes(axon.Box("inbox", "").WithLimit(axon.Limit{Messages: 1}), axon.Box("control", ""))
	y := newCollector(4) // takes one message at a time
	y.Core = axon.NewReactive("y", func(ctx context.Context, c *axon.Core) error {
		for m := range c.Drain("inbox") {
			y.got <- m
		}
		return nil
	}, one)
	start, sBlocked := make(chan struct{}), make(chan struct{})
	var sGot []any
	s := axon.New("s", func(ctx context.Context, c *axon.Core) error {
		<-start
		if err := c.Send(ctx, "outbox", "from s"); err != nil { // y is full: waits
			return err
		}
		for _, m := range c.Messages(ctx) {
			sGot = append(sGot, m)
			if len(sGot) == 2 {
				return nil
			}
		}
		return ctx.Err()
	}, one)
	a := axon.NewReactive("a", func(ctx context.Context, c *axon.Core) error {
		for range c.Drain("inbox") {
			if err := c.Send(ctx, "left", "from a"); err != nil { // y becomes runnable
				return err
			}
			close(start)
			<-sBlocked
			if err := c.Send(ctx, "right", "to s"); err != nil { // s is full: waits
				return err
			}
		}
		return nil
	}, axon.WithOutboxes(axon.Box("left", ""), axon.Box("right", ""), axon.Box("signal", "")))
	mustLink(t, axon.Out(a, "left"), axon.In(y, "inbox"))
	mustLink(t, axon.Out(s, "outbox"), axon.In(y, "inbox"))
	mustLink(t, axon.Out(a, "right"), axon.In(s, "inbox"))
	activateAll(t, ctx, y.Core, s, a)
	if err := s.Inbox("inbox").Put(ctx, "first"); err != nil { // s's inbox is now full
		t.Fatal(err)
	}
	synctest.Wait()
	go func() { _ = a.Inbox("inbox").Put(ctx, "go") }()
	<-start
	synctest.Wait() // s waits for room in y, which holds a's message
	close(sBlocked)
	got := recvN(t, ctx, y.got, 2)
	if got[0] != "from a" || got[1] != "from s" {
		t.Fatalf("y got %v, want [from a, from s]", got)
	}
	waitDone(t, ctx, s)
	if len(sGot) != 2 || sGot[1] != "to s" {
		t.Fatalf("s got %v, want [first, to s]", sGot)
	}
	stopAll(t, ctx, a, y.Core)
}

// A StartInline child that a step adds runs its first step after that
// step returns, in the same goroutine, not inside it.
func TestChildAddedByAStepStartsAfterIt(t *testing.T) { synctest.Test(t, testChildAddedByAStep) }

func testChildAddedByAStep(t *testing.T) {
	ctx := testCtx(t)
	var parentDepth, childDepth int
	stepDone := false
	childSawParentDone := make(chan bool, 1)
	child := axon.NewReactive("child", func(ctx context.Context, c *axon.Core) error {
		if childDepth == 0 {
			childDepth = stackDepth()
			childSawParentDone <- stepDone
		}
		return nil
	}, axon.StartInline())
	parent := axon.NewReactive("parent", func(ctx context.Context, c *axon.Core) error {
		depth := stackDepth()
		for range c.Drain("inbox") {
			parentDepth = depth
			if err := c.AddChildren(child); err != nil {
				return err
			}
			stepDone = true
		}
		return nil
	})
	if err := parent.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	synctest.Wait()
	if err := parent.Inbox("inbox").Put(ctx, "add"); err != nil {
		t.Fatal(err)
	}
	// The Put ran the parent's step and then the child's first step.
	select {
	case done := <-childSawParentDone:
		if !done {
			t.Fatal("the child's first step ran inside the parent's step")
		}
	default:
		t.Fatal("the child's first step had not run when the Put returned")
	}
	if childDepth != parentDepth {
		t.Errorf("the child's first step ran at stack depth %d, the parent's step at %d", childDepth, parentDepth)
	}
	parent.Stop()
	waitDone(t, ctx, parent)
}

// A step that sends more than the receiver's inbox holds waits for room
// even when the receiver would run after it on the same runner: the
// receiver is handed to a goroutine of its own, and its limit holds.
// That is so whether the step passes its own context or another one.
func TestStepWaitsForAReceiverQueuedBehindIt(t *testing.T) {
	tests := []struct {
		name string
		ctx  func(step context.Context) context.Context
	}{
		{"the step's context", func(step context.Context) context.Context { return step }},
		{"a derived context", func(step context.Context) context.Context {
			return context.WithValue(step, callerKeyTest{}, 1)
		}},
		{"a context of its own", func(context.Context) context.Context { return context.Background() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { testStepWaitsForAReceiver(t, tt.ctx) })
	}
}

type callerKeyTest struct{}

func testStepWaitsForAReceiver(t *testing.T, pick func(context.Context) context.Context) {
	ctx := testCtx(t)
	const n = 1000
	sink := newCollector(n)
	sink.Core = axon.NewReactive("sink", func(ctx context.Context, c *axon.Core) error {
		for m := range c.Drain("inbox") {
			sink.got <- m
		}
		return nil
	}, axon.WithInboxes(axon.Box("inbox", "").WithLimit(axon.Limit{Messages: 4}), axon.Box("control", "")))
	producer := axon.NewReactive("producer", func(ctx context.Context, c *axon.Core) error {
		for range c.Drain("inbox") {
			for i := range n {
				if err := c.Send(pick(ctx), "outbox", i); err != nil {
					return err
				}
			}
		}
		return nil
	})
	mustLink(t, axon.Out(producer, "outbox"), axon.In(sink, "inbox"))
	activateAll(t, ctx, sink.Core, producer)
	if err := producer.Inbox("inbox").Put(ctx, "go"); err != nil {
		t.Fatal(err)
	}
	for i, m := range recvN(t, ctx, sink.got, n) {
		if m != i {
			t.Fatalf("message %d is %v", i, m)
		}
	}
	if o := sink.Info().Inboxes[0].Overflow; o != 0 {
		t.Errorf("the sink's inbox took %d messages past its limit of 4", o)
	}
	stopAll(t, ctx, producer, sink.Core)
}

// panicker is a reactive component whose step panics at its first
// message, as failing user code would.
func panicker(name string) *axon.Core {
	return axon.NewReactive(name, func(ctx context.Context, c *axon.Core) error {
		for range c.Drain("inbox") {
			panic("user code failed")
		}
		return nil
	})
}

// wantPanicked fails t unless c has ended with a PanicError.
func wantPanicked(t *testing.T, c *axon.Core) {
	t.Helper()
	var pe *axon.PanicError
	if !errors.As(c.Err(), &pe) {
		t.Fatalf("%s ended with %v, want a PanicError", c.Name(), c.Err())
	}
}

// A step that panics ends its own component only: the runner goes on
// with the components queued after it, in the same goroutine.
func TestPanicInAStepLeavesTheRunnerGoing(t *testing.T) { synctest.Test(t, testPanicInAStep) }

func testPanicInAStep(t *testing.T) {
	ctx := testCtx(t)
	bad := panicker("bad")
	good := newCollector(1)
	a := axon.NewReactive("a", func(ctx context.Context, c *axon.Core) error {
		for m := range c.Drain("inbox") {
			for _, o := range []string{"left", "right"} {
				if err := c.Send(ctx, o, m); err != nil {
					return err
				}
			}
		}
		return nil
	}, axon.WithOutboxes(axon.Box("left", ""), axon.Box("right", ""), axon.Box("signal", "")))
	mustLink(t, axon.Out(a, "left"), axon.In(bad, "inbox"))
	mustLink(t, axon.Out(a, "right"), axon.In(good, "inbox"))
	activateAll(t, ctx, bad, good.Core, a)
	synctest.Wait()
	if err := a.Inbox("inbox").Put(ctx, "m"); err != nil {
		t.Fatal(err)
	}
	// The Put ran a, then bad (which panicked), then good.
	select {
	case m := <-good.got:
		if m != "m" {
			t.Fatalf("good got %v", m)
		}
	default:
		t.Fatal("the component queued after the one that panicked had not run when the Put returned")
	}
	waitDone(t, ctx, bad)
	wantPanicked(t, bad)
	stopAll(t, ctx, a, good.Core)
}

// A body's send does not run a reactive receiver in the body's
// goroutine: the receiver's step runs beside the body, on a goroutine
// of its own, so a step that takes its time does not hold the body up.
// (Without that, the body below would wait inside its send until the
// step is released, and the test's deadline would end it.)
func TestBodySendRunsTheReceiverBesideIt(t *testing.T) {
	for _, tc := range []struct {
		name string
		send func(ctx context.Context, body, recv *axon.Core) error
	}{
		{"through a linked outbox", func(ctx context.Context, body, _ *axon.Core) error {
			return body.Send(ctx, "outbox", "m")
		}},
		{"by Put into the receiver's inbox", func(ctx context.Context, _, recv *axon.Core) error {
			return recv.Inbox("inbox").Put(ctx, "m")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { testBodySendRunsBeside(t, tc.send) })
		})
	}
}

func testBodySendRunsBeside(t *testing.T, send func(ctx context.Context, body, recv *axon.Core) error) {
	ctx := testCtx(t)
	stepping, release := make(chan struct{}), make(chan struct{})
	recv := axon.NewReactive("slow", func(ctx context.Context, c *axon.Core) error {
		for range c.Drain("inbox") {
			close(stepping)
			<-release
		}
		return nil
	})
	sent := make(chan error, 1)
	body := axon.New("body", func(ctx context.Context, c *axon.Core) error {
		sent <- send(ctx, c, recv)
		return nil
	})
	mustLink(t, axon.Out(body, "outbox"), axon.In(recv, "inbox"))
	activateAll(t, ctx, recv)
	synctest.Wait() // the receiver's first step is over: it is idle
	activateAll(t, ctx, body)
	select {
	case err := <-sent:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		close(release)
		t.Fatal("the body's send waited for the receiver's step: it ran the step itself")
	}
	<-stepping // the step runs meanwhile, elsewhere
	close(release)
	stopAll(t, ctx, recv, body)
}

// A body that asks a reactive component for more replies than its own
// inbox holds is not deadlocked by its request: the replier waits for
// room on a goroutine of its own while the body, its send done, drains
// the replies. (Had the body run the replier's step inside its send, the
// step would wait for room that only the body, stuck in the send, could
// make.)
func TestBodyRequestWithRepliesPastItsInboxLimit(t *testing.T) {
	synctest.Test(t, testBodyRequestWithReplies)
}

func testBodyRequestWithReplies(t *testing.T) {
	ctx := testCtx(t)
	const replies = 3
	replier := axon.NewReactive("replier", func(ctx context.Context, c *axon.Core) error {
		for m := range c.Drain("inbox") {
			for i := range replies {
				if err := c.Send(ctx, "outbox", [2]any{m, i}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	got := make(chan []any, 1)
	asker := axon.New("asker", func(ctx context.Context, c *axon.Core) error {
		if err := c.Send(ctx, "outbox", "q"); err != nil {
			return err
		}
		var seen []any
		for _, m := range c.Messages(ctx) {
			if seen = append(seen, m); len(seen) == replies {
				break
			}
		}
		got <- seen
		return nil
	}, axon.WithInboxes(axon.Box("inbox", "replies").WithLimit(axon.Limit{Messages: 1}), axon.Box("control", "")))
	mustLink(t, axon.Out(asker, "outbox"), axon.In(replier, "inbox"))
	mustLink(t, axon.Out(replier, "outbox"), axon.In(asker, "inbox"))
	activateAll(t, ctx, replier)
	synctest.Wait() // the replier is idle: the request finds its token free
	activateAll(t, ctx, asker)
	select {
	case seen := <-got:
		if len(seen) != replies {
			t.Fatalf("the asker got %v", seen)
		}
	case <-ctx.Done():
		t.Fatal("the asker and the replier deadlocked")
	}
	stopAll(t, ctx, replier, asker)
}

// Bodies that send at once into one small reactive inbox, each handing
// the receiver a goroutine when it finds it idle, lose nothing and
// reorder nothing: every message arrives once, each sender's in order.
func TestBodiesSendingAtOnceToOneReactiveReceiver(t *testing.T) {
	ctx := testCtx(t)
	const senders, each = 8, 2000
	last := make([]int, senders) // written by the receiver's steps, which never overlap
	for i := range last {
		last[i] = -1
	}
	var problems []string
	all := make(chan struct{})
	total := 0
	recv := axon.NewReactive("recv", func(ctx context.Context, c *axon.Core) error {
		for m := range c.Drain("inbox") {
			v := m.([2]int)
			if v[1] != last[v[0]]+1 && len(problems) < 5 {
				problems = append(problems, fmt.Sprintf("sender %d: %d after %d", v[0], v[1], last[v[0]]))
			}
			last[v[0]] = v[1]
			if total++; total == senders*each {
				close(all)
			}
		}
		return nil
	}, axon.WithInboxes(axon.Box("inbox", "").WithLimit(axon.Limit{Messages: 4}), axon.Box("control", "")))
	bodies := make([]*axon.Core, senders)
	for i := range bodies {
		bodies[i] = axon.New("sender", func(ctx context.Context, c *axon.Core) error {
			for n := range each {
				if err := c.Send(ctx, "outbox", [2]int{i, n}); err != nil {
					return err
				}
			}
			return nil
		})
		mustLink(t, axon.Out(bodies[i], "outbox"), axon.In(recv, "inbox"))
	}
	activateAll(t, ctx, recv)
	activateAll(t, ctx, bodies...)
	select {
	case <-all:
	case <-ctx.Done():
		t.Fatal("not every message arrived")
	}
	stopAll(t, ctx, append(bodies, recv)...)
	if len(problems) > 0 {
		t.Fatalf("out of order: %v", problems)
	}
}

// A step that panics on the goroutine a body's send started for it ends
// only its own component, with a PanicError: the body's send has
// returned, and the body goes on sending.
func TestPanicInAStepABodyStarted(t *testing.T) { synctest.Test(t, testPanicInAStepABodyStarted) }

func testPanicInAStepABodyStarted(t *testing.T) {
	ctx := testCtx(t)
	bad := panicker("bad")
	good := newCollector(1)
	body := axon.New("body", func(ctx context.Context, c *axon.Core) error {
		if err := c.Send(ctx, "left", "m"); err != nil {
			return err
		}
		select {
		case <-bad.Done():
		case <-ctx.Done():
			return ctx.Err()
		}
		return c.Send(ctx, "right", "after")
	}, axon.WithOutboxes(axon.Box("left", ""), axon.Box("right", ""), axon.Box("signal", "")))
	mustLink(t, axon.Out(body, "left"), axon.In(bad, "inbox"))
	mustLink(t, axon.Out(body, "right"), axon.In(good, "inbox"))
	activateAll(t, ctx, bad, good.Core)
	synctest.Wait()
	activateAll(t, ctx, body)
	if m := recvN(t, ctx, good.got, 1)[0]; m != "after" {
		t.Fatalf("good got %v", m)
	}
	wantPanicked(t, bad)
	waitDone(t, ctx, body)
	if err := body.Err(); err != nil {
		t.Fatalf("the body ended with %v", err)
	}
	stopAll(t, ctx, good.Core)
}
