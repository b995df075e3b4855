package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestScripts runs the command line scripts in testdata/script, the way
// the go command tests itself: each is a txtar archive whose comment is
// the script and whose files are its working directory. Besides
// testscript's own commands they have those of scriptCommands.
func TestScripts(t *testing.T) {
	t.Parallel()
	// The TLS scripts make a certificate with openssl, and skip without
	// it, unless told to fail (as CI does).
	if _, err := exec.LookPath("openssl"); err != nil && os.Getenv("KAMAELIA_REQUIRE_OPENSSL") != "" {
		t.Fatal("openssl is missing, and KAMAELIA_REQUIRE_OPENSSL is set")
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			// A race-enabled binary sleeps a second at exit unless told
			// not to; a race it finds makes it exit 66.
			env.Setenv("GORACE", "atexit_sleep_ms=0")
			return nil
		},
		Cmds: scriptCommands,
	})
}

// scriptCommands are the commands the scripts have beyond testscript's:
//
//	exits N PROG ARGS...        run PROG (as exec does) and check that it
//	                            exits with status N; with -short, a
//	                            usage error (exits 2 kamaelia ...) runs
//	                            in the test's own process (see
//	                            usageInProcess)
//	bg [-listening] NAME PROG ARGS...
//	                            start PROG in the background; with
//	                            -listening, wait for its "LISTENING
//	                            host:port" line and set $NAME_HOST and
//	                            $NAME_PORT
//	finish NAME [SIGNAL] N      send SIGNAL (TERM, INT; none: just wait)
//	                            to NAME, wait for it to exit and check its
//	                            status is N; its stdout and stderr become
//	                            the ones the next checks read
//	listen NAME [silent|echo|close|hangup]
//	                            a test server on 127.0.0.1 ($NAME_PORT):
//	                            it reads and discards, echoes, closes each
//	                            connection at once, or closes it once it
//	                            has read a line
//	accepted NAME               wait until NAME has accepted a connection
//	hold NAME HOST PORT         open a connection to an echo server, see a
//	                            line echoed (so the server has it), and
//	                            hold it open, quiet, until the script ends
//	bytes FILE N                write N bytes to FILE: every byte value in
//	                            turn, from 0 to 255, and again
//	write FILE TEXT             write TEXT, a Go string literal such as
//	                            "a\r\nb", to FILE
var scriptCommands = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"exits":    cmdExits,
	"bg":       cmdBackground,
	"finish":   cmdFinish,
	"listen":   cmdListen,
	"accepted": cmdAccepted,
	"hold":     cmdHold,
	"bytes":    cmdBytes,
	"write":    cmdWrite,
}

// scriptDeadline bounds every wait in a script.
const scriptDeadline = 30 * time.Second

func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	if want == exitUsage && args[1] == "kamaelia" && testing.Short() {
		if got := usageInProcess(ts, args[2:]); got != want {
			ts.Fatalf("%s (in process) exited %d, want %d", args[1], got, want)
		}
		return
	}
	err = ts.Exec(args[1], args[2:]...)
	if got := exitCode(ts, err); got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// usageInProcess runs kamaelia's command line args through run, the
// function main calls, in the test's own process, with the script's
// environment, no stdin, and its output as the script's stdout and
// stderr; it returns the exit status.
//
// The quick suite (-short) checks the scripts' usage errors this way:
// there are dozens of them, each of which would otherwise start a
// race-instrumented process, and a usage error is decided by run alone,
// before anything starts. The full suite runs each as a process of its
// own, so main's part (signals, os.Exit) is checked there as well.
func usageInProcess(ts *testscript.TestScript, args []string) int {
	e := &env{
		stdin:  strings.NewReader(""),
		stdout: ts.Stdout(),
		stderr: ts.Stderr(),
		getenv: ts.Getenv,
	}
	ctx, cancel := context.WithTimeout(context.Background(), scriptDeadline)
	defer cancel()
	return run(ctx, e, args)
}

// exitCode is the exit status a command's Wait (or Run) error says.
func exitCode(ts *testscript.TestScript, err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	ts.Fatalf("%v", err)
	return -1
}

// background is a process started by bg.
type background struct {
	cmd            *exec.Cmd
	stdout, stderr *axontest.Buffer
	stdin          io.Closer
	done           chan struct{}
	err            error
}

func cmdBackground(ts *testscript.TestScript, neg bool, args []string) {
	listening := len(args) > 0 && args[0] == "-listening"
	if listening {
		args = args[1:]
	}
	if neg || len(args) < 2 {
		ts.Fatalf("usage: bg [-listening] name program [args...]")
	}
	name := args[0]
	cmd := exec.Command(args[1], args[2:]...)
	cmd.Dir = ts.MkAbs(".")
	cmd.Env = os.Environ()
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "GORACE", "PORT", "TERM"} {
		if v := ts.Getenv(k); v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	b := &background{cmd: cmd, stdout: &axontest.Buffer{}, stderr: &axontest.Buffer{}, done: make(chan struct{})}
	// Its stdin stays open, and empty, until it is stopped.
	stdin, err := cmd.StdinPipe()
	ts.Check(err)
	b.stdin = stdin
	cmd.Stderr = b.stderr
	out, err := cmd.StdoutPipe()
	ts.Check(err)
	ts.Check(cmd.Start())
	first := make(chan string, 1)
	go func() {
		r := bufio.NewReader(out)
		line, _ := r.ReadString('\n')
		b.stdout.Write([]byte(line))
		first <- line
		io.Copy(b.stdout, r)
		b.err = cmd.Wait()
		close(b.done)
	}()
	ts.Defer(func() {
		stdin.Close()
		select {
		case <-b.done:
		default:
			cmd.Process.Kill()
			<-b.done
		}
	})
	backgrounds(ts)[name] = b
	if !listening {
		return
	}
	var line string
	select {
	case line = <-first:
	case <-time.After(scriptDeadline):
		ts.Fatalf("%s: no LISTENING line; stderr:\n%s", name, b.stderr)
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "LISTENING ")
	host, port, err := net.SplitHostPort(addr)
	if !ok || err != nil {
		ts.Fatalf("%s: first line %q, want LISTENING host:port; stderr:\n%s", name, line, b.stderr)
	}
	ts.Setenv(name+"_HOST", host)
	ts.Setenv(name+"_PORT", port)
}

func cmdFinish(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: finish name [TERM|INT] status")
	}
	b := backgrounds(ts)[args[0]]
	if b == nil {
		ts.Fatalf("no background process %q", args[0])
	}
	if len(args) == 3 {
		sig, ok := map[string]os.Signal{"TERM": syscall.SIGTERM, "INT": os.Interrupt}[args[1]]
		if !ok {
			ts.Fatalf("unknown signal %q", args[1])
		}
		ts.Check(b.cmd.Process.Signal(sig))
	}
	want, err := strconv.Atoi(args[len(args)-1])
	ts.Check(err)
	select {
	case <-b.done:
	case <-time.After(scriptDeadline):
		ts.Fatalf("%s did not exit; stderr:\n%s", args[0], b.stderr)
	}
	fmt.Fprint(ts.Stdout(), b.stdout.String())
	fmt.Fprint(ts.Stderr(), b.stderr.String())
	if got := exitCode(ts, b.err); got != want {
		ts.Fatalf("%s exited %d, want %d; stderr:\n%s", args[0], got, want, b.stderr)
	}
}

// backgrounds are a script's background processes by name.
func backgrounds(ts *testscript.TestScript) map[string]*background {
	return scriptState(ts).bg
}

// testServer is a server started by listen.
type testServer struct {
	ln       net.Listener
	accepted chan struct{} // closed at the first connection
	once     sync.Once
}

func cmdListen(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: listen name [silent|echo|close|hangup]")
	}
	mode := "silent"
	if len(args) == 2 {
		mode = args[1]
	}
	handle, ok := map[string]func(net.Conn){
		"silent": func(c net.Conn) { io.Copy(io.Discard, c) },
		"echo":   func(c net.Conn) { io.Copy(c, c) },
		"close":  func(net.Conn) {},
		"hangup": func(c net.Conn) { bufio.NewReader(c).ReadString('\n') },
	}[mode]
	if !ok {
		ts.Fatalf("unknown mode %q", mode)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	s := &testServer{ln: ln, accepted: make(chan struct{})}
	var wg sync.WaitGroup
	ts.Defer(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.once.Do(func() { close(s.accepted) })
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(scriptDeadline))
				handle(c)
			})
		}
	})
	scriptState(ts).servers[args[0]] = s
	ts.Setenv(args[0]+"_PORT", strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
}

func cmdAccepted(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: accepted name")
	}
	s := scriptState(ts).servers[args[0]]
	if s == nil {
		ts.Fatalf("no server %q", args[0])
	}
	select {
	case <-s.accepted:
	case <-time.After(scriptDeadline):
		ts.Fatalf("%s accepted no connection", args[0])
	}
}

func cmdHold(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: hold name host port")
	}
	c, err := net.Dial("tcp", net.JoinHostPort(args[1], args[2]))
	ts.Check(err)
	ts.Defer(func() { c.Close() })
	c.SetDeadline(time.Now().Add(scriptDeadline))
	_, err = io.WriteString(c, "hold\n")
	ts.Check(err)
	echo := make([]byte, len("hold\n"))
	_, err = io.ReadFull(c, echo)
	ts.Check(err)
}

func cmdBytes(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: bytes file n")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o666))
}

func cmdWrite(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: write file text")
	}
	text, err := strconv.Unquote(args[1])
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(text), 0o666))
}

// state is what a script's custom commands keep between commands.
type state struct {
	bg      map[string]*background
	servers map[string]*testServer
}

var (
	statesMu sync.Mutex
	states   = map[*testscript.TestScript]*state{}
)

func scriptState(ts *testscript.TestScript) *state {
	statesMu.Lock()
	defer statesMu.Unlock()
	s := states[ts]
	if s == nil {
		s = &state{bg: map[string]*background{}, servers: map[string]*testServer{}}
		states[ts] = s
		ts.Defer(func() {
			statesMu.Lock()
			delete(states, ts)
			statesMu.Unlock()
		})
	}
	return s
}

// TestReadmeSessionsAreScripted checks that each script of a README
// session quotes every command line of the session's sh blocks, in
// order, so the script runs the session the README shows.
func TestReadmeSessionsAreScripted(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for heading, script := range map[string]string{
		"## Quick tour": "readme_tour.txtar",
		"## Proxy: `kamaelia forward --to HOST:PORT`": "readme_forward.txtar",
	} {
		t.Run(script, func(t *testing.T) {
			_, session, ok := strings.Cut(string(readme), "\n"+heading+"\n")
			if !ok {
				t.Fatalf("README.md has no section %q", heading)
			}
			session, _, _ = strings.Cut(session, "\n## ")
			var want []string
			inBlock := false
			for line := range strings.Lines(session) {
				line = strings.TrimRight(line, "\n")
				switch {
				case strings.HasPrefix(line, "```"):
					inBlock = line == "```sh"
				case inBlock && line != "" && !strings.HasPrefix(line, "#"):
					want = append(want, line)
				}
			}
			text, err := os.ReadFile(filepath.Join("testdata/script", script))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for line := range strings.Lines(string(text)) {
				if q, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), "# README: "); ok {
					got = append(got, q)
				}
			}
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Fatalf("the script quotes\n\t%s\nthe README's session has\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
			}
		})
	}
}
