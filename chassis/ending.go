package chassis

import (
	"context"
	"errors"
	"fmt"

	"github.com/kamaelia-go/kamaelia/axon"
)

// ending applies, in a chassis's step, the rules every chassis ends by
// (see the package doc):
//
//   - when a child ends with an error, the other children are stopped;
//   - once every child has ended, the chassis ends with the children's
//     errors joined (leaving out the cancellation of the children it
//     stopped);
//   - exactly one terminal message (a shutdown request of either
//     family) goes out of the chassis's signal when it ends after a
//     failure: one a child passed out to the signal, if any did, else a
//     ProducerFinished carrying the error.
//
// A child's messages reach the chassis's signal through the chassis
// (its "_signal" inbox), not straight, so that it knows whether a
// terminal message went out. The fields are used by the step alone.
type ending struct {
	members  []member
	failing  bool   // a child failed: the others have been stopped
	stopped  []bool // the members it stopped then
	signaled bool   // a terminal message has gone out of signal
}

// childSignal is the inbox through which children's messages reach a
// chassis's signal.
const childSignal = "_signal"

// pass sends msg, which a child passed to the chassis's signal, out of
// the chassis's signal.
func (e *ending) pass(ctx context.Context, c *axon.Core, msg any) error {
	if axon.IsShutdownRequest(msg) {
		e.signaled = true
	}
	return c.Send(ctx, "signal", msg)
}

// watch stops every child that is still running once one has failed.
// It stops them again at each step: a child that had not started when
// the first was stopped (Stop does nothing before Activate) has by the
// chassis's first step, which runs once all its children have started.
func (e *ending) watch() {
	if !e.failing {
		for _, m := range e.members {
			if axon.CoreOf(m.c).Err() != nil {
				e.failing = true
				break
			}
		}
		if !e.failing {
			return
		}
		e.stopped = make([]bool, len(e.members))
	}
	for i, m := range e.members {
		if c := axon.CoreOf(m.c); !c.Finished() && c.Err() == nil {
			e.stopped[i] = true
			c.Stop()
		}
	}
}

// end is what the step returns once every child has ended. If a child
// failed and no terminal message has gone out of signal, it sends a
// ProducerFinished{Caller: self} carrying the error; otherwise it sends
// final, if not nil and nothing terminal went out yet.
func (e *ending) end(ctx context.Context, c *axon.Core, self axon.Component, final any) error {
	err := e.failures(c.Name())
	if err != nil {
		final = axon.ProducerFinished{Caller: self, Err: err}
	}
	if final != nil && !e.signaled {
		if serr := c.Send(ctx, "signal", final); serr != nil && err == nil {
			return serr
		}
	}
	if err != nil {
		return err
	}
	return axon.ErrStop
}

// failures joins the errors of the members that failed, each wrapped
// with the parent's and the child's names, leaving out the cancellation
// of those stopped because another failed. It returns nil if none
// failed.
func (e *ending) failures(parent string) error {
	var errs []error
	for i, m := range e.members {
		err := axon.CoreOf(m.c).Err()
		if err == nil || (e.stopped != nil && e.stopped[i] && errors.Is(err, context.Canceled)) {
			continue
		}
		errs = append(errs, fmt.Errorf("%s: child %s: %w", parent, m.label, err))
	}
	return errors.Join(errs...)
}
