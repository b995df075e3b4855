package components_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internet"
)

func TestEchoPassesDataThenTheRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		stop any
	}{
		{"producerFinished", axon.ProducerFinished{}},
		{"socketShutdown", internet.SocketShutdown{}},
		{"shutdownMicroprocess", axon.ShutdownMicroprocess{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := axontest.Context(t)
			e := components.NewEcho()
			h := axontest.Handle(t, e)
			axontest.Activate(t, ctx, e)
			chunks := []any{[]byte("one"), "two", []byte("three")}
			for _, c := range chunks {
				axontest.Put(t, ctx, h, "inbox", c)
			}
			axontest.Put(t, ctx, h, "control", tc.stop)
			for _, want := range chunks {
				if got := axontest.Get(t, ctx, h, "outbox"); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("outbox = %v, want %v", got, want)
				}
			}
			if got := axontest.Get(t, ctx, h, "signal"); got != tc.stop {
				t.Fatalf("signal = %#v, want %#v", got, tc.stop)
			}
			axontest.WaitDone(t, ctx, e)
		})
	}
}

func TestLineHandlerJoinsChunksIntoLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		chunks []string
		want   []string
	}{
		{"one chunk", []string{"a\nb\n"}, []string{"a", "b"}},
		{"split lines", []string{"he", "llo\nwor", "ld\n"}, []string{"hello", "world"}},
		{"crlf", []string{"a\r\nb\r", "\n"}, []string{"a", "b"}},
		{"empty lines", []string{"\n\nx\n"}, []string{"", "", "x"}},
		{"last line without newline", []string{"a\nrest"}, []string{"a", "rest"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := axontest.Context(t)
			var seen []string
			lh := components.NewLineHandler(func(line []byte) ([]byte, error) {
				seen = append(seen, string(line))
				return append([]byte(strings.ToUpper(string(line))), '\n'), nil
			})
			h := axontest.Handle(t, lh)
			axontest.Activate(t, ctx, lh)
			for _, c := range tc.chunks {
				axontest.Put(t, ctx, h, "inbox", []byte(c))
			}
			axontest.Put(t, ctx, h, "control", axon.ProducerFinished{})
			var out bytes.Buffer
			for range tc.want {
				out.Write(axontest.Get(t, ctx, h, "outbox").([]byte))
			}
			if m := axontest.Get(t, ctx, h, "signal"); !axon.IsProducerFinished(m) {
				t.Fatalf("signal = %v, want producerFinished", m)
			}
			axontest.WaitDone(t, ctx, lh)
			if strings.Join(seen, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("lines = %q, want %q", seen, tc.want)
			}
			if want := strings.ToUpper(strings.Join(tc.want, "\n")) + "\n"; out.String() != want {
				t.Fatalf("replies = %q, want %q", out.String(), want)
			}
		})
	}
}

func TestLineHandlerBoundsLineLength(t *testing.T) {
	t.Parallel()
	ctx := axontest.Context(t)
	lh := components.NewLineHandler(func([]byte) ([]byte, error) { return nil, nil }, components.WithMaxLine(8))
	h := axontest.Handle(t, lh)
	axontest.Activate(t, ctx, lh)
	axontest.Put(t, ctx, h, "inbox", []byte("0123"))
	axontest.Put(t, ctx, h, "inbox", []byte("456789"))
	m := axontest.Get(t, ctx, h, "signal")
	if !errors.Is(axon.Cause(m), components.ErrLineTooLong) {
		t.Fatalf("signal = %v, want ErrLineTooLong", m)
	}
	axontest.WaitDone(t, ctx, lh)
}

func TestLineHandlerReportsBadMessagesAndCarriesOn(t *testing.T) {
	t.Parallel()
	ctx := axontest.Context(t)
	lh := components.NewLineHandler(func(l []byte) ([]byte, error) { return l, nil })
	h := axontest.Handle(t, lh)
	axontest.Activate(t, ctx, lh)
	axontest.Put(t, ctx, h, "inbox", 42)
	if m, ok := axontest.Get(t, ctx, h, "signal").(axon.ErrorInformation); !ok || !errors.Is(m.Err, components.ErrUnexpectedMessage) {
		t.Fatalf("signal = %v, want ErrorInformation", m)
	}
	axontest.Put(t, ctx, h, "inbox", "ok\n")
	if got := axontest.Get(t, ctx, h, "outbox"); string(got.([]byte)) != "ok" {
		t.Fatalf("outbox = %q", got)
	}
	axontest.Put(t, ctx, h, "control", axon.ShutdownMicroprocess{})
	axontest.WaitDone(t, ctx, lh)
}
