// Command kamaelia serves, talks to and feeds TCP servers, built from the
// kamaelia-go components the way Kamaelia's documentation wires them.
//
// Usage:
//
//	kamaelia serve   [flags]                 run a server (echo by default; chat: one room)
//	kamaelia forward --to HOST:PORT [flags]  forward every connection to HOST:PORT (a TCP proxy)
//	kamaelia connect [flags] HOST PORT       stdin to the server, the server to stdout
//	kamaelia send    [flags] FILE HOST PORT  send a file (or stdin: -) at a controlled rate
//	kamaelia completion SHELL                a shell completion script
//	kamaelia help [COMMAND]                  show usage
//
// serve prints one line, "LISTENING host:port", on stdout once it accepts
// connections (and, with --debug-addr, a second, "DEBUG http://host:port/",
// where a browser sees the live graph of its components, with metrics
// and profiles), logs on stderr, and shuts down gracefully on SIGINT or
// SIGTERM: it stops listening, serves the open connections until their
// clients finish, and resets those still open after --grace (or at a
// second signal). It listens on 127.0.0.1 unless told otherwise; the
// port comes from --port, else from the PORT environment variable, else
// 1601. With --tls-cert and --tls-key every connection speaks TLS from
// the start; with --starttls as well, each connection starts in
// plaintext and is upgraded through its "makessl" box, as Kamaelia did
// it, when the client sends the line STARTTLS (connect --starttls does).
// With --protocol chat it is one chat room (a Backplane, and line
// framing), in the process or, with --backplane nats://HOST:PORT, shared
// with other chat servers through NATS.
//
// forward is a TCP proxy, ServerCore(StreamForwarder(TCPClient(--to))):
// it takes serve's listener flags, prints the same LISTENING line, and
// shuts down the same way; bytes pass both ways unchanged, half-closes
// are carried across, and a target that refuses or resets the
// connection has the client's reset.
//
// connect is the Graphline of the SSL example in Kamaelia's TCPClient
// documentation: a reader of stdin feeding a TCPClient whose output goes
// to a ConsoleEchoer, with a OneShot sending makessl when --ssl is given.
// It passes bytes through unchanged (with --crlf it sends lines ended by
// CRLF instead). At the end of stdin it half-closes the connection and
// keeps printing until the server closes (like nc -N).
//
// send is the Pipeline of the first example in Kamaelia's TCPClient
// documentation: a RateControlledFileReader feeding a TCPClient. It
// takes connect's TLS flags, and shows a progress bar when stderr is a
// terminal.
//
// Exit status, for every command: 0 on success; 1 on failure, with a
// one-line reason on stderr; 2 for a bad command line, in at most three
// lines; 3 when serve or forward had to reset connections at the end of
// its grace; 130 when connect or send is interrupted.
//
// Each command takes --help for its flags and examples; --version prints
// the version the binary was built from.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitCut         = 3 // serve reset connections still open at the end of its grace
	exitInterrupted = 130
)

// env is what a command runs with: its standard streams and environment,
// so tests can run commands without a process of their own.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// stderrIsTerminal says whether stderr is a terminal (for the
	// progress bar); stdoutSharesIt whether stdout is that same
	// terminal; columns is its width (0: unknown).
	stderrIsTerminal bool
	stdoutSharesIt   bool
	columns          func() int
	// dir is the directory relative file names are taken from; empty:
	// the process's working directory. (Tests that run commands in their
	// own process give each a directory of its own.)
	dir string
	// again is closed when a second SIGINT or SIGTERM comes (the first
	// ends the context the command runs with); nil: never.
	again <-chan struct{}

	// Set from the root command's flags when it runs.
	logs logFlags
}

func main() {
	ctx, again, stop := interrupts()
	e := &env{
		stdin:            os.Stdin,
		stdout:           os.Stdout,
		stderr:           os.Stderr,
		getenv:           os.Getenv,
		stderrIsTerminal: term.IsTerminal(int(os.Stderr.Fd())),
		stdoutSharesIt:   sameFile(os.Stdout, os.Stderr),
		columns: func() int {
			w, _, err := term.GetSize(int(os.Stderr.Fd()))
			if err != nil {
				return 0
			}
			return w
		},
		again: again,
	}
	code := run(ctx, e, os.Args[1:])
	stop()
	os.Exit(code)
}

// interrupts returns a context that ends at the first SIGINT or SIGTERM
// and a channel closed at the second; stop stops listening for them.
func interrupts() (ctx context.Context, again <-chan struct{}, stop func()) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(context.Background())
	twice := make(chan struct{})
	go func() {
		<-sigs
		cancel()
		<-sigs
		close(twice)
	}()
	return ctx, twice, func() { signal.Stop(sigs); cancel() }
}

// run runs the command line args (without the program name) and returns
// the exit status.
func run(ctx context.Context, e *env, args []string) int {
	root := newRoot(e)
	root.SetArgs(append([]string{}, args...)) // never nil: cobra would read os.Args
	cmd, err := root.ExecuteContextC(ctx)
	return e.exitStatus(cmd, err)
}

// width returns the terminal's width in columns, 0 if unknown.
func (e *env) width() int {
	if e.columns == nil {
		return 0
	}
	return e.columns()
}

// sameFile reports whether a and b are the same open file (the same
// terminal, say).
func sameFile(a, b *os.File) bool {
	ai, err := a.Stat()
	if err != nil {
		return false
	}
	bi, err := b.Stat()
	return err == nil && os.SameFile(ai, bi)
}
