// Package control holds the shutdown habits that the components of this
// module share (see the components package documentation): a shutdown
// request on "control" is passed on out of "signal" and ends the
// component; a component that ends by itself says so on "signal".
package control

import (
	"context"

	"github.com/kamaelia-go/kamaelia/axon"
)

// Pass passes msg, which arrived on c's "control", on out of its
// "signal". It returns axon.ErrStop if msg asks the component to stop,
// the send's error if it failed, and nil otherwise, so callers can
// return whatever it returns when it is not nil.
func Pass(ctx context.Context, c *axon.Core, msg any) error {
	if err := c.Send(ctx, "signal", msg); err != nil {
		return err
	}
	if axon.IsShutdownRequest(msg) {
		return axon.ErrStop
	}
	return nil
}

// Finish sends axon.ProducerFinished{Caller: self, Err: cause} on
// self's "signal" and returns what ends the component: cause if it is
// not nil, else the send's error, else axon.ErrStop.
func Finish(ctx context.Context, self axon.Component, cause error) error {
	err := axon.CoreOf(self).Send(ctx, "signal", axon.ProducerFinished{Caller: self, Err: cause})
	if cause != nil {
		return cause
	}
	if err != nil {
		return err
	}
	return axon.ErrStop
}
