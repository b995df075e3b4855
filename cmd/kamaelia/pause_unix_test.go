//go:build unix

package main

import (
	"io"
	"net"
	"syscall"
	"testing"
	"time"
)

// TestServeIdleTimeoutSurvivesAPause: an operator pauses the server
// (SIGSTOP, a debugger, a VM migration) for longer than the idle
// timeout while clients keep sending. When it resumes, the clients whose
// bytes wait in their sockets are served: their silence was ours. The
// clients that sent nothing were idle, and are closed.
func TestServeIdleTimeoutSurvivesAPause(t *testing.T) {
	t.Parallel()
	const idle = 500 * time.Millisecond
	const each = 50
	p := startProcess(t, nil, nil, "serve", "--port", "0", "--idle-timeout", idle.String())
	s := &serveProc{proc: p, addr: listeningAddr(t, p)}
	var busy, quiet []net.Conn
	for range each {
		busy = append(busy, echoOnce(t, s.addr, "hello\n"))
		quiet = append(quiet, echoOnce(t, s.addr, "hello\n"))
	}
	s.signal(t, syscall.SIGSTOP)
	for _, c := range busy {
		if _, err := io.WriteString(c, "still here\n"); err != nil {
			s.signal(t, syscall.SIGCONT)
			t.Fatal(err)
		}
	}
	// The pause is the scenario, not a wait for something: three idle
	// periods with the server stopped.
	time.Sleep(3 * idle)
	s.signal(t, syscall.SIGCONT)
	lost := 0
	for _, c := range busy {
		got := make([]byte, len("still here\n"))
		if _, err := io.ReadFull(c, got); err != nil {
			lost++
			t.Logf("a client that sent during the pause: %v", err)
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d clients that sent during the pause were not served", lost, each)
	}
	for _, c := range quiet {
		expectClosed(t, c)
	}
	s.stop(t)
}
