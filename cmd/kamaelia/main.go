// Command kamaelia serves, talks to and feeds TCP servers, built from the
// kamaelia-go components the way Kamaelia's documentation wires them.
//
// Usage:
//
//	kamaelia serve   [flags]                 run a server (echo by default)
//	kamaelia connect [flags] HOST PORT       console client: stdin to the server, the server to stdout
//	kamaelia send    [flags] FILE HOST PORT  send a file at a controlled rate
//	kamaelia help [COMMAND]                  show usage
//
// serve prints one line, "LISTENING host:port", on stdout once it accepts
// connections (and, with --debug-addr, a second, "DEBUG http://host:port/",
// where a browser sees the live graph of its components, with metrics
// and profiles), logs connections on stderr, and shuts down gracefully on
// SIGINT or SIGTERM: it stops listening, serves the open connections
// until their clients finish, and resets those still open after --grace
// (or at a second signal). It listens on 127.0.0.1 unless told otherwise; the
// port comes from --port, else from the PORT environment variable, else
// 1601. With --tls-cert and --tls-key every connection speaks TLS from
// the start; with --starttls as well, each connection starts in plaintext
// and is upgraded through its "makessl" box, as Kamaelia did it, when the
// client sends the line STARTTLS (connect --starttls does).
//
// connect is the Graphline of the SSL example in Kamaelia's TCPClient
// documentation: a ConsoleReader feeding a TCPClient whose output goes to
// a ConsoleEchoer, with a OneShot sending makessl when --ssl is given. At
// the end of stdin it half-closes the connection and keeps printing until
// the server closes (like nc -N).
//
// send is the Pipeline of the first example in Kamaelia's TCPClient
// documentation: a RateControlledFileReader feeding a TCPClient. It shows
// a progress bar when stderr is a terminal.
//
// Exit status: 0 on success, 1 on failure (with a one-line reason on
// stderr), 2 for a bad flag or argument, 3 when serve had to cut
// connections off at shutdown, 130 when connect or send is interrupted.
//
// Each command takes --help for its flags and examples.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
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
	// progress bar).
	stderrIsTerminal bool
	// again is closed when a second SIGINT or SIGTERM comes (the first
	// ends the context the command runs with); nil: never.
	again <-chan struct{}
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) int
}

func commands() []command {
	return []command{
		{"serve", "run a TCP server (echo by default)", runServe},
		{"connect", "console client: stdin to the server, the server to stdout", runConnect},
		{"send", "send a file to a server at a controlled rate", runSend},
	}
}

func main() {
	ctx, again, stop := interrupts()
	e := &env{
		stdin:            os.Stdin,
		stdout:           os.Stdout,
		stderr:           os.Stderr,
		getenv:           os.Getenv,
		stderrIsTerminal: isTerminal(os.Stderr),
		again:            again,
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

// run dispatches to the subcommand named by args[0] and returns the exit
// status.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, "kamaelia: no command given")
		mainUsage(e.stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help", "help":
		if name == "help" && len(rest) > 0 {
			if c, ok := lookup(rest[0]); ok {
				return c.run(ctx, e, []string{"--help"})
			}
			fmt.Fprintf(e.stderr, "kamaelia: unknown command %q\n", rest[0])
			mainUsage(e.stderr)
			return exitUsage
		}
		mainUsage(e.stdout)
		return exitOK
	}
	c, ok := lookup(name)
	if !ok {
		fmt.Fprintf(e.stderr, "kamaelia: unknown command %q\n", name)
		mainUsage(e.stderr)
		return exitUsage
	}
	return c.run(ctx, e, rest)
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func mainUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: kamaelia COMMAND [flags] [arguments]

Kamaelia's network components, wired into a tool.

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Examples:
  kamaelia serve                          # echo server on 127.0.0.1:1601
  kamaelia connect 127.0.0.1 1601         # type lines, see them echoed
  kamaelia send --rate 1MiB big.iso 127.0.0.1 1601

Run "kamaelia COMMAND --help" for a command's flags.
`)
}

// isTerminal reports whether f is a terminal (a character device).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
