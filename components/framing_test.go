package components_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
)

// run feeds chunks and then stop to c's inbox and control, and returns
// what came out of outbox (as strings) and the first message on signal
// that is not an error report. It waits for c to end.
func run(t *testing.T, ctx context.Context, c axon.Component, chunks []string, stop any) ([]string, any) {
	t.Helper()
	h := axontest.Handle(t, c)
	axontest.Activate(t, ctx, c)
	for _, ch := range chunks {
		if err := h.Put(ctx, "inbox", []byte(ch)); err != nil {
			break // it may have ended on bad input
		}
	}
	_ = h.Put(ctx, "control", stop)
	var out []string
	for {
		m, err := h.Get(ctx, "outbox")
		if err != nil {
			break
		}
		out = append(out, string(m.([]byte)))
	}
	for {
		m := axontest.Get(t, ctx, h, "signal")
		if _, report := m.(axon.ErrorInformation); !report {
			axontest.WaitDone(t, ctx, c)
			return out, m
		}
	}
}

// bytewise splits s into one-byte chunks.
func bytewise(s string) []string { return strings.Split(s, "") }

type frameCase struct {
	name    string
	make    func() axon.Component
	chunks  []string
	stop    any
	want    []string
	wantErr error // nil: the stop message passed on
}

func (tc frameCase) check(t *testing.T) {
	t.Helper()
	ctx := axontest.Context(t)
	stop := tc.stop
	if stop == nil {
		stop = axon.ProducerFinished{}
	}
	c := tc.make()
	got, sig := run(t, ctx, c, tc.chunks, stop)
	if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
		t.Errorf("frames = %q, want %q", got, tc.want)
	}
	if tc.wantErr == nil {
		if sig != stop {
			t.Errorf("signal = %#v, want %#v", sig, stop)
		}
		return
	}
	err := axon.Cause(sig)
	if !axon.IsProducerFinished(sig) || !errors.Is(err, tc.wantErr) {
		t.Fatalf("signal = %#v, want a ProducerFinished with %v", sig, tc.wantErr)
	}
	if !strings.Contains(err.Error(), c.Name()) {
		t.Errorf("error %q does not name %s", err, c.Name())
	}
	if !errors.Is(axon.CoreOf(c).Err(), tc.wantErr) {
		t.Errorf("Err = %v", axon.CoreOf(c).Err())
	}
}

func TestLineDeframer(t *testing.T) {
	t.Parallel()
	lines := func(opts ...components.FrameOption) func() axon.Component {
		return func() axon.Component { return components.NewLineDeframer(opts...) }
	}
	max8 := components.MaxFrame(8)
	for _, tc := range []frameCase{
		{name: "one chunk", make: lines(), chunks: []string{"a\nb\n"}, want: []string{"a", "b"}},
		{name: "split everywhere", make: lines(), chunks: bytewise("hello\r\nworld\n"), want: []string{"hello", "world"}},
		{name: "crlf and lf", make: lines(), chunks: []string{"a\r\nb\r", "\nc\n"}, want: []string{"a", "b", "c"}},
		{name: "empty lines", make: lines(), chunks: []string{"\n\r\n\nx\n"}, want: []string{"", "", "", "x"}},
		{name: "cr inside a line", make: lines(), chunks: []string{"a\rb\n"}, want: []string{"a\rb"}},
		{name: "last line without an ending", make: lines(), chunks: []string{"a\nre", "st"}, want: []string{"a", "rest"}},
		{name: "kept endings", make: lines(components.KeepLineEnding()), chunks: bytewise("a\r\nb\nc"), want: []string{"a\r\n", "b\n", "c"}},
		{name: "shutdownMicroprocess drops the partial line", make: lines(), chunks: []string{"a\npart"},
			stop: axon.ShutdownMicroprocess{}, want: []string{"a"}},
		{name: "exactly the maximum", make: lines(max8), chunks: bytewise("12345678\r\n12345678\n"), want: []string{"12345678", "12345678"}},
		{name: "too long, one chunk", make: lines(max8), chunks: []string{"ok\n123456789\n"}, want: []string{"ok"}, wantErr: components.ErrLineTooLong},
		{name: "too long, no newline yet", make: lines(max8), chunks: []string{"1234", "56789"}, wantErr: components.ErrLineTooLong},
		{name: "too long, split", make: lines(max8), chunks: bytewise("123456789"), wantErr: components.ErrLineTooLong},
		{name: "too long with a cr", make: lines(max8), chunks: bytewise("123456789\r\n"), wantErr: components.ErrLineTooLong},
		{name: "a cr past the maximum at the end", make: lines(max8), chunks: []string{"12345678\r"}, wantErr: components.ErrLineTooLong},
	} {
		t.Run(tc.name, tc.check)
	}
}

func TestLineFramer(t *testing.T) {
	t.Parallel()
	lines := func(opts ...components.FrameOption) func() axon.Component {
		return func() axon.Component { return components.NewLineFramer(opts...) }
	}
	for _, tc := range []frameCase{
		{name: "lf", make: lines(), chunks: []string{"a", "", "b c"}, want: []string{"a\n", "\n", "b c\n"}},
		{name: "crlf", make: lines(components.CRLF()), chunks: []string{"a", "b"}, want: []string{"a\r\n", "b\r\n"}},
		{name: "a newline inside", make: lines(), chunks: []string{"ok", "a\nb"}, want: []string{"ok\n"}, wantErr: components.ErrBadFrame},
		{name: "a trailing cr", make: lines(), chunks: []string{"a\r"}, wantErr: components.ErrBadFrame},
		{name: "too long", make: lines(components.MaxFrame(2)), chunks: []string{"ab", "abc"}, want: []string{"ab\n"}, wantErr: components.ErrLineTooLong},
	} {
		t.Run(tc.name, tc.check)
	}
}

// frame is a length-prefixed frame, built by hand.
func frame(p string) string {
	n := len(p)
	return string([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}) + p
}

func TestLengthDeframer(t *testing.T) {
	t.Parallel()
	frames := func(opts ...components.FrameOption) func() axon.Component {
		return func() axon.Component { return components.NewLengthDeframer(opts...) }
	}
	stream := frame("hello") + frame("") + frame("world")
	for _, tc := range []frameCase{
		{name: "one chunk", make: frames(), chunks: []string{stream}, want: []string{"hello", "", "world"}},
		{name: "split everywhere", make: frames(), chunks: bytewise(stream), want: []string{"hello", "", "world"}},
		{name: "header split from body", make: frames(), chunks: []string{frame("abc")[:4], "abc"}, want: []string{"abc"}},
		{name: "exactly the maximum", make: frames(components.MaxFrame(5)), chunks: []string{stream}, want: []string{"hello", "", "world"}},
		{name: "too large, before its body", make: frames(components.MaxFrame(4)), chunks: []string{frame("abcd") + frame("abcde")[:4]},
			want: []string{"abcd"}, wantErr: components.ErrFrameTooLarge},
		{name: "huge header", make: frames(), chunks: []string{"\xff\xff\xff\xff"}, wantErr: components.ErrFrameTooLarge},
		{name: "ends inside a header", make: frames(), chunks: []string{frame("a") + "\x00\x00"}, want: []string{"a"}, wantErr: components.ErrTruncatedFrame},
		{name: "ends inside a body", make: frames(), chunks: []string{frame("hello")[:7]}, wantErr: components.ErrTruncatedFrame},
	} {
		t.Run(tc.name, tc.check)
	}
}

func TestLengthFramer(t *testing.T) {
	t.Parallel()
	for _, tc := range []frameCase{
		{name: "frames", make: func() axon.Component { return components.NewLengthFramer() },
			chunks: []string{"hello", ""}, want: []string{frame("hello"), frame("")}},
		{name: "too large", make: func() axon.Component { return components.NewLengthFramer(components.MaxFrame(3)) },
			chunks: []string{"abc", "abcd"}, want: []string{frame("abc")}, wantErr: components.ErrFrameTooLarge},
	} {
		t.Run(tc.name, tc.check)
	}
}

func TestMarkerDeframer(t *testing.T) {
	t.Parallel()
	frames := func(opts ...components.FrameOption) func() axon.Component {
		return func() axon.Component { return components.NewMarkerDeframer(opts...) }
	}
	// "a~b}c" escaped: ~ is 0x7e, } is 0x7d.
	stream := "plain~a}^b}]c~~"
	want := []string{"plain", "a~b}c", ""}
	for _, tc := range []frameCase{
		{name: "one chunk", make: frames(), chunks: []string{stream}, want: want},
		{name: "split everywhere", make: frames(), chunks: bytewise(stream), want: want},
		{name: "other bytes", make: frames(components.Marker('\n', '\\')), chunks: []string{"a\\|b\n\\*"}, want: []string{"a\\b"}, wantErr: components.ErrTruncatedFrame},
		{name: "bad escape", make: frames(), chunks: []string{"ok~a}xb~"}, want: []string{"ok"}, wantErr: components.ErrBadFrame},
		{name: "escape before marker", make: frames(), chunks: []string{"a}", "~"}, wantErr: components.ErrBadFrame},
		{name: "exactly the maximum", make: frames(components.MaxFrame(3)), chunks: bytewise("abc~a}^c~"), want: []string{"abc", "a~c"}},
		{name: "too large", make: frames(components.MaxFrame(3)), chunks: []string{"abcd~"}, wantErr: components.ErrFrameTooLarge},
		{name: "too large, split", make: frames(components.MaxFrame(3)), chunks: bytewise("abcd"), wantErr: components.ErrFrameTooLarge},
		{name: "ends inside a frame", make: frames(), chunks: []string{"a~b"}, want: []string{"a"}, wantErr: components.ErrTruncatedFrame},
		{name: "ends after an escape", make: frames(), chunks: []string{"}"}, wantErr: components.ErrTruncatedFrame},
	} {
		t.Run(tc.name, tc.check)
	}
}

func TestMarkerFramer(t *testing.T) {
	t.Parallel()
	for _, tc := range []frameCase{
		{name: "escapes", make: func() axon.Component { return components.NewMarkerFramer() },
			chunks: []string{"plain", "a~b}c", ""}, want: []string{"plain~", "a}^b}]c~", "~"}},
		{name: "too large", make: func() axon.Component { return components.NewMarkerFramer(components.MaxFrame(1)) },
			chunks: []string{"~", "ab"}, want: []string{"}^~"}, wantErr: components.ErrFrameTooLarge},
	} {
		t.Run(tc.name, tc.check)
	}
}

func TestMarkerRejectsAmbiguousBytes(t *testing.T) {
	t.Parallel()
	for _, pair := range [][2]byte{{'~', '~'}, {0x7e, 0x5e}, {0x5d, 0x7d}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Marker(%#x, %#x) did not panic", pair[0], pair[1])
				}
			}()
			components.Marker(pair[0], pair[1])
		}()
	}
}

// Every deframer reports a message that is not bytes, and carries on.
func TestDeframersReportBadMessages(t *testing.T) {
	t.Parallel()
	for _, c := range []axon.Component{
		components.NewLineDeframer(), components.NewLengthDeframer(), components.NewMarkerDeframer(),
		components.NewLineFramer(), components.NewLengthFramer(), components.NewMarkerFramer(),
	} {
		t.Run(c.Name(), func(t *testing.T) {
			ctx := axontest.Context(t)
			h := axontest.Handle(t, c)
			axontest.Activate(t, ctx, c)
			axontest.Put(t, ctx, h, "inbox", 42)
			m, ok := axontest.Get(t, ctx, h, "signal").(axon.ErrorInformation)
			if !ok || !errors.Is(m.Err, components.ErrUnexpectedMessage) {
				t.Fatalf("signal = %#v, want ErrorInformation", m)
			}
			axontest.Put(t, ctx, h, "control", axon.ShutdownMicroprocess{})
			axontest.WaitDone(t, ctx, c)
			if err := axon.CoreOf(c).Err(); err != nil {
				t.Fatalf("Err = %v", err)
			}
		})
	}
}
