package components

import (
	"encoding/binary"
	"fmt"

	"github.com/kamaelia-go/kamaelia/axon"
)

// lengthHeader is the size of a length-prefixed frame's header: the
// payload's length as a 32-bit big-endian number.
const lengthHeader = 4

// LengthFramer puts a length in front of each payload, Kamaelia's Framer
// idea in binary form: a frame is the payload's length as a 4-byte
// big-endian number, then the payload. A LengthDeframer at the other end
// gives back the payloads, whatever the stream's chunks.
//
//	inbox    in   payloads: []byte or string
//	control  in   shutdown requests, passed on out of signal; then it ends
//	outbox   out  each frame as one new []byte: header and payload
//	signal   out  the shutdown request received; or a ProducerFinished
//	              carrying an error wrapping ErrFrameTooLarge for a
//	              payload over MaxFrame; error reports
//
// Options: MaxFrame (default DefaultMaxFrame). LengthFramer is reactive.
// It is safe for concurrent use; its methods are those of axon.Core.
type LengthFramer struct {
	*axon.Core
}

// NewLengthFramer returns a LengthFramer.
func NewLengthFramer(opts ...FrameOption) *LengthFramer {
	cfg := newFrameConfig(DefaultMaxFrame, opts)
	l := &LengthFramer{}
	f := &framer{self: l, encode: func(p []byte) ([]byte, error) {
		if len(p) > cfg.max {
			return nil, fmt.Errorf("a payload of %d bytes is over %d: %w", len(p), cfg.max, ErrFrameTooLarge)
		}
		frame := make([]byte, lengthHeader, lengthHeader+len(p))
		binary.BigEndian.PutUint32(frame, uint32(len(p)))
		return append(frame, p...), nil
	}}
	l.Core = axon.NewReactive("LengthFramer", f.step, boxes("payloads", "each payload with its length in front")...)
	return l
}

// LengthDeframer takes a stream of length-prefixed frames (see
// LengthFramer) apart, Kamaelia's DeFramer idea: it sends each payload
// as one []byte.
//
//	inbox    in   []byte or string chunks of the stream
//	control  in   shutdown requests, passed on out of signal; then it
//	              ends. A producerFinished (the end of the stream) in the
//	              middle of a frame ends it with an error wrapping
//	              ErrTruncatedFrame instead
//	outbox   out  one []byte per payload (empty for a frame of length 0)
//	signal   out  the shutdown request received; or a ProducerFinished
//	              carrying the error: ErrFrameTooLarge when a header
//	              announces more than MaxFrame, ErrTruncatedFrame when the
//	              stream ends inside a frame; error reports
//
// A header that announces a frame over the maximum ends the component at
// once, before any of the frame arrives, so a peer cannot make it hold
// more than MaxFrame bytes. A payload that lies within one chunk is sent
// as a slice of it, without a copy (see LineDeframer for what that means
// for the chunks).
//
// Options: MaxFrame (default DefaultMaxFrame). LengthDeframer is
// reactive. It is safe for concurrent use; its methods are those of
// axon.Core.
type LengthDeframer struct {
	*axon.Core
}

// NewLengthDeframer returns a LengthDeframer.
func NewLengthDeframer(opts ...FrameOption) *LengthDeframer {
	cfg := newFrameConfig(DefaultMaxFrame, opts)
	l := &LengthDeframer{}
	d := newDeframer(l, &lengthDecoder{max: cfg.max})
	l.Core = axon.NewReactive("LengthDeframer", d.step,
		boxes("[]byte or string chunks of length-prefixed frames", "one []byte per payload")...)
	return l
}

type lengthDecoder struct {
	max  int
	hdr  [lengthHeader]byte
	hn   int    // header bytes collected
	body []byte // the payload being collected, when it spans chunks
	need int    // payload bytes still to come; valid when hn == lengthHeader
}

func (d *lengthDecoder) feed(chunk []byte, emit func([]byte) error) error {
	for len(chunk) > 0 {
		if d.hn < lengthHeader {
			k := copy(d.hdr[d.hn:], chunk)
			d.hn += k
			chunk = chunk[k:]
			if d.hn < lengthHeader {
				return nil
			}
			n := binary.BigEndian.Uint32(d.hdr[:])
			if uint64(n) > uint64(d.max) {
				return bad("a frame of %d bytes is over %d: %w", n, d.max, ErrFrameTooLarge)
			}
			d.need = int(n)
			if d.need == 0 {
				d.hn = 0
				if err := emit([]byte{}); err != nil {
					return err
				}
				continue
			}
			if len(chunk) >= d.need { // all here: no copy
				frame := chunk[:d.need:d.need]
				chunk = chunk[d.need:]
				d.hn = 0
				if err := emit(frame); err != nil {
					return err
				}
				continue
			}
			// Grown as it arrives: a header alone does not make the
			// deframer take MaxFrame bytes.
			d.body = make([]byte, 0, min(d.need, 32<<10))
		}
		k := min(len(chunk), d.need-len(d.body))
		d.body = append(d.body, chunk[:k]...)
		chunk = chunk[k:]
		if len(d.body) == d.need {
			frame := d.body
			d.body, d.hn = nil, 0
			if err := emit(frame); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *lengthDecoder) end(func([]byte) error) error {
	switch {
	case d.hn == 0:
		return nil
	case d.hn < lengthHeader:
		return bad("%d of a frame header's %d bytes: %w", d.hn, lengthHeader, ErrTruncatedFrame)
	}
	return bad("%d of a frame's %d bytes: %w", len(d.body), d.need, ErrTruncatedFrame)
}
