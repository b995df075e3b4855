package components_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
)

// writeFile writes content to a new file in the test's temporary
// directory and returns its name.
func writeFile(t *testing.T, content string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "input")
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// text renders what a reader sent, []byte or string, for comparison.
func text(msgs []any) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		switch m := m.(type) {
		case []byte:
			out[i] = "b:" + string(m)
		case string:
			out[i] = "s:" + m
		default:
			out[i] = "?"
		}
	}
	return out
}

func TestPromptedFileReader(t *testing.T) {
	t.Parallel()
	const content = "one\ntwo\nthree"
	tests := []struct {
		name     string
		content  string
		mode     components.ReadMode
		requests []int
		want     []string // b: for []byte, s: for string
		eof      bool     // the requests reach the end of the file
	}{
		{"bytes", content, components.ReadBytes, []int{4, 4}, []string{"b:one\n", "b:two\n"}, false},
		{"bytes to the end", content, components.ReadBytes, []int{5, 100}, []string{"b:one\nt", "b:wo\nthree"}, true},
		{"bytes exactly to the end", "abcd", components.ReadBytes, []int{4, 4}, []string{"b:abcd"}, true},
		{"big request", strings.Repeat("x", 3<<20), components.ReadBytes, []int{1 << 30}, []string{"b:" + strings.Repeat("x", 3<<20)}, true},
		{"lines", content, components.ReadLines, []int{2}, []string{"s:one\n", "s:two\n"}, false},
		{"lines to the end", content, components.ReadLines, []int{1, 5}, []string{"s:one\n", "s:two\n", "s:three"}, true},
		{"empty file", "", components.ReadBytes, []int{10}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := axontest.Context(t)
			r, err := components.NewPromptedFileReader(writeFile(t, tt.content), tt.mode)
			if err != nil {
				t.Fatal(err)
			}
			rec := record(t, ctx, r)
			axontest.Activate(t, ctx, r)
			for _, n := range tt.requests {
				putIn(t, ctx, r, "inbox", n)
			}
			stop := axon.ShutdownMicroprocess{Message: "enough"}
			if !tt.eof {
				putIn(t, ctx, r, "control", stop)
			}
			got, sig := rec.data(t, ctx)
			if g := text(got); strings.Join(g, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("read %.80q, want %.80q", g, tt.want)
			}
			if tt.eof {
				finished(t, sig, r)
			} else if sig != stop {
				t.Fatalf("signal got %#v, want %#v", sig, stop)
			}
			axontest.WaitDone(t, ctx, r)
			if err := r.Err(); err != nil {
				t.Fatalf("Err = %v", err)
			}
		})
	}
}

func TestPromptedFileReaderFileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file func(t *testing.T) string
		want error
	}{
		{"missing", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nosuchfile") }, fs.ErrNotExist},
		{"a directory", func(t *testing.T) string { return t.TempDir() }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := axontest.Context(t)
			name := tt.file(t)
			r, err := components.NewPromptedFileReader(name, components.ReadBytes)
			if err != nil {
				t.Fatal(err)
			}
			rec := record(t, ctx, r)
			axontest.Activate(t, ctx, r)
			putIn(t, ctx, r, "inbox", 10)
			got, sig := rec.data(t, ctx)
			pf, ok := sig.(axon.ProducerFinished)
			var pe *fs.PathError
			if len(got) != 0 || !ok || pf.Caller != r || !errors.As(pf.Err, &pe) || pe.Path != name {
				t.Fatalf("sent %v then %#v, want only ProducerFinished carrying a *fs.PathError for %s", got, sig, name)
			}
			if tt.want != nil && !errors.Is(pf.Err, tt.want) {
				t.Fatalf("Err = %v, want %v", pf.Err, tt.want)
			}
			axontest.WaitDone(t, ctx, r)
			if err := r.Err(); !errors.Is(err, pe) || !strings.Contains(err.Error(), r.Name()) {
				t.Fatalf("Err = %v, want the file error naming %s", err, r.Name())
			}
		})
	}
}

func TestNewPromptedFileReaderRejectsUnknownMode(t *testing.T) {
	t.Parallel()
	if r, err := components.NewPromptedFileReader("x", components.ReadMode(7)); err == nil {
		t.Fatalf("NewPromptedFileReader = %v, want an error", r.Name())
	}
}
