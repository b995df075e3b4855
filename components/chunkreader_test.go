package components_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
)

// TestChunkReaderIsByteTransparent: whatever the input, the chunks
// joined are the input, byte for byte, and none is over MaxChunk.
func TestChunkReaderIsByteTransparent(t *testing.T) {
	t.Parallel()
	binary := make([]byte, 3000)
	for i := range binary {
		binary[i] = byte(i * 7)
	}
	tests := []struct {
		name  string
		input string
	}{
		{"CRLF line ends", "hello\r\nworld\r\n"},
		{"no trailing newline", "hello\nworld"},
		{"binary data", string(binary)},
		{"a line longer than a chunk", strings.Repeat("x", 5000)},
		{"lone carriage returns", "a\rb\r"},
		{"no input", ""},
	}
	for _, in := range inputs {
		for _, tt := range tests {
			t.Run(in.name+"/"+tt.name, func(t *testing.T) {
				ctx := axontest.Context(t)
				r := components.NewChunkReader(in.open(t, tt.input), components.MaxChunk(1024))
				rec := record(t, ctx, r)
				axontest.Activate(t, ctx, r)
				got, sig := rec.data(t, ctx)
				var joined []byte
				for _, m := range got {
					b, ok := m.([]byte)
					if !ok || len(b) == 0 || len(b) > 1024 {
						t.Fatalf("chunk %#v: want 1 to 1024 bytes", m)
					}
					joined = append(joined, b...)
				}
				if !bytes.Equal(joined, []byte(tt.input)) {
					t.Fatalf("read %q, want %q", joined, tt.input)
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

// TestChunkReaderChunksAreTheirOwn: a chunk is not overwritten by later
// reads, so a receiver may keep it.
func TestChunkReaderChunksAreTheirOwn(t *testing.T) {
	t.Parallel()
	ctx := axontest.Context(t)
	input := strings.Repeat("a", 1024) + strings.Repeat("b", 1024) + "c"
	r := components.NewChunkReader(readsOfAtMost(1024, input), components.MaxChunk(1024))
	rec := record(t, ctx, r)
	axontest.Activate(t, ctx, r)
	got, _ := rec.data(t, ctx)
	if len(got) != 3 || string(got[0].([]byte)) != strings.Repeat("a", 1024) || string(got[1].([]byte)) != strings.Repeat("b", 1024) {
		t.Fatalf("chunks changed after they were sent: %d chunks, first %.8q...", len(got), got[0])
	}
}

// readsOfAtMost returns a reader of s whose reads return at most n
// bytes each.
func readsOfAtMost(n int, s string) io.Reader {
	return &limitedReads{r: strings.NewReader(s), n: n}
}

type limitedReads struct {
	r io.Reader
	n int
}

func (l *limitedReads) Read(p []byte) (int, error) { return l.r.Read(p[:min(len(p), l.n)]) }

// TestChunkReaderIsBounded: a consumer that takes nothing holds the
// reader back after one chunk queued and one waiting, however long the
// input (an endless line, here).
func TestChunkReaderIsBounded(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx := axontest.Context(t)
		var read atomic.Int64
		endless := readerFunc(func(p []byte) (int, error) {
			for i := range p {
				p[i] = 'x'
			}
			read.Add(int64(len(p)))
			return len(p), nil
		})
		r := components.NewChunkReader(endless, components.MaxChunk(4096))
		sink := axon.New("sink", nil) // never started: nothing takes its messages
		if _, err := axon.Link(axon.Out(r, "outbox"), axon.In(sink, "inbox"), axon.Width(axon.Limit{Messages: 1})); err != nil {
			t.Fatal(err)
		}
		axontest.Activate(t, ctx, r)
		synctest.Wait()
		if n := read.Load(); n != 2*4096 {
			t.Fatalf("read %d bytes for a consumer that took none; want two chunks, %d", n, 2*4096)
		}
		r.Stop()
		<-r.Done()
	})
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// TestChunkReaderOnRequest: with OnRequest it reads only when asked, N
// bytes for a request of N, and reports anything else on its inbox.
func TestChunkReaderOnRequest(t *testing.T) {
	t.Parallel()
	ctx := axontest.Context(t)
	r := components.NewChunkReader(strings.NewReader("0123456789"), components.OnRequest())
	rec := record(t, ctx, r)
	axontest.Activate(t, ctx, r)
	for _, n := range []any{4, "four", 0, 4, 4} {
		if err := r.Inbox("inbox").Put(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	reports := 0
	for {
		a := rec.next(t, ctx)
		if a.box == "inbox" {
			got = append(got, string(a.msg.([]byte)))
			continue
		}
		if ei, ok := a.msg.(axon.ErrorInformation); ok && errors.Is(ei.Err, components.ErrUnexpectedMessage) {
			reports++
			continue
		}
		finished(t, a.msg, r)
		break
	}
	if strings.Join(got, "|") != "0123|4567|89" || reports != 2 {
		t.Fatalf("read %q with %d reports; want 0123|4567|89 and 2 (for \"four\" and 0)", got, reports)
	}
}

// TestChunkReaderReadErrorAndStop: a read error ends it with the error;
// a stop ends it at once even while a read is blocked.
func TestChunkReaderReadErrorAndStop(t *testing.T) {
	t.Parallel()
	t.Run("read error", func(t *testing.T) {
		ctx := axontest.Context(t)
		boom := errors.New("terminal gone")
		pr, pw := io.Pipe()
		go func() {
			_, _ = pw.Write([]byte("last words"))
			pw.CloseWithError(boom)
		}()
		r := components.NewChunkReader(pr)
		rec := record(t, ctx, r)
		axontest.Activate(t, ctx, r)
		got, sig := rec.data(t, ctx)
		if len(got) != 1 || string(got[0].([]byte)) != "last words" {
			t.Fatalf("read %q", got)
		}
		if pf, ok := sig.(axon.ProducerFinished); !ok || !errors.Is(pf.Err, boom) || !strings.Contains(pf.Err.Error(), r.Name()) {
			t.Fatalf("signal got %#v, want ProducerFinished carrying the read error and naming the reader", sig)
		}
		axontest.WaitDone(t, ctx, r)
		if !errors.Is(r.Err(), boom) {
			t.Fatalf("Err = %v", r.Err())
		}
	})
	t.Run("stopped during a blocked read", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx := axontest.Context(t)
			pr, pw := io.Pipe()
			r := components.NewChunkReader(pr)
			stop := axon.ShutdownMicroprocess{Message: "enough"}
			rec := record(t, ctx, r)
			axontest.Activate(t, ctx, r)
			synctest.Wait() // the helper is blocked reading the pipe
			if err := r.Inbox("control").Put(context.Background(), stop); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
			select {
			case <-r.Done():
			default:
				t.Fatal("reader still running while its read is blocked")
			}
			pw.Write([]byte("too late"))
			pw.Close()
			synctest.Wait()
			if a := <-rec.got; a.msg != stop || len(rec.got) != 0 {
				t.Fatalf("reader sent %v then %d more; want only the shutdown request passed on", a.msg, len(rec.got))
			}
		})
	})
}
