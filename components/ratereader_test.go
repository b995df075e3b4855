package components_test

import (
	"errors"
	"io/fs"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
)

func TestRateControlledFileReaderKeepsItsRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := axontest.Context(t)
		const rate = 100_000
		content := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB: more than 2 s worth
		r := must(components.NewRateControlledFileReader(writeFile(t, content), components.ReadBytes,
			components.WithRate(rate), components.WithChunkSize(1000)))
		rec := record(t, ctx, r)
		axontest.Activate(t, ctx, r)
		start := time.Now()
		time.Sleep(2 * time.Second)
		synctest.Wait()
		msgs, _ := rec.taken()
		data := joined(msgs)
		got, want := float64(len(data)), rate*time.Since(start).Seconds()
		if math.Abs(got-want) > 0.05*want {
			t.Fatalf("read %v bytes in 2s, want %v ± 5%%", got, want)
		}
		if data != content[:len(data)] {
			t.Fatal("the bytes read are not the start of the file, in order")
		}
		axon.CoreOf(r).Stop()
		<-axon.CoreOf(r).Done()
	})
}

func TestRateControlledFileReaderEndOfFile(t *testing.T) {
	tests := []struct {
		name    string
		content string
		mode    components.ReadMode
		opts    []components.RateOption
		took    time.Duration // chunks fall due every chunk/rate; the end shows at the first short read
		lines   []any         // each line sent, in ReadLines mode
	}{
		{"bytes", strings.Repeat("x", 2500), components.ReadBytes,
			[]components.RateOption{components.WithRate(10_000), components.WithChunkSize(1000)}, 300 * time.Millisecond, nil},
		{"lines", "a\nb\nc\nd\n", components.ReadLines,
			[]components.RateOption{components.WithRate(4), components.WithChunkSize(1)}, 1250 * time.Millisecond,
			[]any{"a\n", "b\n", "c\n", "d\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := axontest.Context(t)
				r, err := components.NewRateControlledFileReader(writeFile(t, tt.content), tt.mode, tt.opts...)
				if err != nil {
					t.Fatal(err)
				}
				rec := record(t, ctx, r)
				start := time.Now()
				axontest.Activate(t, ctx, r)
				<-r.Done()
				if took := time.Since(start); took != tt.took {
					t.Errorf("took %v, want %v", took, tt.took)
				}
				synctest.Wait()
				data, control := rec.taken()
				if joined(data) != tt.content {
					t.Errorf("read %q, want the file's %q", joined(data), tt.content)
				}
				if tt.lines != nil && !slices.Equal(data, tt.lines) {
					t.Errorf("read lines %q, want %q", data, tt.lines)
				}
				// The reader's own producerFinished comes out, through
				// the rate controller.
				if len(control) != 1 {
					t.Fatalf("signal got %v, want one ProducerFinished", control)
				}
				finished(t, control[0], r.Child("READER"))
				if err := r.Err(); err != nil {
					t.Fatalf("Err = %v", err)
				}
			})
		})
	}
}

func TestRateControlledFileReaderMissingFile(t *testing.T) {
	ctx := axontest.Context(t)
	r, err := components.NewRateControlledFileReader(filepath.Join(t.TempDir(), "nosuchfile"), components.ReadBytes)
	if err != nil {
		t.Fatal(err)
	}
	rec := record(t, ctx, r)
	axontest.Activate(t, ctx, r)
	got, sig := rec.data(t, ctx)
	if len(got) != 0 || !errors.Is(axon.Cause(sig), fs.ErrNotExist) {
		t.Fatalf("sent %v then %#v, want a ProducerFinished carrying fs.ErrNotExist", got, sig)
	}
	axontest.WaitDone(t, ctx, r)
	if err := r.Err(); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Err = %v", err)
	}
}

func TestNewRateControlledFileReaderErrors(t *testing.T) {
	tests := []struct {
		name string
		mode components.ReadMode
		opts []components.RateOption
	}{
		{"bad mode", components.ReadMode(3), nil},
		{"bad rate", components.ReadBytes, []components.RateOption{components.WithRate(-1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := components.NewRateControlledFileReader("x", tt.mode, tt.opts...); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
