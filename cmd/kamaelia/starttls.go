package main

import (
	"bytes"
	"context"
	"fmt"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internet"
)

// The STARTTLS exchange of serve --starttls and connect --starttls: the
// client sends startTLSRequest and waits; the server answers with
// startTLSReply (anything else is a refusal) and both sides start the TLS
// handshake. The client sends nothing more until TLS is up, so nothing
// the server reads past the request belongs to the handshake.
const (
	startTLSRequest = "STARTTLS\r\n"
	startTLSReply   = "OK STARTTLS\r\n"
	startTLSRefusal = "ERR send STARTTLS first\r\n"
	// maxStartTLSLine bounds the first line a server reads before
	// deciding.
	maxStartTLSLine = 1024
)

// startTLSGate is a protocol handler that guards another one, proto,
// with STARTTLS. The connection starts in plaintext; the client's first
// line must be STARTTLS. The gate then sends makessl carrying its
// go-ahead reply (so the reply is the last plaintext written, just
// before the handshake), and once sslready comes it hands the
// connection to proto: its inbox and control pass through to proto's,
// and proto's outbox and signal pass out as the gate's. Any other first
// line gets a refusal and the connection is closed.
//
// Plaintext the client sends after its STARTTLS line and before the
// handshake is discarded, never given to proto as if it had come over
// TLS.
//
// Boxes (the ServerCore wires makessl and sslready to the connection):
//
//	inbox     in   the client's bytes; passed through to proto once TLS is up
//	control   in   the connection's end or a shutdown request; passed
//	               through to proto once TLS is up, before that passed on
//	               out of signal, ending the gate
//	sslready  in   the connection's sslready
//	outbox    out  the refusal; then proto's outbox
//	signal    out  the end (closing the connection); then proto's signal
//	makessl   out  MakeSSL with the go-ahead reply
type startTLSGate struct {
	*axon.Core
	proto axon.Component
	line  []byte // the client's first line so far
	state gateState
}

type gateState int

const (
	gateWaiting     gateState = iota // for the client's first line
	gateHandshaking                  // makessl sent, waiting for sslready
	gateOpen                         // proto has the connection
)

func newStartTLSGate(proto axon.Component) *startTLSGate {
	g := &startTLSGate{proto: proto}
	g.Core = axon.NewReactive("STARTTLS", g.step,
		axon.WithInboxes(
			axon.Box("inbox", "the client's bytes: a STARTTLS line, then (passed through) the protocol's input"),
			axon.Box("control", "the connection's end or a shutdown request"),
			axon.Box("sslready", "the connection's TLS is up"),
		),
		axon.WithOutboxes(
			axon.Box("outbox", "the refusal; then the protocol's output"),
			axon.Box("signal", "the end of the connection; then the protocol's signal"),
			axon.Box("makessl", "MakeSSL carrying the go-ahead reply"),
		),
	)
	return g
}

func (g *startTLSGate) step(ctx context.Context, c *axon.Core) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if g.state == gateOpen {
		if c.NumChildren() == 0 {
			return axon.ErrStop // proto has ended
		}
		return nil
	}
	for box, msg := range c.Messages(ctx) {
		switch box {
		case "control":
			if err := c.Send(ctx, "signal", msg); err != nil {
				return err
			}
			if axon.IsShutdownRequest(msg) {
				return axon.ErrStop
			}
		case "inbox":
			if g.state != gateWaiting {
				continue // plaintext after STARTTLS: discarded
			}
			if err := g.feed(ctx, c, msg); err != nil {
				return err
			}
		case "sslready":
			if g.state == gateHandshaking {
				// Messages queued behind sslready came over TLS:
				// linking moves them on to proto, in order.
				return g.open(c)
			}
		}
	}
	return nil
}

// feed adds a chunk of the client's first line and acts once the line
// is complete: the go-ahead for STARTTLS, a refusal for anything else.
func (g *startTLSGate) feed(ctx context.Context, c *axon.Core, msg any) error {
	var chunk []byte
	switch m := msg.(type) {
	case []byte:
		chunk = m
	case string:
		chunk = []byte(m)
	}
	end := bytes.IndexByte(chunk, '\n')
	if end < 0 {
		g.line = append(g.line, chunk...)
		if len(g.line) > maxStartTLSLine {
			return g.refuse(ctx, c)
		}
		return nil
	}
	g.line = append(g.line, chunk[:end]...) // the rest, if any, is discarded
	if !bytes.EqualFold(bytes.TrimSuffix(g.line, []byte("\r")), []byte("STARTTLS")) {
		return g.refuse(ctx, c)
	}
	g.state = gateHandshaking
	g.line = nil
	return c.Send(ctx, "makessl", internet.MakeSSL{Plaintext: []byte(startTLSReply)})
}

// refuse answers a client that did not ask for STARTTLS, and ends the
// gate, which closes the connection once the answer is written.
func (g *startTLSGate) refuse(ctx context.Context, c *axon.Core) error {
	if err := c.Send(ctx, "outbox", []byte(startTLSRefusal)); err != nil {
		return err
	}
	if err := c.Send(ctx, "signal", axon.ProducerFinished{Caller: g, Message: "STARTTLS refused"}); err != nil {
		return err
	}
	return axon.ErrStop
}

// open hands the connection to proto.
func (g *startTLSGate) open(c *axon.Core) error {
	for _, l := range [][2]axon.BoxRef{
		{axon.Out(g.proto, "outbox"), axon.Out(g, "outbox")},
		{axon.Out(g.proto, "signal"), axon.Out(g, "signal")},
		{axon.In(g, "inbox"), axon.In(g.proto, "inbox")},
		{axon.In(g, "control"), axon.In(g.proto, "control")},
	} {
		if _, err := c.Link(l[0], l[1]); err != nil {
			return fmt.Errorf("STARTTLS: handing the connection to %s: %w", g.proto.Name(), err)
		}
	}
	g.state = gateOpen
	return c.AddChildren(g.proto)
}
