package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/chassis"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internet"
)

// clientGraph is the Graphline of connect and send:
//
//	SOURCE.outbox       → SESSION.inbox        stdin, or the file
//	SOURCE.signal       → SESSION.control      end of input
//	SESSION.outbox      → CONNECTION.inbox     the data, once TLS is up if asked
//	SESSION.signal      → CONNECTION.control   end of input: half-close
//	MAKESSL.outbox      → CONNECTION.makessl   --ssl only
//	CONNECTION.outbox   → ECHO.inbox           what the server sends
//	                                           (--starttls: through SESSION's
//	                                           server and display, and
//	                                           SESSION.makessl instead of MAKESSL)
//	CONNECTION.sslready → SESSION.sslready
//	CONNECTION.signal   → SESSION.connection   the connection's end
//	SESSION.source      → SOURCE.control       stop reading then
//	SESSION.echo        → ECHO.control         finish writing then
//	SESSION.result      → self.signal          the connection's end
//
// Kamaelia's examples linked the source to CONNECTION.inbox directly;
// the SESSION in between holds the data until TLS is up and ends the
// Graphline when the connection ends.
type clientGraph struct {
	*chassis.Graphline
	client *internet.TCPClient
	mode   tlsMode
	notes  *slog.Logger
}

// newClientGraph wires source to a TCPClient of host:port with opts,
// whose output goes to out; the session notes TLS on notes.
func newClientGraph(source axon.Component, out io.Writer, host string, port int, mode tlsMode, opts []internet.TCPClientOption, notes *slog.Logger) (*clientGraph, error) {
	client := internet.NewTCPClient(host, port, opts...)
	children := chassis.Children{
		"SOURCE":     source,
		"SESSION":    newSession(mode, notes),
		"CONNECTION": client,
		"ECHO":       components.NewConsoleEchoer(components.WithOutput(out)),
	}
	links := chassis.Linkages{
		{"SOURCE", "outbox"}:       {"SESSION", "inbox"},
		{"SOURCE", "signal"}:       {"SESSION", "control"},
		{"SESSION", "outbox"}:      {"CONNECTION", "inbox"},
		{"SESSION", "signal"}:      {"CONNECTION", "control"},
		{"CONNECTION", "sslready"}: {"SESSION", "sslready"},
		{"CONNECTION", "signal"}:   {"SESSION", "connection"},
		{"SESSION", "source"}:      {"SOURCE", "control"},
		{"SESSION", "echo"}:        {"ECHO", "control"},
		{"SESSION", "result"}:      {"self", "signal"},
	}
	switch mode {
	case tlsStartTLS:
		links[chassis.Box{"CONNECTION", "outbox"}] = chassis.Box{"SESSION", "server"}
		links[chassis.Box{"SESSION", "display"}] = chassis.Box{"ECHO", "inbox"}
		links[chassis.Box{"SESSION", "makessl"}] = chassis.Box{"CONNECTION", "makessl"}
	default:
		links[chassis.Box{"CONNECTION", "outbox"}] = chassis.Box{"ECHO", "inbox"}
		if mode == tlsAtOnce {
			children["MAKESSL"] = components.NewOneShot(internet.MakeSSL{})
			links[chassis.Box{"MAKESSL", "outbox"}] = chassis.Box{"CONNECTION", "makessl"}
		}
	}
	g, err := chassis.NewGraphline(children, links)
	if err != nil {
		return nil, fmt.Errorf("building the client: %w", err)
	}
	return &clientGraph{Graphline: g, client: client, mode: mode, notes: notes}, nil
}

// run activates the graph, waits for the connection's end and returns
// what the command returns: nil for a clean end, else the exit status
// and the reason.
func (g *clientGraph) run(ctx context.Context) error {
	end := runClient(ctx, g.Core)
	switch {
	case end.interrupted:
		return &exitError{code: exitInterrupted, err: errInterrupted}
	case !end.ended && end.err != nil:
		return failure(fmt.Errorf("%s: ended without a result: %w", g.client.Addr(), end.err))
	case !end.ended:
		return failure(fmt.Errorf("%s: ended without a result", g.client.Addr()))
	case end.cause != nil:
		return failure(errors.New(reason(end.cause)))
	case end.err != nil: // the source failed: the file could not be read, say
		return failure(end.err)
	}
	return nil
}

// sent reports the bytes written to the connection so far, and whether
// it is connected.
func (g *clientGraph) sent() (int64, bool) {
	if csa := g.client.CSA(); csa != nil {
		return csa.Stats().BytesWritten, true
	}
	return 0, false
}

// hintTLS says, after a plaintext connection that the server closed
// without a byte once we had sent something, that the server may want
// TLS: a TLS server does just that to a client that does not speak it.
func (g *clientGraph) hintTLS() {
	csa := g.client.CSA()
	if g.mode != noTLS || csa == nil {
		return
	}
	if st := csa.Stats(); st.BytesWritten > 0 && st.BytesRead == 0 {
		g.notes.Warn("the server closed the connection without sending a byte; if it speaks TLS, try --ssl")
	}
}

// clientEnd is how a client graph ended.
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
