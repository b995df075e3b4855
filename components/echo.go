package components

import (
	"context"

	"github.com/kamaelia-go/kamaelia/axon"
)

// Echo is the echo protocol handler: everything that arrives on "inbox"
// leaves on "outbox", unchanged and in order, so a server built with it
// sends every client its own bytes back. The chunks pass through without
// a copy: whoever receives them from Echo owns them.
//
//	inbox    in   data ([]byte, string or anything else: passed on as is)
//	control  in   shutdown requests: passed on out of signal, then Echo ends;
//	              anything else (a server's internet.ShutdownBegun, say) is
//	              passed on too, and Echo carries on
//	outbox   out  the data, in the order it arrived
//	signal   out  the shutdown request received
//
// Data that arrived before a shutdown request leaves before it is passed
// on, so a connection's producerFinished (the client has finished
// sending) reaches the adapter after the last echoed chunk, and the
// adapter closes once that chunk is written.
//
// Echo is reactive: it holds no goroutine and runs in the goroutine that
// delivers to it. It is safe for concurrent use; its methods are those
// of axon.Core.
type Echo struct {
	*axon.Core
}

// echoOptions are the same for every Echo, so they are made once (an
// Echo is made per connection). Its first step only passes on what is
// queued, so it may run in the goroutine that activates it: one
// goroutine start less per connection in a server.
var echoOptions = append(boxes("data to echo", "the data, unchanged"), axon.StartInline())

// NewEcho returns an echo protocol handler.
func NewEcho() *Echo {
	e := &Echo{}
	e.Core = axon.NewReactive("Echo", e.step, echoOptions...)
	return e
}

func (e *Echo) step(ctx context.Context, c *axon.Core) error {
	for box, msg := range c.Messages(ctx) {
		var err error
		if box == "control" {
			err = passControl(ctx, c, msg)
		} else {
			err = c.Send(ctx, "outbox", msg)
		}
		if err != nil {
			return err
		}
	}
	return ctx.Err() // nil: wait for more; or stopped
}
