package axon_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/kamaelia-go/kamaelia/axon"
)

func TestDefaultLimitIs64(t *testing.T) {
	a, b := axon.New("a", nil), axon.New("b", nil)
	mustLink(t, axon.Out(a, "outbox"), axon.In(b, "inbox"))
	for i := range 64 {
		if err := a.TrySend("outbox", i); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	err := a.TrySend("outbox", 64)
	if !errors.Is(err, axon.ErrBoxFull) {
		t.Fatalf("65th send = %v, want ErrBoxFull", err)
	}
	if got := b.Info().Inboxes[0].Limit; got != axon.DefaultInboxLimit {
		t.Fatalf("limit = %+v", got)
	}
}

func TestSendWaitsForRoom(t *testing.T) { synctest.Test(t, testSendWaitsForRoom) }

func testSendWaitsForRoom(t *testing.T) {
	ctx := testCtx(t)
	a, b := axon.New("a", nil), axon.New("b", nil)
	mustLink(t, axon.Out(a, "outbox"), axon.In(b, "inbox"), axon.Width(axon.Limit{Messages: 1}))
	if err := a.Send(ctx, "outbox", 1); err != nil {
		t.Fatal(err)
	}
	sent := make(chan error)
	go func() { sent <- a.Send(ctx, "outbox", 2) }()
	synctest.Wait()
	select {
	case err := <-sent:
		t.Fatalf("Send to a full box returned %v instead of waiting", err)
	default:
	}
	if w := b.Info().Inboxes[0].Waiting; w != 1 {
		t.Fatalf("introspection shows %d waiting senders, want 1", w)
	}
	if info := a.Info(); info.State != "blocked" || info.Blocked != b.Name()+".inbox" {
		t.Fatalf("sender state = %q on %q", info.State, info.Blocked)
	}
	if m, _ := b.Recv("inbox"); m != 1 {
		t.Fatalf("got %v", m)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if m, _ := b.Recv("inbox"); m != 2 {
		t.Fatalf("got %v", m)
	}
}

func TestCancelUnblocksSend(t *testing.T) { synctest.Test(t, testCancelUnblocksSend) }

func testCancelUnblocksSend(t *testing.T) {
	a, b := axon.New("a", nil), axon.New("b", nil)
	mustLink(t, axon.Out(a, "outbox"), axon.In(b, "inbox"), axon.Width(axon.Limit{Messages: 1}))
	_ = a.TrySend("outbox", 1)
	ctx, cancel := context.WithCancel(context.Background())
	sent := make(chan error)
	go func() { sent <- a.Send(ctx, "outbox", 2) }()
	synctest.Wait()
	cancel()
	err := <-sent
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Send = %v, want context.Canceled", err)
	}
	if b.DataReady("inbox") != 1 {
		t.Fatal("cancelled message was delivered")
	}
}

func TestByteLimit(t *testing.T) {
	a := axon.New("a", nil)
	b := axon.New("b", nil, axon.WithInboxes(axon.Box("inbox", "data").WithLimit(axon.Limit{Messages: 100, Bytes: 10})))
	mustLink(t, axon.Out(a, "outbox"), axon.In(b, "inbox"))
	tests := []struct {
		name string
		msg  any
		want error
	}{
		{"oversized first message is let in", make([]byte, 50), nil},
		{"then the box is full", "x", axon.ErrBoxFull},
	}
	for _, tt := range tests {
		if err := a.TrySend("outbox", tt.msg); !errors.Is(err, tt.want) {
			t.Fatalf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	b.Recv("inbox")
	for range 2 {
		if err := a.TrySend("outbox", "12345"); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.TrySend("outbox", "1"); !errors.Is(err, axon.ErrBoxFull) {
		t.Fatalf("11th byte = %v, want ErrBoxFull", err)
	}
	if got := b.Info().Inboxes[0].Bytes; got != 10 {
		t.Fatalf("queued bytes = %d, want 10", got)
	}
}

func TestUnboundedLimit(t *testing.T) {
	a := axon.New("a", nil)
	b := axon.New("b", nil, axon.WithInboxes(axon.Box("inbox", "data").WithLimit(axon.Unbounded)))
	mustLink(t, axon.Out(a, "outbox"), axon.In(b, "inbox"))
	for i := range 1000 {
		if err := a.TrySend("outbox", i); err != nil {
			t.Fatal(err)
		}
	}
}

func TestUnlinkedOutboxDropsAndCounts(t *testing.T) {
	ctx := testCtx(t)
	a := axon.New("a", nil)
	for range 3 {
		if err := a.Send(ctx, "outbox", "lost"); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Send(ctx, "nosuch", "x"); !errors.Is(err, axon.ErrNoBox) {
		t.Fatalf("send to missing outbox = %v", err)
	}
	out := a.Info().Outboxes[0]
	if out.Sent != 3 || out.Dropped != 3 {
		t.Fatalf("sent %d dropped %d, want 3 and 3", out.Sent, out.Dropped)
	}
}

func TestSendToEndedComponentIsDroppedNotBlocked(t *testing.T) {
	ctx := testCtx(t)
	a := axon.New("a", nil)
	b := axon.New("b", func(context.Context, *axon.Core) error { return nil })
	mustLink(t, axon.Out(a, "outbox"), axon.In(b, "inbox"), axon.Width(axon.Limit{Messages: 1}))
	if err := b.Run(ctx); err != nil {
		t.Fatal(err)
	}
	for range 3 { // would block at the second if the dead box kept messages
		if err := a.Send(ctx, "outbox", "x"); err != nil {
			t.Fatal(err)
		}
	}
	if d := a.Info().Outboxes[0].Dropped; d != 3 {
		t.Fatalf("dropped %d, want 3", d)
	}
}
