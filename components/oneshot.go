package components

import (
	"context"

	"github.com/kamaelia-go/kamaelia/axon"
)

// OneShot sends one message and finishes, Kamaelia's OneShot. When it
// starts it sends its message on "outbox", then
// axon.ProducerFinished{Caller: it} on "signal", and ends. If a shutdown
// request was already waiting on "control" when it started, it passes
// that on out of "signal" instead and ends without sending its message.
//
//	inbox    in   not used
//	control  in   shutdown requests queued before it starts
//	outbox   out  the message
//	signal   out  producerFinished once the message is sent
//
// It is reactive. A OneShot is safe for concurrent use; its methods are
// those of axon.Core.
type OneShot struct {
	*axon.Core
	msg any
}

// NewOneShot returns a OneShot that will send msg.
func NewOneShot(msg any) *OneShot {
	o := &OneShot{msg: msg}
	o.Core = axon.NewReactive("OneShot", o.step, boxes("not used", "the message")...)
	return o
}

func (o *OneShot) step(ctx context.Context, c *axon.Core) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for msg := range c.Drain("control") {
		if err := passControl(ctx, c, msg); err != nil {
			return err
		}
	}
	return fire(ctx, o, o.msg)
}

// TriggeredOneShot sends one message when triggered, Kamaelia's
// TriggeredOneShot: when anything arrives on "inbox" it sends its
// message on "outbox", then axon.ProducerFinished{Caller: it} on
// "signal", and ends. Messages on "control" before that follow the
// package conventions: a shutdown request is passed on out of "signal"
// and ends it without sending; others are passed on.
//
//	inbox    in   any message: the trigger (its value is ignored)
//	control  in   shutdown requests
//	outbox   out  the message
//	signal   out  producerFinished once the message is sent; control
//	              messages passed on
//
// It is reactive. A TriggeredOneShot is safe for concurrent use; its
// methods are those of axon.Core.
type TriggeredOneShot struct {
	*axon.Core
	msg any
}

// NewTriggeredOneShot returns a TriggeredOneShot that will send msg.
func NewTriggeredOneShot(msg any) *TriggeredOneShot {
	o := &TriggeredOneShot{msg: msg}
	o.Core = axon.NewReactive("TriggeredOneShot", o.step, boxes("any message triggers the send", "the message")...)
	return o
}

func (o *TriggeredOneShot) step(ctx context.Context, c *axon.Core) error {
	return dispatch(ctx, c, func(box string, msg any) error {
		if box == "control" {
			return passControl(ctx, c, msg)
		}
		return fire(ctx, o, o.msg)
	})
}

// fire sends msg on "outbox", then producerFinished on "signal", and
// returns what ends the component.
func fire(ctx context.Context, self axon.Component, msg any) error {
	if err := axon.CoreOf(self).Send(ctx, "outbox", msg); err != nil {
		return err
	}
	return finish(ctx, self, nil)
}
