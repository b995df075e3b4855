package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

func TestFileSenderDeliversTheFile(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	content := bytes.Repeat([]byte("Kamaelia in Go\n"), 10_000) // 150 kB
	file := filepath.Join(t.TempDir(), "myfile")
	if err := os.WriteFile(file, content, 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(30 * time.Second))
		b, _ := io.ReadAll(c) // until the sender's half-close
		got <- b
	}()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	if err := run(ctx, []string{"-rate", "1000000", file, "127.0.0.1", port}); err != nil {
		t.Fatalf("run: %v", err)
	}
	if b := <-got; !bytes.Equal(b, content) {
		t.Fatalf("the server got %d bytes, want the file's %d", len(b), len(content))
	}
}

func TestFileSenderReportsRefusal(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close() // nobody listens there now
	file := filepath.Join(t.TempDir(), "myfile")
	if err := os.WriteFile(file, bytes.Repeat([]byte("x"), 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	// At 100 kB/s the file would take ten seconds; a refusal ends it
	// at once.
	start := time.Now()
	err = run(ctx, []string{file, "127.0.0.1", port})
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("run = %v, want connection refused", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("a refused send took %v", took)
	}
}

// TestHelpExitsZero: -help, -h and --help print the usage and exit 0; a
// flag that does not exist exits 1.
func TestHelpExitsZero(t *testing.T) {
	t.Parallel()
	for arg, want := range map[string]int{"-help": 0, "-h": 0, "--help": 0, "-no-such-flag": 1} {
		if got := exitStatus(run(context.Background(), []string{arg})); got != want {
			t.Errorf("%s: exit status %d, want %d", arg, got, want)
		}
	}
}
