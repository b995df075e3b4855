package chassis

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/kamaelia-go/kamaelia/axon"
)

// Children names the components of a Graphline. The names "" and "self"
// are reserved: in a linkage they mean the Graphline itself.
type Children map[string]axon.Component

// Box names one box in a linkage: the component's name in Children (or
// "self" or "" for the Graphline itself), then the box name. It is an
// array so a literal reads like Kamaelia's tuples: {"CONSOLE", "outbox"}.
// Box, Children and Linkages are plain values: the Graphline copies what
// it needs when it is built.
type Box [2]string

// Component returns the component name.
func (b Box) Component() string { return b[0] }

// Name returns the box name.
func (b Box) Name() string { return b[1] }

// IsSelf reports whether the box belongs to the Graphline itself.
func (b Box) IsSelf() bool { return b[0] == "" || b[0] == "self" }

// String returns "component.box", with "self" for the Graphline.
func (b Box) String() string {
	if b.IsSelf() {
		return "self." + b[1]
	}
	return b[0] + "." + b[1]
}

// Linkages maps a source box to its destination, like Kamaelia's
// linkages dict. Between two children the source is an outbox and the
// destination an inbox; from self to a child both are inboxes (self's
// inbox passed through to the child's); from a child to self both are
// outboxes (the child's outbox passed out as self's).
type Linkages map[Box]Box

// Graphline runs named children wired as a linkage map says, Kamaelia's
// Graphline.
//
// Boxes: "inbox" and "control" in, "outbox" and "signal" out, plus any
// box a linkage names on self that these do not cover (an inbox when
// self is the source, an outbox when self is the destination). Boxes
// are added to this Graphline only.
//
//	inbox    in   passed through to a child if a linkage says so; other
//	              messages are reported (axon.ErrorInformation on signal)
//	control  in   passed through if a linkage says so; otherwise each
//	              message goes to the control inbox of every child whose
//	              control no linkage feeds
//	_signal  in   internal, only when a linkage passes a child's box out
//	              to self's signal: what it passes, sent on out of signal
//	outbox   out  whatever a linkage passes out, if any
//	signal   out  whatever a linkage passes out; otherwise the end notice
//	              described below
//
// Control: when no linkage starts at self's "control", every message
// arriving there is delivered, unchanged, to the "control" inbox of
// each child that is not the destination of a linkage to its "control"
// (children without a control inbox are skipped). The first shutdown
// request so delivered (axon.IsShutdownRequest) is remembered.
//
// End: the Graphline ends when all its children have ended. When a
// child ends with an error (a panic included), the Graphline stops the
// others. Its Err joins the errors of the children that failed, each
// naming the child (the cancellation of those it stopped is left out).
// Then exactly one terminal message (producerFinished or
// shutdownMicroprocess) goes out of "signal":
//
//   - after a failure, the one a linkage passed out to "signal" if any
//     did, else an axon.ProducerFinished{Caller: g} whose Err is the
//     Graphline's error;
//   - otherwise, if no linkage ends at self's "signal", the remembered
//     shutdown request, or else a fresh axon.ProducerFinished{Caller: g};
//     and if one does, what the child sends there.
//
// A Graphline is safe for concurrent use; its methods are those of
// axon.Core.
type Graphline struct {
	*axon.Core
	byName    map[string]axon.Component
	end       ending        // members in name order
	broadcast []*axon.Inbox // control inboxes that receive self's control
	ownSignal bool          // no linkage ends at self's signal
	shutdown  any           // first shutdown request received; step only
}

// NewGraphline returns a Graphline of the named children wired by
// links, with the children added so they start when it does. It returns
// an error, naming the linkage and box, if there are no children
// (ErrNoChildren); a child is nil, given twice, named "" or "self", or
// already has a parent (ErrBadChild); a linkage names a component not
// in children (ErrUnknownChild); a child lacks a box a linkage names
// (wrapping axon.ErrNoBox); or a linkage joins self to self (wrapping
// axon.ErrBadLink). After an error no link is left behind and the
// children can be used elsewhere.
func NewGraphline(children Children, links Linkages) (*Graphline, error) {
	if len(children) == 0 {
		return nil, fmt.Errorf("NewGraphline: %w", ErrNoChildren)
	}
	g := &Graphline{byName: maps.Clone(children), ownSignal: true}
	for _, name := range slices.Sorted(maps.Keys(children)) {
		if (Box{name}).IsSelf() {
			return nil, fmt.Errorf("NewGraphline: %w: the name %q is reserved for the Graphline itself", ErrBadChild, name)
		}
		g.end.members = append(g.end.members, newMember(fmt.Sprintf("%q", name), children[name]))
	}
	if err := checkMembers(g.end.members); err != nil {
		return nil, fmt.Errorf("NewGraphline: %w", err)
	}
	srcs := slices.SortedFunc(maps.Keys(links), compareBoxes)
	fedControl := map[string]bool{} // children whose control a linkage feeds
	ins := selfBoxes{{Name: "inbox"}, {Name: "control"}}
	outs := selfBoxes{{Name: "outbox"}, {Name: "signal"}}
	ownControl := true
	for _, src := range srcs {
		dst := links[src]
		if err := g.check(src, dst); err != nil {
			return nil, fmt.Errorf("NewGraphline: linkage %v → %v: %w", src, dst, err)
		}
		switch {
		case src.IsSelf():
			ins.describe(src.Name(), "passed through to "+dst.String())
			ownControl = ownControl && src.Name() != "control"
		case dst.IsSelf():
			outs.describe(dst.Name(), "passed out from "+src.String())
			g.ownSignal = g.ownSignal && dst.Name() != "signal"
		}
		if !dst.IsSelf() && dst.Name() == "control" {
			fedControl[dst.Component()] = true
		}
	}
	if !g.ownSignal {
		ins.describe(childSignal, "what linkages pass out to signal, sent on out of it")
	}
	ins.describe("inbox", "not passed to any child: messages are reported on signal and dropped")
	ins.describe("control", "shutdown requests, passed on to every child whose control no linkage feeds")
	outs.describe("outbox", "not linked from any child: nothing is sent here")
	outs.describe("signal", "once all children have ended: the shutdown request received on control, or producerFinished carrying the children's errors")
	g.Core = axon.NewReactive("graphline", g.step, axon.WithInboxes(ins...), axon.WithOutboxes(outs...))

	wires := make([]wire, 0, len(srcs))
	for _, src := range srcs {
		dst := links[src]
		wires = append(wires, wire{g.ref(src, true), g.ref(dst, false), fmt.Sprintf("linkage %v → %v", src, dst)})
	}
	if err := connect(g.Core, wires, g.end.members); err != nil {
		return nil, fmt.Errorf("NewGraphline: %s: %w", g.Name(), err)
	}
	if ownControl {
		for _, name := range slices.Sorted(maps.Keys(children)) {
			if in := axon.CoreOf(children[name]).Inbox("control"); in != nil && !fedControl[name] {
				g.broadcast = append(g.broadcast, in)
			}
		}
	}
	return g, nil
}

// check validates one linkage before anything is built.
func (g *Graphline) check(src, dst Box) error {
	if src.IsSelf() && dst.IsSelf() {
		return fmt.Errorf("%w: a linkage from the Graphline to itself does nothing", axon.ErrBadLink)
	}
	for _, b := range [2]Box{src, dst} {
		if !b.IsSelf() && g.byName[b.Component()] == nil {
			return fmt.Errorf("%w %q (children are %q)", ErrUnknownChild, b.Component(), slices.Sorted(maps.Keys(g.byName)))
		}
	}
	return nil
}

// ref returns the box a linkage end names. Self's box is an inbox when
// it is the source (passed through inward) and an outbox when it is the
// destination (passed out); a child's box is an outbox when it is the
// source and an inbox when it is the destination, except that a child
// feeding self passes its outbox out. What is passed out to self's
// signal goes through the Graphline's step (see ending).
func (g *Graphline) ref(b Box, source bool) axon.BoxRef {
	if b.IsSelf() {
		switch {
		case source:
			return axon.In(g, b.Name())
		case b.Name() == "signal":
			return axon.In(g, childSignal)
		}
		return axon.Out(g, b.Name())
	}
	c := g.byName[b.Component()]
	if source {
		return axon.Out(c, b.Name())
	}
	return axon.In(c, b.Name())
}

// Child returns the child the Graphline was given under name, or nil.
func (g *Graphline) Child(name string) axon.Component { return g.byName[name] }

// step runs when the Graphline starts, when a message reaches one of
// its own inboxes, and when a child ends.
func (g *Graphline) step(ctx context.Context, c *axon.Core) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// Counted before the drain: a child sends what it sends before it
	// ends, so once none is left, the drain below has all of it (counted
	// after, a child's last message could arrive between the two and be
	// left behind).
	running := c.NumChildren() > 0
	for {
		box, msg, ok := c.Next()
		if !ok {
			break
		}
		var err error
		switch box {
		case "control":
			err = g.control(ctx, msg)
		case childSignal:
			err = g.end.pass(ctx, c, msg)
		default:
			err = c.Send(ctx, "signal", axon.ErrorInformation{Caller: g, Message: msg, Err: &axon.BoxError{
				Component: c.Name(), Box: box, Inbox: true,
				Err: ErrUnrouted,
			}})
		}
		if err != nil {
			return err
		}
	}
	g.end.watch()
	if running {
		return nil
	}
	var final any
	if g.ownSignal {
		final = g.shutdown
		if final == nil {
			final = axon.ProducerFinished{Caller: g}
		}
	}
	return g.end.end(ctx, c, g, final)
}

// control passes a message from self's control to the children.
func (g *Graphline) control(ctx context.Context, msg any) error {
	if g.shutdown == nil && axon.IsShutdownRequest(msg) {
		g.shutdown = msg
	}
	for _, in := range g.broadcast {
		if err := in.Put(ctx, msg); err != nil {
			return err
		}
	}
	return nil
}

// selfBoxes collects the specs of the Graphline's own boxes.
type selfBoxes []axon.BoxSpec

// describe gives the named box a description if it has none yet,
// adding the box if it is not there.
func (s *selfBoxes) describe(name, doc string) {
	for i, b := range *s {
		if b.Name == name {
			if b.Doc == "" {
				(*s)[i].Doc = doc
			}
			return
		}
	}
	*s = append(*s, axon.Box(name, doc))
}

func compareBoxes(a, b Box) int {
	return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
}
