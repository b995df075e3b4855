package axon_test

import (
	"context"
	"sync"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
)

// Each benchmark runs the same work twice, as sub-benchmarks: impl=chan
// is a plain buffered-channel baseline with the same depth (64, axon's
// default inbox limit), impl=axon is the component version. benchstat
// puts them side by side:
//
//	go test -run '^$' -bench . -count 6 ./axon/ > axon.txt
//	benchstat -col /impl axon.txt
//
// Messages are 64-byte []byte slices converted to `any` once, as a
// component forwarding what it received does; converting a fresh slice
// to `any` would add one 24-byte allocation per message in the caller.

const benchDepth = 64

var payload any = make([]byte, 64)

// countingSink drains "inbox" until it has seen n messages.
func countingSink(n int, done chan<- struct{}) *axon.Core {
	return axon.New("sink", func(ctx context.Context, c *axon.Core) error {
		seen := 0
		for seen < n {
			if err := c.Wait(ctx); err != nil {
				return err
			}
			for range c.Drain("inbox") {
				seen++
			}
		}
		close(done)
		return nil
	})
}

func sender(n int) *axon.Core {
	return axon.New("source", func(ctx context.Context, c *axon.Core) error {
		for range n {
			if err := c.Send(ctx, "outbox", payload); err != nil {
				return err
			}
		}
		return nil
	})
}

func runAll(b *testing.B, cs ...*axon.Core) {
	ctx := context.Background()
	for _, c := range cs {
		if err := c.Activate(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func waitAll(cs ...*axon.Core) {
	for _, c := range cs {
		<-c.Done()
	}
}

func benchOneToOne(b *testing.B) {
	b.ReportAllocs()
	done := make(chan struct{})
	src, dst := sender(b.N), countingSink(b.N, done)
	_, _ = axon.Link(axon.Out(src, "outbox"), axon.In(dst, "inbox"))
	b.ResetTimer()
	runAll(b, dst, src)
	<-done
	b.StopTimer()
	waitAll(src, dst)
}

func benchOneToOneChannel(b *testing.B) {
	b.ReportAllocs()
	ch := make(chan any, benchDepth)
	done := make(chan struct{})
	go func() {
		for range b.N {
			<-ch
		}
		close(done)
	}()
	for range b.N {
		ch <- payload
	}
	<-done
}

// forwarder is one pipeline stage with its own goroutine.
func forwarder() *axon.Core {
	return axon.New("stage", func(ctx context.Context, c *axon.Core) error {
		for {
			if err := c.Wait(ctx); err != nil {
				return nil
			}
			for m := range c.Drain("inbox") {
				if err := c.Send(ctx, "outbox", m); err != nil {
					return nil
				}
			}
		}
	})
}

// reactiveForwarder is one pipeline stage with no goroutine of its own.
func reactiveForwarder() *axon.Core {
	return axon.NewReactive("stage", func(ctx context.Context, c *axon.Core) error {
		for m := range c.Drain("inbox") {
			if err := c.Send(ctx, "outbox", m); err != nil {
				return err
			}
		}
		return nil
	})
}

func benchPipeline(b *testing.B, stage func() *axon.Core) {
	b.ReportAllocs()
	const stages = 10
	done := make(chan struct{})
	src, dst := sender(b.N), countingSink(b.N, done)
	all := []*axon.Core{dst}
	prev := src
	for range stages {
		s := stage()
		_, _ = axon.Link(axon.Out(prev, "outbox"), axon.In(s, "inbox"))
		all = append(all, s)
		prev = s
	}
	_, _ = axon.Link(axon.Out(prev, "outbox"), axon.In(dst, "inbox"))
	b.ResetTimer()
	runAll(b, append(all, src)...)
	<-done
	b.StopTimer()
	for _, c := range all[1:] {
		c.Stop()
	}
	waitAll(append(all, src)...)
}

func benchPipeline10Channel(b *testing.B) {
	b.ReportAllocs()
	const stages = 10
	first := make(chan any, benchDepth)
	in := first
	var wg sync.WaitGroup
	for range stages {
		out := make(chan any, benchDepth)
		wg.Add(1)
		go func(in <-chan any, out chan<- any) {
			defer wg.Done()
			for m := range in {
				out <- m
			}
			close(out)
		}(in, out)
		in = out
	}
	done := make(chan struct{})
	go func() {
		for range in {
		}
		close(done)
	}()
	for range b.N {
		first <- payload
	}
	close(first)
	<-done
	wg.Wait()
}

func benchFanIn8(b *testing.B) {
	b.ReportAllocs()
	const producers = 8
	per := b.N/producers + 1
	done := make(chan struct{})
	dst := countingSink(per*producers, done)
	var srcs []*axon.Core
	for range producers {
		s := sender(per)
		_, _ = axon.Link(axon.Out(s, "outbox"), axon.In(dst, "inbox"))
		srcs = append(srcs, s)
	}
	b.ResetTimer()
	runAll(b, append([]*axon.Core{dst}, srcs...)...)
	<-done
	b.StopTimer()
	waitAll(append(srcs, dst)...)
}

func benchFanIn8Channel(b *testing.B) {
	b.ReportAllocs()
	const producers = 8
	per := b.N/producers + 1
	ch := make(chan any, benchDepth)
	done := make(chan struct{})
	go func() {
		for range per * producers {
			<-ch
		}
		close(done)
	}()
	for range producers {
		go func() {
			for range per {
				ch <- payload
			}
		}()
	}
	<-done
}

// BenchmarkOneToOne: one producer, one consumer, 64-byte messages.
func BenchmarkOneToOne(b *testing.B) {
	b.Run("impl=chan", benchOneToOneChannel)
	b.Run("impl=axon", benchOneToOne)
}

// BenchmarkPipeline10: a message crosses ten forwarding stages.
// impl=axon gives each stage its own goroutine (New); impl=axon-reactive
// uses reactive stages (NewReactive) that run inline in the sender.
func BenchmarkPipeline10(b *testing.B) {
	b.Run("impl=chan", benchPipeline10Channel)
	b.Run("impl=axon", func(b *testing.B) { benchPipeline(b, forwarder) })
	b.Run("impl=axon-reactive", func(b *testing.B) { benchPipeline(b, reactiveForwarder) })
}

// BenchmarkFanIn8: eight producers feed one consumer.
func BenchmarkFanIn8(b *testing.B) {
	b.Run("impl=chan", benchFanIn8Channel)
	b.Run("impl=axon", benchFanIn8)
}
