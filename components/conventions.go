package components

import (
	"context"
	"errors"
	"fmt"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/control"
)

// ErrUnexpectedMessage is wrapped by the error a component reports (in
// an axon.ErrorInformation on "signal") when a message of a type it does
// not take reaches one of its inboxes.
var ErrUnexpectedMessage = errors.New("components: unexpected message")

// Box descriptions shared by several components.
const (
	docControl = "shutdown requests (producerFinished, shutdownMicroprocess): passed on out of signal, then the component ends; other messages are passed on"
	docSignal  = "the shutdown request received, or producerFinished when the component ends by itself (Err set if it failed); error reports"
	docNoInput = "not used: anything arriving is reported on signal as unexpected"
)

// boxes returns the options that give a component the default boxes with
// the package's descriptions: "inbox" (described by in), "control",
// "outbox" (described by out) and "signal".
func boxes(in, out string) []axon.Option {
	return []axon.Option{
		axon.WithInboxes(axon.Box("inbox", in), axon.Box("control", docControl)),
		axon.WithOutboxes(axon.Box("outbox", out), axon.Box("signal", docSignal)),
	}
}

// controlOnly returns a message handler (see dispatch) for a component
// that takes nothing on "inbox": control messages are passed on (see
// passControl), anything else is reported as unexpected.
func controlOnly(ctx context.Context, self axon.Component) func(box string, msg any) error {
	return func(box string, msg any) error {
		if box == "control" {
			return passControl(ctx, axon.CoreOf(self), msg)
		}
		return unexpected(ctx, self, box, msg, "nothing")
	}
}

// passControl passes msg, which arrived on "control", on out of
// "signal"; see control.Pass.
func passControl(ctx context.Context, c *axon.Core, msg any) error { return control.Pass(ctx, c, msg) }

// finish sends axon.ProducerFinished{Caller: self, Err: cause} on
// "signal" and returns what ends the component; see control.Finish.
func finish(ctx context.Context, self axon.Component, cause error) error {
	return control.Finish(ctx, self, cause)
}

// unexpected reports msg, which arrived on inbox and is not what it
// takes (described by want), as an axon.ErrorInformation on "signal".
func unexpected(ctx context.Context, self axon.Component, inbox string, msg any, want string) error {
	c := axon.CoreOf(self)
	return c.Send(ctx, "signal", axon.ErrorInformation{
		Caller:  self,
		Message: msg,
		Err: &axon.BoxError{Component: c.Name(), Box: inbox, Inbox: true,
			Err: fmt.Errorf("%w: got %T, want %s", ErrUnexpectedMessage, msg, want)},
	})
}

// dispatch hands the messages c receives (see axon.Core.Messages) to
// handle, oldest first across boxes, until handle returns an error,
// which it returns, or ctx ends, when it returns ctx's error. In a step
// it returns once nothing is left; in a body it waits for more.
func dispatch(ctx context.Context, c *axon.Core, handle func(box string, msg any) error) error {
	for box, msg := range c.Messages(ctx) {
		if err := handle(box, msg); err != nil {
			return err
		}
	}
	return ctx.Err()
}
