package axon_test

import (
	"context"
	"strings"
	"testing"

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
