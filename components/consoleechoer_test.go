package components_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
)

type point struct{ X, Y int }

func TestConsoleEchoerWritesRawText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []components.ConsoleEchoerOption
		msgs []any
		want string
	}{
		{"bytes are raw", nil, []any{[]byte("GET / HTTP/1.0\r\n")}, "GET / HTTP/1.0\r\n"},
		{"strings are raw", nil, []any{"hello\n", "world\n"}, "hello\nworld\n"},
		{"no separator added", nil, []any{"a", []byte("b"), "c"}, "abc"},
		{"others use %v", nil, []any{42, point{1, 2}, errors.New("oops"), nil}, "42{1 2}oops<nil>"},
		{"tag before each", []components.ConsoleEchoerOption{components.WithTag("> ")}, []any{"a\n", []byte("b\n"), 3},
			"> a\n> b\n> 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := axontest.Context(t)
			var out strings.Builder
			e := components.NewConsoleEchoer(append(tt.opts, components.WithOutput(&out))...)
			h := axontest.Handle(t, e)
			axontest.Activate(t, ctx, e)
			for _, m := range tt.msgs {
				axontest.Put(t, ctx, h, "inbox", m)
			}
			axontest.Put(t, ctx, h, "control", axon.ProducerFinished{})
			axontest.WaitDone(t, ctx, e)
			if out.String() != tt.want {
				t.Fatalf("wrote %q, want %q", out.String(), tt.want)
			}
			if _, ok := h.TryGet("outbox"); ok {
				t.Fatal("not a forwarder, but sent on outbox")
			}
		})
	}
}

// Everything that arrived before the shutdown request is written; what
// came after is not.
func TestConsoleEchoerWritesEverythingBeforeShutdown(t *testing.T) {
	t.Parallel()
	ctx := axontest.Context(t)
	var out strings.Builder
	e := components.NewConsoleEchoer(components.WithOutput(&out))
	stop := axon.ShutdownMicroprocess{Message: "now"}
	puts := []arrival{{"inbox", "a"}, {"inbox", "b"}, {"control", stop}, {"inbox", "after"}}
	for _, p := range puts {
		putIn(t, ctx, e, p.box, p.msg)
	}
	rec := record(t, ctx, e)
	axontest.Activate(t, ctx, e)
	if _, sig := rec.data(t, ctx); sig != stop {
		t.Fatalf("signal got %#v, want %#v", sig, stop)
	}
	axontest.WaitDone(t, ctx, e)
	if out.String() != "ab" {
		t.Fatalf("wrote %q, want %q", out.String(), "ab")
	}
	if err := e.Err(); err != nil {
		t.Fatalf("Err = %v", err)
	}
}

func TestConsoleEchoerForwarder(t *testing.T) {
	t.Parallel()
	ctx := axontest.Context(t)
	var out strings.Builder
	e := components.NewConsoleEchoer(components.WithOutput(&out), components.Forwarder())
	rec := record(t, ctx, e)
	axontest.Activate(t, ctx, e)
	msgs := []any{"one", 2, point{3, 4}}
	for _, m := range msgs {
		putIn(t, ctx, e, "inbox", m)
	}
	putIn(t, ctx, e, "control", axon.ProducerFinished{})
	got, _ := rec.data(t, ctx)
	if !slices.Equal(got, msgs) {
		t.Fatalf("forwarded %v, want %v", got, msgs)
	}
	axontest.WaitDone(t, ctx, e)
	if out.String() != "one2{3 4}" {
		t.Fatalf("wrote %q", out.String())
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestConsoleEchoerWriteError(t *testing.T) {
	t.Parallel()
	ctx := axontest.Context(t)
	broken := errors.New("broken pipe")
	e := components.NewConsoleEchoer(components.WithOutput(failingWriter{broken}))
	rec := record(t, ctx, e)
	axontest.Activate(t, ctx, e)
	putIn(t, ctx, e, "inbox", "lost")
	_, sig := rec.data(t, ctx)
	pf, ok := sig.(axon.ProducerFinished)
	if !ok || pf.Caller != e || !errors.Is(pf.Err, broken) {
		t.Fatalf("signal got %#v, want ProducerFinished carrying the write error", sig)
	}
	axontest.WaitDone(t, ctx, e)
	if err := e.Err(); !errors.Is(err, broken) || !strings.Contains(err.Error(), e.Name()) {
		t.Fatalf("Err = %v, want the write error naming %s", err, e.Name())
	}
}
