package internet_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/proxytest"
	"github.com/kamaelia-go/kamaelia/internet"
)

// cpuTime is the CPU time the whole process has used so far.
func cpuTime(t testing.TB) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Skipf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestClientWaitsWithoutSpinning: a TCPClient waiting to connect (its
// Delay, or a connect the network holds up) with data or makessl queued
// uses next to no CPU. It used to spin a whole core: waiting returned at
// once while any inbox held a message. The bound is generous (a third
// of the wait: a spinning client uses all of it), and the test is not
// parallel, since it is the whole process's CPU time that is measured:
// only its own cases run at once.
func TestClientWaitsWithoutSpinning(t *testing.T) {
	const wait = 100 * time.Millisecond
	putData := func(ctx context.Context, h *axon.Handle) error { return h.Put(ctx, "inbox", "queued") }
	putMakeSSL := func(ctx context.Context, h *axon.Handle) error { return h.Put(ctx, "makessl", internet.MakeSSL{}) }
	tests := []struct {
		name   string
		queue  func(ctx context.Context, h *axon.Handle) error
		heldUp bool // the connect gets no answer, rather than a Delay
	}{
		{"data queued during Delay", putData, false},
		{"makessl queued during Delay", putMakeSSL, false},
		{"data queued during a connect held up", putData, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // beside each other, not beside other tests: a spinning client shows in all three
			ctx, _ := testCtx(t)
			var c *internet.TCPClient
			var over func() // returns once the wait is over
			if tt.heldUp {
				// The listener's backlog is full: the connect gets no
				// answer until the ConnectTimeout.
				c = internet.NewTCPClient("127.0.0.1", proxytest.Unanswering(t), internet.ConnectTimeout(wait))
				over = func() { waitDone(t, ctx, c) }
			} else {
				ln, port := listener(t)
				c = internet.NewTCPClient("127.0.0.1", port, internet.Delay(wait))
				over = func() { // the client connects once its Delay is over
					ln.SetDeadline(time.Now().Add(20 * time.Second))
					conn, err := ln.Accept()
					if err != nil {
						t.Fatal(err)
					}
					conn.Close()
				}
			}
			h := axontest.Handle(t, c)
			if err := tt.queue(ctx, h); err != nil {
				t.Fatal(err)
			}
			cpu0, t0 := cpuTime(t), time.Now()
			activate(t, ctx, c)
			over()
			cpu, took := cpuTime(t)-cpu0, time.Since(t0)
			c.Stop()
			waitDone(t, ctx, c)
			if took < wait {
				t.Fatalf("the wait was over after %v, before %v", took, wait)
			}
			if cpu > took/3 {
				t.Fatalf("the process used %v of CPU while the client waited %v; want next to none", cpu, took)
			}
			t.Logf("%v of CPU in %v", cpu, took)
		})
	}
}
