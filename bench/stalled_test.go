//go:build unix

package bench_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/bench"
)

// Stalled peers: clients that send and never read must not make the
// server grow without bound, nor slow down the other clients.
const (
	stalledClients = 100
	// stalledRSSBound is the most the server process may hold (VmRSS)
	// with stalledClients stalled connections. Each connection may hold
	// its "inbox" limit (internet.DefaultSendLimit, 256 KiB) plus the
	// batch being written (up to 256 KiB), so 100 stalled connections
	// could in the worst case pin 50 MiB of chunks; the bound leaves room
	// for that and the runtime.
	stalledRSSBound = 64 << 20
	// stalledWriteMax is how much one stalled client tries to send
	// before the test decides the server is not pushing back.
	stalledWriteMax = 64 << 20
)

// TestStalledPeers starts the echo server (cmd/echo-kamaelia) as its own
// process, measures a client's round trips, stalls stalledClients
// clients (they send until TCP pushes back, never reading), checks the
// server's resident memory against stalledRSSBound, and measures the
// client again. It takes about 10 s and is skipped with -short.
//
// The speed check is deliberately loose (the second measurement may
// take at most 4 times as long as the first, plus 2 s): it catches a
// server that stalls everyone because some peers stall, not a few
// percent. The measured figures are logged.
func TestStalledPeers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process and 100 connections; skipped with -short")
	}
	if runtime.GOOS != "linux" {
		t.Skip("reads the server's memory from /proc")
	}
	bin := buildServer(t)
	for _, kind := range []string{bench.Simple, bench.Direct} {
		t.Run(kind, func(t *testing.T) { testStalled(t, bin, kind) })
	}
}

func testStalled(t *testing.T, bin, kind string) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	addr, pid := runServer(t, bin, kind)

	probe := dial(t, addr)
	const trips = 2000
	before := timeTrips(t, probe, trips)
	rssIdle := vmKiB(t, pid, "VmRSS")

	var wg sync.WaitGroup
	errs := make(chan error, stalledClients)
	sent := make([]int64, stalledClients)
	for i := 0; i < stalledClients; i++ {
		c := dialSmall(t, addr)
		wg.Go(func() {
			n, err := sendUntilStalled(ctx, c)
			sent[i] = n
			if err != nil {
				errs <- fmt.Errorf("stalled client %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var total int64
	for _, n := range sent {
		total += n
	}
	rss, hwm := vmKiB(t, pid, "VmRSS"), vmKiB(t, pid, "VmHWM")
	after := timeTrips(t, probe, trips)

	t.Logf("%s: %d stalled clients sent %.1f MiB in all before TCP pushed back", kind, stalledClients, float64(total)/(1<<20))
	t.Logf("%s: server VmRSS %.1f MiB (idle %.1f MiB, peak %.1f MiB); bound %d MiB",
		kind, float64(rss)/1024, float64(rssIdle)/1024, float64(hwm)/1024, stalledRSSBound>>20)
	t.Logf("%s: %d round trips of 64 B: %v before, %v with the stalled peers", kind, trips, before, after)
	if rss*1024 > stalledRSSBound {
		t.Errorf("server VmRSS %.1f MiB with %d stalled peers, over the %d MiB bound", float64(rss)/1024, stalledClients, stalledRSSBound>>20)
	}
	if after > 4*before+2*time.Second {
		t.Errorf("round trips took %v with stalled peers, %v without", after, before)
	}
}

// buildServer builds cmd/echo-kamaelia into a temporary folder.
func buildServer(t *testing.T) string {
	t.Helper()
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	bin := filepath.Join(t.TempDir(), "echo-kamaelia")
	out, err := exec.Command(goTool, "build", "-o", bin, "./cmd/echo-kamaelia").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runServer starts the server and returns its address and process id;
// the test stops it with SIGTERM and checks it exits cleanly.
func runServer(t *testing.T, bin, kind string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, "-server", kind, "-port", "0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "LISTENING "); ok {
				line <- a
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("server exit: %v\n%s", err, stderr.String())
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("server did not exit on SIGTERM")
		}
	})
	select {
	case a := <-line:
		return a, cmd.Process.Pid
	case err := <-exited:
		t.Fatalf("server exited: %v\n%s", err, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("server did not say LISTENING")
	}
	return "", 0
}

// dialSmall connects with small socket buffers, so the kernel holds
// little of what a stalled client sends and the server's push-back shows
// early.
func dialSmall(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		_ = rc.Control(func(fd uintptr) {
			if err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 64<<10); err == nil {
				err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, 64<<10)
			}
		})
		return err
	}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// sendUntilStalled writes 32 KiB chunks until a write makes no progress
// for 300 ms (TCP has pushed back all the way), and returns how much it
// sent. Sending stalledWriteMax without a stall is an error: the server
// is taking data it cannot send.
func sendUntilStalled(ctx context.Context, c *net.TCPConn) (int64, error) {
	chunk := bytes.Repeat([]byte("stalled peer "), (32<<10)/13)
	var sent int64
	for sent < stalledWriteMax {
		if ctx.Err() != nil {
			return sent, ctx.Err()
		}
		_ = c.SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
		n, err := c.Write(chunk)
		sent += int64(n)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return sent, nil
		}
		if err != nil {
			return sent, err
		}
	}
	return sent, fmt.Errorf("sent %d MiB and the server still takes more", sent>>20)
}

func timeTrips(t *testing.T, c net.Conn, n int) time.Duration {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	start := time.Now()
	if err := pingPong(c, 64, n); err != nil {
		t.Fatal(err)
	}
	return time.Since(start)
}

// vmKiB reads one "Vm..." line of /proc/PID/status, in KiB.
func vmKiB(t *testing.T, pid int, key string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			f := strings.Fields(v)
			n, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", key, pid)
	return 0
}
