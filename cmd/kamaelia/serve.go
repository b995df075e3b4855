package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internet"
)

// protocols are the protocol handlers serve can speak, by name.
var protocols = map[string]func() axon.Component{
	"echo": func() axon.Component { return components.NewEcho() },
}

// passesChunksThrough names the protocols whose handlers send on only
// the chunks they were given, and keep none: their connections may reuse
// a chunk's memory once it is written (internet.RecycleWrittenChunks).
var passesChunksThrough = map[string]bool{"echo": true}

const serveAbout = `
Run a TCP server: a ServerCore that gives every connection its own protocol
handler (echo: send every client its own bytes back). When it is ready it
prints one line on stdout, "LISTENING host:port" (and with --debug-addr a
second, "DEBUG http://host:port/"), then logs on stderr.

On SIGINT or SIGTERM it shuts down gracefully. It stops listening at once,
so another server can bind the port. Every open connection goes on being
served, both ways, until its client finishes (an echo client half-closes
when it has sent everything, and gets its whole echo); a connection with
nothing queued that has made no progress for a second is closed cleanly.
Connections still open when --grace runs out, or at a second signal, are
reset: their clients see ECONNRESET, never a clean end of a truncated
stream. It logs how many it reset, and stops the debug server.

Progress is a byte read from a client or written to it. --idle-timeout
resets a connection that makes none for that long, even with output
waiting for a client that has stopped reading, so stalled clients free
their --max-conns slots. Connections past --max-conns are closed at once;
refusals are logged at most once a second, with a count. A TLS handshake
must be over within --handshake-timeout (or --idle-timeout, if shorter).

Exit status: 0 after a shutdown in which every connection finished; 3
after one that had to reset connections; 1 when it cannot listen or
fails; 2 for a bad flag or argument.

It listens on 127.0.0.1 unless --host says otherwise: serving every
interface is an explicit --host 0.0.0.0 (or ::). The port is --port, else
the PORT environment variable, else 1601; 0 picks a free port.

With --tls-cert and --tls-key every connection speaks TLS from its first
byte. With --starttls as well, connections start in plaintext and switch
to TLS when the client sends the line STARTTLS: the server answers
"OK STARTTLS" and the handshake follows (the connection's makessl box, as
in Kamaelia); the protocol then runs over TLS. Plaintext that follows the
STARTTLS line before the handshake is discarded.

With --debug-addr it also serves, on that address, a page that draws the
live graph of components (each connection's adapter and handler, their
boxes, queues and links, who is blocked on what), the graph as JSON and
DOT, Prometheus metrics and Go's profiles (see package introspect). An
address without a host is on 127.0.0.1; any other address that is not
loopback needs --debug-token (sent as "Authorization: Bearer TOKEN", or
?token=TOKEN in the page's address), and serve warns that the pages show
its internals.`

const serveExamples = `  kamaelia serve                                   # echo on 127.0.0.1:1601
  kamaelia serve --port 0                          # any free port; see the LISTENING line
  PORT=7000 kamaelia serve --log-level warn
  kamaelia serve --host 0.0.0.0 --max-conns 1000 --idle-timeout 5m --grace 30s
  kamaelia serve --tls-cert cert.pem --tls-key key.pem
  kamaelia serve --tls-cert cert.pem --tls-key key.pem --starttls
  kamaelia serve --debug-addr :6060                # then open http://127.0.0.1:6060/
  KAMAELIA_DEBUG_TOKEN=s3cret kamaelia serve --debug-addr 0.0.0.0:6060`

// defaultServePort is the port serve listens on when neither --port nor
// PORT says otherwise.
const defaultServePort = 1601

func runServe(ctx context.Context, e *env, args []string) int {
	c := newCLI("serve", "kamaelia serve [flags]", serveAbout, serveExamples)
	host := c.fs.String("host", "127.0.0.1", "listen on this `address`; 0.0.0.0 or :: for every interface")
	port := c.fs.Int("port", defaultServePort, "listen on this `port` (0: any free port); when not given, $PORT if set")
	protocol := c.fs.String("protocol", "echo", "the `name` of the protocol spoken on each connection: "+strings.Join(slices.Sorted(maps.Keys(protocols)), ", "))
	certFile := c.fs.String("tls-cert", "", "serve TLS with the certificate (chain) in PEM `file`; needs --tls-key")
	keyFile := c.fs.String("tls-key", "", "the private key of --tls-cert, in PEM `file`")
	startTLS := c.fs.Bool("starttls", false, "with --tls-cert: start in plaintext and switch to TLS when the client sends STARTTLS")
	maxConns := c.fs.Int("max-conns", 0, "serve at most `n` connections at once; others are closed at once (0: no limit)")
	idle := c.fs.Duration("idle-timeout", 0, "reset connections that make no progress (no byte read or written) for this `duration`, output waiting or not (0: never)")
	handshake := c.fs.Duration("handshake-timeout", internet.DefaultHandshakeTimeout, "close connections whose TLS handshake is not over within this `duration`")
	grace := c.fs.Duration("grace", 5*time.Second, "on SIGINT/SIGTERM, serve open connections until they finish for up to this `duration`, then reset them (exit 3)")
	var level slog.Level
	c.fs.TextVar(&level, "log-level", slog.LevelInfo, "log on stderr from this `level` on: debug (also each connection's end), info (each connection), warn, error")
	debug := addDebugFlags(c.fs)
	if _, code, ok := c.parse(e, args); !ok {
		return code
	}
	if !c.set("port") {
		if p := e.getenv("PORT"); p != "" {
			n, err := parsePort(p, true)
			if err != nil {
				return c.bad(e, "PORT environment variable: %v", err)
			}
			*port = n
		}
	}
	proto := protocols[*protocol]
	debugProblem := debug.check(e)
	switch {
	case *port < 0 || *port > 65535:
		return c.bad(e, "bad port %d: want a number from 0 to 65535", *port)
	case proto == nil:
		return c.bad(e, "unknown protocol %q (known: %s)", *protocol, strings.Join(slices.Sorted(maps.Keys(protocols)), ", "))
	case (*certFile == "") != (*keyFile == ""):
		return c.bad(e, "--tls-cert and --tls-key go together")
	case *startTLS && *certFile == "":
		return c.bad(e, "--starttls needs --tls-cert and --tls-key")
	case *maxConns < 0:
		return c.bad(e, "--max-conns must not be negative")
	case *idle < 0:
		return c.bad(e, "--idle-timeout must not be negative")
	case *handshake <= 0:
		return c.bad(e, "--handshake-timeout must be positive")
	case *grace < 0:
		return c.bad(e, "--grace must not be negative")
	case debugProblem != "":
		return c.bad(e, "%s", debugProblem)
	}

	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	opts := []internet.ServerCoreOption{internet.Host(*host), internet.Logger(log),
		internet.MaxConnections(*maxConns), internet.IdleTimeout(*idle), internet.HandshakeTimeout(*handshake)}
	if passesChunksThrough[*protocol] {
		opts = append(opts, internet.RecycleWrittenChunks())
	}
	mode := "plaintext"
	if *certFile != "" {
		cfg, err := serverTLS(*certFile, *keyFile)
		if err != nil {
			fmt.Fprintf(e.stderr, "kamaelia serve: %v\n", err)
			return exitFailure
		}
		if *startTLS {
			mode = "STARTTLS"
			opts = append(opts, internet.TLSServer(cfg))
			proto = withStartTLS(proto)
		} else {
			mode = "TLS"
			opts = append(opts, internet.ServeTLS(cfg))
		}
	}
	dbg, err := debug.listen(log)
	if err != nil {
		fmt.Fprintf(e.stderr, "kamaelia serve: %v\n", err)
		return exitFailure
	}
	defer dbg.close() // after the server has shut down
	srv, err := newServer(log, proto, *port, opts)
	if err != nil {
		fmt.Fprintf(e.stderr, "kamaelia serve: %v\n", err)
		return exitFailure
	}
	// The server is not given ctx: a signal asks for a graceful
	// Shutdown, not the abrupt stop that ctx's end would be.
	if err := srv.Activate(dbg.context(context.WithoutCancel(ctx))); err != nil {
		fmt.Fprintf(e.stderr, "kamaelia serve: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(e.stdout, "LISTENING %s\n", srv.Addr())
	dbg.serve(e.stdout, srv)
	log.Info("serving", "addr", srv.Addr().String(), "protocol", *protocol, "tls", mode,
		"max_conns", *maxConns, "idle_timeout", *idle, "grace", *grace)

	select {
	case <-srv.Done():
		if err := srv.Err(); err != nil {
			fmt.Fprintf(e.stderr, "kamaelia serve: %s\n", oneLine(err.Error()))
			return exitFailure
		}
		return exitOK
	case <-ctx.Done():
	}
	return shutDown(e, log, srv, *grace)
}

// shutDown drains srv for up to grace, or until a second signal, and
// returns the exit status: exitCut if it had to reset connections.
func shutDown(e *env, log *slog.Logger, srv *internet.ServerCore, grace time.Duration) int {
	log.Info("shutting down: no longer listening; serving open connections until they finish",
		"connections", srv.Connections(), "grace", grace)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	stopWatching := make(chan struct{})
	defer close(stopWatching)
	go func() {
		select {
		case <-e.again:
			log.Warn("second signal: resetting the connections still open")
			cancel()
		case <-stopWatching:
		}
	}()
	err := srv.Shutdown(sctx)
	if errors.Is(err, internet.ErrConnectionsCut) {
		log.Warn("shut down after resetting the connections still open", "err", err)
		return exitCut
	}
	if err != nil {
		log.Error("shut down", "err", err)
		return exitFailure
	}
	log.Info("shut down; every connection finished")
	return exitOK
}

// newServer makes the ServerCore: each connection gets a handler from
// proto, and is logged.
func newServer(log *slog.Logger, proto func() axon.Component, port int, opts []internet.ServerCoreOption) (*internet.ServerCore, error) {
	factory := func(info internet.ConnInfo) (axon.Component, error) {
		log.Info("connection", "peer", info.Peer(), "tls", info.TLS)
		return proto(), nil
	}
	srv, err := internet.NewServerCore(factory, port, opts...)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	return srv, nil
}

// withStartTLS wraps each handler proto makes in a STARTTLS gate.
func withStartTLS(proto func() axon.Component) func() axon.Component {
	return func() axon.Component { return newStartTLSGate(proto()) }
}
