package components

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/kamaelia-go/kamaelia/axon"
)

// DefaultMaxLine is the longest line a LineHandler accepts unless told
// otherwise: 64 KiB. A bound is needed because a peer that never sends a
// newline would otherwise grow the buffer without limit.
const DefaultMaxLine = 64 << 10

// ErrLineTooLong is the cause a LineHandler ends with when a line grows
// past its maximum length without a newline.
var ErrLineTooLong = errors.New("components: line too long")

// LineFunc handles one line, given without its line ending ("\n" or
// "\r\n"). The slice is valid only during the call. What it returns is
// sent out of the handler's "outbox" as is (add a line ending if the
// protocol wants one); nil sends nothing. An error ends the handler: it
// is reported in the producerFinished sent on "signal", which makes a
// server close the connection.
type LineFunc func(line []byte) (reply []byte, err error)

// LineHandler is a protocol handler for line-oriented protocols. A
// connection delivers bytes in chunks whose boundaries fall anywhere;
// LineHandler joins and splits them so its function sees whole lines.
//
//	inbox    in   data: []byte or string chunks
//	control  in   shutdown requests. On a producerFinished (the peer has
//	              finished sending), a last line without a line ending is
//	              handled first; then the request is passed on and the
//	              handler ends
//	outbox   out  the replies
//	signal   out  the shutdown request received; or producerFinished
//	              with the error if the function failed or a line was
//	              too long; error reports
//
// A line longer than the maximum (DefaultMaxLine unless set with
// WithMaxLine) ends the handler with an error wrapping ErrLineTooLong.
//
// LineHandler is reactive. It is safe for concurrent use; its methods
// are those of axon.Core.
type LineHandler struct {
	*axon.Core
	fn  LineFunc
	max int
	buf []byte
}

// LineOption configures a LineHandler.
type LineOption func(*LineHandler)

// WithMaxLine sets the longest line accepted, in bytes, not counting its
// line ending. n <= 0 means DefaultMaxLine.
func WithMaxLine(n int) LineOption {
	return func(h *LineHandler) {
		if n > 0 {
			h.max = n
		}
	}
}

// NewLineHandler returns a handler that calls fn for every line.
func NewLineHandler(fn LineFunc, opts ...LineOption) *LineHandler {
	h := &LineHandler{fn: fn, max: DefaultMaxLine}
	for _, o := range opts {
		o(h)
	}
	h.Core = axon.NewReactive("LineHandler", h.step,
		boxes("data: []byte or string chunks, split into lines", "the function's replies")...)
	return h
}

func (h *LineHandler) step(ctx context.Context, c *axon.Core) error {
	return dispatch(ctx, c, func(box string, msg any) error {
		if box == "control" {
			if axon.IsProducerFinished(msg) && len(h.buf) > 0 {
				if err := h.line(ctx, h.buf); err != nil {
					return finish(ctx, h, err)
				}
				h.buf = h.buf[:0]
			}
			return passControl(ctx, c, msg)
		}
		var chunk []byte
		switch m := msg.(type) {
		case []byte:
			chunk = m
		case string:
			chunk = []byte(m)
		default:
			return unexpected(ctx, h, box, msg, "[]byte or string")
		}
		if err := h.feed(ctx, chunk); err != nil {
			return finish(ctx, h, err)
		}
		return nil
	})
}

// feed handles every complete line in what has been buffered plus
// chunk, and keeps the rest.
func (h *LineHandler) feed(ctx context.Context, chunk []byte) error {
	for len(chunk) > 0 {
		i := bytes.IndexByte(chunk, '\n')
		if i < 0 {
			if len(h.buf)+len(chunk) > h.max {
				return fmt.Errorf("LineHandler %s: over %d bytes without a newline: %w", h.Name(), h.max, ErrLineTooLong)
			}
			h.buf = append(h.buf, chunk...)
			return nil
		}
		line := chunk[:i]
		if len(h.buf) > 0 {
			line = append(h.buf, line...)
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(line) > h.max {
			return fmt.Errorf("LineHandler %s: a line of %d bytes is over %d: %w", h.Name(), len(line), h.max, ErrLineTooLong)
		}
		if err := h.line(ctx, line); err != nil {
			return err
		}
		h.buf = h.buf[:0]
		chunk = chunk[i+1:]
	}
	return nil
}

func (h *LineHandler) line(ctx context.Context, line []byte) error {
	reply, err := h.fn(line)
	if err != nil {
		return fmt.Errorf("LineHandler %s: %w", h.Name(), err)
	}
	if reply != nil {
		return h.Send(ctx, "outbox", reply)
	}
	return nil
}
