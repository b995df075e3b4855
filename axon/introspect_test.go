package axon_test

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/kamaelia-go/kamaelia/axon"
)

func TestSnapshot(t *testing.T) {
	r := axon.NewRegistry()
	ctx, cancel := context.WithCancel(axon.NewContext(context.Background(), r))
	defer cancel()
	producer := axon.New("producer", func(ctx context.Context, c *axon.Core) error {
		<-ctx.Done()
		return nil
	})
	consumer := axon.New("consumer", func(ctx context.Context, c *axon.Core) error {
		<-ctx.Done()
		return nil
	})
	wired := make(chan struct{})
	owner := axon.New("owner", func(ctx context.Context, c *axon.Core) error {
		if _, err := c.Link(axon.Out(producer, "outbox"), axon.In(consumer, "inbox")); err != nil {
			return err
		}
		if err := producer.Send(ctx, "outbox", []byte("12345")); err != nil {
			return err
		}
		_ = producer.Send(ctx, "signal", "nobody listens")
		close(wired)
		<-ctx.Done()
		return nil
	})
	for _, c := range []*axon.Core{producer, consumer} {
		if err := c.Activate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := owner.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	<-wired
	snap := r.Snapshot()
	if q := snap.QueuedBytes(); q != 5 {
		t.Errorf("queued bytes = %d, want 5", q)
	}
	if len(snap.Components) != 3 {
		t.Fatalf("snapshot has %d components", len(snap.Components))
	}
	byName := map[string]axon.ComponentInfo{}
	for _, c := range snap.Components {
		byName[c.Name] = c
	}
	ci := byName[consumer.Name()]
	if in := ci.Inboxes[0]; in.Depth != 1 || in.Bytes != 5 || in.Received != 1 {
		t.Errorf("consumer inbox = %+v", in)
	}
	pi := byName[producer.Name()]
	if out := pi.Outboxes[0]; out.Sent != 1 || out.LinkedTo != consumer.Name()+".inbox" {
		t.Errorf("producer outbox = %+v", out)
	}
	if sig := pi.Outboxes[1]; sig.Dropped != 1 {
		t.Errorf("producer signal = %+v", sig)
	}
	oi := byName[owner.Name()]
	if len(oi.Links) != 1 || oi.Links[0].From != producer.Name()+".outbox" || oi.Links[0].Kind != axon.Normal {
		t.Errorf("owner links = %+v", oi.Links)
	}
	var sb strings.Builder
	if err := snap.WriteText(&sb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sb.String(), "depth 1 (5 B)") {
		t.Errorf("text listing:\n%s", sb.String())
	}
	cancel()
	for _, c := range []*axon.Core{producer, consumer, owner} {
		<-c.Done()
	}
	if n := len(r.Snapshot().Components); n != 0 {
		t.Fatalf("%d components after all ended", n)
	}
}

// blockedIn describes c and fails the test unless it is blocked on
// want (or, if want is "", not blocked at all).
func blockedIn(t *testing.T, c *axon.Core, want string) {
	t.Helper()
	ci := c.Info()
	if (ci.State == "blocked") != (want != "") || ci.Blocked != want {
		t.Fatalf("%s: state %q, blocked on %q; want blocked on %q", c.Name(), ci.State, ci.Blocked, want)
	}
}

// fullSink returns an idle component whose inbox holds one message and
// already has one.
func fullSink(t *testing.T, ctx context.Context, name string) *axon.Core {
	t.Helper()
	sink := axon.New(name, func(ctx context.Context, c *axon.Core) error {
		<-ctx.Done()
		return nil
	}, axon.WithInboxes(axon.Box("inbox", "").WithLimit(axon.Limit{Messages: 1})))
	if err := sink.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sink.Inbox("inbox").Put(ctx, "filler"); err != nil {
		t.Fatal(err)
	}
	return sink
}

// A Send that waits for room shows its sender blocked on the box it
// waits for, and only its sender: a component whose full inbox someone
// puts into is not blocked, and a component whose body and helper both
// wait stays blocked until both have room.
func TestBlockedNamesTheWaitingSender(t *testing.T) {
	t.Run("put from plain code", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancel(testCtx(t))
			defer cancel()
			sink := fullSink(t, ctx, "sink")
			go func() { _ = sink.Inbox("inbox").Put(ctx, "waits") }()
			synctest.Wait()
			if w := sink.Info().Inboxes[0].Waiting; w != 1 {
				t.Fatalf("%d senders waiting, want 1", w)
			}
			blockedIn(t, sink, "")
			cancel()
			<-sink.Done()
		})
	})
	t.Run("put from a component", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancel(testCtx(t))
			defer cancel()
			sink := fullSink(t, ctx, "sink")
			putter := axon.New("putter", func(ctx context.Context, c *axon.Core) error {
				_ = sink.Inbox("inbox").Put(ctx, "waits")
				return nil
			})
			if err := putter.Activate(ctx); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
			blockedIn(t, sink, "")
			blockedIn(t, putter, sink.Name()+".inbox")
			cancel()
			<-sink.Done()
			<-putter.Done()
		})
	})
	// Whichever of the two waits first, the other must still show once
	// that one has room: try both orders of making room.
	for _, first := range []string{"a", "b"} {
		t.Run("body and helper, room in "+first+" first", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(testCtx(t))
				defer cancel()
				sinks := map[string]*axon.Core{"a": fullSink(t, ctx, "a"), "b": fullSink(t, ctx, "b")}
				sender := axon.New("sender", func(ctx context.Context, c *axon.Core) error {
					if err := c.Go(func(ctx context.Context) { _ = c.Send(ctx, "b", "waits") }); err != nil {
						return err
					}
					_ = c.Send(ctx, "a", "waits")
					<-ctx.Done()
					return nil
				}, axon.WithOutboxes(axon.Box("a", ""), axon.Box("b", "")))
				for name, sink := range sinks {
					mustLink(t, axon.Out(sender, name), axon.In(sink, "inbox"))
				}
				if err := sender.Activate(ctx); err != nil {
					t.Fatal(err)
				}
				synctest.Wait()
				if ci := sender.Info(); ci.State != "blocked" {
					t.Fatalf("sender is %s, want blocked", ci.State)
				}
				second := map[string]string{"a": "b", "b": "a"}[first]
				sinks[first].Recv("inbox") // room for one of the two
				synctest.Wait()
				blockedIn(t, sender, sinks[second].Name()+".inbox")
				sinks[second].Recv("inbox") // and for the other
				synctest.Wait()
				blockedIn(t, sender, "")
				cancel()
				for _, c := range []*axon.Core{sinks["a"], sinks["b"], sender} {
					<-c.Done()
				}
			})
		})
	}
}
