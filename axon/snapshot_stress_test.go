package axon_test

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
)

// Snapshot may be called at any time, from any goroutine: while
// hundreds of components block on full boxes and unblock, links are
// made and removed, and children start and end, every snapshot is
// consistent (a blocked component names the box it waits on) and the
// process does not crash. It runs for 2 s (a tenth of that with -short).
func TestSnapshotWhileComponentsBlockLinkAndEnd(t *testing.T) {
	run := 2 * time.Second
	if testing.Short() {
		run = 200 * time.Millisecond
	}
	const pairs, hot = 150, 4
	r := axon.NewRegistry()
	ctx, cancel := context.WithCancel(axon.NewContext(context.Background(), r))
	defer cancel()

	// Producers send into an inbox that holds one message, so they
	// block and unblock all the time: a few (hot) without pause, the
	// others a burst each time the wirer wakes them. Half the consumers
	// are reactive.
	producers := make([]*axon.Core, pairs)
	consumers := make([]*axon.Core, pairs)
	for i := range pairs {
		burst := func(ctx context.Context, c *axon.Core) error {
			for c.Wait(ctx) == nil {
				for n := range 4 {
					_ = c.Send(ctx, "outbox", n)
				}
			}
			return nil
		}
		if i < hot {
			burst = func(ctx context.Context, c *axon.Core) error {
				for ctx.Err() == nil {
					_ = c.Send(ctx, "outbox", i)
				}
				return nil
			}
		}
		producers[i] = axon.New("producer", burst)
		one := axon.WithInboxes(axon.Box("inbox", "").WithLimit(axon.Limit{Messages: 1}), axon.Box("control", ""))
		if i%2 == 0 {
			consumers[i] = axon.New("consumer", func(ctx context.Context, c *axon.Core) error {
				for c.Wait(ctx) == nil {
					c.Recv("inbox")
				}
				return nil
			}, one)
		} else {
			consumers[i] = axon.NewReactive("consumer", func(ctx context.Context, c *axon.Core) error {
				if ctx.Err() != nil {
					return axon.ErrStop
				}
				for range c.Drain("inbox") {
				}
				return nil
			}, one)
		}
	}
	// The wirer owns the links. It links the hot pairs once and remakes
	// the others' links in a loop, and it adds short-lived children, so
	// links, parents and children change while snapshots read them.
	wirer := axon.New("wirer", func(ctx context.Context, c *axon.Core) error {
		links := make([]*axon.Linkage, pairs)
		for i := range hot {
			if _, err := c.Link(axon.Out(producers[i], "outbox"), axon.In(consumers[i], "inbox")); err != nil {
				return err
			}
		}
		for i := hot; ctx.Err() == nil; i = hot + (i+1-hot)%(pairs-hot) {
			if links[i] != nil {
				if err := c.Unlink(links[i]); err != nil {
					return err
				}
			}
			l, err := c.Link(axon.Out(producers[i], "outbox"), axon.In(consumers[i], "inbox"))
			if err != nil {
				return err
			}
			links[i] = l
			producers[i].Wake()
			if i%10 == 0 {
				kid := axon.New("kid", func(ctx context.Context, c *axon.Core) error { return nil })
				if err := c.AddChildren(kid); err != nil {
					return err
				}
			}
			runtime.Gosched() // let the producers and pollers run
		}
		return nil
	})
	for _, c := range append(append([]*axon.Core{wirer}, producers...), consumers...) {
		if err := c.Activate(ctx); err != nil {
			t.Fatal(err)
		}
	}

	var wg sync.WaitGroup
	errs := make(chan error, 3) // one per poller
	deadline := time.Now().Add(run)
	// A loaded machine may give a poller few looks in the time: it goes
	// on until it has seen a component blocked, up to a limit.
	limit := time.Now().Add(run + 10*time.Second)
	check := func(ci axon.ComponentInfo) (blocked bool, err error) {
		switch {
		case ci.State == "blocked" && ci.Blocked == "":
			return false, fmt.Errorf("%s is blocked on nothing", ci.Name)
		case ci.State != "blocked" && ci.Blocked != "":
			return false, fmt.Errorf("%s is %s but blocked on %s", ci.Name, ci.State, ci.Blocked)
		}
		return ci.State == "blocked", nil
	}
	// One goroutine takes whole snapshots; others describe the hot
	// producers and one other at a time, many times faster, to catch a
	// component in the middle of blocking or unblocking.
	poll := func(what string, look func() ([]axon.ComponentInfo, error)) {
		looks, blocked := 0, 0
		for now := time.Now(); now.Before(deadline) || blocked == 0 && now.Before(limit); now = time.Now() {
			looks++
			infos, err := look()
			if err != nil {
				errs <- err
				return
			}
			for _, ci := range infos {
				b, err := check(ci)
				if err != nil {
					errs <- err
					return
				}
				if b {
					blocked++
				}
			}
		}
		if blocked == 0 {
			errs <- fmt.Errorf("%d %s and none showed a blocked component: the test tests nothing", looks, what)
		}
	}
	wg.Go(func() {
		poll("snapshots", func() ([]axon.ComponentInfo, error) {
			s := r.Snapshot()
			return s.Components, s.WriteText(io.Discard)
		})
	})
	for k := range 2 {
		wg.Go(func() {
			i := k
			poll("looks at the producers", func() ([]axon.ComponentInfo, error) {
				i = (i + 1) % pairs
				infos := []axon.ComponentInfo{producers[i].Info()}
				for _, p := range producers[:hot] {
					infos = append(infos, p.Info())
				}
				return infos, nil
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	cancel()
	bound := testCtx(t)
	for _, c := range append(append([]*axon.Core{wirer}, producers...), consumers...) {
		waitDone(t, bound, c)
	}
	if err := wirer.Err(); err != nil {
		t.Fatalf("wirer: %v", err)
	}
}
