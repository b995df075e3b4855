package components

import (
	"context"
	"errors"
	"fmt"

	"github.com/kamaelia-go/kamaelia/axon"
)

// DefaultMaxFrame is the largest frame a LengthFramer, LengthDeframer,
// MarkerFramer or MarkerDeframer takes unless told otherwise: 1 MiB. A
// bound is needed because a peer could otherwise announce, or never
// end, a frame as large as it likes.
const DefaultMaxFrame = 1 << 20

// Errors the framing components end with, wrapped with the component's
// name and the details. A deframer that meets them sends a
// ProducerFinished carrying the error on "signal" and ends, so the
// connection it serves closes.
var (
	// ErrFrameTooLarge: a frame is over the maximum size (MaxFrame).
	ErrFrameTooLarge = errors.New("components: frame too large")
	// ErrBadFrame: the input breaks the framing's rules (a bad escape
	// sequence, a line with a newline in it given to a LineFramer).
	ErrBadFrame = errors.New("components: malformed frame")
	// ErrTruncatedFrame: the stream ended inside a frame.
	ErrTruncatedFrame = errors.New("components: stream ended inside a frame")
)

// FrameOption configures a framing component. Each option says which
// components it applies to; the others ignore it.
type FrameOption func(*frameConfig)

type frameConfig struct {
	max        int
	crlf       bool
	keepEnding bool
	marker     byte
	escape     byte
}

func newFrameConfig(defaultMax int, opts []FrameOption) frameConfig {
	cfg := frameConfig{max: defaultMax, marker: DefaultMarker, escape: DefaultEscape}
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// MaxFrame sets the largest frame, in bytes, that a framer sends and a
// deframer accepts: for line framing the length of a line without its
// line ending (default DefaultMaxLine), for length and marker framing
// the length of the payload (default DefaultMaxFrame). n <= 0 means the
// default. It applies to every framing component.
func MaxFrame(n int) FrameOption {
	return func(c *frameConfig) {
		if n > 0 {
			c.max = n
		}
	}
}

// CRLF makes a LineFramer end lines with "\r\n" instead of "\n". A
// LineDeframer accepts both endings with or without it.
func CRLF() FrameOption { return func(c *frameConfig) { c.crlf = true } }

// KeepLineEnding makes a LineDeframer send each line with the ending it
// arrived with ("\n" or "\r\n"), so that joining what it sends gives back
// the bytes it received.
func KeepLineEnding() FrameOption { return func(c *frameConfig) { c.keepEnding = true } }

// decoder turns a byte stream into frames: the part of a deframer that
// knows the framing.
type decoder interface {
	// feed takes the next chunk of the stream, which it may keep and
	// slice, and calls emit for every frame completed. It returns emit's
	// error, or a *badInput for input that breaks the framing.
	feed(chunk []byte, emit func([]byte) error) error
	// end is told that the stream has ended. It may emit a last frame,
	// or return a *badInput for a frame left incomplete.
	end(emit func([]byte) error) error
}

// badInput is a decoding error: it ends the deframer.
type badInput struct{ err error }

func (b *badInput) Error() string { return b.err.Error() }

func bad(format string, args ...any) error { return &badInput{fmt.Errorf(format, args...)} }

// deframer is what every deframer shares: the component around a
// decoder.
//
//	inbox    in   []byte or string chunks of the stream, with boundaries
//	              anywhere
//	control  in   shutdown requests, passed on out of signal; then it
//	              ends. After a producerFinished (the end of the
//	              stream) what is left is dealt with first.
//	outbox   out  one []byte per frame
//	signal   out  the shutdown request received; or a ProducerFinished
//	              carrying the error if the input broke the framing;
//	              error reports
type deframer struct {
	self axon.Component
	dec  decoder
	ctx  context.Context
	c    *axon.Core
	emit func([]byte) error
}

func newDeframer(self axon.Component, dec decoder) *deframer {
	d := &deframer{self: self, dec: dec}
	d.emit = func(frame []byte) error { return d.c.Send(d.ctx, "outbox", frame) }
	return d
}

func (d *deframer) step(ctx context.Context, c *axon.Core) error {
	d.ctx, d.c = ctx, c
	return dispatch(ctx, c, func(box string, msg any) error {
		if box == "control" {
			if axon.IsProducerFinished(msg) {
				if err := d.dec.end(d.emit); err != nil {
					return d.fail(ctx, err)
				}
			}
			return passControl(ctx, c, msg)
		}
		chunk, ok := asBytes(msg)
		if !ok {
			return unexpected(ctx, d.self, box, msg, "[]byte or string")
		}
		if err := d.dec.feed(chunk, d.emit); err != nil {
			return d.fail(ctx, err)
		}
		return nil
	})
}

// fail ends the component for a decoding error, or returns a send error
// as it is.
func (d *deframer) fail(ctx context.Context, err error) error {
	var b *badInput
	if errors.As(err, &b) {
		return finish(ctx, d.self, fmt.Errorf("%s: %w", d.self.Name(), b.err))
	}
	return err
}

// framer is what every framer shares: the component around an encoding
// function.
//
//	inbox    in   payloads: []byte or string, one frame each
//	control  in   shutdown requests, passed on out of signal; then it ends
//	outbox   out  one []byte per frame, ready to write
//	signal   out  the shutdown request received; or a ProducerFinished
//	              carrying the error if a payload cannot be framed;
//	              error reports
type framer struct {
	self   axon.Component
	encode func(payload []byte) ([]byte, error) // errors: what cannot be framed
}

func (f *framer) step(ctx context.Context, c *axon.Core) error {
	return dispatch(ctx, c, func(box string, msg any) error {
		if box == "control" {
			return passControl(ctx, c, msg)
		}
		p, ok := asBytes(msg)
		if !ok {
			return unexpected(ctx, f.self, box, msg, "[]byte or string")
		}
		out, err := f.encode(p)
		if err != nil {
			return finish(ctx, f.self, fmt.Errorf("%s: %w", f.self.Name(), err))
		}
		return c.Send(ctx, "outbox", out)
	})
}

// asBytes returns the bytes of a []byte or string message (a string's
// as a copy).
func asBytes(msg any) ([]byte, bool) {
	switch m := msg.(type) {
	case []byte:
		return m, true
	case string:
		return []byte(m), true
	}
	return nil, false
}
