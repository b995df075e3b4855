package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/internal/leakcheck"
	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	// The test binary is the command as well: run as "kamaelia" (by
	// the scripts, and by the end-to-end tests through $PATH) it runs
	// main, so no test builds the command.
	testscript.Main(leakChecked{m}, map[string]func(){"kamaelia": main})
}

// leakChecked runs the tests with the module's leak check, which exits
// the process itself.
type leakChecked struct{ m *testing.M }

func (l leakChecked) Run() int {
	// The tests mostly wait: on servers' timers (a drain's quiet second,
	// idle timeouts), on peers, on the commands they run.
	leakcheck.MainParallel(l.m, 4*runtime.GOMAXPROCS(0))
	return 0 // not reached
}

// binary returns the path of the command: the test binary, under the
// name kamaelia in $PATH.
func binary(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("kamaelia")
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// testDeadline bounds every process a test runs, so a broken test fails
// instead of hanging.
const testDeadline = 60 * time.Second

// proc is a running kamaelia command (see instance).
type proc struct {
	*instance
	args []string
}

// start runs kamaelia with args; env adds to the test's environment.
// With -short it runs in the test's process (see instance). It is ended
// when the test ends if it is still running.
func start(t testing.TB, stdin io.Reader, env []string, args ...string) *proc {
	t.Helper()
	return startLaunch(t, launch{args: args, env: append(os.Environ(), env...), stdin: stdin})
}

// startProcess is start, always as a process of its own: for the tests
// of main's handling of signals.
func startProcess(t testing.TB, stdin io.Reader, env []string, args ...string) *proc {
	t.Helper()
	return startLaunch(t, launch{args: args, env: append(os.Environ(), env...), stdin: stdin, process: true})
}

func startLaunch(t testing.TB, l launch) *proc {
	t.Helper()
	in, err := l.start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.stdout.Close() })
	p := &proc{instance: in, args: l.args}
	t.Cleanup(func() {
		select {
		case <-in.done:
		default:
			p.end(t)
		}
	})
	return p
}

// wait waits for the command to end and returns its exit status.
func (p *proc) wait(t testing.TB) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(testDeadline):
		p.end(t)
		t.Fatalf("kamaelia %v did not exit; stderr:\n%s", p.args, p.stderr)
	}
	if p.err != nil {
		t.Fatalf("kamaelia %v: %v", p.args, p.err)
	}
	return p.code
}

// end kills the command and waits, for a while, for it to end.
func (p *proc) end(t testing.TB) {
	t.Helper()
	p.kill()
	select {
	case <-p.done:
	case <-time.After(testDeadline):
		t.Errorf("kamaelia %v did not end when killed; stderr:\n%s", p.args, p.stderr)
	}
}

// signal sends sig to the command.
func (p *proc) signal(t testing.TB, sig os.Signal) {
	t.Helper()
	if err := p.instance.signal(sig); err != nil {
		t.Fatal(err)
	}
}

// result is what a finished kamaelia process said and its exit status.
type result struct {
	stdout, stderr string
	code           int
}

// runKamaelia runs kamaelia with args to the end, with stdin as its
// input.
func runKamaelia(t testing.TB, stdin string, args ...string) result {
	t.Helper()
	p := start(t, strings.NewReader(stdin), nil, args...)
	out, err := io.ReadAll(p.stdout)
	if err != nil {
		t.Fatal(err)
	}
	code := p.wait(t)
	return result{stdout: string(out), stderr: p.stderr.String(), code: code}
}

// serveProc is a running "kamaelia serve".
type serveProc struct {
	*proc
	addr string // host:port from its LISTENING line
}

// serve starts "kamaelia serve --port 0" with args and waits for its
// LISTENING line.
func serve(t testing.TB, env []string, args ...string) *serveProc {
	t.Helper()
	p := start(t, nil, env, append([]string{"serve", "--port", "0"}, args...)...)
	return &serveProc{proc: p, addr: listeningAddr(t, p)}
}

// listeningAddr reads the process's first line of output, which must be
// "LISTENING host:port", and returns host:port. Later output is
// discarded.
func listeningAddr(t testing.TB, p *proc) string {
	t.Helper()
	line := make(chan string, 1)
	go func() {
		r := bufio.NewReader(p.stdout)
		s, _ := r.ReadString('\n')
		line <- s
		io.Copy(io.Discard, r)
	}()
	var s string
	select {
	case s = <-line:
	case <-time.After(testDeadline):
		t.Fatalf("no LISTENING line; stderr:\n%s", p.stderr)
	}
	addr, ok := strings.CutPrefix(strings.TrimSuffix(s, "\n"), "LISTENING ")
	if !ok {
		t.Fatalf("first line %q, want LISTENING host:port; stderr:\n%s", s, p.stderr)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		t.Fatalf("LISTENING line %q: %v", s, err)
	}
	return addr
}

// splitAddr splits a host:port address for a command line.
func splitAddr(t testing.TB, addr string) (host, port string) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return host, port
}

// stop sends SIGTERM and checks that serve exits 0.
func (s *serveProc) stop(t testing.TB) {
	t.Helper()
	s.signal(t, syscall.SIGTERM)
	if code := s.wait(t); code != 0 {
		t.Fatalf("serve exited %d after SIGTERM; stderr:\n%s", code, s.stderr)
	}
}

// testContext ends with the test or after testDeadline.
func testContext(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	t.Cleanup(cancel)
	return ctx
}

// contextWithCancel is testContext with a cancel function.
func contextWithCancel(t testing.TB) (context.Context, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(testContext(t))
	t.Cleanup(cancel)
	return ctx, cancel
}

// listen opens a loopback listener for a test's own server end.
func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// serveOne accepts one connection on ln and runs handle on it in a
// goroutine the test waits for at its end.
func serveOne(t testing.TB, ln net.Listener, handle func(net.Conn)) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(testDeadline))
		handle(c)
	}()
	t.Cleanup(func() { ln.Close(); <-done })
}
