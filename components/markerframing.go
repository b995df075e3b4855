package components

import (
	"bytes"
	"fmt"

	"github.com/kamaelia-go/kamaelia/axon"
)

// The marker framing's default bytes, those of PPP's HDLC-like framing
// (RFC 1662): a frame ends with DefaultMarker, and DefaultEscape
// introduces an escaped byte.
const (
	DefaultMarker = 0x7e
	DefaultEscape = 0x7d
)

// escapeXOR is what an escaped byte is XORed with.
const escapeXOR = 0x20

// Marker sets the marker byte that ends each frame and the escape byte
// of a MarkerFramer or MarkerDeframer. Inside a frame, a marker or
// escape byte b is sent as escape, b^0x20. It panics if the two bytes
// are equal or if one is the other XOR 0x20, which would make escaped
// bytes ambiguous: that is a mistake in the program, not in its input.
func Marker(marker, escape byte) FrameOption {
	if marker == escape || marker^escapeXOR == escape {
		panic(fmt.Sprintf("components: Marker(%#x, %#x): the bytes must differ, and not by 0x20 alone", marker, escape))
	}
	return func(c *frameConfig) { c.marker, c.escape = marker, escape }
}

// MarkerFramer ends each payload with a marker byte, escaping marker and
// escape bytes inside it, so that a MarkerDeframer can find the frames
// in a stream: Kamaelia's DataChunker idea, with PPP's byte stuffing
// (RFC 1662) instead of a long sync string. A frame is the payload with
// each marker or escape byte b replaced by escape, b^0x20, then the
// marker.
//
//	inbox    in   payloads: []byte or string
//	control  in   shutdown requests, passed on out of signal; then it ends
//	outbox   out  each frame as one new []byte
//	signal   out  the shutdown request received; or a ProducerFinished
//	              carrying an error wrapping ErrFrameTooLarge for a
//	              payload over MaxFrame; error reports
//
// Options: Marker (default DefaultMarker, DefaultEscape), MaxFrame
// (default DefaultMaxFrame). MarkerFramer is reactive. It is safe for
// concurrent use; its methods are those of axon.Core.
type MarkerFramer struct {
	*axon.Core
}

// NewMarkerFramer returns a MarkerFramer.
func NewMarkerFramer(opts ...FrameOption) *MarkerFramer {
	cfg := newFrameConfig(DefaultMaxFrame, opts)
	m := &MarkerFramer{}
	special := []byte{cfg.marker, cfg.escape}
	f := &framer{self: m, encode: func(p []byte) ([]byte, error) {
		if len(p) > cfg.max {
			return nil, fmt.Errorf("a payload of %d bytes is over %d: %w", len(p), cfg.max, ErrFrameTooLarge)
		}
		frame := make([]byte, 0, len(p)+len(p)/64+2)
		for len(p) > 0 {
			i := bytes.IndexAny(p, string(special))
			if i < 0 {
				frame = append(frame, p...)
				break
			}
			frame = append(frame, p[:i]...)
			frame = append(frame, cfg.escape, p[i]^escapeXOR)
			p = p[i+1:]
		}
		return append(frame, cfg.marker), nil
	}}
	m.Core = axon.NewReactive("MarkerFramer", f.step, boxes("payloads", "each payload, escaped, with a marker after it")...)
	return m
}

// MarkerDeframer finds the frames a MarkerFramer makes in a byte stream
// and sends each payload, unescaped, as one []byte: Kamaelia's
// DataDeChunker idea. A frame is complete when its marker arrives, so
// unlike Kamaelia's it needs no flush for the last one.
//
//	inbox    in   []byte or string chunks of the stream
//	control  in   shutdown requests, passed on out of signal; then it
//	              ends. A producerFinished (the end of the stream) after
//	              bytes of an unfinished frame ends it with an error
//	              wrapping ErrTruncatedFrame instead
//	outbox   out  one []byte per payload (empty for a lone marker)
//	signal   out  the shutdown request received; or a ProducerFinished
//	              carrying the error: ErrBadFrame for an escape byte that
//	              is not followed by an escaped marker or escape byte,
//	              ErrFrameTooLarge for a payload over MaxFrame,
//	              ErrTruncatedFrame; error reports
//
// A payload with no escapes that lies within one chunk is sent as a
// slice of it, without a copy (see LineDeframer for what that means for
// the chunks).
//
// Options: Marker (default DefaultMarker, DefaultEscape), MaxFrame
// (default DefaultMaxFrame). MarkerDeframer is reactive. It is safe for
// concurrent use; its methods are those of axon.Core.
type MarkerDeframer struct {
	*axon.Core
}

// NewMarkerDeframer returns a MarkerDeframer.
func NewMarkerDeframer(opts ...FrameOption) *MarkerDeframer {
	cfg := newFrameConfig(DefaultMaxFrame, opts)
	m := &MarkerDeframer{}
	d := newDeframer(m, &markerDecoder{max: cfg.max, marker: cfg.marker, escape: cfg.escape})
	m.Core = axon.NewReactive("MarkerDeframer", d.step,
		boxes("[]byte or string chunks of marker-framed data", "one []byte per payload")...)
	return m
}

type markerDecoder struct {
	max            int
	marker, escape byte
	buf            []byte // the payload so far, unescaped, when it spans chunks or holds escapes
	inFrame        bool   // bytes of a frame have arrived (buf may still be empty)
	escaped        bool   // the last byte was the escape byte
}

func (d *markerDecoder) feed(chunk []byte, emit func([]byte) error) error {
	for len(chunk) > 0 {
		end := bytes.IndexByte(chunk, d.marker)
		seg := chunk
		if end >= 0 {
			seg = chunk[:end]
		}
		if !d.inFrame && !d.escaped && end >= 0 && bytes.IndexByte(seg, d.escape) < 0 {
			// A whole frame without escapes: no copy.
			if len(seg) > d.max {
				return bad("a frame of %d bytes is over %d: %w", len(seg), d.max, ErrFrameTooLarge)
			}
			if err := emit(seg[:len(seg):len(seg)]); err != nil {
				return err
			}
			chunk = chunk[end+1:]
			continue
		}
		if err := d.unescape(seg); err != nil {
			return err
		}
		if end < 0 {
			return nil
		}
		if d.escaped {
			return bad("an escape byte %#x before the marker: %w", d.escape, ErrBadFrame)
		}
		frame := d.buf
		if frame == nil {
			frame = []byte{}
		}
		d.buf, d.inFrame = nil, false
		if err := emit(frame); err != nil {
			return err
		}
		chunk = chunk[end+1:]
	}
	return nil
}

// unescape appends seg, which holds no marker, to the frame being
// collected.
func (d *markerDecoder) unescape(seg []byte) error {
	if len(seg) > 0 {
		d.inFrame = true
	}
	for _, b := range seg {
		switch {
		case d.escaped:
			b ^= escapeXOR
			if b != d.marker && b != d.escape {
				return bad("an escape byte %#x before %#x: %w", d.escape, b^escapeXOR, ErrBadFrame)
			}
			d.escaped = false
		case b == d.escape:
			d.escaped = true
			continue
		}
		if len(d.buf) >= d.max {
			return bad("over %d bytes without a marker: %w", d.max, ErrFrameTooLarge)
		}
		d.buf = append(d.buf, b)
	}
	return nil
}

func (d *markerDecoder) end(func([]byte) error) error {
	if d.inFrame {
		return bad("%d bytes of a frame without its marker: %w", len(d.buf), ErrTruncatedFrame)
	}
	return nil
}
