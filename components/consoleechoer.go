package components

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/kamaelia-go/kamaelia/axon"
)

// ConsoleEchoer writes what it receives to the console, Kamaelia's
// ConsoleEchoer. Each message on "inbox" is written as the tag followed
// by the message, in one Write: a []byte or string as its raw text,
// anything else as fmt's %v. Nothing is added between messages (a
// ConsoleReader's lines carry their own line ends). As a forwarder it
// also sends each message, unchanged, on "outbox" once written.
//
//	inbox    in   anything: written out
//	control  in   shutdown requests: everything that arrived before one
//	              is written first, then it is passed on and the echoer
//	              ends; other messages are passed on
//	outbox   out  each message, if a forwarder
//	signal   out  the shutdown request received; producerFinished with
//	              Err if a write failed
//
// A failed write ends the echoer with that error (wrapped, naming the
// echoer), after sending a producerFinished carrying it. Writes may block
// (a terminal or pipe nobody reads), so the echoer runs in a goroutine of
// its own rather than holding up its senders.
//
// A ConsoleEchoer is safe for concurrent use; its methods are those of
// axon.Core. Its writer is used by the echoer's goroutine only.
type ConsoleEchoer struct {
	*axon.Core
	w       io.Writer
	tag     string
	forward bool
	buf     []byte
}

// ConsoleEchoerOption configures a ConsoleEchoer.
type ConsoleEchoerOption func(*ConsoleEchoer)

// WithOutput makes the echoer write to w. The default, and what nil
// means, is os.Stdout as it is when the echoer is built.
func WithOutput(w io.Writer) ConsoleEchoerOption {
	return func(e *ConsoleEchoer) {
		if w != nil {
			e.w = w
		}
	}
}

// WithTag writes tag before each message. The default is no tag.
func WithTag(tag string) ConsoleEchoerOption { return func(e *ConsoleEchoer) { e.tag = tag } }

// Forwarder makes the echoer also send each message on "outbox" after
// writing it. By default it does not.
func Forwarder() ConsoleEchoerOption { return func(e *ConsoleEchoer) { e.forward = true } }

// NewConsoleEchoer returns a ConsoleEchoer configured by opts.
func NewConsoleEchoer(opts ...ConsoleEchoerOption) *ConsoleEchoer {
	e := &ConsoleEchoer{w: os.Stdout}
	for _, o := range opts {
		o(e)
	}
	e.Core = axon.New("ConsoleEchoer", e.run, boxes("anything: written out", "each message once written, if a forwarder")...)
	return e
}

func (e *ConsoleEchoer) run(ctx context.Context, c *axon.Core) error {
	return dispatch(ctx, c, func(box string, msg any) error {
		if box == "control" {
			return passControl(ctx, c, msg)
		}
		if err := e.write(msg); err != nil {
			return finish(ctx, e, fmt.Errorf("ConsoleEchoer %s: write: %w", c.Name(), err))
		}
		if e.forward {
			return c.Send(ctx, "outbox", msg)
		}
		return nil
	})
}

// maxKeptBuffer bounds the buffer kept between writes, so one large
// message does not hold memory for the echoer's life.
const maxKeptBuffer = 64 << 10

func (e *ConsoleEchoer) write(msg any) error {
	b := append(e.buf[:0], e.tag...)
	switch m := msg.(type) {
	case []byte:
		b = append(b, m...)
	case string:
		b = append(b, m...)
	default:
		b = fmt.Appendf(b, "%v", m)
	}
	if cap(b) <= maxKeptBuffer {
		e.buf = b
	}
	_, err := e.w.Write(b)
	return err
}
