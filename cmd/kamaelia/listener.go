package main

import (
	"crypto/tls"
	"time"

	"github.com/kamaelia-go/kamaelia/internet"
	"github.com/spf13/cobra"
)

// listenerFlags are the flags of a command that listens for connections
// (serve, and any server command to come): where to listen, the limits,
// the shutdown's grace and TLS. A command registers them with register
// and checks them with check before it uses them.
type listenerFlags struct {
	host      string
	port      int
	maxConns  int
	idle      time.Duration
	handshake time.Duration
	grace     time.Duration
	certFile  string
	keyFile   string
	startTLS  bool
}

// register adds the flags to cmd; the port is defaultPort unless --port
// or $PORT says otherwise.
func (l *listenerFlags) register(cmd *cobra.Command, defaultPort int) {
	fs := cmd.Flags()
	fs.StringVar(&l.host, "host", "127.0.0.1", "listen on this `address`; 0.0.0.0 or :: for every interface")
	fs.IntVar(&l.port, "port", defaultPort, "listen on this `port` (0: any free port); when not given, $PORT if set")
	fs.IntVar(&l.maxConns, "max-conns", 0, "serve at most `n` connections at once; others are closed at once (0: no limit)")
	fs.DurationVar(&l.idle, "idle-timeout", 0, "reset connections that make no progress (no byte read or written) for this `duration`, output waiting or not (0: never)")
	fs.DurationVar(&l.handshake, "handshake-timeout", internet.DefaultHandshakeTimeout, "close connections whose TLS handshake is not over within this `duration`")
	fs.DurationVar(&l.grace, "grace", 5*time.Second, "on SIGINT/SIGTERM, serve open connections until they finish for up to this `duration`, then reset them (exit 3)")
	fs.StringVar(&l.certFile, "tls-cert", "", "serve TLS with the certificate (chain) in PEM `file`; needs --tls-key")
	fs.StringVar(&l.keyFile, "tls-key", "", "the private key of --tls-cert, in PEM `file`")
	_ = cmd.MarkFlagFilename("tls-cert", "pem", "crt")
	_ = cmd.MarkFlagFilename("tls-key", "pem", "key")
	_ = cmd.RegisterFlagCompletionFunc("host", cobra.FixedCompletions([]string{"127.0.0.1", "::1", "0.0.0.0", "::"}, cobra.ShellCompDirectiveNoFileComp))
}

// registerStartTLS adds --starttls, for a command whose protocol handlers
// can be put behind a STARTTLS gate (serve).
func (l *listenerFlags) registerStartTLS(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&l.startTLS, "starttls", false, "with --tls-cert: start in plaintext and switch to TLS when the client sends STARTTLS")
}

// check reads $PORT if --port was not given, and checks that the flags
// make sense together; a problem is a usage error.
func (l *listenerFlags) check(cmd *cobra.Command, e *env) error {
	if !cmd.Flags().Changed("port") {
		if p := e.getenv("PORT"); p != "" {
			n, err := parsePort(p, true)
			if err != nil {
				return usagef(cmd, "Give a port with --port, or unset PORT.", "PORT environment variable: %v", err)
			}
			l.port = n
		}
	}
	switch {
	case l.port < 0 || l.port > 65535:
		return usagef(cmd, "", "bad port %d: want a number from 0 to 65535", l.port)
	case (l.certFile == "") != (l.keyFile == ""):
		return usagef(cmd, "Give both: --tls-cert cert.pem --tls-key key.pem", "--tls-cert and --tls-key go together")
	case l.startTLS && l.certFile == "":
		return usagef(cmd, "Give --tls-cert cert.pem --tls-key key.pem as well.", "--starttls needs --tls-cert and --tls-key")
	case l.maxConns < 0:
		return usagef(cmd, "", "--max-conns must not be negative")
	case l.idle < 0:
		return usagef(cmd, "", "--idle-timeout must not be negative")
	case l.handshake <= 0:
		return usagef(cmd, "", "--handshake-timeout must be positive")
	case l.grace < 0:
		return usagef(cmd, "", "--grace must not be negative")
	}
	return nil
}

// tlsMode names how connections get to TLS: "plaintext", "TLS" (from
// the first byte) or "STARTTLS".
func (l *listenerFlags) tlsMode() string {
	switch {
	case l.certFile == "":
		return "plaintext"
	case l.startTLS:
		return "STARTTLS"
	}
	return "TLS"
}

// tlsConfig loads the certificate and key, if given; nil if not.
func (l *listenerFlags) tlsConfig(e *env) (*tls.Config, error) {
	if l.certFile == "" {
		return nil, nil
	}
	return serverTLS(e, l.certFile, l.keyFile)
}
