package axon_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/kamaelia-go/kamaelia/axon"
)

// Upper is a component defined by embedding a *axon.Core: it upper-cases
// the strings it receives on "inbox" and sends them out of "outbox".
// It ends when told to on "control", passing the message on out of
// "signal", as Kamaelia components do.
type Upper struct{ *axon.Core }

// NewUpper builds an Upper. It is reactive: no goroutine while idle.
func NewUpper() *Upper {
	u := &Upper{}
	u.Core = axon.NewReactive("upper", u.step)
	return u
}

func (u *Upper) step(ctx context.Context, c *axon.Core) error {
	for box, msg := range c.Messages(ctx) { // what is queued, in arrival order
		if box == "control" && axon.IsShutdownRequest(msg) {
			if err := c.Send(ctx, "signal", msg); err != nil {
				return err
			}
			return axon.ErrStop
		}
		if s, ok := msg.(string); ok {
			if err := c.Send(ctx, "outbox", strings.ToUpper(s)); err != nil {
				return err
			}
		}
	}
	return ctx.Err() // nil: wait for more
}

// Defining a component and driving it from plain Go code with a Handle.
func Example_component() {
	ctx := context.Background()
	u := NewUpper()
	h, _ := axon.NewHandle(u)
	_ = u.Activate(ctx)

	_ = h.Put(ctx, "inbox", "hello, axon")
	msg, _ := h.Get(ctx, "outbox")
	fmt.Println(msg)

	_ = h.Put(ctx, "control", axon.ProducerFinished{})
	fmt.Println(h.Wait(ctx))
	// Output:
	// HELLO, AXON
	// <nil>
}

// Receiving with Messages. A body's loop waits for messages and ends
// when the component is stopped; afterwards its context says why.
func ExampleCore_Messages() {
	ctx := context.Background()
	counter := axon.New("counter", func(ctx context.Context, c *axon.Core) error {
		words := 0
		for box, msg := range c.Messages(ctx) { // in arrival order across boxes
			switch {
			case box == "control" && axon.IsProducerFinished(msg):
				return c.Send(ctx, "outbox", words)
			case box == "inbox":
				words += len(strings.Fields(fmt.Sprint(msg)))
			}
		}
		return context.Cause(ctx) // stopped before the producer finished
	})
	h, _ := axon.NewHandle(counter)
	_ = counter.Activate(ctx)
	_ = h.Put(ctx, "inbox", "one two")
	_ = h.Put(ctx, "inbox", "three")
	_ = h.Put(ctx, "control", axon.ProducerFinished{})
	words, _ := h.Get(ctx, "outbox")
	fmt.Println(words, h.Wait(ctx))

	stopped := axon.New("stopped", func(ctx context.Context, c *axon.Core) error {
		for range c.Messages(ctx) {
		}
		return context.Cause(ctx)
	})
	_ = stopped.Activate(ctx)
	stopped.Stop()
	<-stopped.Done()
	fmt.Println(stopped.Err())
	// Output:
	// 3 <nil>
	// context canceled
}

// Linking boxes: a producer's outbox to a consumer's inbox. The link's
// Width bounds the consumer's inbox, so the producer waits whenever the
// consumer falls two messages behind.
func ExampleLink() {
	ctx := context.Background()
	producer := axon.New("producer", func(ctx context.Context, c *axon.Core) error {
		for _, w := range []string{"one", "two", "three"} {
			if err := c.Send(ctx, "outbox", w); err != nil {
				return err
			}
		}
		return c.Send(ctx, "signal", axon.ProducerFinished{})
	})
	consumer := axon.New("consumer", func(ctx context.Context, c *axon.Core) error {
		for {
			if err := c.Wait(ctx); err != nil {
				return err
			}
			for {
				box, msg, ok := c.Next()
				if !ok {
					break
				}
				if box == "control" {
					return nil // the producer has finished
				}
				fmt.Println("got", msg)
			}
		}
	})
	_, _ = axon.Link(axon.Out(producer, "outbox"), axon.In(consumer, "inbox"), axon.Width(axon.Limit{Messages: 2}))
	_, _ = axon.Link(axon.Out(producer, "signal"), axon.In(consumer, "control"))
	_ = producer.Activate(ctx)
	_ = consumer.Run(ctx)
	// Output:
	// got one
	// got two
	// got three
}

// Running a parent with children: the parent passes its own inbox
// through to a child (an Inward link) and its child's outbox out as its
// own (an Outward link), the way Pipeline and Graphline are built. Run
// waits for the parent and all its children.
func ExampleCore_Run() {
	ctx := context.Background()
	child := NewUpper()
	parent := axon.New("wrapper", func(ctx context.Context, c *axon.Core) error {
		for len(c.Children()) > 0 { // end when the child has
			if err := c.Wait(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	_, _ = parent.Link(axon.In(parent, "inbox"), axon.In(child, "inbox"))
	_, _ = parent.Link(axon.In(parent, "control"), axon.In(child, "control"))
	_, _ = parent.Link(axon.Out(child, "outbox"), axon.Out(parent, "outbox"))
	_ = parent.AddChildren(child)

	h, _ := axon.NewHandle(parent)
	done := make(chan error)
	go func() { done <- parent.Run(ctx) }()
	_ = h.Put(ctx, "inbox", "through the wrapper")
	msg, _ := h.Get(ctx, "outbox")
	fmt.Println(msg)
	_ = h.Put(ctx, "control", axon.ShutdownMicroprocess{})
	fmt.Println(<-done)
	// Output:
	// THROUGH THE WRAPPER
	// <nil>
}
