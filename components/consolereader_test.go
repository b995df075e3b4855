package components_test

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
)

// inputs are the ways a test feeds a ConsoleReader: all at once, or
// through a pipe a few bytes at a time.
var inputs = []struct {
	name string
	open func(t *testing.T, s string) io.Reader
}{
	{"strings.Reader", func(t *testing.T, s string) io.Reader { return strings.NewReader(s) }},
	{"io.Pipe", func(t *testing.T, s string) io.Reader {
		pr, pw := io.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			for len(s) > 0 {
				n := min(3, len(s))
				if _, err := pw.Write([]byte(s[:n])); err != nil {
					return
				}
				s = s[n:]
			}
			pw.Close()
		}()
		t.Cleanup(func() { pr.Close(); <-done })
		return pr
	}},
}

func TestConsoleReaderDeliversEveryLineThenFinishes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
		opts  []components.ConsoleReaderOption
		want  []string
	}{
		{"lines", "hello\nworld\n", nil, []string{"hello\n", "world\n"}},
		{"last line without newline", "hello\nworld", nil, []string{"hello\n", "world\n"}},
		{"CRLF line ends", "hello\r\nworld\r\n", nil, []string{"hello\n", "world\n"}},
		{"blank lines", "\n\n", nil, []string{"\n", "\n"}},
		{"no input", "", nil, nil},
		{"no eol", "a\nb\n", []components.ConsoleReaderOption{components.WithEOL("")}, []string{"a", "b"}},
		{"other eol", "a\nb", []components.ConsoleReaderOption{components.WithEOL("\r\n")}, []string{"a\r\n", "b\r\n"}},
		{"many lines", strings.Repeat("line\n", 500), nil, slices.Repeat([]string{"line\n"}, 500)},
	}
	for _, in := range inputs {
		for _, tt := range tests {
			t.Run(in.name+"/"+tt.name, func(t *testing.T) {
				ctx := axontest.Context(t)
				opts := append([]components.ConsoleReaderOption{components.WithInput(in.open(t, tt.input)), components.WithPrompt("")}, tt.opts...)
				r := components.NewConsoleReader(opts...)
				rec := record(t, ctx, r)
				axontest.Activate(t, ctx, r)
				got, sig := rec.data(t, ctx)
				want := make([]any, len(tt.want))
				for i, s := range tt.want {
					want[i] = s
				}
				if !slices.Equal(got, want) {
					t.Fatalf("lines = %q, want %q", got, want)
				}
				finished(t, sig, r)
				axontest.WaitDone(t, ctx, r)
				if err := r.Err(); err != nil {
					t.Fatalf("Err = %v", err)
				}
			})
		}
	}
}

func TestConsoleReaderPrompt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opts   []components.ConsoleReaderOption
		prompt string // written before each of the three reads
	}{
		{"custom", []components.ConsoleReaderOption{components.WithPrompt("? ")}, "? "},
		{"none", []components.ConsoleReaderOption{components.WithPrompt("")}, ""},
		{"default", nil, ">>> "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := axontest.Context(t)
			var out strings.Builder
			opts := append([]components.ConsoleReaderOption{components.WithInput(strings.NewReader("a\nb\n")), components.WithPromptOutput(&out)}, tt.opts...)
			r := components.NewConsoleReader(opts...)
			rec := record(t, ctx, r)
			axontest.Activate(t, ctx, r)
			rec.data(t, ctx)
			axontest.WaitDone(t, ctx, r)
			if want := strings.Repeat(tt.prompt, 3); out.String() != want {
				t.Fatalf("prompt output %q, want %q", out.String(), want)
			}
		})
	}
}

func TestConsoleReaderReadError(t *testing.T) {
	t.Parallel()
	ctx := axontest.Context(t)
	boom := errors.New("terminal gone")
	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write([]byte("last words\n"))
		pw.CloseWithError(boom)
	}()
	r := components.NewConsoleReader(components.WithInput(pr), components.WithPrompt(""))
	rec := record(t, ctx, r)
	axontest.Activate(t, ctx, r)
	got, sig := rec.data(t, ctx)
	if !slices.Equal(got, []any{"last words\n"}) {
		t.Fatalf("lines = %q", got)
	}
	pf, ok := sig.(axon.ProducerFinished)
	if !ok || pf.Caller != r || !errors.Is(pf.Err, boom) || !strings.Contains(pf.Err.Error(), r.Name()) {
		t.Fatalf("signal got %#v, want ProducerFinished carrying the read error and naming the reader", sig)
	}
	axontest.WaitDone(t, ctx, r)
	if !errors.Is(r.Err(), boom) {
		t.Fatalf("Err = %v", r.Err())
	}
}

// A read that never returns does not keep a stopped reader alive.
func TestConsoleReaderStopsDuringBlockedRead(t *testing.T) {
	t.Parallel()
	stop := axon.ShutdownMicroprocess{Message: "enough"}
	tests := []struct {
		name    string
		stop    func(r *components.ConsoleReader) error
		wantErr error
		wantSig any
	}{
		{"Stop", func(r *components.ConsoleReader) error { r.Stop(); return nil }, context.Canceled, nil},
		{"shutdown on control", func(r *components.ConsoleReader) error {
			return r.Inbox("control").Put(context.Background(), stop)
		}, nil, stop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := axontest.Context(t)
				pr, pw := io.Pipe()
				r := components.NewConsoleReader(components.WithInput(pr), components.WithPrompt(""))
				rec := record(t, ctx, r)
				axontest.Activate(t, ctx, r)
				synctest.Wait() // the helper is blocked reading the pipe
				if err := tt.stop(r); err != nil {
					t.Fatal(err)
				}
				synctest.Wait()
				select {
				case <-r.Done():
				default:
					t.Fatal("reader still running while its read is blocked")
				}
				if err := r.Err(); !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
					t.Fatalf("Err = %v, want %v", err, tt.wantErr)
				}
				// The blocked read finishes later; its line goes nowhere
				// and the helper goroutine exits.
				if _, err := pw.Write([]byte("too late\n")); err != nil {
					t.Fatal(err)
				}
				pw.Close()
				synctest.Wait()
				var got []any
				for len(rec.got) > 0 {
					got = append(got, (<-rec.got).msg)
				}
				want := []any{}
				if tt.wantSig != nil {
					want = append(want, tt.wantSig)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("reader sent %v, want %v", got, want)
				}
			})
		})
	}
}

// The reader reads a line only once the previous one has been sent, so a
// consumer that does not keep up holds it back.
func TestConsoleReaderWaitsForItsConsumer(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx := axontest.Context(t)
		var prompts strings.Builder
		r := components.NewConsoleReader(components.WithInput(strings.NewReader(strings.Repeat("x\n", 100))),
			components.WithPrompt("."), components.WithPromptOutput(&prompts))
		sink := axon.New("sink", nil) // never started: nothing takes its messages
		if _, err := axon.Link(axon.Out(r, "outbox"), axon.In(sink, "inbox"), axon.Width(axon.Limit{Messages: 1})); err != nil {
			t.Fatal(err)
		}
		axontest.Activate(t, ctx, r)
		synctest.Wait()
		// One line queued in the sink, one waiting to be sent.
		if n := len(prompts.String()); n != 2 {
			t.Fatalf("%d lines read for a consumer that took none; want 2", n)
		}
		r.Stop()
		<-r.Done()
	})
}
