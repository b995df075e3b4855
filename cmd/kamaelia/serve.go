package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internet"
	"github.com/spf13/cobra"
)

const serveAbout = `Run a TCP server: a ServerCore that gives every connection its own protocol
handler (echo: send every client its own bytes back; chat: one room). When it is ready it
prints one line on stdout, "LISTENING host:port" (and with --debug-addr a
second, "DEBUG http://host:port/"), then logs on stderr (each connection
at --log-level debug).

On SIGINT or SIGTERM it shuts down gracefully. It stops listening at once,
so another server can bind the port. Every open connection goes on being
served, both ways, until its client finishes (an echo client half-closes
when it has sent everything, and gets its whole echo); a connection with
nothing queued either way (none of its client's bytes waiting unread)
that has made no progress for a second is closed cleanly.
Connections still open when --grace runs out, or at a second signal, are
reset: their clients see ECONNRESET, never a clean end of a truncated
stream. It logs how many it reset, and stops the debug server.

Progress is a byte read from a client or written to it. --idle-timeout
resets a connection that makes none for that long, even with output
waiting for a client that has stopped reading, so stalled clients free
their --max-conns slots. Connections past --max-conns are closed at once;
refusals are logged at most once a second, with a count. A TLS handshake
must be over within --handshake-timeout (or --idle-timeout, if shorter).

It listens on 127.0.0.1 unless --host says otherwise: serving every
interface is an explicit --host 0.0.0.0 (or ::). The port is --port, else
the PORT environment variable, else 1601; 0 picks a free port.

With --tls-cert and --tls-key every connection speaks TLS from its first
byte. With --starttls as well, connections start in plaintext and switch
to TLS when the client sends the line STARTTLS: the server answers
"OK STARTTLS" and the handshake follows (the connection's makessl box, as
in Kamaelia); the protocol then runs over TLS. Plaintext that follows the
STARTTLS line before the handshake is discarded.

--protocol chat is one room: every line a client sends (LF or CRLF, at
most 64 KiB) reaches every other client, byte for byte, and not the
sender. A client that falls more than --max-behind lines behind is
disconnected, with a log line, rather than anyone losing lines without a
word. The room is in the process, or, with --backplane, shared through a
NATS server with every chat server using it: a line reaches the clients
of every server, once each. --backplane-creds and --backplane-ca (or a
tls:// URL) are for a NATS server that wants them. If NATS cannot be
reached at start, serve exits 1. If it goes away later, this server's
clients go on talking among themselves, the loss and the return are
logged, and lines said meanwhile are kept (up to --backplane-buffer) and
sent once NATS is back; the rest are dropped, and counted in the log.

With --debug-addr it also serves, on that address, a page that draws the
live graph of components (each connection's adapter and handler, their
boxes, queues and links, who is blocked on what), the graph as JSON and
DOT, Prometheus metrics and Go's profiles (see package introspect). An
address without a host is on 127.0.0.1; any other address that is not
loopback needs --debug-token (sent as "Authorization: Bearer TOKEN", or
?token=TOKEN in the page's address), and serve warns that the pages show
its internals.

Exit status: 0 after a shutdown in which every connection finished; 3
after one that had to reset connections; 1 when it cannot listen or
fails; 2 for a bad flag or argument.`

const serveExamples = `  kamaelia serve                                   # echo on 127.0.0.1:1601
  kamaelia serve --port 0                          # any free port; see the LISTENING line
  PORT=7000 kamaelia serve --log-level warn
  kamaelia serve --host 0.0.0.0 --max-conns 1000 --idle-timeout 5m --grace 30s
  kamaelia serve --tls-cert cert.pem --tls-key key.pem
  kamaelia serve --tls-cert cert.pem --tls-key key.pem --starttls
  kamaelia serve --protocol chat                   # one room; nc 127.0.0.1 1601 in two terminals
  kamaelia serve --protocol chat --backplane nats://127.0.0.1:4222 --port 0   # one room, many servers
  kamaelia serve --debug-addr :6060                # then open http://127.0.0.1:6060/
  KAMAELIA_DEBUG_TOKEN=s3cret kamaelia serve --debug-addr 0.0.0.0:6060`

// defaultServePort is the port serve listens on when neither --port nor
// PORT says otherwise.
const defaultServePort = 1601

// serveFlags are serve's flags. A new flag is a field here and a line in
// newServeCommand.
type serveFlags struct {
	listen   listenerFlags
	protocol string
	chat     chatFlags
	debug    *debugFlags
}

func newServeCommand(e *env) *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:     "serve [flags]",
		Short:   "Run a TCP server (echo by default)",
		Long:    serveAbout,
		Example: serveExamples,
		Args:    positional(),
		RunE:    func(cmd *cobra.Command, _ []string) error { return runServe(cmd, e, &f) },
	}
	f.listen.register(cmd, defaultServePort)
	f.listen.registerStartTLS(cmd)
	cmd.Flags().StringVar(&f.protocol, "protocol", "echo", "the `name` of the protocol spoken on each connection: "+strings.Join(protocolNames(), ", "))
	_ = cmd.RegisterFlagCompletionFunc("protocol", cobra.FixedCompletions(protocolNames(), cobra.ShellCompDirectiveNoFileComp))
	f.chat.register(cmd)
	f.debug = addDebugFlags(cmd.Flags())
	return cmd
}

func runServe(cmd *cobra.Command, e *env, f *serveFlags) error {
	if err := f.listen.check(cmd, e); err != nil {
		return err
	}
	proto, ok := lookupProtocol(f.protocol)
	if !ok {
		hint := didYouMean(protocolNames(), f.protocol, "")
		if hint == "" {
			hint = "Known protocols: " + strings.Join(protocolNames(), ", ")
		}
		return usagef(cmd, hint, "unknown protocol %q", f.protocol)
	}
	if err := f.chat.check(cmd, proto); err != nil {
		return err
	}
	if problem := f.debug.check(e); problem != "" {
		return usagef(cmd, "", "%s", problem)
	}
	tlsCfg, err := f.listen.tlsConfig(e)
	if err != nil {
		return failure(err)
	}
	factory := func(internet.ConnInfo) (axon.Component, error) {
		h, err := proto.handler(f)
		if err != nil || !f.listen.startTLS {
			return h, err
		}
		return newStartTLSGate(h), nil
	}
	log := e.logger()
	dbg, err := f.debug.listen(log)
	if err != nil {
		return failure(err)
	}
	defer dbg.close() // after the server has shut down
	room, err := openRoom(proto, &f.chat, log)
	if err != nil {
		return failure(err)
	}
	defer room.stop() // after the server has shut down
	srv, err := internet.NewServerCore(factory, f.listen.port, serverOptions(&f.listen, tlsCfg, proto, log)...)
	if err != nil {
		return failure(listenError(err))
	}
	if proto.room != "" {
		log.Info("room", "name", proto.room, "backplane", room.where, "max_behind", f.chat.maxBehind)
	}
	return runServer(cmd, e, log, dbg, srv, f.listen.grace, room.activate,
		"serving", "addr", srv.Addr().String(), "protocol", proto.name, "tls", f.listen.tlsMode(),
		"max_conns", f.listen.maxConns, "idle_timeout", f.listen.idle, "grace", f.listen.grace)
}

// runServer runs srv, a server made for cmd, until cmd's context ends
// (a signal), then shuts it down gracefully within grace (see
// shutDown). start, if not nil, first starts what srv's handlers need
// (a room), with the context srv runs with. Once srv listens it prints
// the LISTENING line (and, with dbg, the DEBUG line) and logs msg with
// args.
//
// The server is not given cmd's context, whose end (a signal) asks for
// a graceful Shutdown, not the abrupt stop that the context's end would
// be. Its registry is its own (the debug server's, with --debug-addr),
// where its handlers find what start started.
func runServer(cmd *cobra.Command, e *env, log *slog.Logger, dbg *debugServer, srv *internet.ServerCore,
	grace time.Duration, start func(context.Context) error, msg string, args ...any) error {
	ctx := cmd.Context()
	sctx := dbg.context(axon.NewContext(context.WithoutCancel(ctx), axon.NewRegistry()))
	if start != nil {
		if err := start(sctx); err != nil {
			srv.TCPServer().Close()
			return failure(err)
		}
	}
	if err := srv.Activate(sctx); err != nil {
		return failure(err)
	}
	fmt.Fprintf(e.stdout, "LISTENING %s\n", srv.Addr())
	dbg.serve(e.stdout, srv)
	log.Info(msg, args...)

	select {
	case <-srv.Done():
		if err := srv.Err(); err != nil {
			return failure(err)
		}
		return nil
	case <-ctx.Done():
	}
	return shutDown(e, log, srv, grace)
}

// listenError is the cause of a failure to listen, without the layers
// of the library that wrapped it: "listen tcp 127.0.0.1:1601: bind:
// address already in use".
func listenError(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		return op
	}
	return err
}

// shutDown drains srv for up to grace, or until a second signal. The
// server logs what it does (and how many connections it reset); the
// error is an exit status 3 if it had to reset connections.
func shutDown(e *env, log *slog.Logger, srv *internet.ServerCore, grace time.Duration) error {
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
	switch {
	case errors.Is(err, internet.ErrConnectionsCut):
		return &exitError{code: exitCut} // the server logged it
	case err != nil:
		return failure(fmt.Errorf("shutting down: %w", err))
	}
	log.Info("shut down; every connection finished")
	return nil
}
