package backplane_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/backplane"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
)

func TestEverySubscriberGetsEveryMessageInOneOrder(t *testing.T) {
	ctx := axontest.Context(t)
	start(t, ctx, "news")
	var subs []*axon.Handle
	for range 3 {
		_, h := subscribe(t, ctx, "news")
		subs = append(subs, h)
	}
	_, p1 := publisher(t, ctx, "news")
	_, p2 := publisher(t, ctx, "news")
	const n = 200 // per publisher; less than the handles' 64 + the queues' 1024
	var wg sync.WaitGroup
	for i, p := range []*axon.Handle{p1, p2} {
		wg.Go(func() {
			for j := range n {
				axontest.Put(t, ctx, p, "inbox", fmt.Sprintf("p%d-%d", i, j))
			}
		})
	}
	wg.Wait()
	var first []any
	for i, h := range subs {
		got := getN(t, ctx, h, 2*n)
		if i == 0 {
			first = got
			// Each publisher's messages keep their order.
			for _, pre := range []string{"p0-", "p1-"} {
				k := 0
				for _, m := range got {
					if s := m.(string); len(s) > 3 && s[:3] == pre {
						if want := fmt.Sprintf("%s%d", pre, k); s != want {
							t.Fatalf("got %s, want %s", s, want)
						}
						k++
					}
				}
				if k != n {
					t.Fatalf("%d messages from %s, want %d", k, pre, n)
				}
			}
		} else if !slices.Equal(got, first) {
			t.Fatalf("subscriber %d saw another order than subscriber 0", i)
		}
		if m, ok := h.TryGet("outbox"); ok {
			t.Fatalf("extra message %v", m)
		}
	}
}

func TestNotFromSkipsTheSubscribersOwnPublisher(t *testing.T) {
	ctx := axontest.Context(t)
	start(t, ctx, "room")
	alice, ah := publisher(t, ctx, "room")
	bob, bh := publisher(t, ctx, "room")
	_, aliceHears := subscribe(t, ctx, "room", backplane.NotFrom(alice))
	_, bobHears := subscribe(t, ctx, "room", backplane.NotFrom(bob))
	axontest.Put(t, ctx, ah, "inbox", "from alice")
	axontest.Put(t, ctx, bh, "inbox", "from bob")
	if got := axontest.Get(t, ctx, aliceHears, "outbox"); got != "from bob" {
		t.Fatalf("alice heard %v", got)
	}
	if got := axontest.Get(t, ctx, bobHears, "outbox"); got != "from alice" {
		t.Fatalf("bob heard %v", got)
	}
	for _, h := range []*axon.Handle{aliceHears, bobHears} {
		if m, ok := h.TryGet("outbox"); ok {
			t.Fatalf("extra message %v", m)
		}
	}
}

func TestBackplaneInboxPublishesToAll(t *testing.T) {
	ctx := axontest.Context(t)
	bp := start(t, ctx, "direct")
	p, _ := publisher(t, ctx, "direct")
	_, h := subscribe(t, ctx, "direct", backplane.NotFrom(p))
	if err := bp.Inbox("inbox").Put(ctx, 42); err != nil {
		t.Fatal(err)
	}
	if got := axontest.Get(t, ctx, h, "outbox"); got != 42 {
		t.Fatalf("got %v", got)
	}
	ref, err := axon.RegistryFrom(ctx).Service(backplane.ServiceName("direct"))
	if err != nil || ref.Component() != axon.Component(bp) || ref.Name() != "inbox" {
		t.Fatalf("service = %v, %v", ref, err)
	}
}

func TestMissingBackplane(t *testing.T) {
	ctx := axontest.Context(t)
	for _, c := range []axon.Component{backplane.NewPublishTo("nowhere"), backplane.NewSubscribeTo("nowhere")} {
		h := axontest.Handle(t, c)
		axontest.Activate(t, ctx, c)
		m := axontest.Get(t, ctx, h, "signal")
		if err := axon.Cause(m); !axon.IsProducerFinished(m) || !errors.Is(err, axon.ErrNoService) {
			t.Fatalf("%s signal = %#v, want ProducerFinished with ErrNoService", c.Name(), m)
		}
		axontest.WaitDone(t, ctx, c)
		if err := axon.CoreOf(c).Err(); !errors.Is(err, axon.ErrNoService) {
			t.Fatalf("%s Err = %v", c.Name(), err)
		}
	}
}

func TestDuplicateNameFailsTheSecondBackplane(t *testing.T) {
	ctx := axontest.Context(t)
	first := start(t, ctx, "dup")
	second := backplane.New("dup")
	h := axontest.Handle(t, second)
	axontest.Activate(t, ctx, second)
	if err := axon.Cause(axontest.Get(t, ctx, h, "signal")); !errors.Is(err, axon.ErrServiceExists) {
		t.Fatalf("signal error = %v, want ErrServiceExists", err)
	}
	axontest.WaitDone(t, ctx, second)
	// The first still serves.
	_, sh := subscribe(t, ctx, "dup")
	if err := first.Inbox("inbox").Put(ctx, "still here"); err != nil {
		t.Fatal(err)
	}
	if got := axontest.Get(t, ctx, sh, "outbox"); got != "still here" {
		t.Fatalf("got %v", got)
	}
}

func TestBackplaneShutdownEndsSubscribersAfterTheirQueue(t *testing.T) {
	ctx := axontest.Context(t)
	bp := backplane.New("closing")
	bh := axontest.Handle(t, bp)
	axontest.Activate(t, ctx, bp)
	s, sh := subscribe(t, ctx, "closing")
	p, ph := publisher(t, ctx, "closing")
	for i := range 100 { // more than the handle holds: some wait in the queue
		axontest.Put(t, ctx, ph, "inbox", i)
	}
	axontest.Put(t, ctx, bh, "control", axon.ShutdownMicroprocess{})
	if m := axontest.Get(t, ctx, bh, "signal"); !axon.IsShutdownMicroprocess(m) {
		t.Fatalf("backplane signal = %v", m)
	}
	for i, m := range getN(t, ctx, sh, 100) {
		if m != i {
			t.Fatalf("message %d = %v", i, m)
		}
	}
	if m := axontest.Get(t, ctx, sh, "signal"); !axon.IsProducerFinished(m) || axon.Cause(m) != nil {
		t.Fatalf("subscriber signal = %#v, want a clean ProducerFinished", m)
	}
	axontest.WaitDone(t, ctx, s)
	axontest.WaitDone(t, ctx, bp)
	if _, err := axon.RegistryFrom(ctx).Service(backplane.ServiceName("closing")); !errors.Is(err, axon.ErrNoService) {
		t.Fatalf("service still registered: %v", err)
	}
	// Publishing now fails, and so does subscribing.
	axontest.Put(t, ctx, ph, "inbox", "too late")
	if err := axon.Cause(axontest.Get(t, ctx, ph, "signal")); !errors.Is(err, backplane.ErrClosed) {
		t.Fatalf("publisher error = %v, want ErrClosed", err)
	}
	axontest.WaitDone(t, ctx, p)
}

func TestSubscriberShutdownRequests(t *testing.T) {
	tests := []struct {
		name      string
		stop      any
		delivered int // of the 100 published, with 64 taken by the handle's box
	}{
		{"producerFinished sends the queue first", axon.ProducerFinished{}, 100},
		{"shutdownMicroprocess discards it", axon.ShutdownMicroprocess{}, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := axontest.Context(t)
			bp := start(t, ctx, "s")
			s, sh := subscribe(t, ctx, "s")
			_, ph := publisher(t, ctx, "s")
			for i := range 100 {
				axontest.Put(t, ctx, ph, "inbox", i)
			}
			axontest.Put(t, ctx, sh, "control", tc.stop)
			var got []any
			for {
				m, err := sh.Get(ctx, "outbox")
				if err != nil {
					break // ended, nothing more
				}
				got = append(got, m)
			}
			if m := axontest.Get(t, ctx, sh, "signal"); m != tc.stop {
				t.Fatalf("signal = %#v, want %#v", m, tc.stop)
			}
			st := s.Stats()
			if tc.delivered > 0 && len(got) != tc.delivered {
				t.Fatalf("got %d messages, want %d", len(got), tc.delivered)
			}
			if uint64(len(got))+st.Dropped != 100 || st.Delivered != uint64(len(got)) {
				t.Fatalf("got %d, stats %+v: messages unaccounted for", len(got), st)
			}
			if bs := bp.Stats(); bs.Subscribers != 0 || bs.Dropped != st.Dropped || bs.Published != 100 {
				t.Fatalf("backplane stats %+v", bs)
			}
		})
	}
}

func TestSubscriberReportsInputAndCarriesOn(t *testing.T) {
	ctx := axontest.Context(t)
	start(t, ctx, "in")
	_, sh := subscribe(t, ctx, "in")
	_, ph := publisher(t, ctx, "in")
	axontest.Put(t, ctx, sh, "inbox", "not for me")
	if m, ok := axontest.Get(t, ctx, sh, "signal").(axon.ErrorInformation); !ok || m.Message != "not for me" {
		t.Fatalf("signal = %#v, want ErrorInformation", m)
	}
	axontest.Put(t, ctx, ph, "inbox", "still works")
	if got := axontest.Get(t, ctx, sh, "outbox"); got != "still works" {
		t.Fatalf("got %v", got)
	}
}

func TestStoppingTheBackplaneEndsItsSubscribers(t *testing.T) {
	ctx := axontest.Context(t)
	bp := backplane.New("stop")
	axontest.Activate(t, ctx, bp)
	s, sh := subscribe(t, ctx, "stop")
	bp.Stop()
	axontest.WaitDone(t, ctx, bp)
	if m := axontest.Get(t, ctx, sh, "signal"); !axon.IsProducerFinished(m) || axon.Cause(m) != nil {
		t.Fatalf("signal = %#v", m)
	}
	axontest.WaitDone(t, ctx, s)
}
