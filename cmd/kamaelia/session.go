package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internet"
)

// errStartTLSRefused is the cause connect reports when the server does
// not agree to STARTTLS.
var errStartTLSRefused = errors.New("the server refused STARTTLS")

// errClosedBeforeTLS is the cause reported when TLS was asked for and
// the server closed the connection before it was up.
var errClosedBeforeTLS = errors.New("the server closed the connection before TLS was up")

// tlsMode says how a client session gets to TLS, if at all.
type tlsMode int

const (
	noTLS       tlsMode = iota
	tlsAtOnce           // makessl as soon as connected (a OneShot sends it)
	tlsStartTLS         // ask with STARTTLS, then makessl (the session sends it)
)

// session is the glue between the source (stdin, or the file sent) and
// the connection in the Graphline of connect and send. It does what
// Kamaelia's example left to the person at the keyboard:
//
//   - With TLS, it holds the data, and the end of input, until the
//     connection's sslready arrives, so nothing goes out in plaintext
//     however fast it comes; then it notes what TLS negotiated.
//   - With STARTTLS, it first sends the STARTTLS request, reads the
//     server's answer and sends makessl itself; meanwhile the server's
//     output comes to it (on "server") instead of going to the echoer.
//   - It passes the source's end of input on to the connection's
//     control, which half-closes the connection.
//   - When the connection ends, it stops the source, asks the
//     echoer to finish writing, and passes the connection's one terminal
//     message out of "result", which becomes the Graphline's signal.
//
// Boxes:
//
//	inbox       in   data from the source
//	control     in   the source's signal: producerFinished at the end
//	                 of input; passed on out of "signal"
//	sslready    in   the TCPClient's sslready: TLS is up
//	connection  in   the TCPClient's signal: its end, with the cause
//	server      in   STARTTLS only: the TCPClient's outbox
//	outbox      out  data (and the STARTTLS request) for the TCPClient
//	signal      out  the end of input, for the TCPClient's control
//	makessl     out  STARTTLS only: MakeSSL for the TCPClient
//	display     out  STARTTLS only: the server's output, for the echoer
//	source      out  shutdownMicroprocess for the source, once the
//	                 connection has ended
//	echo        out  producerFinished for the ConsoleEchoer, once the
//	                 connection has ended
//	result      out  the TCPClient's terminal producerFinished (or one
//	                 carrying the server's refusal of STARTTLS)
//
// It is reactive: it holds no goroutine while it waits.
type session struct {
	*axon.Core
	mode     tlsMode
	notes    *slog.Logger // where the TLS report goes
	started  bool         // the first step has run
	open     bool         // data may flow: no TLS asked for, or TLS is up
	reply    []byte       // STARTTLS: the server's answer so far
	answered bool         // STARTTLS: the answer is complete
	failure  error        // STARTTLS refused: the cause to report
}

// newSession returns a session for the given TLS mode; it notes what TLS
// negotiated on notes.
func newSession(mode tlsMode, notes *slog.Logger) *session {
	s := &session{mode: mode, notes: notes, open: mode == noTLS}
	s.Core = axon.NewReactive("session", s.step,
		axon.WithInboxes(
			axon.Box("inbox", "data from the source"),
			axon.Box("control", "the source's signal: producerFinished at the end of input"),
			axon.Box("sslready", "the connection's sslready"),
			axon.Box("connection", "the connection's signal: its end, with the cause"),
			axon.Box("server", "STARTTLS: what the server sends"),
		),
		axon.WithOutboxes(
			axon.Box("outbox", "data for the connection"),
			axon.Box("signal", "the end of input, for the connection's control"),
			axon.Box("makessl", "STARTTLS: MakeSSL once the server agreed"),
			axon.Box("display", "STARTTLS: what the server sends, for the echoer"),
			axon.Box("source", "shutdownMicroprocess for the source once the connection has ended"),
			axon.Box("echo", "producerFinished for the echoer once the connection has ended"),
			axon.Box("result", "the connection's terminal producerFinished"),
		),
	)
	return s
}

func (s *session) step(ctx context.Context, c *axon.Core) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !s.started {
		s.started = true
		if s.mode == tlsStartTLS {
			// Queued in the client until it connects, ahead of any line.
			if err := c.Send(ctx, "outbox", startTLSRequest); err != nil {
				return err
			}
		}
	}
	if !s.open {
		// Only the way to TLS and the connection's end may act now;
		// data and the end of input wait in their (bounded) inboxes.
		for m := range c.Drain("server") {
			if err := s.serverReply(ctx, c, m); err != nil {
				return err
			}
		}
		for m := range c.Drain("sslready") {
			s.tlsReady(m)
		}
		for m := range c.Drain("connection") {
			if axon.IsProducerFinished(m) {
				return s.end(ctx, c, m)
			}
		}
		if !s.open {
			return nil
		}
	}
	for box, msg := range c.Messages(ctx) {
		var err error
		switch box {
		case "inbox":
			err = c.Send(ctx, "outbox", msg)
		case "control":
			err = c.Send(ctx, "signal", msg)
		case "server":
			err = c.Send(ctx, "display", msg)
		case "sslready":
			s.tlsReady(msg)
		case "connection":
			if axon.IsProducerFinished(msg) {
				return s.end(ctx, c, msg)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// serverReply reads the server's answer to STARTTLS: the go-ahead starts
// the handshake; anything else is a refusal, and the connection is
// closed.
func (s *session) serverReply(ctx context.Context, c *axon.Core, msg any) error {
	if s.answered {
		return nil // nothing but TLS may follow the answer
	}
	chunk, _ := msg.([]byte)
	s.reply = append(s.reply, chunk...)
	end := bytes.IndexByte(s.reply, '\n')
	switch {
	case end < 0 && len(s.reply) <= maxStartTLSLine:
		return nil // the answer is not complete yet
	case end >= 0:
		s.reply = s.reply[:end+1]
	}
	s.answered = true
	if string(s.reply) == startTLSReply {
		return c.Send(ctx, "makessl", internet.MakeSSL{})
	}
	s.failure = fmt.Errorf("%w: it answered %q", errStartTLSRefused, bytes.TrimRight(s.reply, "\r\n"))
	return c.Send(ctx, "signal", axon.ShutdownMicroprocess{Caller: s, Message: "STARTTLS refused"})
}

// tlsReady notes the negotiated TLS and lets the data flow.
func (s *session) tlsReady(msg any) {
	s.open = true
	if r, ok := msg.(internet.SSLReady); ok {
		s.notes.Info("TLS up: " + describeTLS(r.State))
	}
}

// end winds the source down once the connection has ended, and passes
// the end on out of "result".
func (s *session) end(ctx context.Context, c *axon.Core, msg any) error {
	if s.failure == nil && !s.open && axon.Cause(msg) == nil {
		s.failure = errClosedBeforeTLS // a clean end is no success then
	}
	if s.failure != nil {
		msg = axon.ProducerFinished{Caller: s, Err: s.failure}
	}
	_ = c.Send(ctx, "source", axon.ShutdownMicroprocess{Caller: s})
	_ = c.Send(ctx, "echo", axon.ProducerFinished{Caller: s})
	if err := c.Send(ctx, "result", msg); err != nil {
		return fmt.Errorf("session: passing on the connection's end: %w", err)
	}
	return axon.ErrStop
}
