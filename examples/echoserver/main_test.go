package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

func TestEchoServer(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-port", "0"}, w)
		w.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "LISTENING ")
	if !ok {
		t.Fatalf("first line %q", line)
	}

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	io.WriteString(c, "echo, echo\n")
	c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(c) // the server closes once it has echoed all
	c.Close()
	if err != nil || string(got) != "echo, echo\n" {
		t.Fatalf("echoed %q, %v", got, err)
	}

	cancel() // as Ctrl-C does
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not shut down")
	}
}

// TestHelpExitsZero: -help, -h and --help print the usage and exit 0; a
// flag that does not exist exits 1.
func TestHelpExitsZero(t *testing.T) {
	t.Parallel()
	for arg, want := range map[string]int{"-help": 0, "-h": 0, "--help": 0, "-no-such-flag": 1} {
		if got := exitStatus(run(context.Background(), []string{arg}, io.Discard)); got != want {
			t.Errorf("%s: exit status %d, want %d", arg, got, want)
		}
	}
}
