package axon_test

import (
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
)

// None of the components in these tests is activated: no goroutine
// exists that could carry a message, so whatever arrives was delivered
// by the sending call itself.

func TestChainDeliversInOneHop(t *testing.T) {
	ctx := testCtx(t)
	// producer.outbox → parent.outbox (child surfacing) → consumer.inbox
	// → leaf.inbox (consumer passing through to its child)
	producer := axon.New("producer", nil)
	parent := axon.New("parent", nil)
	consumer := axon.New("consumer", nil)
	leaf := axon.New("leaf", nil)
	l1 := mustLink(t, axon.Out(producer, "outbox"), axon.Out(parent, "outbox"))
	l2 := mustLink(t, axon.Out(parent, "outbox"), axon.In(consumer, "inbox"))
	l3 := mustLink(t, axon.In(consumer, "inbox"), axon.In(leaf, "inbox"))
	for _, tc := range []struct {
		l    *axon.Linkage
		want axon.Passthrough
	}{{l1, axon.Outward}, {l2, axon.Normal}, {l3, axon.Inward}} {
		if tc.l.Kind() != tc.want {
			t.Errorf("%v kind = %v, want %v", tc.l, tc.l.Kind(), tc.want)
		}
	}
	if err := producer.Send(ctx, "outbox", "hello"); err != nil {
		t.Fatal(err)
	}
	if n := leaf.DataReady("inbox"); n != 1 {
		t.Fatalf("leaf holds %d messages right after Send, want 1", n)
	}
	if n := consumer.DataReady("inbox"); n != 0 {
		t.Fatalf("intermediate inbox holds %d messages, want 0", n)
	}
	if m, _ := leaf.Recv("inbox"); m != "hello" {
		t.Fatalf("leaf got %v", m)
	}
	// Links made in the other order resolve the same way.
	a, b, c := axon.New("a", nil), axon.New("b", nil), axon.New("c", nil)
	mustLink(t, axon.In(b, "inbox"), axon.In(c, "inbox"))
	mustLink(t, axon.Out(a, "outbox"), axon.In(b, "inbox"))
	_ = a.Send(ctx, "outbox", 1)
	if c.DataReady("inbox") != 1 {
		t.Fatal("chain built back to front did not deliver to its end")
	}
}

func TestQueuedMessagesMoveOnPassthroughLink(t *testing.T) {
	ctx := testCtx(t)
	parent := axon.New("parent", nil)
	child := axon.New("child", nil)
	in := parent.Inbox("inbox")
	for i := range 10 {
		if err := in.Put(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	mustLink(t, axon.In(parent, "inbox"), axon.In(child, "inbox"))
	if err := in.Put(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if n := parent.DataReady("inbox"); n != 0 {
		t.Errorf("parent still holds %d", n)
	}
	var got []int
	for m := range child.Drain("inbox") {
		got = append(got, m.(int))
	}
	if want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}; !slices.Equal(got, want) {
		t.Fatalf("child got %v, want %v", got, want)
	}
}

func TestLinkErrors(t *testing.T) {
	a, b, c := axon.New("a", nil), axon.New("b", nil), axon.New("c", nil)
	mustLink(t, axon.Out(a, "outbox"), axon.In(b, "inbox"))
	tests := []struct {
		name     string
		src, dst axon.BoxRef
		want     error
		mention  string
	}{
		{"fan-out", axon.Out(a, "outbox"), axon.In(c, "inbox"), axon.ErrAlreadyLinked, `outbox "outbox" of ` + a.Name()},
		{"no such outbox", axon.Out(a, "outbx"), axon.In(c, "inbox"), axon.ErrNoBox, `outbox "outbx" of ` + a.Name()},
		{"no such inbox", axon.Out(c, "outbox"), axon.In(b, "inbx"), axon.ErrNoBox, `inbox "inbx" of ` + b.Name()},
		{"inbox to outbox", axon.In(c, "inbox"), axon.Out(b, "outbox"), axon.ErrBadLink, "inbox cannot feed an outbox"},
		{"loop", axon.In(b, "inbox"), axon.In(b, "inbox"), axon.ErrBadLink, "loop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := axon.Link(tt.src, tt.dst)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("error %q does not name %q", err, tt.mention)
			}
		})
	}
	t.Run("fan-in allowed", func(t *testing.T) {
		mustLink(t, axon.Out(c, "outbox"), axon.In(b, "inbox"))
	})
}

func TestUnlink(t *testing.T) {
	ctx := testCtx(t)
	parent := axon.New("parent", nil)
	child := axon.New("child", nil)
	other := axon.New("other", nil)
	l := mustLink(t, axon.In(parent, "inbox"), axon.In(child, "inbox"))
	mustLink(t, axon.Out(other, "outbox"), axon.In(parent, "inbox"))
	_ = other.Send(ctx, "outbox", "before")
	if err := axon.Unlink(l); err != nil {
		t.Fatal(err)
	}
	if err := axon.Unlink(l); !errors.Is(err, axon.ErrNotLinked) {
		t.Fatalf("second unlink = %v, want ErrNotLinked", err)
	}
	_ = other.Send(ctx, "outbox", "after")
	if m, _ := child.Recv("inbox"); m != "before" {
		t.Errorf("child lost what it had: %v", m)
	}
	if m, _ := parent.Recv("inbox"); m != "after" {
		t.Errorf("after unlink the parent's inbox should hold new messages, got %v", m)
	}
}

func TestOwnedLinksAndUnlinkComponent(t *testing.T) {
	ctx := testCtx(t)
	owner := axon.New("owner", nil)
	a, b, c := axon.New("a", nil), axon.New("b", nil), axon.New("c", nil)
	lab, err := owner.Link(axon.Out(a, "outbox"), axon.In(b, "inbox"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Link(axon.Out(b, "outbox"), axon.In(c, "inbox")); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Link(axon.Out(c, "outbox"), axon.In(a, "inbox")); err != nil {
		t.Fatal(err)
	}
	if err := a.Unlink(lab); !errors.Is(err, axon.ErrNotLinked) {
		t.Fatalf("a component unlinked a link it does not own: %v", err)
	}
	owner.UnlinkComponent(c) // removes b→c and c→a
	if got := owner.Links(); len(got) != 1 || got[0] != lab {
		t.Fatalf("links left = %v, want only %v", got, lab)
	}
	_ = b.Send(ctx, "outbox", "x")
	if c.DataReady("inbox") != 0 {
		t.Fatal("b→c still delivers")
	}
	if err := owner.Unlink(lab); err != nil {
		t.Fatal(err)
	}
	if a.Outbox("outbox").Linked() {
		t.Fatal("a→b still linked")
	}
}

func TestLinkWidthSetsDestinationLimit(t *testing.T) {
	a, b := axon.New("a", nil), axon.New("b", nil)
	mustLink(t, axon.Out(a, "outbox"), axon.In(b, "inbox"), axon.Width(axon.Limit{Messages: 2}))
	for i := range 2 {
		if err := a.TrySend("outbox", i); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.TrySend("outbox", 2); !errors.Is(err, axon.ErrBoxFull) {
		t.Fatalf("third send = %v, want ErrBoxFull", err)
	}
}

func TestPassthroughKeepsArrivalOrderAcrossBoxes(t *testing.T) {
	ctx := testCtx(t)
	parent := axon.New("parent", nil, axon.AddInbox(axon.Box("makessl", "")))
	child := axon.New("child", nil, axon.AddInbox(axon.Box("makessl", "")))
	puts := []struct{ box, msg string }{
		{"makessl", "upgrade"}, {"inbox", "a"}, {"inbox", "b"}, {"control", "finish"},
	}
	for _, p := range puts {
		if err := parent.Inbox(p.box).Put(ctx, p.msg); err != nil {
			t.Fatal(err)
		}
	}
	// Link in an order unlike the order of arrival.
	for _, box := range []string{"inbox", "control", "makessl"} {
		mustLink(t, axon.In(parent, box), axon.In(child, box))
	}
	if err := child.Inbox("inbox").Put(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	for _, want := range append(puts, struct{ box, msg string }{"inbox", "c"}) {
		box, msg, ok := child.Next()
		if !ok || box != want.box || msg != want.msg {
			t.Fatalf("Next = %s %v, want %s %s", box, msg, want.box, want.msg)
		}
	}
}

// Messages that reach the child directly, through a box already linked,
// stay ahead of a message that reaches the parent after them and is
// moved when its box is linked later: a TCPClient that connects while
// its data and a producerFinished arrive must not half-close before the
// data is written.
func TestPassthroughKeepsOrderWhileLinksAreMade(t *testing.T) {
	ctx := testCtx(t)
	parent, child := axon.New("parent", nil), axon.New("child", nil)
	put := func(c *axon.Core, box, msg string) {
		t.Helper()
		if err := c.Inbox(box).Put(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	put(parent, "inbox", "a")
	mustLink(t, axon.In(parent, "inbox"), axon.In(child, "inbox"))
	put(parent, "inbox", "b") // straight into the child's inbox
	put(parent, "inbox", "c")
	put(parent, "control", "finish") // queued in the parent's control
	mustLink(t, axon.In(parent, "control"), axon.In(child, "control"))
	want := []struct{ box, msg string }{{"inbox", "a"}, {"inbox", "b"}, {"inbox", "c"}, {"control", "finish"}}
	for _, w := range want {
		box, msg, ok := child.Next()
		if !ok || box != w.box || msg != w.msg {
			t.Fatalf("Next = %s %v, want %s %s", box, msg, w.box, w.msg)
		}
	}
}

// Two components may pass inboxes through into each other, and a third
// take one from either: messages still arrive, in order, and a send
// never loops through the feeders (which would hang it).
func TestPassthroughBothWaysBetweenTwoComponents(t *testing.T) {
	ctx := testCtx(t)
	three := axon.WithInboxes(axon.Box("in1", ""), axon.Box("in2", ""), axon.Box("in3", ""))
	a, b, d := axon.New("a", nil, three), axon.New("b", nil, three), axon.New("d", nil)
	mustLink(t, axon.In(a, "in1"), axon.In(b, "in1"))
	mustLink(t, axon.In(b, "in2"), axon.In(a, "in2"))
	mustLink(t, axon.In(a, "in3"), axon.In(d, "inbox"))
	done := make(chan error, 1)
	go func() {
		for i, in := range []struct {
			c   *axon.Core
			box string
		}{{a, "in1"}, {b, "in2"}, {a, "in3"}, {d, "inbox"}} {
			if err := in.c.Inbox(in.box).Put(ctx, i); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a send did not return: the feeders loop")
	}
	for _, want := range []struct {
		c   *axon.Core
		box string
		msg int
	}{{b, "in1", 0}, {a, "in2", 1}, {d, "inbox", 2}, {d, "inbox", 3}} {
		if box, msg, ok := want.c.Next(); !ok || box != want.box || msg != want.msg {
			t.Fatalf("%s.Next = %s %v %v, want %s %d", want.c.Name(), box, msg, ok, want.box, want.msg)
		}
	}
}

// Linking an inbox onward while a sender keeps sending into it loses
// nothing and reorders nothing: what was queued moves on ahead of what
// the sender sends next, however the two goroutines interleave.
func TestInwardLinkWhileSendingKeepsOrder(t *testing.T) {
	ctx := testCtx(t)
	const rounds, msgs = 300, 200
	for r := range rounds {
		unbounded := axon.WithInboxes(axon.Box("inbox", "").WithLimit(axon.Unbounded))
		producer := axon.New("producer", nil)
		parent := axon.New("parent", nil, unbounded)
		child := axon.New("child", nil, unbounded)
		mustLink(t, axon.Out(producer, "outbox"), axon.In(parent, "inbox"))
		sent := make(chan error, 1)
		go func() {
			for i := range msgs {
				if err := producer.Send(ctx, "outbox", i); err != nil {
					sent <- err
					return
				}
			}
			sent <- nil
		}()
		for parent.DataReady("inbox") == 0 {
			runtime.Gosched()
		}
		mustLink(t, axon.In(parent, "inbox"), axon.In(child, "inbox"))
		if err := <-sent; err != nil {
			t.Fatal(err)
		}
		for want := range msgs {
			got, ok := child.Recv("inbox")
			if !ok || got != want {
				t.Fatalf("round %d: message %d is %v (%v), want %d", r, want, got, ok, want)
			}
		}
	}
}
