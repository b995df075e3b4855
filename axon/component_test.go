package axon_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"

	"github.com/kamaelia-go/kamaelia/axon"
)

func TestDefaultAndDeclaredBoxes(t *testing.T) {
	tests := []struct {
		name     string
		opts     []axon.Option
		inboxes  []string
		outboxes []string
	}{
		{"defaults", nil, []string{"inbox", "control"}, []string{"outbox", "signal"}},
		{"replaced", []axon.Option{
			axon.WithInboxes(axon.Box("control", "stop"), axon.Box("newconnection", "accepts")),
			axon.WithOutboxes(axon.Box("protocolHandlerSignal", "new CSAs")),
		}, []string{"control", "newconnection"}, []string{"protocolHandlerSignal"}},
		{"added", []axon.Option{axon.AddInbox(axon.Box("makessl", "go TLS")), axon.AddOutbox(axon.Box("sslready", "TLS up"))},
			[]string{"inbox", "control", "makessl"}, []string{"outbox", "signal", "sslready"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := axon.New("x", nil, tt.opts...)
			if got := c.InboxNames(); !slices.Equal(got, tt.inboxes) {
				t.Errorf("inboxes = %v, want %v", got, tt.inboxes)
			}
			if got := c.OutboxNames(); !slices.Equal(got, tt.outboxes) {
				t.Errorf("outboxes = %v, want %v", got, tt.outboxes)
			}
		})
	}
}

// WithInboxes and WithOutboxes copy the specs they are given: a caller
// that reuses its slice afterwards changes no component built with the
// option, made before or after.
func TestBoxOptionsCopyTheirSpecs(t *testing.T) {
	ins := []axon.BoxSpec{axon.Box("inbox", "data"), axon.Box("control", "stop")}
	outs := []axon.BoxSpec{axon.Box("outbox", "data")}
	opts := []axon.Option{axon.WithInboxes(ins...), axon.WithOutboxes(outs...)}
	before := axon.New("before", nil, opts...)
	ins[0], outs[0] = axon.Box("changed", ""), axon.Box("changed", "")
	after := axon.New("after", nil, opts...)
	for _, c := range []*axon.Core{before, after} {
		if got, want := c.InboxNames(), []string{"inbox", "control"}; !slices.Equal(got, want) {
			t.Errorf("%s: inboxes = %v, want %v", c.Name(), got, want)
		}
		if got, want := c.OutboxNames(), []string{"outbox"}; !slices.Equal(got, want) {
			t.Errorf("%s: outboxes = %v, want %v", c.Name(), got, want)
		}
	}
}

// A handle is the box itself: looking one up allocates nothing, the same
// name gives the same handle, and a missing box gives nil.
func TestBoxHandles(t *testing.T) {
	c := axon.New("x", nil)
	if allocs := testing.AllocsPerRun(100, func() {
		_ = c.Inbox("control")
		_ = c.Outbox("signal")
	}); allocs != 0 {
		t.Errorf("looking up handles allocates %v times", allocs)
	}
	in, out := c.Inbox("inbox"), c.Outbox("outbox")
	tests := []struct {
		name string
		ok   bool
	}{
		{"inbox", in == c.Inbox("inbox")},
		{"outbox", out == c.Outbox("outbox")},
		{"missing inbox is nil", c.Inbox("nope") == nil},
		{"missing outbox is nil", c.Outbox("nope") == nil},
	}
	for _, tt := range tests {
		if !tt.ok {
			t.Errorf("%s: not so", tt.name)
		}
	}
	if got := c.Inbox("control").Name(); got != "control" {
		t.Errorf("Name = %q", got)
	}
}

func TestBoxDescriptionsShowInIntrospection(t *testing.T) {
	c := axon.New("x", nil, axon.AddInbox(axon.Box("makessl", "switch the connection to TLS")))
	info := c.Info()
	var doc string
	for _, b := range info.Inboxes {
		if b.Name == "makessl" {
			doc = b.Doc
		}
	}
	if doc != "switch the connection to TLS" {
		t.Errorf("makessl doc = %q", doc)
	}
}

func TestRunReturnsBodyError(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name string
		body axon.Body
		want error
	}{
		{"nil", func(context.Context, *axon.Core) error { return nil }, nil},
		{"error", func(context.Context, *axon.Core) error { return boom }, boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := axon.New("x", tt.body).Run(testCtx(t))
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Run = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestActivateRunsInBackground(t *testing.T) {
	ctx := testCtx(t)
	release := make(chan struct{})
	started := make(chan struct{})
	c := axon.New("bg", func(ctx context.Context, c *axon.Core) error {
		close(started)
		<-release
		return nil
	})
	if err := c.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	<-started // Activate returned while the body is still running
	select {
	case <-c.Done():
		t.Fatal("done before the body returned")
	default:
	}
	close(release)
	waitDone(t, ctx, c)
	if err := c.Activate(ctx); !errors.Is(err, axon.ErrActivated) {
		t.Fatalf("second Activate = %v, want ErrActivated", err)
	}
}

func TestStopCancelsBody(t *testing.T) {
	ctx := testCtx(t)
	c := axon.New("stoppable", func(ctx context.Context, c *axon.Core) error {
		return c.Wait(ctx)
	})
	if err := c.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	c.Stop()
	waitDone(t, ctx, c)
	if !errors.Is(c.Err(), context.Canceled) {
		t.Fatalf("Err = %v, want context.Canceled", c.Err())
	}
}

func TestChildrenStartWithParentAndWakeIt(t *testing.T) {
	ctx := testCtx(t)
	childRan := make(chan struct{})
	child := axon.New("child", func(ctx context.Context, c *axon.Core) error {
		close(childRan)
		return nil
	})
	woke := make(chan struct{})
	parent := axon.New("parent", func(ctx context.Context, c *axon.Core) error {
		for len(c.Children()) > 0 {
			if err := c.Wait(ctx); err != nil {
				return err
			}
		}
		close(woke)
		return nil
	})
	if err := parent.AddChildren(child); err != nil {
		t.Fatal(err)
	}
	select {
	case <-childRan:
		t.Fatal("child ran before its parent was activated")
	default:
	}
	if err := parent.Run(ctx); err != nil {
		t.Fatal(err)
	}
	<-childRan
	<-woke
}

func TestParentDoneWaitsForChildren(t *testing.T) {
	synctest.Test(t, testParentDoneWaitsForChildren)
}

func testParentDoneWaitsForChildren(t *testing.T) {
	ctx := testCtx(t)
	release := make(chan struct{})
	child := axon.New("child", func(ctx context.Context, c *axon.Core) error {
		<-release
		return nil
	})
	parent := axon.New("parent", func(ctx context.Context, c *axon.Core) error { return nil })
	if err := parent.AddChildren(child); err != nil {
		t.Fatal(err)
	}
	if err := parent.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	synctest.Wait()
	if !parent.Finished() {
		t.Fatal("parent body never finished")
	}
	select {
	case <-parent.Done():
		t.Fatal("parent done while its child runs")
	default:
	}
	close(release)
	waitDone(t, ctx, parent)
}

func TestFinalMessagesSentBeforeLinksRemoved(t *testing.T) {
	ctx := testCtx(t)
	sink := newCollector(4)
	producer := axon.New("producer", func(ctx context.Context, c *axon.Core) error {
		if _, err := c.Link(axon.Out(c, "outbox"), axon.In(sink, "inbox")); err != nil {
			return err
		}
		return c.Send(ctx, "outbox", "last words")
	})
	if err := sink.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := producer.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if got := recvN(t, ctx, sink.got, 1)[0]; got != "last words" {
		t.Fatalf("got %v", got)
	}
	if l := producer.Links(); len(l) != 0 {
		t.Fatalf("links after end: %v", l)
	}
	if producer.Outbox("outbox").Linked() {
		t.Fatal("producer's outbox still linked after it ended")
	}
	sink.Stop()
	waitDone(t, ctx, sink)
}

func TestGoHelperKeepsComponentAlive(t *testing.T) {
	synctest.Test(t, testGoHelperKeepsComponentAlive)
}

func testGoHelperKeepsComponentAlive(t *testing.T) {
	ctx := testCtx(t)
	release := make(chan struct{})
	c := axon.NewReactive("withhelper", func(ctx context.Context, c *axon.Core) error {
		if err := c.Go(func(ctx context.Context) { <-release }); err != nil {
			return err
		}
		return axon.ErrStop
	})
	if err := c.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	synctest.Wait()
	if !c.Finished() {
		t.Fatal("step did not finish")
	}
	select {
	case <-c.Done():
		t.Fatal("done while a helper runs")
	default:
	}
	close(release)
	waitDone(t, ctx, c)
}

func TestCoreOfNil(t *testing.T) {
	type wrapper struct{ *axon.Core }
	tests := []struct {
		name string
		c    axon.Component
	}{
		{"nil interface", nil},
		{"nil pointer of a component type", (*wrapper)(nil)},
		{"nil *Core", (*axon.Core)(nil)},
	}
	for _, tc := range tests {
		if got := axon.CoreOf(tc.c); got != nil {
			t.Errorf("%s: CoreOf = %v, want nil", tc.name, got)
		}
	}
}

func TestEndedChildren(t *testing.T) {
	tests := []struct {
		name  string
		opts  []axon.Option
		track bool
	}{
		{"tracked", []axon.Option{axon.TrackChildEnds()}, true},
		{"not tracked", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			ended := make(chan []*axon.Core, 8)
			release := make(chan struct{})
			parent := axon.NewReactive("parent", func(ctx context.Context, c *axon.Core) error {
				left := c.NumChildren() // before EndedChildren: see its doc
				if e := c.EndedChildren(); len(e) > 0 {
					ended <- e
				}
				if left == 0 {
					return axon.ErrStop
				}
				return ctx.Err()
			}, tc.opts...)
			var kids []*axon.Core
			for range 3 {
				k := axon.New("kid", func(ctx context.Context, c *axon.Core) error {
					<-release
					return nil
				})
				kids = append(kids, k)
			}
			if err := parent.AddChildren(kids[0], kids[1], kids[2]); err != nil {
				t.Fatal(err)
			}
			if err := parent.Activate(ctx); err != nil {
				t.Fatal(err)
			}
			close(release)
			<-parent.Done()
			close(ended)
			seen := map[*axon.Core]int{}
			for batch := range ended {
				for _, k := range batch {
					seen[k]++
				}
			}
			for _, k := range kids {
				if want := map[bool]int{true: 1, false: 0}[tc.track]; seen[k] != want {
					t.Errorf("%s reported %d times, want %d", k.Name(), seen[k], want)
				}
			}
			if len(seen) > len(kids) {
				t.Errorf("reported %d components, want only the %d children", len(seen), len(kids))
			}
		})
	}
}
