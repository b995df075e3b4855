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
	// The busy clients' last round trips end just before the pause, so
	// this need only outlast the wait for the slowest of them to end.
	const idle = time.Second
	const each = 50
	p := startProcess(t, nil, nil, "serve", "--port", "0", "--idle-timeout", idle.String(), "--log-level", "debug")
	s := &serveProc{proc: p, addr: listeningAddr(t, p)}
	quiet := make([]net.Conn, each)
	for i := range quiet {
		quiet[i] = echoOnce(t, s.addr, "hello\n")
	}
	// The busy clients make round trips until just before the pause:
	// however long the setup takes, none of them is idle when it begins.
	busy := make([]net.Conn, each)
	stop, stopped := make(chan struct{}), make(chan error, each)
	for i := range busy {
		busy[i] = echoOnce(t, s.addr, "hello\n")
		go func() { stopped <- pingUntil(busy[i], stop) }()
	}
	close(stop)
	for range busy {
		if err := <-stopped; err != nil {
			t.Fatalf("a busy client before the pause: %v", err)
		}
	}
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
	for _, c := range busy {
		c.Close() // so that the shutdown need not wait for them to go quiet
	}
	s.stop(t)
}

// pingUntil makes round trips on c, one every 50 ms, until stop is
// closed, and returns the first error.
func pingUntil(c net.Conn, stop <-chan struct{}) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	buf := make([]byte, len("ping\n"))
	for {
		if _, err := io.WriteString(c, "ping\n"); err != nil {
			return err
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		case <-tick.C:
		}
	}
}
