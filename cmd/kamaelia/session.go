package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internet"
)

// errStartTLSRefused is the cause connect reports when the server does
// not agree to STARTTLS.
var errStartTLSRefused = errors.New("the server refused STARTTLS")

// tlsMode says how a client session gets to TLS, if at all.
type tlsMode int

const (
	noTLS       tlsMode = iota
	tlsAtOnce           // makessl as soon as connected (a OneShot sends it)
	tlsStartTLS         // ask with STARTTLS, then makessl (the session sends it)
)

// session is the glue between the console and the connection in
// connect's Graphline. It does what Kamaelia's example left to the person
// at the keyboard:
//
//   - With TLS, it holds the lines typed, and the end of input, until the
//     connection's sslready arrives, so nothing typed goes out in
//     plaintext however fast it comes; then it reports what TLS
//     negotiated on stderr.
//   - With STARTTLS, it first sends the STARTTLS request, reads the
//     server's answer and sends makessl itself; meanwhile the server's
//     output comes to it (on "server") instead of going to the echoer.
//   - It passes the console's end of input on to the connection's
//     control, which half-closes the connection.
//   - When the connection ends, it stops the console reader, asks the
//     echoer to finish writing, and passes the connection's one terminal
//     message out of "result", which becomes the Graphline's signal.
//
// Boxes:
//
//	inbox       in   lines from the ConsoleReader
//	control     in   the ConsoleReader's signal: producerFinished at the
//	                 end of input; passed on out of "signal"
//	sslready    in   the TCPClient's sslready: TLS is up
//	connection  in   the TCPClient's signal: its end, with the cause
//	server      in   STARTTLS only: the TCPClient's outbox
//	outbox      out  lines (and the STARTTLS request) for the TCPClient
//	signal      out  the end of input, for the TCPClient's control
//	makessl     out  STARTTLS only: MakeSSL for the TCPClient
//	display     out  STARTTLS only: the server's output, for the echoer
//	console     out  shutdownMicroprocess for the ConsoleReader, once the
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
	stderr   io.Writer // where the TLS report goes
	started  bool      // the first step has run
	open     bool      // lines may flow: no TLS asked for, or TLS is up
	reply    []byte    // STARTTLS: the server's answer so far
	answered bool      // STARTTLS: the answer is complete
	failure  error     // STARTTLS refused: the cause to report
}

// newSession returns a session for the given TLS mode; it reports TLS on
// stderr.
func newSession(mode tlsMode, stderr io.Writer) *session {
	s := &session{mode: mode, stderr: stderr, open: mode == noTLS}
	s.Core = axon.NewReactive("session", s.step,
		axon.WithInboxes(
			axon.Box("inbox", "lines from the console"),
			axon.Box("control", "the console's signal: producerFinished at the end of input"),
			axon.Box("sslready", "the connection's sslready"),
			axon.Box("connection", "the connection's signal: its end, with the cause"),
			axon.Box("server", "STARTTLS: what the server sends"),
		),
		axon.WithOutboxes(
			axon.Box("outbox", "lines for the connection"),
			axon.Box("signal", "the end of input, for the connection's control"),
			axon.Box("makessl", "STARTTLS: MakeSSL once the server agreed"),
			axon.Box("display", "STARTTLS: what the server sends, for the echoer"),
			axon.Box("console", "shutdownMicroprocess for the console reader once the connection has ended"),
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
		// lines and the end of input wait in their (bounded) inboxes.
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
	for {
		box, msg, ok := c.Next()
		if !ok {
			return nil
		}
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

// tlsReady reports the negotiated TLS and lets the lines flow.
func (s *session) tlsReady(msg any) {
	s.open = true
	if r, ok := msg.(internet.SSLReady); ok {
		fmt.Fprintf(s.stderr, "kamaelia connect: TLS up: %s\n", describeTLS(r.State))
	}
}

// end winds the console down once the connection has ended, and passes
// the end on out of "result".
func (s *session) end(ctx context.Context, c *axon.Core, msg any) error {
	if s.failure != nil {
		msg = axon.ProducerFinished{Caller: s, Err: s.failure}
	}
	_ = c.Send(ctx, "console", axon.ShutdownMicroprocess{Caller: s})
	_ = c.Send(ctx, "echo", axon.ProducerFinished{Caller: s})
	if err := c.Send(ctx, "result", msg); err != nil {
		return fmt.Errorf("session: passing on the connection's end: %w", err)
	}
	return axon.ErrStop
}
