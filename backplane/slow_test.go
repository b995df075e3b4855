package backplane_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/backplane"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
)

// A subscriber whose consumer stops taking is cut off once its queue is
// full; the publisher never waits, and the other subscribers get
// everything.
func TestSlowSubscriberIsDisconnected(t *testing.T) {
	ctx := axontest.Context(t)
	bp := start(t, ctx, "slow")
	// The handle's box (64) is never read: the subscriber's sends stop.
	slow, slowH := subscribe(t, ctx, "slow", backplane.QueueLimit(axon.Limit{Messages: 10}))
	// The other's queue holds everything: it cannot fall behind.
	_, fastH := subscribe(t, ctx, "slow")
	_, ph := publisher(t, ctx, "slow")

	const n = 1000
	for i := range n {
		axontest.Put(t, ctx, ph, "inbox", i) // never waits on the slow one
	}
	for i, m := range getN(t, ctx, fastH, n) {
		if m != i {
			t.Fatalf("fast subscriber: message %d = %v", i, m)
		}
	}
	m := axontest.Get(t, ctx, slowH, "signal")
	if err := axon.Cause(m); !axon.IsProducerFinished(m) || !errors.Is(err, backplane.ErrSlowSubscriber) {
		t.Fatalf("slow subscriber signal = %#v, want ProducerFinished with ErrSlowSubscriber", m)
	}
	axontest.WaitDone(t, ctx, slow)
	if !errors.Is(slow.Err(), backplane.ErrSlowSubscriber) {
		t.Fatalf("Err = %v", slow.Err())
	}
	st := slow.Stats()
	if !st.Disconnected || st.Queued != 0 {
		t.Fatalf("slow stats %+v", st)
	}
	// It was cut off holding 10 (its limit): those still queued are
	// dropped, those of the batch it was sending may still go out. So
	// what it got and what it dropped add up to at least 10, at most all
	// that was published, and nothing else is dropped.
	if st.Dropped == 0 || st.Dropped > 10 || st.Delivered+st.Dropped < 10 || st.Delivered+st.Dropped > n {
		t.Fatalf("slow stats %+v", st)
	}
	bs := bp.Stats()
	if bs.Disconnected != 1 || bs.Subscribers != 1 || bs.Published != n || bs.Dropped != st.Dropped {
		t.Fatalf("backplane stats %+v", bs)
	}
}

// DropOldest keeps the newest messages and counts the rest.
func TestDropOldestKeepsTheNewest(t *testing.T) {
	ctx := axontest.Context(t)
	bp := start(t, ctx, "lossy")
	s, h := subscribe(t, ctx, "lossy", backplane.QueueLimit(axon.Limit{Messages: 5}), backplane.OnFull(backplane.DropOldest))
	_, ph := publisher(t, ctx, "lossy")
	const n = 500
	for i := range n {
		axontest.Put(t, ctx, ph, "inbox", i)
	}
	// Take what arrives until the last message published.
	last := -1
	var received uint64
	for last != n-1 {
		m := axontest.Get(t, ctx, h, "outbox").(int)
		if m <= last {
			t.Fatalf("message %d after %d", m, last)
		}
		last = m
		received++
	}
	st := s.Stats()
	if st.Dropped == 0 || st.Disconnected || st.Delivered != received || received+st.Dropped != n {
		t.Fatalf("received %d, stats %+v", received, st)
	}
	if bs := bp.Stats(); bs.Dropped != st.Dropped || bs.Disconnected != 0 || bs.Subscribers != 1 {
		t.Fatalf("backplane stats %+v", bs)
	}
}

// A byte limit counts []byte and string payloads.
func TestQueueByteLimit(t *testing.T) {
	ctx := axontest.Context(t)
	start(t, ctx, "bytes")
	s, h := subscribe(t, ctx, "bytes", backplane.QueueLimit(axon.Limit{Messages: 1000, Bytes: 100}))
	_, ph := publisher(t, ctx, "bytes")
	chunk := make([]byte, 30)
	for range 200 { // 64 fill the handle's box, then the queue holds 100 bytes
		axontest.Put(t, ctx, ph, "inbox", chunk)
	}
	if err := axon.Cause(axontest.Get(t, ctx, h, "signal")); !errors.Is(err, backplane.ErrSlowSubscriber) {
		t.Fatalf("signal error = %v", err)
	}
	axontest.WaitDone(t, ctx, s)
}

// A subscriber whose Send waits for room is cut off all the same: the
// wait ends.
func TestDisconnectEndsAWaitingSend(t *testing.T) {
	ctx := axontest.Context(t)
	start(t, ctx, "wait")
	s, _ := subscribe(t, ctx, "wait", backplane.QueueLimit(axon.Limit{Messages: 1}))
	_, ph := publisher(t, ctx, "wait")
	// The handle's box takes 64, never read; the 65th waits in Send.
	for i := range 64 {
		axontest.Put(t, ctx, ph, "inbox", i)
		eventually(t, ctx, func() bool { return s.Stats().Delivered == uint64(i+1) })
	}
	axontest.Put(t, ctx, ph, "inbox", 64)
	eventually(t, ctx, func() bool { return s.Info().State == "blocked" })
	axontest.Put(t, ctx, ph, "inbox", "queued")
	axontest.Put(t, ctx, ph, "inbox", "no room")
	axontest.WaitDone(t, ctx, s)
	if !errors.Is(s.Err(), backplane.ErrSlowSubscriber) {
		t.Fatalf("Err = %v", s.Err())
	}
	if st := s.Stats(); st.Delivered != 64 || st.Dropped != 2 {
		t.Fatalf("stats %+v, want 64 delivered, 2 dropped (the one waiting, the one queued)", st)
	}
}

// Publishers, subscribers that come and go, and Stats, all at once.
func TestChurnUnderConcurrentPublishing(t *testing.T) {
	ctx := axontest.Context(t)
	bp := start(t, ctx, "churn")
	// Two steady subscribers, read as fast as they can.
	steady := make([]chan []any, 2)
	for i := range steady {
		// Queues that hold everything: these two never fall behind.
		_, h := subscribe(t, ctx, "churn", backplane.QueueLimit(axon.Limit{Messages: 4096}))
		steady[i] = make(chan []any, 1)
		go func() {
			var got []any
			for {
				m, err := h.Get(ctx, "outbox")
				if err != nil {
					steady[i] <- got
					return
				}
				if m == "end" {
					steady[i] <- got
					return
				}
				got = append(got, m)
			}
		}()
	}
	const pubs, each = 4, 500
	var wg sync.WaitGroup
	var stop atomic.Bool
	for i := range pubs {
		_, ph := publisher(t, ctx, "churn")
		wg.Go(func() {
			for j := range each {
				axontest.Put(t, ctx, ph, "inbox", fmt.Sprint(i, "-", j))
			}
		})
	}
	var churn sync.WaitGroup
	for range 2 {
		churn.Go(func() {
			for !stop.Load() {
				s := backplane.NewSubscribeTo("churn", backplane.QueueLimit(axon.Limit{Messages: 3}))
				if err := s.Activate(ctx); err != nil {
					t.Error(err)
					return
				}
				_ = bp.Stats()
				_ = s.Stats()
				s.Stop()
				<-s.Done()
			}
		})
	}
	wg.Wait()
	stop.Store(true)
	churn.Wait()
	if err := bp.Inbox("inbox").Put(ctx, "end"); err != nil {
		t.Fatal(err)
	}
	a, b := <-steady[0], <-steady[1]
	if len(a) != pubs*each || len(b) != pubs*each {
		t.Fatalf("steady subscribers got %d and %d of %d (dropped %d)", len(a), len(b), pubs*each, bp.Stats().Dropped)
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("steady subscribers disagree at %d: %v, %v", i, a[i], b[i])
		}
	}
}
