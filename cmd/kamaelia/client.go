package main

import (
	"context"
	"fmt"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
)

// clientEnd is how a client graph (connect's Graphline, send's Pipeline)
// ended.
type clientEnd struct {
	interrupted bool  // a signal stopped it
	ended       bool  // the TCPClient's terminal message came out
	cause       error // its cause: nil for a clean close
	err         error // the graph's own error, if it failed
}

// runClient activates g, whose "signal" passes on its TCPClient's one
// terminal message, and waits for that message. Then it asks whatever
// is still running (a file reader with more to read, say) to stop, with
// a shutdownMicroprocess on g's "control", and waits for g to end.
func runClient(ctx context.Context, g *axon.Core) clientEnd {
	h, err := axon.NewHandle(g)
	if err != nil {
		return clientEnd{err: err}
	}
	defer h.Close()
	if err := g.Activate(ctx); err != nil {
		return clientEnd{err: err}
	}
	var end clientEnd
	for !end.ended {
		m, err := h.Get(ctx, "signal")
		if err != nil {
			break // interrupted, or the graph ended without a word
		}
		if axon.IsProducerFinished(m) {
			end.ended, end.cause = true, axon.Cause(m)
		}
	}
	if end.ended {
		_ = h.Put(ctx, "control", axon.ShutdownMicroprocess{Message: "the connection has ended"})
	}
	waitEnd(ctx, g)
	end.interrupted = ctx.Err() != nil
	end.err = g.Err()
	return end
}

// exitStatus reports the end on stderr (nothing for success, else one
// line) and returns the exit status.
func (end clientEnd) exitStatus(e *env, cmd, addr string) int {
	switch {
	case end.interrupted:
		fmt.Fprintf(e.stderr, "kamaelia %s: interrupted\n", cmd)
		return exitInterrupted
	case !end.ended:
		fmt.Fprintf(e.stderr, "kamaelia %s: %s: ended without a result: %v\n", cmd, addr, end.err)
		return exitFailure
	case end.cause != nil:
		fmt.Fprintf(e.stderr, "kamaelia %s: %s\n", cmd, reason(end.cause))
		return exitFailure
	}
	return exitOK
}

// waitEnd waits for c to end. Once ctx is done (an interrupt, which
// stops c) it waits only a moment more, in case a component is stuck
// writing to a stdout nobody reads.
func waitEnd(ctx context.Context, c *axon.Core) {
	select {
	case <-c.Done():
		return
	case <-ctx.Done():
	}
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case <-c.Done():
	case <-t.C:
	}
}
