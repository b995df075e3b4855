package components_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
)

// The fuzz targets feed a deframer arbitrary bytes, cut into chunks of
// sizes cycling up to split+1, then the end of the stream, and check
// that what it sent, framed again, is exactly what it consumed: all of
// the input when it ended cleanly, or a prefix of it when it ended on an
// error its framing's rules call for. Run one with, for example,
//
//	go test -run '^$' -fuzz FuzzMarkerDeframer -fuzztime 30s ./components

const fuzzMax = 64 // small, so that too-large frames are found

// deframe runs c over data and returns the frames and the error it
// ended with (nil if it passed the end of the stream on).
func deframe(t *testing.T, c axon.Component, data []byte, split uint8) ([][]byte, error) {
	t.Helper()
	ctx := axontest.Context(t)
	h := axontest.Handle(t, c)
	axontest.Activate(t, ctx, c)
	frames := make(chan [][]byte)
	go func() { // take frames as they come: the deframer never waits long
		var got [][]byte
		for {
			m, err := h.Get(ctx, "outbox")
			if err != nil {
				frames <- got
				return
			}
			got = append(got, m.([]byte))
		}
	}()
	for i, n := 0, 1; i < len(data); n = n%(int(split)+1) + 1 {
		k := min(n, len(data)-i)
		if h.Put(ctx, "inbox", bytes.Clone(data[i:i+k])) != nil {
			break
		}
		i += k
	}
	_ = h.Put(ctx, "control", axon.ProducerFinished{})
	got := <-frames
	sig := axontest.Get(t, ctx, h, "signal")
	axontest.WaitDone(t, ctx, c)
	if _, ok := sig.(axon.ProducerFinished); !ok {
		t.Fatalf("signal = %#v", sig)
	}
	return got, axon.Cause(sig)
}

// checkPrefix checks that encoded is all of data (err nil) or a prefix of
// it (err one of allowed).
func checkPrefix(t *testing.T, data, encoded []byte, err error, allowed ...error) {
	t.Helper()
	if err == nil {
		if !bytes.Equal(encoded, data) {
			t.Fatalf("frames make %q, input was %q", encoded, data)
		}
		return
	}
	ok := false
	for _, a := range allowed {
		ok = ok || errors.Is(err, a)
	}
	if !ok {
		t.Fatalf("unexpected error %v", err)
	}
	if !bytes.HasPrefix(data, encoded) {
		t.Fatalf("frames make %q, not a prefix of the input %q", encoded, data)
	}
}

func FuzzLineDeframer(f *testing.F) {
	for _, s := range []string{"", "a\n", "a\r\nb\n", "\n\n", "no ending", "x\ry\n", "\r", "\r\n\r\n",
		string(bytes.Repeat([]byte("a"), fuzzMax)) + "\r\n", string(bytes.Repeat([]byte("a"), fuzzMax+1)) + "\n"} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		frames, err := deframe(t, components.NewLineDeframer(components.KeepLineEnding(), components.MaxFrame(fuzzMax)), data, split)
		for i, l := range frames {
			content := bytes.TrimSuffix(bytes.TrimSuffix(l, []byte("\n")), []byte("\r"))
			last := i == len(frames)-1 && err == nil && !bytes.HasSuffix(l, []byte("\n"))
			if last {
				content = l
			}
			if len(content) > fuzzMax || bytes.IndexByte(content, '\n') >= 0 || (!last && !bytes.HasSuffix(l, []byte("\n"))) {
				t.Fatalf("frame %d is not a line of at most %d bytes: %q", i, fuzzMax, l)
			}
		}
		checkPrefix(t, data, bytes.Join(frames, nil), err, components.ErrLineTooLong)
		if err != nil && !tooLongLine(data[len(bytes.Join(frames, nil)):]) {
			t.Fatalf("ErrLineTooLong for %q", data)
		}
	})
}

// tooLongLine reports whether the first line of rest is over fuzzMax.
func tooLongLine(rest []byte) bool {
	line, _, found := bytes.Cut(rest, []byte("\n"))
	if found {
		line = bytes.TrimSuffix(line, []byte("\r"))
	}
	return len(line) > fuzzMax
}

func FuzzLengthDeframer(f *testing.F) {
	hdr := func(n uint32) string { return string(binary.BigEndian.AppendUint32(nil, n)) }
	for _, s := range []string{"", hdr(0), hdr(3) + "abc", hdr(3) + "ab", hdr(1), "\x00\x00",
		hdr(fuzzMax) + string(make([]byte, fuzzMax)), hdr(fuzzMax + 1), "\xff\xff\xff\xff"} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(2))
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		frames, err := deframe(t, components.NewLengthDeframer(components.MaxFrame(fuzzMax)), data, split)
		var encoded []byte
		for _, p := range frames {
			if len(p) > fuzzMax {
				t.Fatalf("a frame of %d bytes", len(p))
			}
			encoded = binary.BigEndian.AppendUint32(encoded, uint32(len(p)))
			encoded = append(encoded, p...)
		}
		checkPrefix(t, data, encoded, err, components.ErrFrameTooLarge, components.ErrTruncatedFrame)
	})
}

func FuzzMarkerDeframer(f *testing.F) {
	for _, s := range []string{"", "~", "a~", "a}^b}]c~", "}", "}x~", "}~", "abc",
		string(bytes.Repeat([]byte("a"), fuzzMax)) + "~", string(bytes.Repeat([]byte("}^"), fuzzMax+1)) + "~"} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(4))
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		frames, err := deframe(t, components.NewMarkerDeframer(components.MaxFrame(fuzzMax)), data, split)
		var encoded []byte
		for _, p := range frames {
			if len(p) > fuzzMax {
				t.Fatalf("a frame of %d bytes", len(p))
			}
			for _, b := range p {
				if b == components.DefaultMarker || b == components.DefaultEscape {
					encoded = append(encoded, components.DefaultEscape, b^0x20)
				} else {
					encoded = append(encoded, b)
				}
			}
			encoded = append(encoded, components.DefaultMarker)
		}
		checkPrefix(t, data, encoded, err, components.ErrFrameTooLarge, components.ErrTruncatedFrame, components.ErrBadFrame)
	})
}
