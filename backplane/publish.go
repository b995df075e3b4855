package backplane

import (
	"context"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/control"
)

// PublishTo publishes what it receives on the backplane of its name,
// Kamaelia's PublishTo.
//
//	inbox    in   messages to publish, of any type
//	control  in   shutdown requests: passed on out of signal, then it
//	              ends; other messages are passed on
//	outbox   out  not used
//	signal   out  the shutdown request received; or a ProducerFinished
//	              carrying the error when there is no backplane of its
//	              name (axon.ErrNoService) or the backplane has ended
//	              (ErrClosed)
//
// It looks the backplane up in its registry when it starts. Publishing
// never waits for subscribers (see the package documentation), so a
// PublishTo runs in the goroutine of whoever sends to it and never holds
// that goroutine up for long. Messages are published in the order they
// arrive; a message that arrived before a shutdown request is published
// before the request is passed on.
//
// A PublishTo is reactive: it holds no goroutine. Its methods are safe
// for concurrent use.
type PublishTo struct {
	*axon.Core
	name string
	bp   *Backplane // step only
}

var publishOptions = []axon.Option{
	axon.StartInline(), // the first step only looks the backplane up
	axon.WithInboxes(
		axon.Box("inbox", "messages to publish"),
		axon.Box("control", "shutdown requests: passed on out of signal, then it ends"),
	),
	axon.WithOutboxes(
		axon.Box("outbox", "not used"),
		axon.Box("signal", "the shutdown request received; ProducerFinished with the error if it cannot publish"),
	),
}

// NewPublishTo returns a publisher to the backplane called name. It
// looks the backplane up when activated.
func NewPublishTo(name string) *PublishTo {
	p := &PublishTo{name: name}
	p.Core = axon.NewReactive("PublishTo:"+name, p.step, publishOptions...)
	return p
}

func (p *PublishTo) step(ctx context.Context, c *axon.Core) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p.bp == nil {
		bp, err := find(c.Registry(), p.name)
		if err != nil {
			return control.Finish(ctx, p, err)
		}
		p.bp = bp
	}
	for box, msg := range c.Messages(ctx) {
		if box == "control" {
			if err := control.Pass(ctx, c, msg); err != nil {
				return err
			}
			continue
		}
		if err := p.bp.publish(p, msg); err != nil {
			return control.Finish(ctx, p, err)
		}
	}
	return nil
}
