package chassis_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/chassis"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
)

func TestPipelinePassesManyMessagesInOrder(t *testing.T) {
	const n = 100_000
	ctx := axontest.Context(t)
	producer := axon.New("producer", func(ctx context.Context, c *axon.Core) error {
		for i := range n {
			if err := c.Send(ctx, "outbox", i); err != nil {
				return err
			}
		}
		return c.Send(ctx, "signal", axon.ProducerFinished{Caller: c})
	})
	inc := func(m any) any { return m.(int) + 1 }
	middle := []*relay{newRelay(), newRelay(), newRelay()}
	for _, r := range middle {
		r.fn = inc
	}
	var got, outOfOrder int // written by the sink's step, read after it is Done
	sink := axontest.NewReactive("sink", func(ctx context.Context, c *axon.Core, box string, msg any) error {
		if box == "control" {
			if err := c.Send(ctx, "signal", msg); err != nil {
				return err
			}
			return axon.ErrStop
		}
		if msg != got+len(middle) {
			outOfOrder++
		}
		got++
		return nil
	})
	p, err := chassis.NewPipeline(producer, middle[0], middle[1], middle[2], sink)
	if err != nil {
		t.Fatal(err)
	}
	h := axontest.Handle(t, p)
	axontest.Activate(t, ctx, p)
	sig := axontest.Get(t, ctx, h, "signal")
	if pf, ok := sig.(axon.ProducerFinished); !ok || pf.Caller != producer {
		t.Fatalf("pipeline signal = %#v, want the producer's ProducerFinished passed down the line", sig)
	}
	axontest.WaitDone(t, ctx, p)
	if got != n || outOfOrder != 0 {
		t.Fatalf("sink got %d messages (%d out of order), want %d in order", got, outOfOrder, n)
	}
	if err := p.Err(); err != nil {
		t.Fatalf("Err = %v", err)
	}
}

func TestPipelineWiring(t *testing.T) {
	a, b, c := newRelay(), newRelay(), newRelay()
	p, err := chassis.NewPipeline(a, b, c)
	if err != nil {
		t.Fatal(err)
	}
	got := linkSet(p.Links(), map[*axon.Core]string{p.Core: "P", a.Core: "A", b.Core: "B", c.Core: "C"})
	want := []string{
		"P.inbox → A.inbox (inbox→inbox)",
		"P.control → A.control (inbox→inbox)",
		"A.outbox → B.inbox (outbox→inbox)",
		"A.signal → B.control (outbox→inbox)",
		"B.outbox → C.inbox (outbox→inbox)",
		"B.signal → C.control (outbox→inbox)",
		"C.outbox → P.outbox (outbox→outbox)",
		"C.signal → P._signal (outbox→inbox)",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("links:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := len(p.Children()); n != 3 {
		t.Fatalf("children = %d, want 3", n)
	}
	for _, r := range []*relay{a, b, c} {
		if r.Parent() != p.Core {
			t.Fatalf("%s has parent %v, want the pipeline", r.Name(), r.Parent())
		}
	}
}

func TestPipelinePassesThroughAndCascadesShutdown(t *testing.T) {
	for _, n := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("%d children", n), func(t *testing.T) {
			ctx := axontest.Context(t)
			var relays []*relay
			var children []axon.Component
			for range n {
				r := newRelay()
				r.fn = func(m any) any { return fmt.Sprint(m, "!") }
				relays = append(relays, r)
				children = append(children, r)
			}
			p, err := chassis.NewPipeline(children...)
			if err != nil {
				t.Fatal(err)
			}
			h := axontest.Handle(t, p)
			axontest.Activate(t, ctx, p)
			axontest.Put(t, ctx, h, "inbox", "through")
			if m, want := axontest.Get(t, ctx, h, "outbox"), "through"+strings.Repeat("!", n); m != want {
				t.Fatalf("outbox got %v, want %v", m, want)
			}
			stop := axon.ProducerFinished{Message: "from outside"}
			axontest.Put(t, ctx, h, "control", stop)
			if m := axontest.Get(t, ctx, h, "signal"); m != stop {
				t.Fatalf("signal got %#v, want %#v", m, stop)
			}
			axontest.WaitDone(t, ctx, p)
			for _, r := range relays {
				if len(r.controls) != 1 {
					t.Errorf("%s saw %d control messages, want 1", r.Name(), len(r.controls))
				}
			}
			if err := p.Err(); err != nil {
				t.Fatalf("Err = %v", err)
			}
			if l := p.Links(); len(l) != 0 {
				t.Fatalf("links left after the pipeline ended: %v", l)
			}
		})
	}
}

func TestNewPipelineErrors(t *testing.T) {
	noInbox := func() axon.Component { return newRelay(axon.WithInboxes(axon.Box("control", ""))) }
	noSignal := func() axon.Component { return newRelay(axon.WithOutboxes(axon.Box("outbox", ""))) }
	adopted := func() axon.Component {
		r := newRelay()
		if _, err := chassis.NewPipeline(r); err != nil {
			panic(err)
		}
		return r
	}
	twice := newRelay()
	tests := []struct {
		name     string
		children []axon.Component
		want     error
		mention  []string // the error names these
	}{
		{"no children", nil, chassis.ErrNoChildren, nil},
		{"nil child", []axon.Component{newRelay(), nil}, chassis.ErrBadChild, []string{"child 1 is nil"}},
		{"nil pointer child", []axon.Component{(*relay)(nil), newRelay()}, chassis.ErrBadChild, []string{"child 0 is nil"}},
		{"child without a Core", []axon.Component{newRelay(), &relay{}}, chassis.ErrBadChild, []string{"child 1 is nil"}},
		{"child twice", []axon.Component{twice, newRelay(), twice}, chassis.ErrBadChild, []string{twice.Name()}},
		{"child of another", []axon.Component{newRelay(), adopted()}, chassis.ErrBadChild, []string{"already a child"}},
		{"middle child lacks inbox", []axon.Component{newRelay(), noInbox(), newRelay()}, axon.ErrNoBox, []string{`inbox "inbox"`, "child 0 to child 1"}},
		{"last child lacks signal", []axon.Component{newRelay(), noSignal()}, axon.ErrNoBox, []string{`outbox "signal"`, "child 1 to pipeline"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			unadopted := free(tt.children)
			p, err := chassis.NewPipeline(tt.children...)
			if p != nil {
				t.Fatalf("NewPipeline returned a pipeline and %v", err)
			}
			checkError(t, err, tt.want, tt.mention)
			checkReleased(t, unadopted)
		})
	}
}

func TestPipelineReportsChildFailures(t *testing.T) {
	ctx := axontest.Context(t)
	boom := errors.New("boom")
	a, b, c := newRelay(), newRelay(), newRelay()
	b.fail = boom
	p, err := chassis.NewPipeline(a, b, c)
	if err != nil {
		t.Fatal(err)
	}
	h := axontest.Handle(t, p)
	axontest.Activate(t, ctx, p)
	axontest.Put(t, ctx, h, "control", axon.ShutdownMicroprocess{})
	// b passes the request on before it fails, and the pipeline stops c
	// when b fails: either c passed the request out, or the pipeline
	// reports the failure itself. Exactly one of the two goes out.
	got := terminals(t, ctx, h, p)
	if len(got) != 1 {
		t.Fatalf("signal got %#v, want one terminal message", got)
	}
	if pf, ok := got[0].(axon.ProducerFinished); !axon.IsShutdownMicroprocess(got[0]) && (!ok || pf.Caller != p || !errors.Is(pf.Err, boom)) {
		t.Fatalf("signal got %#v, want the request or the pipeline's producerFinished carrying boom", got[0])
	}
	err = p.Err()
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), b.Name()) {
		t.Fatalf("Err = %v, want boom naming %s", err, b.Name())
	}
	if strings.Contains(err.Error(), a.Name()) {
		t.Fatalf("Err = %v names a child that did not fail", err)
	}
}

func TestPipelineStop(t *testing.T) {
	ctx := axontest.Context(t)
	a, b := newRelay(), newRelay()
	p, err := chassis.NewPipeline(a, b)
	if err != nil {
		t.Fatal(err)
	}
	h := axontest.Handle(t, p)
	axontest.Activate(t, ctx, p)
	p.Stop()
	axontest.WaitDone(t, ctx, p)
	if !errors.Is(p.Err(), context.Canceled) {
		t.Fatalf("Err = %v, want context.Canceled", p.Err())
	}
	for _, r := range []*relay{a, b} {
		if !r.Finished() {
			t.Errorf("%s still running", r.Name())
		}
	}
	if m, err := h.Get(ctx, "signal"); !errors.Is(err, axon.ErrFinished) {
		t.Fatalf("stopped pipeline sent %v on signal (err %v), want nothing", m, err)
	}
}

func TestIdlePipelineIsReactiveAndWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := axontest.Context(t)
		p, err := chassis.NewPipeline(newRelay(), newRelay())
		if err != nil {
			t.Fatal(err)
		}
		axontest.Activate(t, ctx, p)
		synctest.Wait()
		for _, c := range axon.RegistryFrom(ctx).Snapshot().Components {
			if !c.Reactive || c.State != "waiting" {
				t.Errorf("%s: reactive %v, state %s; want a reactive component waiting", c.Name, c.Reactive, c.State)
			}
		}
		p.Stop()
		<-p.Done()
	})
}
