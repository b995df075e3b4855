package backplane_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/backplane"
)

// The fan-out benchmarks publish b.N messages to n subscribers, in
// windows of fanWindow messages: after each window the publisher waits
// until every subscriber has taken all of it, so no queue ever fills and
// both sides are measured lossless. ns/op is per message published;
// deliveries/s counts messages arriving at subscribers.
const fanWindow = 256

var fanSizes = []int{1, 10, 100}

// window tracks one window: each subscriber calls seen with its count,
// and the window is done when all have reached target.
type window struct {
	target atomic.Int64
	wg     sync.WaitGroup
}

// seen reports a subscriber's count; last is its count when it last
// reported the end of a window.
func (w *window) seen(count int64, last *int64) {
	if t := w.target.Load(); count >= t && *last < t {
		*last = t
		w.wg.Done()
	}
}

// run publishes b.N messages in windows with publish.
func (w *window) run(b *testing.B, subs int, publish func(i int)) {
	b.ResetTimer()
	for i := 0; i < b.N; {
		k := min(fanWindow, b.N-i)
		w.wg.Add(subs)
		w.target.Add(int64(k))
		for range k {
			publish(i)
			i++
		}
		w.wg.Wait()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)*float64(subs)/b.Elapsed().Seconds(), "deliveries/s")
}

// BenchmarkFanout compares the backplane with a hand-written fan-out:
// one buffered channel and one goroutine per subscriber, the publisher
// offering each message to each channel without waiting.
func BenchmarkFanout(b *testing.B) {
	for _, n := range fanSizes {
		b.Run(fmt.Sprintf("backplane/subs=%d", n), func(b *testing.B) { benchBackplane(b, n) })
		b.Run(fmt.Sprintf("channels/subs=%d", n), func(b *testing.B) { benchChannels(b, n) })
	}
}

func benchBackplane(b *testing.B, n int) {
	ctx, cancel := context.WithCancel(axon.NewContext(context.Background(), axon.NewRegistry()))
	defer cancel()
	bp := backplane.New("bench")
	if err := bp.Activate(ctx); err != nil {
		b.Fatal(err)
	}
	var w window
	var all []*axon.Core
	for range n {
		s := backplane.NewSubscribeTo("bench")
		var count, last int64
		sink := axon.NewReactive("sink", func(ctx context.Context, c *axon.Core) error {
			for range c.Drain("inbox") {
				count++
			}
			w.seen(count, &last)
			return ctx.Err()
		})
		if _, err := axon.Link(axon.Out(s, "outbox"), axon.In(sink, "inbox")); err != nil {
			b.Fatal(err)
		}
		all = append(all, sink, s.Core)
	}
	pub := backplane.NewPublishTo("bench")
	all = append(all, pub.Core)
	for _, c := range all {
		if err := c.Activate(ctx); err != nil {
			b.Fatal(err)
		}
	}
	in := pub.Inbox("inbox")
	w.run(b, n, func(i int) {
		if err := in.Put(ctx, i); err != nil {
			b.Fatal(err)
		}
	})
	if st := bp.Stats(); st.Dropped != 0 || st.Disconnected != 0 {
		b.Fatalf("stats %+v", st)
	}
	cancel()
	for _, c := range append(all, bp.Core) {
		<-c.Done()
	}
}

func benchChannels(b *testing.B, n int) {
	var w window
	chans := make([]chan any, n)
	var done sync.WaitGroup
	for i := range chans {
		ch := make(chan any, backplane.DefaultQueueLimit.Messages)
		chans[i] = ch
		done.Go(func() {
			var count, last int64
			for range ch {
				count++
				w.seen(count, &last)
			}
		})
	}
	var dropped int
	w.run(b, n, func(i int) {
		var m any = i
		for _, ch := range chans {
			select {
			case ch <- m:
			default:
				dropped++
			}
		}
	})
	if dropped != 0 {
		b.Fatalf("dropped %d", dropped)
	}
	for _, ch := range chans {
		close(ch)
	}
	done.Wait()
}
