package components

import (
	"context"
	"fmt"
	"slices"

	"github.com/kamaelia-go/kamaelia/axon"
)

// AddSink asks a PlugSplitter (on its "configuration" inbox) to deliver
// to one more destination, Kamaelia's addsink: everything arriving on the
// splitter's "inbox" goes to Inbox, and, if Control names a box, every
// message on the splitter's "control" goes there. Adding an Inbox that is
// already a sink replaces it.
type AddSink struct {
	Inbox   axon.BoxRef // an inbox: axon.In(component, "inbox")
	Control axon.BoxRef // an inbox, or the zero BoxRef for none
}

// RemoveSink asks a PlugSplitter to stop delivering to Inbox, Kamaelia's
// removesink. Removing a sink that is not there does nothing.
type RemoveSink struct {
	Inbox axon.BoxRef
}

// PlugSplitter delivers everything it receives to a set of destinations
// that changes while it runs, Kamaelia's PlugSplitter: one outbox to
// many, where a link would join one box to one.
//
//	inbox          in   data, of any type: delivered to every sink's
//	                    inbox in the order the sinks were added, then
//	                    sent out of outbox
//	control        in   delivered to every sink's control box (if it has
//	                    one) and passed on out of signal; a shutdown
//	                    request then ends the splitter
//	configuration  in   AddSink and RemoveSink
//	outbox         out  everything, after the sinks have it
//	signal         out  control messages passed on; error reports (a bad
//	                    AddSink, a message of another type on
//	                    configuration)
//
// Messages are not copied: every sink gets the same value, so treat what
// arrives as read-only.
//
// Back-pressure: the splitter is lossless. It delivers to one sink after
// another and waits while a sink's inbox is full, so the slowest sink
// sets the pace for all of them; while it waits, what arrives queues in
// its own inbox (bounded), and then its sender waits too. A sink that
// has ended is dropped from the set at the next delivery; to get rid of
// one that has stalled, stop it (a delivery waiting on it then returns).
// For fan-out where one slow destination must not hold up the others,
// use the backplane package, whose subscribers each have a bounded queue
// and a policy for when it fills.
//
// A configuration message takes effect in arrival order with the data: a
// sink added before a message was sent gets it, one added after does
// not.
//
// PlugSplitter is reactive: its deliveries run in the goroutine of its
// sender. It is safe for concurrent use; its methods are those of
// axon.Core.
type PlugSplitter struct {
	*axon.Core
	sinks []sink // step only
}

type sink struct {
	owner   *axon.Core
	in, ctl *axon.Inbox // ctl may be nil
}

// NewPlugSplitter returns a PlugSplitter with no sinks.
func NewPlugSplitter() *PlugSplitter {
	p := &PlugSplitter{}
	p.Core = axon.NewReactive("PlugSplitter", p.step,
		axon.WithInboxes(
			axon.Box("inbox", "data: delivered to every sink, then sent out of outbox"),
			axon.Box("control", "delivered to every sink's control and passed on; a shutdown request ends the splitter"),
			axon.Box("configuration", "AddSink and RemoveSink"),
		),
		axon.WithOutboxes(
			axon.Box("outbox", "everything, after the sinks"),
			axon.Box("signal", docSignal),
		),
	)
	return p
}

func (p *PlugSplitter) step(ctx context.Context, c *axon.Core) error {
	return dispatch(ctx, c, func(box string, msg any) error {
		switch box {
		case "configuration":
			return p.configure(ctx, msg)
		case "control":
			for _, s := range p.live() {
				if s.ctl != nil {
					if err := s.ctl.Put(ctx, msg); err != nil {
						return err
					}
				}
			}
			return passControl(ctx, c, msg)
		}
		for _, s := range p.live() {
			if err := s.in.Put(ctx, msg); err != nil {
				return err
			}
		}
		return c.Send(ctx, "outbox", msg)
	})
}

// live drops the sinks whose component has ended and returns the rest.
func (p *PlugSplitter) live() []sink {
	keep := p.sinks[:0]
	for _, s := range p.sinks {
		if !s.owner.Finished() {
			keep = append(keep, s)
		}
	}
	clear(p.sinks[len(keep):])
	p.sinks = keep
	return keep
}

func (p *PlugSplitter) configure(ctx context.Context, msg any) error {
	switch m := msg.(type) {
	case AddSink:
		s, err := resolveSink(m)
		if err != nil {
			return p.Send(ctx, "signal", axon.ErrorInformation{Caller: p, Message: msg, Err: fmt.Errorf("%s: add sink: %w", p.Name(), err)})
		}
		p.remove(s.in)
		p.sinks = append(p.sinks, s)
	case RemoveSink:
		if c := axon.CoreOf(m.Inbox.Component()); c != nil {
			p.remove(c.Inbox(m.Inbox.Name()))
		}
	default:
		return unexpected(ctx, p, "configuration", msg, "AddSink or RemoveSink")
	}
	return nil
}

func (p *PlugSplitter) remove(in *axon.Inbox) {
	if i := slices.IndexFunc(p.sinks, func(s sink) bool { return s.in == in }); i >= 0 {
		p.sinks = slices.Delete(p.sinks, i, i+1)
	}
}

func resolveSink(m AddSink) (sink, error) {
	in, err := inboxOf(m.Inbox)
	if err != nil {
		return sink{}, err
	}
	s := sink{owner: axon.CoreOf(m.Inbox.Component()), in: in}
	if m.Control.Component() != nil {
		if s.ctl, err = inboxOf(m.Control); err != nil {
			return sink{}, err
		}
	}
	return s, nil
}

// inboxOf returns the inbox ref names.
func inboxOf(ref axon.BoxRef) (*axon.Inbox, error) {
	c := axon.CoreOf(ref.Component())
	if c == nil || !ref.IsInbox() {
		return nil, &axon.BoxError{Component: "<nil>", Box: ref.Name(), Inbox: true, Err: axon.ErrNoBox}
	}
	in := c.Inbox(ref.Name())
	if in == nil {
		return nil, &axon.BoxError{Component: c.Name(), Box: ref.Name(), Inbox: true, Err: axon.ErrNoBox}
	}
	return in, nil
}

// Plug attaches a component to a PlugSplitter for as long as the
// component runs, Kamaelia's Plug. It is the component's parent: its
// inbox and control pass through to the component's, and the component's
// outbox and signal come out as its own. When it starts it adds itself
// to the splitter as a sink (data to inbox, control to control), inside
// Activate, so what is sent to the splitter after Activate returns
// reaches it; when the component ends, it removes itself and ends.
//
//	inbox    in   passed through to the component's inbox (the splitter's data)
//	control  in   passed through to the component's control (the splitter's control)
//	outbox   out  the component's outbox
//	signal   out  the component's signal
//
// Plug is reactive. It is safe for concurrent use; its methods are those
// of axon.Core.
type Plug struct {
	*axon.Core
	splitter *PlugSplitter
	started  bool // step only
}

// NewPlug returns a Plug joining c to splitter. c must have the boxes
// "inbox", "control", "outbox" and "signal", and no parent.
func NewPlug(splitter *PlugSplitter, c axon.Component) (*Plug, error) {
	if splitter == nil || axon.CoreOf(c) == nil {
		return nil, fmt.Errorf("components: NewPlug: nil splitter or component")
	}
	p := &Plug{splitter: splitter}
	p.Core = axon.NewReactive("Plug", p.step,
		axon.StartInline(), // adds the sink inside Activate
		axon.WithInboxes(
			axon.Box("inbox", "passed through to the component: the splitter's data"),
			axon.Box("control", "passed through to the component: the splitter's control messages"),
		),
		axon.WithOutboxes(
			axon.Box("outbox", "the component's outbox"),
			axon.Box("signal", "the component's signal"),
		),
	)
	for _, l := range [][2]axon.BoxRef{
		{axon.In(p, "inbox"), axon.In(c, "inbox")},
		{axon.In(p, "control"), axon.In(c, "control")},
		{axon.Out(c, "outbox"), axon.Out(p, "outbox")},
		{axon.Out(c, "signal"), axon.Out(p, "signal")},
	} {
		if _, err := p.Link(l[0], l[1]); err != nil {
			return nil, fmt.Errorf("components: NewPlug: %w", err)
		}
	}
	if err := p.AddChildren(c); err != nil {
		return nil, fmt.Errorf("components: NewPlug: %w", err)
	}
	return p, nil
}

func (p *Plug) step(ctx context.Context, c *axon.Core) error {
	conf := p.splitter.Inbox("configuration")
	if !p.started {
		p.started = true
		if err := conf.Put(ctx, AddSink{Inbox: axon.In(p, "inbox"), Control: axon.In(p, "control")}); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err // the splitter drops a sink that has ended
	}
	if c.NumChildren() > 0 {
		return nil
	}
	if err := conf.Put(ctx, RemoveSink{Inbox: axon.In(p, "inbox")}); err != nil {
		return err
	}
	return axon.ErrStop
}
