//go:build unix

package main

import (
	"fmt"
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
	const idle = time.Second
	const each = 50
	p := startProcess(t, nil, nil, "serve", "--port", "0", "--idle-timeout", idle.String(), "--log-level", "debug")
	s := &serveProc{proc: p, addr: listeningAddr(t, p)}
	quiet := make([]net.Conn, each)
	for i := range quiet {
		quiet[i] = echoOnce(t, s.addr, "hello\n")
	}
	// The busy clients' last round trips end just before the pause, all
	// at once: however long the setup took, none of them is idle yet.
	busy := make([]net.Conn, each)
	for i := range busy {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(testDeadline))
		busy[i] = c
	}
	echoAll(t, busy, "hello\n")
	s.signal(t, syscall.SIGSTOP)
	for _, c := range busy {
		if _, err := io.WriteString(c, "still here\n"); err != nil {
			s.signal(t, syscall.SIGCONT)
			t.Fatal(err)
		}
	}
	// The pause is the scenario, not a wait for something: two and a
	// half idle periods with the server stopped.
	time.Sleep(5 * idle / 2)
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
		defer func() { t.Logf("server:\n%s", s.stderr) }()
	}
	for _, c := range quiet {
		expectClosed(t, c)
	}
	s.stop(t)
}

// echoAll sends msg on every connection at once and checks that each
// gets it back.
func echoAll(t *testing.T, conns []net.Conn, msg string) {
	t.Helper()
	errs := make(chan error, len(conns))
	for _, c := range conns {
		go func() {
			if _, err := io.WriteString(c, msg); err != nil {
				errs <- err
				return
			}
			got := make([]byte, len(msg))
			_, err := io.ReadFull(c, got)
			if err == nil && string(got) != msg {
				err = fmt.Errorf("echoed %q, want %q", got, msg)
			}
			errs <- err
		}()
	}
	for range conns {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
