package components

import (
	"bytes"
	"fmt"

	"github.com/kamaelia-go/kamaelia/axon"
)

// LineDeframer splits a byte stream into lines, Kamaelia's
// chunks_to_lines: chunks come in with their boundaries anywhere, and
// each line goes out as one []byte.
//
//	inbox    in   []byte or string chunks
//	control  in   shutdown requests, passed on out of signal; then it
//	              ends. On a producerFinished (the end of the stream) a
//	              last line without a line ending is sent first, as it is
//	outbox   out  one []byte per line: without its line ending, or with
//	              it (KeepLineEnding)
//	signal   out  the shutdown request received; or a ProducerFinished
//	              carrying an error wrapping ErrLineTooLong; error
//	              reports (axon.ErrorInformation) for messages that are
//	              not bytes
//
// A line ends at "\n"; a "\r" just before it belongs to the ending, so
// both "\n" and "\r\n" work. A line longer than the maximum (MaxFrame,
// by default DefaultMaxLine; the ending does not count) ends the
// component with an error wrapping ErrLineTooLong as soon as it is
// known to be too long, without waiting for its end: a connection wired
// to it then closes.
//
// A line that lies within one chunk is sent as a slice of that chunk,
// without a copy (its capacity ends with it, so appending to it cannot
// touch the next line). The deframer treats the chunks it is sent as its
// own, as a CSA's "outbox" gives them; lines cut from one chunk share
// its memory, so do not hand them to an adapter that recycles written
// chunks (internet.CSA.ReuseWritten).
//
// Options: MaxFrame, KeepLineEnding. LineDeframer is reactive. It is
// safe for concurrent use; its methods are those of axon.Core.
type LineDeframer struct {
	*axon.Core
}

// NewLineDeframer returns a LineDeframer.
func NewLineDeframer(opts ...FrameOption) *LineDeframer {
	cfg := newFrameConfig(DefaultMaxLine, opts)
	l := &LineDeframer{}
	d := newDeframer(l, &lineDecoder{max: cfg.max, keep: cfg.keepEnding})
	l.Core = axon.NewReactive("LineDeframer", d.step,
		boxes("[]byte or string chunks, split into lines", "one []byte per line")...)
	return l
}

type lineDecoder struct {
	max  int
	keep bool
	buf  []byte // the start of a line, copied out of earlier chunks
}

func (d *lineDecoder) feed(chunk []byte, emit func([]byte) error) error {
	for len(chunk) > 0 {
		i := bytes.IndexByte(chunk, '\n')
		if i < 0 {
			if err := d.check(len(d.buf)+len(chunk), chunk[len(chunk)-1]); err != nil {
				return err
			}
			d.buf = append(d.buf, chunk...)
			return nil
		}
		line := chunk[: i+1 : i+1]
		if len(d.buf) > 0 {
			line = append(d.buf, line...)
			d.buf = nil // the line owns that memory now
		}
		content := len(line) - 1
		if content > 0 && line[content-1] == '\r' {
			content--
		}
		if content > d.max {
			return bad("a line of %d bytes is over %d: %w", content, d.max, ErrLineTooLong)
		}
		if !d.keep {
			line = line[:content:content]
		}
		if err := emit(line); err != nil {
			return err
		}
		chunk = chunk[i+1:]
	}
	return nil
}

// check fails as soon as n bytes without a newline, the last of them
// last, cannot be a line of at most max bytes and its ending.
func (d *lineDecoder) check(n int, last byte) error {
	if n > d.max+1 || (n == d.max+1 && last != '\r') {
		return bad("over %d bytes without a newline: %w", d.max, ErrLineTooLong)
	}
	return nil
}

func (d *lineDecoder) end(emit func([]byte) error) error {
	if len(d.buf) == 0 {
		return nil
	}
	line := d.buf
	d.buf = nil
	if len(line) > d.max { // a lone "\r" after max bytes, not followed by "\n"
		return bad("a line of %d bytes is over %d: %w", len(line), d.max, ErrLineTooLong)
	}
	return emit(line)
}

// LineFramer ends each line it is given with a line ending, ready to
// write: "\n", or "\r\n" with CRLF.
//
//	inbox    in   lines without their ending: []byte or string
//	control  in   shutdown requests, passed on out of signal; then it ends
//	outbox   out  each line and its ending, as one new []byte
//	signal   out  the shutdown request received; or a ProducerFinished
//	              carrying the error for a line that cannot be sent as
//	              one (ErrBadFrame: it holds a "\n", or ends with "\r";
//	              ErrLineTooLong: it is over MaxFrame); error reports
//
// Options: MaxFrame (default DefaultMaxLine), CRLF. LineFramer is
// reactive. It is safe for concurrent use; its methods are those of
// axon.Core.
type LineFramer struct {
	*axon.Core
}

// NewLineFramer returns a LineFramer.
func NewLineFramer(opts ...FrameOption) *LineFramer {
	cfg := newFrameConfig(DefaultMaxLine, opts)
	ending := []byte("\n")
	if cfg.crlf {
		ending = []byte("\r\n")
	}
	l := &LineFramer{}
	f := &framer{self: l, encode: func(p []byte) ([]byte, error) {
		switch {
		case len(p) > cfg.max:
			return nil, fmt.Errorf("a line of %d bytes is over %d: %w", len(p), cfg.max, ErrLineTooLong)
		case bytes.IndexByte(p, '\n') >= 0:
			return nil, fmt.Errorf("a line holds a newline: %w", ErrBadFrame)
		case len(p) > 0 && p[len(p)-1] == '\r':
			return nil, fmt.Errorf("a line ends with a carriage return: %w", ErrBadFrame)
		}
		return append(append(make([]byte, 0, len(p)+len(ending)), p...), ending...), nil
	}}
	l.Core = axon.NewReactive("LineFramer", f.step, boxes("lines without their ending", "each line with its ending")...)
	return l
}
