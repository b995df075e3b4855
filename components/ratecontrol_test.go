package components_test

import (
	"context"
	"math"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
)

func TestNewRateController(t *testing.T) {
	tests := []struct {
		name      string
		opts      []components.RateOption
		rate      float64
		chunk     int
		wantError bool
	}{
		{"defaults", nil, 100_000, 10_000, false},
		{"rate sets the chunk", []components.RateOption{components.WithRate(50)}, 50, 5, false},
		{"chunk at least 1", []components.RateOption{components.WithRate(1)}, 1, 1, false},
		{"both", []components.RateOption{components.WithRate(1000), components.WithChunkSize(64)}, 1000, 64, false},
		{"negative rate", []components.RateOption{components.WithRate(-1)}, 0, 0, true},
		{"NaN rate", []components.RateOption{components.WithRate(math.NaN())}, 0, 0, true},
		{"infinite rate", []components.RateOption{components.WithRate(math.Inf(1))}, 0, 0, true},
		{"negative chunk", []components.RateOption{components.WithChunkSize(-5)}, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := components.NewRateController(tt.opts...)
			if tt.wantError {
				if err == nil {
					t.Fatalf("NewRateController = %v, want an error", r.Name())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Rate() != tt.rate || r.ChunkSize() != tt.chunk {
				t.Fatalf("rate %v chunk %d, want %v and %d", r.Rate(), r.ChunkSize(), tt.rate, tt.chunk)
			}
		})
	}
}

// counter is a reactive component that adds up the ints reaching its
// inbox.
func counter() (*axon.Core, *atomic.Int64) {
	var total atomic.Int64
	c := axon.NewReactive("counter", func(ctx context.Context, c *axon.Core) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		for m := range c.Drain("inbox") {
			total.Add(int64(m.(int)))
		}
		return nil
	})
	return c, &total
}

func TestRateControllerFollowsRate(t *testing.T) {
	tests := []struct {
		name  string
		rate  float64
		chunk int
	}{
		{"default chunk", 100_000, 0},
		{"small chunks", 100_000, 1000},
		{"uneven", 1_000_000, 4096},
		{"slow", 3, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := axontest.Context(t)
				rc, err := components.NewRateController(components.WithRate(tt.rate), components.WithChunkSize(tt.chunk))
				if err != nil {
					t.Fatal(err)
				}
				sink, total := counter()
				if _, err := axon.Link(axon.Out(rc, "outbox"), axon.In(sink, "inbox")); err != nil {
					t.Fatal(err)
				}
				axontest.Activate(t, ctx, sink)
				axontest.Activate(t, ctx, rc)
				start := time.Now()
				// At every moment the total is at most rate × t and
				// within one chunk of it.
				for range 40 {
					time.Sleep(50 * time.Millisecond)
					synctest.Wait()
					ideal := tt.rate * time.Since(start).Seconds()
					got := float64(total.Load())
					if got > ideal+1e-6 || got <= ideal-float64(rc.ChunkSize()) {
						t.Fatalf("after %v: total %v, want in (%v, %v]", time.Since(start), got, ideal-float64(rc.ChunkSize()), ideal)
					}
				}
				// Over the 2 s window the rate is kept within 5%.
				if got, want := float64(total.Load()), 2*tt.rate; math.Abs(got-want) > 0.05*want {
					t.Fatalf("total over 2s = %v, want %v ± 5%%", got, want)
				}
				rc.Stop()
				sink.Stop()
				<-rc.Done()
				<-sink.Done()
			})
		})
	}
}

// When its consumer stalls, the controller catches up afterwards: the
// total follows the time elapsed since the start, not the time spent
// sending.
func TestRateControllerCatchesUpWithoutDrift(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := axontest.Context(t)
		const rate, chunk = 10_000, 100
		rc, err := components.NewRateController(components.WithRate(rate), components.WithChunkSize(chunk))
		if err != nil {
			t.Fatal(err)
		}
		sink := axon.New("stalled", nil) // not started: the test takes its messages
		if _, err := axon.Link(axon.Out(rc, "outbox"), axon.In(sink, "inbox"), axon.Width(axon.Limit{Messages: 1})); err != nil {
			t.Fatal(err)
		}
		axontest.Activate(t, ctx, rc)
		start := time.Now()
		total := 0
		drain := func() {
			for {
				synctest.Wait()
				m, ok := sink.Recv("inbox")
				if !ok {
					return
				}
				total += m.(int)
			}
		}
		time.Sleep(time.Second) // the consumer stalls for a second
		drain()
		if want := rate * time.Since(start).Seconds(); float64(total) != want {
			t.Fatalf("after the stall: total %d, want %v (caught up)", total, want)
		}
		for range 10 {
			time.Sleep(100 * time.Millisecond)
			drain()
		}
		if want := rate * time.Since(start).Seconds(); float64(total) != want {
			t.Fatalf("after 2s: total %d, want %v (no drift)", total, want)
		}
		rc.Stop()
		<-rc.Done()
	})
}
