package chassis

import (
	"context"
	"fmt"

	"github.com/kamaelia-go/kamaelia/axon"
)

// Pipeline runs its children in a line, Kamaelia's Pipeline: each
// child's "outbox" feeds the next child's "inbox", and each child's
// "signal" feeds the next child's "control", so a producerFinished or
// shutdownMicroprocess travels down the line after the data.
//
// Boxes:
//
//	inbox    in   passed through to the first child's "inbox"
//	control  in   passed through to the first child's "control"
//	_signal  in   internal: the last child's "signal", passed on out of signal
//	outbox   out  the last child's "outbox", passed out
//	signal   out  the last child's "signal"; or, after a failure that
//	              sent nothing here, the pipeline's producerFinished
//
// What leaves the pipeline comes from its last child, except when a
// child fails. The pipeline ends when all its children have ended. When
// a child ends with an error (a panic included), the pipeline stops the
// others and ends with their errors joined, each naming the child; if
// no producerFinished or shutdownMicroprocess has gone out of its
// signal by then, it sends a ProducerFinished{Caller: the pipeline,
// Err: that error}, so that exactly one does. Every child must have all
// four boxes: the first child's inboxes receive the pipeline's, the
// last child's outboxes become the pipeline's, and the others are
// linked in the line.
//
// A Pipeline is safe for concurrent use; its methods are those of
// axon.Core.
type Pipeline struct {
	*axon.Core
	end ending
}

// NewPipeline returns a pipeline of the given children, wired and added
// as its children so they start when it does. It returns an error if
// there are no children (ErrNoChildren), a child is nil, given twice or
// already has a parent (ErrBadChild), or a child lacks a box the wiring
// needs (wrapping axon.ErrNoBox and naming the component and box). After
// an error no link is left behind and the children can be used
// elsewhere.
func NewPipeline(children ...axon.Component) (*Pipeline, error) {
	if len(children) == 0 {
		return nil, fmt.Errorf("NewPipeline: %w", ErrNoChildren)
	}
	p := &Pipeline{}
	p.Core = axon.NewReactive("pipeline", p.step,
		axon.WithInboxes(
			axon.Box("inbox", "passed through to the first child's inbox"),
			axon.Box("control", "passed through to the first child's control"),
			axon.Box(childSignal, "the last child's signal, passed on out of signal")),
		axon.WithOutboxes(
			axon.Box("outbox", "the last child's outbox"),
			axon.Box("signal", "the last child's signal; after a failure that sent nothing here, producerFinished")))
	for i, c := range children {
		p.end.members = append(p.end.members, newMember(fmt.Sprint(i), c))
	}
	if err := checkMembers(p.end.members); err != nil {
		return nil, fmt.Errorf("NewPipeline: %s: %w", p.Name(), err)
	}
	if err := connect(p.Core, p.wires(children), p.end.members); err != nil {
		return nil, fmt.Errorf("NewPipeline: %s: %w", p.Name(), err)
	}
	return p, nil
}

// wires lists the pipeline's links: its own inboxes in to the first
// child, each child to the next, the last child out to its own outbox
// and, through the pipeline's step, its signal.
func (p *Pipeline) wires(children []axon.Component) []wire {
	first, last := children[0], children[len(children)-1]
	ws := []wire{
		{axon.In(p, "inbox"), axon.In(first, "inbox"), "link pipeline inbox to child 0"},
		{axon.In(p, "control"), axon.In(first, "control"), "link pipeline control to child 0"},
	}
	for i := 0; i+1 < len(children); i++ {
		a, b := children[i], children[i+1]
		what := fmt.Sprintf("link child %d to child %d", i, i+1)
		ws = append(ws,
			wire{axon.Out(a, "outbox"), axon.In(b, "inbox"), what},
			wire{axon.Out(a, "signal"), axon.In(b, "control"), what})
	}
	what := fmt.Sprintf("link child %d to pipeline", len(children)-1)
	return append(ws,
		wire{axon.Out(last, "outbox"), axon.Out(p, "outbox"), what},
		wire{axon.Out(last, "signal"), axon.In(p, childSignal), what})
}

// step runs when the pipeline starts, when its last child signals, and
// whenever a child ends.
func (p *Pipeline) step(ctx context.Context, c *axon.Core) error {
	if err := ctx.Err(); err != nil {
		return err // stopped: nothing is sent
	}
	// Counted before the drain: a child sends what it sends before it
	// ends, so once none is left, the drain below has all of it.
	running := c.NumChildren() > 0
	for msg := range c.Drain(childSignal) {
		if err := p.end.pass(ctx, c, msg); err != nil {
			return err
		}
	}
	p.end.watch()
	if running {
		return nil
	}
	return p.end.end(ctx, c, p, nil)
}
