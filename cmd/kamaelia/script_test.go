package main

import (
	"bufio"
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
//	exits [-stdin FILE] N kamaelia ARGS...
//	                            run kamaelia (as exec does, with FILE as
//	                            its stdin, else an empty one) and check
//	                            that it exits with status N
//	bg [-listening] NAME kamaelia ARGS...
//	                            start kamaelia in the background, its
//	                            stdin open and empty; with -listening,
//	                            wait for its "LISTENING host:port" line
//	                            and set $NAME_HOST and $NAME_PORT
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
//
// With -short, exits and bg run kamaelia in the test's own process (see
// instance); exec always starts a process.
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
	var stdin io.Reader
	if len(args) > 1 && args[0] == "-stdin" {
		f, err := os.Open(ts.MkAbs(args[1]))
		ts.Check(err)
		defer f.Close()
		stdin, args = f, args[2:]
	}
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits [-stdin file] N kamaelia [args...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	l := scriptLaunch(ts, args[1:])
	l.stdin = stdin
	in, err := l.start()
	ts.Check(err)
	defer in.stdout.Close()
	var out []byte
	read := make(chan struct{})
	go func() {
		defer close(read)
		out, _ = io.ReadAll(in.stdout)
	}()
	got := finished(ts, args[1], in)
	<-read
	fmt.Fprint(ts.Stdout(), string(out))
	fmt.Fprint(ts.Stderr(), in.stderr.String())
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// scriptLaunch is how a script starts kamaelia with args (args[0] must
// be kamaelia): in the script's directory, with the test's environment
// and the script's variables that matter to it.
func scriptLaunch(ts *testscript.TestScript, args []string) launch {
	if args[0] != "kamaelia" {
		ts.Fatalf("can only run kamaelia, not %s", args[0])
	}
	env := os.Environ()
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "GORACE", "PORT", "TERM"} {
		if v := ts.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return launch{args: args[1:], env: env, dir: ts.MkAbs(".")}
}

// finished waits for in to end and returns its exit status.
func finished(ts *testscript.TestScript, name string, in *instance) int {
	select {
	case <-in.done:
	case <-time.After(scriptDeadline):
		in.kill()
		ts.Fatalf("%s did not exit; stderr:\n%s", name, in.stderr)
	}
	ts.Check(in.err)
	return in.code
}

// background is a kamaelia started by bg.
type background struct {
	*instance
	out *axontest.Buffer // what it wrote to stdout
	eof chan struct{}    // closed once out has all of it
}

func cmdBackground(ts *testscript.TestScript, neg bool, args []string) {
	listening := len(args) > 0 && args[0] == "-listening"
	if listening {
		args = args[1:]
	}
	if neg || len(args) < 2 {
		ts.Fatalf("usage: bg [-listening] name kamaelia [args...]")
	}
	name := args[0]
	l := scriptLaunch(ts, args[1:])
	l.hold = true
	in, err := l.start()
	ts.Check(err)
	b := &background{instance: in, out: &axontest.Buffer{}, eof: make(chan struct{})}
	first := make(chan string, 1)
	go func() {
		defer close(b.eof)
		r := bufio.NewReader(in.stdout)
		line, _ := r.ReadString('\n')
		b.out.Write([]byte(line))
		first <- line
		io.Copy(b.out, r)
	}()
	ts.Defer(func() {
		select {
		case <-in.done:
		default:
			in.kill()
			<-in.done
		}
		<-b.eof
		in.stdout.Close()
	})
	backgrounds(ts)[name] = b
	if !listening {
		return
	}
	var line string
	select {
	case line = <-first:
	case <-time.After(scriptDeadline):
		ts.Fatalf("%s: no LISTENING line; stderr:\n%s", name, in.stderr)
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "LISTENING ")
	host, port, err := net.SplitHostPort(addr)
	if !ok || err != nil {
		ts.Fatalf("%s: first line %q, want LISTENING host:port; stderr:\n%s", name, line, in.stderr)
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
		ts.Check(b.signal(sig))
	}
	want, err := strconv.Atoi(args[len(args)-1])
	ts.Check(err)
	got := finished(ts, args[0], b.instance)
	<-b.eof
	fmt.Fprint(ts.Stdout(), b.out.String())
	fmt.Fprint(ts.Stderr(), b.stderr.String())
	if got != want {
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
