package axon_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
)

// upper echoes strings upper-cased and ends on any shutdown request,
// forwarding it.
func newUpper() *axon.Core {
	return axon.New("upper", func(ctx context.Context, c *axon.Core) error {
		for {
			if err := c.Wait(ctx); err != nil {
				return err
			}
			for {
				box, msg, ok := c.Next()
				if !ok {
					break
				}
				if box == "control" && axon.IsShutdownRequest(msg) {
					return c.Send(ctx, "signal", msg)
				}
				if s, ok := msg.(string); ok {
					if err := c.Send(ctx, "outbox", s+"!"); err != nil {
						return err
					}
				}
			}
		}
	})
}

func TestHandle(t *testing.T) {
	ctx := testCtx(t)
	c := newUpper()
	h, err := axon.NewHandle(c)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := c.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := h.Put(ctx, "inbox", "hi"); err != nil {
		t.Fatal(err)
	}
	if m, err := h.Get(ctx, "outbox"); err != nil || m != "hi!" {
		t.Fatalf("Get = %v, %v", m, err)
	}
	if _, ok := h.TryGet("outbox"); ok {
		t.Fatal("TryGet found a message that was never sent")
	}
	if err := h.Put(ctx, "control", axon.ProducerFinished{}); err != nil {
		t.Fatal(err)
	}
	if m, err := h.Get(ctx, "signal"); err != nil || !axon.IsProducerFinished(m) {
		t.Fatalf("signal = %v, %v", m, err)
	}
	if err := h.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Get(ctx, "outbox"); !errors.Is(err, axon.ErrFinished) {
		t.Fatalf("Get after end = %v, want ErrFinished", err)
	}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"put to missing inbox", h.Put(ctx, "nosuch", 1), axon.ErrNoBox},
		{"get from missing outbox", func() error { _, err := h.Get(ctx, "nosuch"); return err }(), axon.ErrNoBox},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: %v", tt.name, tt.err)
		}
	}
}

func TestHandleGetHonoursContext(t *testing.T) {
	c := axon.New("quiet", nil)
	h, err := axon.NewHandle(c)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Get(ctx, "outbox"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get = %v", err)
	}
}

// A Handle is safe for concurrent use, Close included.
func TestHandleConcurrentUse(t *testing.T) {
	ctx := testCtx(t)
	c := newUpper()
	h, err := axon.NewHandle(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			_ = h.Put(ctx, "inbox", "x")
			h.TryGet("outbox")
			h.Close()
		})
	}
	wg.Wait()
	c.Stop()
	if err := h.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v", err)
	}
}
