package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/kamaelia-go/kamaelia/chassis"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internet"
)

const connectAbout = `
Connect to HOST PORT: each line read from stdin goes to the server, and
what the server sends is written to stdout. At the end of stdin the
connection is half-closed (no more data from us) and the server's output
is still printed until the server closes, like "nc -N".

With --ssl the connection switches to TLS as soon as it is made (makessl),
the server's certificate is verified (against --ca, or the system's roots),
and the TLS version, cipher suite and the server certificate's subject are
reported on stderr. Lines typed before TLS is up wait for it. With
--starttls instead, the client first sends the line STARTTLS and switches
once the server answers "OK STARTTLS" (as "kamaelia serve --starttls"
does).

With --stall-timeout, a connection that makes no progress (nothing read
from the server, nothing written to it) for that long is given up, even
while waiting for a server that does not answer. Off by default: a console
session may well sit idle.

Exit status: 0 when the server closed the connection cleanly; 1 with a
one-line reason on stderr for a refused connection, a timeout (connecting,
or a stall), a reset or a TLS failure; 2 for a bad flag or argument; 130
when interrupted.

It is the Graphline of Kamaelia's TCPClient SSL example: a ConsoleReader
feeding a TCPClient whose output goes to a ConsoleEchoer, and a OneShot
sending makessl.`

const connectExamples = `  kamaelia connect 127.0.0.1 1601
  printf 'hello\n' | kamaelia connect localhost 1601
  kamaelia connect --ssl example.org 443
  kamaelia connect --ssl --ca ca.pem --servername localhost 127.0.0.1 1601
  kamaelia connect --starttls --ca ca.pem localhost 1601`

func runConnect(ctx context.Context, e *env, args []string) int {
	c := newCLI("connect", "kamaelia connect [flags] HOST PORT", connectAbout, connectExamples)
	ssl := c.fs.Bool("ssl", false, "switch to TLS as soon as connected (send makessl)")
	startTLS := c.fs.Bool("starttls", false, "send STARTTLS first, and switch to TLS once the server agrees")
	ca := c.fs.String("ca", "", "verify the server against the CA certificates in PEM `file` instead of the system's")
	insecure := c.fs.Bool("insecure", false, "do not verify the server's certificate (for testing only)")
	serverName := c.fs.String("servername", "", "the `name` the server's certificate must carry (default HOST)")
	timeout := c.fs.Duration("timeout", 30*time.Second, "give up connecting after this `duration`")
	stall := c.fs.Duration("stall-timeout", 0, "give up (exit 1) when the connection makes no progress for this `duration` (0: never)")
	pos, code, ok := c.parse(e, args, "HOST", "PORT")
	if !ok {
		return code
	}
	host := pos[0]
	port, err := parsePort(pos[1], false)
	if err != nil {
		return c.bad(e, "%v", err)
	}
	mode := noTLS
	switch {
	case *ssl && *startTLS:
		return c.bad(e, "--ssl and --starttls do not go together")
	case *ssl:
		mode = tlsAtOnce
	case *startTLS:
		mode = tlsStartTLS
	case c.set("ca") || c.set("insecure") || c.set("servername"):
		return c.bad(e, "--ca, --insecure and --servername need --ssl or --starttls")
	}
	if *timeout <= 0 {
		return c.bad(e, "--timeout must be positive")
	}
	if *stall < 0 {
		return c.bad(e, "--stall-timeout must not be negative")
	}
	var tlsCfg *tls.Config
	if mode != noTLS {
		if tlsCfg, err = clientTLS(*ca, *insecure, *serverName); err != nil {
			fmt.Fprintf(e.stderr, "kamaelia connect: %v\n", err)
			return exitFailure
		}
	}
	g, err := newConsoleClient(e, host, port, mode, tlsCfg, *timeout, *stall)
	if err != nil {
		fmt.Fprintf(e.stderr, "kamaelia connect: %v\n", err)
		return exitFailure
	}
	return runClient(ctx, g.Core).exitStatus(e, "connect", net.JoinHostPort(host, strconv.Itoa(port)))
}

// newConsoleClient builds connect's Graphline:
//
//	CONSOLE.outbox      → SESSION.inbox        lines typed
//	CONSOLE.signal      → SESSION.control      end of input
//	SESSION.outbox      → CONNECTION.inbox     lines, once TLS is up if asked
//	SESSION.signal      → CONNECTION.control   end of input: half-close
//	MAKESSL.outbox      → CONNECTION.makessl   --ssl only
//	CONNECTION.outbox   → ECHO.inbox           what the server sends
//	                                           (--starttls: through SESSION's
//	                                           server and display, and
//	                                           SESSION.makessl instead of MAKESSL)
//	CONNECTION.sslready → SESSION.sslready
//	CONNECTION.signal   → SESSION.connection   the connection's end
//	SESSION.console     → CONSOLE.control      stop reading then
//	SESSION.echo        → ECHO.control         finish writing then
//	SESSION.result      → self.signal          the connection's end
//
// Kamaelia's example linked CONSOLE.outbox to CONNECTION.inbox directly;
// the SESSION in between holds the lines until TLS is up and ends the
// Graphline when the connection ends.
func newConsoleClient(e *env, host string, port int, mode tlsMode, tlsCfg *tls.Config, timeout, stall time.Duration) (*chassis.Graphline, error) {
	// Linger(-1): after our half-close, wait for the server to close
	// for as long as it takes, like nc -N; an interrupt (or the stall
	// timeout) ends the wait.
	opts := []internet.TCPClientOption{internet.ConnectTimeout(timeout), internet.Linger(-1), internet.IdleTimeout(stall)}
	if tlsCfg != nil {
		opts = append(opts, internet.TLSClient(tlsCfg))
	}
	children := chassis.Children{
		"CONSOLE":    components.NewConsoleReader(components.WithInput(e.stdin), components.WithPrompt(""), components.WithPromptOutput(e.stderr)),
		"SESSION":    newSession(mode, e.stderr),
		"CONNECTION": internet.NewTCPClient(host, port, opts...),
		"ECHO":       components.NewConsoleEchoer(components.WithOutput(e.stdout)),
	}
	links := chassis.Linkages{
		{"CONSOLE", "outbox"}:      {"SESSION", "inbox"},
		{"CONSOLE", "signal"}:      {"SESSION", "control"},
		{"SESSION", "outbox"}:      {"CONNECTION", "inbox"},
		{"SESSION", "signal"}:      {"CONNECTION", "control"},
		{"CONNECTION", "sslready"}: {"SESSION", "sslready"},
		{"CONNECTION", "signal"}:   {"SESSION", "connection"},
		{"SESSION", "console"}:     {"CONSOLE", "control"},
		{"SESSION", "echo"}:        {"ECHO", "control"},
		{"SESSION", "result"}:      {"self", "signal"},
	}
	switch mode {
	case tlsStartTLS:
		links[chassis.Box{"CONNECTION", "outbox"}] = chassis.Box{"SESSION", "server"}
		links[chassis.Box{"SESSION", "display"}] = chassis.Box{"ECHO", "inbox"}
		links[chassis.Box{"SESSION", "makessl"}] = chassis.Box{"CONNECTION", "makessl"}
	default:
		links[chassis.Box{"CONNECTION", "outbox"}] = chassis.Box{"ECHO", "inbox"}
		if mode == tlsAtOnce {
			children["MAKESSL"] = components.NewOneShot(internet.MakeSSL{})
			links[chassis.Box{"MAKESSL", "outbox"}] = chassis.Box{"CONNECTION", "makessl"}
		}
	}
	g, err := chassis.NewGraphline(children, links)
	if err != nil {
		return nil, fmt.Errorf("building the client: %w", err)
	}
	return g, nil
}
