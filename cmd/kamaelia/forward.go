package main

import (
	"context"
	"crypto/tls"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internet"
	"github.com/spf13/cobra"
)

const forwardAbout = `Forward every connection to a target: a TCP proxy. Each connection accepted
gets its own connection to --to (a TCPClient), and a StreamForwarder joins
the two: bytes pass both ways unchanged, and when one side finishes
sending (a half-close) the other is half-closed after the last byte, while
the other direction goes on. A side that stops reading holds up the other
side's peer through TCP: what the proxy holds per connection is bounded,
whatever the peers do. When it is ready it prints one line on stdout,
"LISTENING host:port", then logs on stderr.

If the target refuses the connection, does not answer within
--connect-timeout, or resets the connection later, the client's connection
is reset (not closed in order: the client can tell that it got nothing, or
not everything), and the reason is logged with the client's address. A
client that resets gets the target's connection reset likewise.

The listening side takes serve's flags: --host, --port (else $PORT, else
1603), --max-conns, --idle-timeout, --grace, and --tls-cert with --tls-key
for TLS from the first byte. --ssl-to speaks TLS to the target, verifying
its certificate against the system's authorities or --ca, for the name in
--to or --servername.

On SIGINT or SIGTERM it stops listening, lets every connection finish for
up to --grace, and resets what is left.

Exit status: 0 after a shutdown in which every connection finished; 3
after one that had to reset connections; 1 when it cannot listen or
fails; 2 for a bad flag or argument.`

const forwardExamples = `  kamaelia forward --to example.org:80                 # then curl -H 'Host: example.org' http://127.0.0.1:1603/
  kamaelia forward --to 10.0.0.2:5432 --host 0.0.0.0 --port 5432 --max-conns 200
  kamaelia forward --to example.org:443 --ssl-to --tls-cert cert.pem --tls-key key.pem   # TLS both sides
  kamaelia forward --to 127.0.0.1:1601 --port 0 --connect-timeout 2s`

// defaultForwardPort is the port forward listens on when neither --port
// nor PORT says otherwise.
const defaultForwardPort = 1603

// forwardFlags are forward's flags. A new flag is a field here and a
// line in newForwardCommand.
type forwardFlags struct {
	listen         listenerFlags
	to             string
	connectTimeout time.Duration
	sslTo          bool
	ca             string
	serverName     string
	debug          *debugFlags
}

func newForwardCommand(e *env) *cobra.Command {
	var f forwardFlags
	cmd := &cobra.Command{
		Use:     "forward --to HOST:PORT [flags]",
		Short:   "Forward every connection to a target (a TCP proxy)",
		Long:    forwardAbout,
		Example: forwardExamples,
		Args:    positional(),
		RunE:    func(cmd *cobra.Command, _ []string) error { return runForward(cmd, e, &f) },
	}
	f.listen.register(cmd, defaultForwardPort)
	fs := cmd.Flags()
	fs.StringVar(&f.to, "to", "", "forward every connection to this `HOST:PORT`")
	fs.DurationVar(&f.connectTimeout, "connect-timeout", 10*time.Second, "reset the client when the target has not answered within this `duration`")
	fs.BoolVar(&f.sslTo, "ssl-to", false, "speak TLS to the target")
	fs.StringVar(&f.ca, "ca", "", "with --ssl-to: verify the target against the CA certificates in PEM `file` instead of the system's")
	fs.StringVar(&f.serverName, "servername", "", "with --ssl-to: the `name` the target's certificate must carry (default the host of --to)")
	_ = cmd.MarkFlagFilename("ca", "pem", "crt")
	f.debug = addDebugFlags(fs)
	return cmd
}

// check checks forward's own flags; a problem is a usage error.
func (f *forwardFlags) check(cmd *cobra.Command) error {
	switch {
	case f.to == "":
		return usagef(cmd, "", "--to HOST:PORT is needed")
	case f.connectTimeout <= 0:
		return usagef(cmd, "", "--connect-timeout must be positive")
	case !f.sslTo && (f.ca != "" || f.serverName != ""):
		return usagef(cmd, "Add --ssl-to.", "--ca and --servername need --ssl-to")
	}
	if _, err := internet.NewTCPClientAddr(f.to); err != nil {
		return usagef(cmd, "Give the target as HOST:PORT, such as example.org:80 or [::1]:8080.", "bad --to %q", f.to)
	}
	return nil
}

func runForward(cmd *cobra.Command, e *env, f *forwardFlags) error {
	if err := f.listen.check(cmd, e); err != nil {
		return err
	}
	if err := f.check(cmd); err != nil {
		return err
	}
	if problem := f.debug.check(e); problem != "" {
		return usagef(cmd, "", "%s", problem)
	}
	tlsCfg, err := f.listen.tlsConfig(e)
	if err != nil {
		return failure(err)
	}
	var toTLS *tls.Config
	if f.sslTo {
		if toTLS, err = clientTLS(e, f.ca, false, f.serverName); err != nil {
			return failure(err)
		}
	}
	log := e.logger()
	dbg, err := f.debug.listen(log)
	if err != nil {
		return failure(err)
	}
	defer dbg.close() // after the server has shut down
	srv, err := internet.NewServerCore(forwarder(f.to, f.connectTimeout, toTLS),
		f.listen.port, serverOptions(&f.listen, tlsCfg, protocol{}, log)...)
	if err != nil {
		return failure(listenError(err))
	}
	return runServer(cmd, e, log, dbg, srv, f.listen.grace, nil,
		"forwarding", "addr", srv.Addr().String(), "to", f.to, "tls", f.listen.tlsMode(), "tls_to", f.sslTo,
		"max_conns", f.listen.maxConns, "idle_timeout", f.listen.idle, "connect_timeout", f.connectTimeout, "grace", f.listen.grace)
}

// forwarder is the protocol of forward: for every connection, a
// StreamForwarder to a TCPClient of its own to target, speaking TLS with
// toTLS if it is not nil. When either side fails, the other is reset.
//
//	ServerCore(protocol=StreamForwarder(TCPClient(target)))
func forwarder(target string, connectTimeout time.Duration, toTLS *tls.Config) internet.Factory {
	opts := []internet.TCPClientOption{internet.ConnectTimeout(connectTimeout), internet.AllowHalfClose()}
	if toTLS != nil {
		opts = append(opts, internet.TLSClient(toTLS))
	}
	reset := components.AbortWith(func(cause error) any { return internet.Reset{Err: cause} })
	return func(internet.ConnInfo) (axon.Component, error) {
		client, err := internet.NewTCPClientAddr(target, opts...)
		if err != nil {
			return nil, err
		}
		if toTLS != nil {
			// TLS as soon as connected, before any byte of the client's.
			if err := client.Inbox("makessl").Put(context.Background(), internet.MakeSSL{}); err != nil {
				return nil, err
			}
		}
		return components.NewStreamForwarder(client, reset)
	}
}
