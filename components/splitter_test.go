package components_test

import (
	"context"
	"errors"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
)

// echoSink is an Echo with a handle on its outboxes: what a splitter
// delivers to it comes out of the handle.
func echoSink(t *testing.T) (*components.Echo, *axon.Handle) {
	t.Helper()
	e := components.NewEcho()
	return e, axontest.Handle(t, e)
}

func addSink(c axon.Component) components.AddSink {
	return components.AddSink{Inbox: axon.In(c, "inbox"), Control: axon.In(c, "control")}
}

func TestPlugSplitterSinksComeAndGo(t *testing.T) {
	t.Parallel()
	ctx := axontest.Context(t)
	sp := components.NewPlugSplitter()
	h := axontest.Handle(t, sp)
	e1, h1 := echoSink(t)
	e2, h2 := echoSink(t)
	e3, h3 := echoSink(t)
	for _, c := range []axon.Component{sp, e1, e2, e3} {
		axontest.Activate(t, ctx, c)
	}
	put := func(box string, m any) { axontest.Put(t, ctx, h, box, m) }
	put("configuration", addSink(e1))
	put("configuration", addSink(e2))
	put("inbox", "one")
	put("configuration", components.RemoveSink{Inbox: axon.In(e2, "inbox")})
	put("configuration", components.AddSink{Inbox: axon.In(e3, "inbox")}) // no control
	put("inbox", "two")
	put("control", axon.ProducerFinished{})

	expect := func(h *axon.Handle, box string, want ...any) {
		t.Helper()
		for _, w := range want {
			if got := axontest.Get(t, ctx, h, box); got != w {
				t.Fatalf("%s: got %#v, want %#v", box, got, w)
			}
		}
	}
	expect(h1, "outbox", "one", "two")
	expect(h1, "signal", axon.ProducerFinished{})
	expect(h2, "outbox", "one")
	expect(h3, "outbox", "two")
	expect(h, "outbox", "one", "two")
	expect(h, "signal", axon.ProducerFinished{})
	axontest.WaitDone(t, ctx, sp)
	axontest.WaitDone(t, ctx, e1)
	if _, ok := h2.TryGet("outbox"); ok {
		t.Fatal("a removed sink got a message")
	}
	if _, ok := h3.TryGet("signal"); ok {
		t.Fatal("a sink without control got a control message")
	}
	e2.Stop()
	e3.Stop()
}

// A stalled sink holds the splitter (it is lossless) until it is
// stopped; then the others get everything, and the ended sink is
// forgotten.
func TestPlugSplitterWaitsForASlowSink(t *testing.T) {
	t.Parallel()
	ctx := axontest.Context(t)
	sp := components.NewPlugSplitter() // its own outbox leads nowhere
	fast, fastH := echoSink(t)
	stalled := axon.NewReactive("stalled", func(ctx context.Context, c *axon.Core) error { return ctx.Err() },
		axon.WithInboxes(axon.Box("inbox", "").WithLimit(axon.Limit{Messages: 1})))
	feeder := axon.NewReactive("feeder", func(ctx context.Context, c *axon.Core) error { return ctx.Err() })
	if _, err := axon.Link(axon.Out(feeder, "outbox"), axon.In(sp, "inbox")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []axon.Component{sp, fast, stalled, feeder} {
		axontest.Activate(t, ctx, c)
	}
	for _, s := range []axon.Component{stalled, fast} {
		putIn(t, ctx, sp, "configuration", components.AddSink{Inbox: axon.In(s, "inbox")})
	}

	// The splitter's inbox (64) fills behind the stalled sink: the feeder
	// is pushed back.
	sent := 0
	for feeder.TrySend("outbox", sent) == nil {
		sent++
		if sent > 1000 {
			t.Fatal("the splitter never pushed back")
		}
	}
	if err := feeder.TrySend("outbox", sent); !errors.Is(err, axon.ErrBoxFull) {
		t.Fatalf("TrySend = %v, want ErrBoxFull", err)
	}
	stalled.Stop()
	for i := range sent {
		if got := axontest.Get(t, ctx, fastH, "outbox"); got != i {
			t.Fatalf("fast sink got %v, want %d", got, i)
		}
	}
	feeder.Stop()
	fast.Stop()
	sp.Stop()
	axontest.WaitDone(t, ctx, sp)
}

func TestPlugSplitterReportsBadConfiguration(t *testing.T) {
	t.Parallel()
	ctx := axontest.Context(t)
	sp := components.NewPlugSplitter()
	h := axontest.Handle(t, sp)
	axontest.Activate(t, ctx, sp)
	e, _ := echoSink(t)
	for _, tc := range []struct {
		msg  any
		want error
	}{
		{components.AddSink{Inbox: axon.In(e, "nosuchbox")}, axon.ErrNoBox},
		{components.AddSink{Inbox: axon.Out(e, "outbox")}, axon.ErrNoBox},
		{components.AddSink{}, axon.ErrNoBox},
		{"addsink", components.ErrUnexpectedMessage},
	} {
		axontest.Put(t, ctx, h, "configuration", tc.msg)
		if m, ok := axontest.Get(t, ctx, h, "signal").(axon.ErrorInformation); !ok || !errors.Is(m.Err, tc.want) {
			t.Fatalf("for %#v signal = %#v, want ErrorInformation with %v", tc.msg, m, tc.want)
		}
	}
	axontest.Put(t, ctx, h, "inbox", "still works")
	if got := axontest.Get(t, ctx, h, "outbox"); got != "still works" {
		t.Fatalf("outbox = %v", got)
	}
	sp.Stop()
	axontest.WaitDone(t, ctx, sp)
}

func TestPlugAttachesForTheComponentsLife(t *testing.T) {
	t.Parallel()
	ctx := axontest.Context(t)
	sp := components.NewPlugSplitter()
	spH := axontest.Handle(t, sp)
	e := components.NewEcho()
	plug, err := components.NewPlug(sp, e)
	if err != nil {
		t.Fatal(err)
	}
	plugH := axontest.Handle(t, plug)
	axontest.Activate(t, ctx, sp)
	axontest.Activate(t, ctx, plug)
	axontest.Put(t, ctx, spH, "inbox", "via the plug")
	if got := axontest.Get(t, ctx, plugH, "outbox"); got != "via the plug" {
		t.Fatalf("plug outbox = %v", got)
	}
	// The splitter's control reaches the component, which ends; so does
	// the plug, and the splitter forgets it.
	axontest.Put(t, ctx, spH, "control", axon.ProducerFinished{})
	if got := axontest.Get(t, ctx, plugH, "signal"); !axon.IsProducerFinished(got) {
		t.Fatalf("plug signal = %v", got)
	}
	axontest.WaitDone(t, ctx, plug)
	axontest.WaitDone(t, ctx, sp)

	if _, err := components.NewPlug(sp, nil); err == nil {
		t.Fatal("NewPlug accepted a nil component")
	}
	if _, err := components.NewPlug(sp, axon.New("boxless", nil, axon.WithInboxes(), axon.WithOutboxes())); !errors.Is(err, axon.ErrNoBox) {
		t.Fatalf("NewPlug without boxes: %v", err)
	}
}

func TestFanout(t *testing.T) {
	t.Parallel()
	ctx := axontest.Context(t)
	f, err := components.NewFanout("left", "right")
	if err != nil {
		t.Fatal(err)
	}
	h := axontest.Handle(t, f)
	axontest.Activate(t, ctx, f)
	axontest.Put(t, ctx, h, "inbox", 1)
	for _, box := range []string{"left", "right"} {
		if got := axontest.Get(t, ctx, h, box); got != 1 {
			t.Fatalf("%s = %v", box, got)
		}
	}
	// Rewired at run time: unlinked, the outboxes drop (and count) what
	// is sent; linked again, they deliver.
	h.Close()
	if err := f.Inbox("inbox").Put(ctx, 2); err != nil {
		t.Fatal(err)
	}
	for _, b := range f.Info().Outboxes[:2] {
		if b.Dropped != 1 {
			t.Fatalf("outbox %s dropped %d, want 1", b.Name, b.Dropped)
		}
	}
	h = axontest.Handle(t, f)
	axontest.Put(t, ctx, h, "inbox", 3)
	for _, box := range []string{"left", "right"} {
		if got := axontest.Get(t, ctx, h, box); got != 3 {
			t.Fatalf("%s = %v", box, got)
		}
	}
	axontest.Put(t, ctx, h, "control", axon.ShutdownMicroprocess{})
	if got := axontest.Get(t, ctx, h, "signal"); got != (axon.ShutdownMicroprocess{}) {
		t.Fatalf("signal = %v", got)
	}
	axontest.WaitDone(t, ctx, f)
}

func TestNewFanoutErrors(t *testing.T) {
	t.Parallel()
	for _, names := range [][]string{nil, {""}, {"signal"}, {"a", "b", "a"}} {
		if _, err := components.NewFanout(names...); err == nil {
			t.Errorf("NewFanout(%q) accepted", names)
		}
	}
}
