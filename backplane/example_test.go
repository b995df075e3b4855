package backplane_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/backplane"
)

// Two subscribers and a publisher on one backplane. Everything published
// reaches both subscribers, except what a subscriber was told to skip.
func Example() {
	ctx := context.Background()
	bp := backplane.New("news")
	_ = bp.Activate(ctx) // registers "news" before it returns

	pub := backplane.NewPublishTo("news")
	everything := backplane.NewSubscribeTo("news")
	notMine := backplane.NewSubscribeTo("news", backplane.NotFrom(pub))
	h1, _ := axon.NewHandle(everything)
	h2, _ := axon.NewHandle(notMine)
	for _, c := range []*axon.Core{pub.Core, everything.Core, notMine.Core} {
		_ = c.Activate(ctx)
	}

	_ = pub.Inbox("inbox").Put(ctx, "from pub")
	_ = bp.Inbox("inbox").Put(ctx, "straight to the backplane")
	for range 2 {
		m, _ := h1.Get(ctx, "outbox")
		fmt.Println("everything:", m)
	}
	m, _ := h2.Get(ctx, "outbox")
	fmt.Println("notMine:", m)

	// Closing the backplane ends its subscribers; the publisher is told
	// when it next publishes.
	_ = bp.Inbox("control").Put(ctx, axon.ShutdownMicroprocess{})
	fmt.Println(h1.Wait(ctx), h2.Wait(ctx))
	_ = pub.Inbox("inbox").Put(ctx, "too late")
	<-pub.Done()
	fmt.Println(errors.Is(pub.Err(), backplane.ErrClosed))
	// Output:
	// everything: from pub
	// everything: straight to the backplane
	// notMine: straight to the backplane
	// <nil> <nil>
	// true
}

// A subscriber that falls behind is cut off (Disconnect, the default) or
// loses its oldest messages (DropOldest); either way the publisher goes
// on, and the backplane counts what happened.
func ExampleOnFull() {
	ctx := context.Background()
	bp := backplane.New("feed")
	_ = bp.Activate(ctx)
	defer func() { bp.Stop(); <-bp.Done() }()

	small := axon.Limit{Messages: 2}
	lossy := backplane.NewSubscribeTo("feed", backplane.QueueLimit(small), backplane.OnFull(backplane.DropOldest))
	strict := backplane.NewSubscribeTo("feed", backplane.QueueLimit(small))
	// Nobody reads from them while the messages are published: each
	// handle holds 64 messages, then their sends wait.
	lossyOut, _ := axon.NewHandle(lossy)
	_, _ = axon.NewHandle(strict)
	_ = lossy.Activate(ctx)
	_ = strict.Activate(ctx)

	pub := backplane.NewPublishTo("feed")
	_ = pub.Activate(ctx)
	for i := range 100 {
		_ = pub.Inbox("inbox").Put(ctx, i) // never waits for them
	}
	<-strict.Done()
	fmt.Println("strict cut off:", errors.Is(strict.Err(), backplane.ErrSlowSubscriber))

	var got int
	for m := any(nil); m != 99; got++ {
		m, _ = lossyOut.Get(ctx, "outbox")
	}
	fmt.Println("lossy got the newest, and lost some:", got < 100, got+int(lossy.Stats().Dropped) == 100)

	st := bp.Stats()
	fmt.Println("published:", st.Published, "disconnected:", st.Disconnected, "subscribers left:", st.Subscribers)
	pub.Stop()
	lossy.Stop()
	<-lossy.Done()
	<-pub.Done()
	// Output:
	// strict cut off: true
	// lossy got the newest, and lost some: true true
	// published: 100 disconnected: 1 subscribers left: 1
}
