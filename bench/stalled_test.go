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
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/bench"
	"github.com/kamaelia-go/kamaelia/internal/socktest"
)

// Stalled peers: clients that send and never read must not make the
// server grow without bound, nor slow down the other clients.
const (
	stalledClients = 100
	// stalledRSSBound is the most the server process may hold (VmRSS)
	// with stalledClients stalled connections. Each connection may hold
	// its "inbox" limit (internet.DefaultSendLimit, 32 KiB), the batch
	// being written (32 KiB) and the chunk on its way to the inbox (up to
	// 32 KiB), each overshot by at most one chunk, so 100 stalled
	// connections could in the worst case pin 19 MiB of chunks; the bound
	// leaves room for that, the goroutines waiting and the runtime.
	stalledRSSBound = 40 << 20
	// stalledWriteMax is how much one stalled client tries to send
	// before the test decides the server is not pushing back.
	stalledWriteMax = 64 << 20
)

// TestStalledPeers starts the echo server (cmd/echo-kamaelia) as its own
// process, measures a client's round trips, stalls stalledClients
// clients (they send until TCP pushes back, never reading), checks the
// server's resident memory against stalledRSSBound, and measures the
// client again. It does the same with a plain goroutine-per-connection
// echo server (raw) and logs, side by side, what each server's memory
// grew by per stalled connection. It takes about 12 s and is skipped
// with -short.
//
// The speed check is deliberately loose (the second measurement may
// take at most 4 times as long as the first, plus 2 s): it catches a
// server that stalls everyone because some peers stall, not a few
// percent. The measured figures are logged.
func TestStalledPeers(t *testing.T) {
	if os.Getenv(rawEchoChild) == "1" {
		runRawEcho(t)
		return
	}
	if testing.Short() {
		t.Skip("starts a server process and 100 connections; skipped with -short")
	}
	if runtime.GOOS != "linux" {
		t.Skip("reads the server's memory from /proc")
	}
	bin := buildServer(t)
	servers := []struct {
		kind string
		cmd  func() *exec.Cmd
	}{
		{bench.Simple, func() *exec.Cmd { return exec.Command(bin, "-server", bench.Simple, "-port", "0") }},
		{bench.Direct, func() *exec.Cmd { return exec.Command(bin, "-server", bench.Direct, "-port", "0") }},
		// The baseline: this test binary as a plain goroutine-per-
		// connection echo server (see runRawEcho), in a process of its
		// own so that its memory is measured the same way.
		{"raw", func() *exec.Cmd {
			cmd := exec.Command(os.Args[0], "-test.run=^TestStalledPeers$")
			cmd.Env = append(os.Environ(), rawEchoChild+"=1")
			return cmd
		}},
	}
	perConn := make(map[string]float64)
	for _, s := range servers {
		t.Run(s.kind, func(t *testing.T) {
			if s.kind == "raw" && raceEnabled {
				t.Skip("the baseline runs in this test binary, which the race detector makes several times larger; compare without -race")
			}
			perConn[s.kind] = testStalled(t, s.cmd(), s.kind)
		})
	}
	// Side by side, per stalled connection: what the server process
	// grew by (VmRSS) over its idle size, divided by the connections.
	for _, s := range servers {
		if kib, ok := perConn[s.kind]; ok {
			ratio := ""
			if raw := perConn["raw"]; raw > 0 {
				ratio = fmt.Sprintf(" (%.2fx raw)", kib/raw)
			}
			t.Logf("per stalled connection: %-6s %6.1f KiB%s", s.kind, kib, ratio)
		}
	}
}

// testStalled runs the scenario against the server cmd starts and
// returns the server's resident memory per stalled connection, in KiB.
func testStalled(t *testing.T, cmd *exec.Cmd, kind string) float64 {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	addr, pid := runServer(t, cmd)

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
	return float64(rss-rssIdle) / stalledClients
}

// rawEchoChild is set in the environment of the test binary run as the
// raw echo server.
const rawEchoChild = "KAMAELIA_RAW_ECHO_CHILD"

// runRawEcho is the plain-Go baseline, the benchmarks' plain server
// (startPlain, ../shared/bench's echo-raw): a goroutine per connection
// reading into a 16 KiB buffer and writing back what it read. It prints
// "LISTENING host:port" and serves until SIGTERM.
func runRawEcho(t *testing.T) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	addr, done := startPlain(t, ctx)
	fmt.Println("LISTENING", addr)
	<-ctx.Done()
	<-done
}

// buildServer builds cmd/echo-kamaelia into a temporary folder.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "echo-kamaelia")
	out, err := exec.Command("go", "build", "-o", bin, "./cmd/echo-kamaelia").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runServer starts the server cmd runs and returns its address and
// process id; the test stops it with SIGTERM and checks it exits cleanly.
func runServer(t *testing.T, cmd *exec.Cmd) (string, int) {
	t.Helper()
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
	d := net.Dialer{Control: socktest.Buffers(64<<10, 64<<10)}
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
