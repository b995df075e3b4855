package components

import (
	"context"
	"fmt"
	"slices"

	"github.com/kamaelia-go/kamaelia/axon"
)

// Fanout sends everything it receives out of each of a fixed set of
// named outboxes, Kamaelia's Fanout. Its outboxes are named when it is
// made; what they lead to may change at run time (link and unlink them
// while it runs). An outbox that leads nowhere drops what is sent to it,
// and the drop is counted, as for any outbox.
//
//	inbox    in   data, of any type: sent out of each named outbox, in
//	              the order the names were given
//	control  in   shutdown requests, passed on out of signal; then it
//	              ends; other messages are passed on
//	(names)  out  everything
//	signal   out  the shutdown request received
//
// Messages are not copied: every destination gets the same value.
//
// Back-pressure: Fanout is lossless. Each Send waits while its
// destination is full, so the slowest destination sets the pace for all
// (see PlugSplitter, and the backplane package for fan-out that does not
// wait).
//
// Fanout is reactive. It is safe for concurrent use; its methods are
// those of axon.Core.
type Fanout struct {
	*axon.Core
	outs []string
}

// NewFanout returns a Fanout with the named outboxes. The names must be
// distinct, not empty, and not "signal".
func NewFanout(outboxes ...string) (*Fanout, error) {
	if len(outboxes) == 0 {
		return nil, fmt.Errorf("components: NewFanout: no outboxes")
	}
	specs := make([]axon.BoxSpec, 0, len(outboxes)+1)
	for i, name := range outboxes {
		if name == "" || name == "signal" || slices.Contains(outboxes[:i], name) {
			return nil, fmt.Errorf("components: NewFanout: bad or repeated outbox name %q", name)
		}
		specs = append(specs, axon.Box(name, "everything from inbox"))
	}
	specs = append(specs, axon.Box("signal", docSignal))
	f := &Fanout{}
	f.Core = axon.NewReactive("Fanout", f.step,
		axon.WithInboxes(axon.Box("inbox", "data to send out of every named outbox"), axon.Box("control", docControl)),
		axon.WithOutboxes(specs...),
	)
	f.outs = slices.Clone(outboxes)
	return f, nil
}

func (f *Fanout) step(ctx context.Context, c *axon.Core) error {
	return dispatch(ctx, c, func(box string, msg any) error {
		if box == "control" {
			return passControl(ctx, c, msg)
		}
		for _, o := range f.outs {
			if err := c.Send(ctx, o, msg); err != nil {
				return err
			}
		}
		return nil
	})
}
