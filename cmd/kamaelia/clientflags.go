package main

import (
	"crypto/tls"
	"time"

	"github.com/spf13/cobra"
)

// clientFlags are the flags of a command that connects to a server
// (connect, send): TLS, and how long to wait.
type clientFlags struct {
	ssl        bool
	startTLS   bool
	ca         string
	insecure   bool
	serverName string
	timeout    time.Duration
	stall      time.Duration
}

// register adds the flags to cmd. stall is the default of
// --stall-timeout.
func (c *clientFlags) register(cmd *cobra.Command, stall time.Duration) {
	fs := cmd.Flags()
	fs.BoolVar(&c.ssl, "ssl", false, "switch to TLS as soon as connected (send makessl)")
	fs.BoolVar(&c.startTLS, "starttls", false, "send STARTTLS first, and switch to TLS once the server agrees")
	fs.StringVar(&c.ca, "ca", "", "verify the server against the CA certificates in PEM `file` instead of the system's")
	fs.BoolVar(&c.insecure, "insecure", false, "do not verify the server's certificate (for testing only)")
	fs.StringVar(&c.serverName, "servername", "", "the `name` the server's certificate must carry (default HOST)")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "give up connecting after this `duration`")
	fs.DurationVar(&c.stall, "stall-timeout", stall, "give up (exit 1) when the connection makes no progress for this `duration` (0: never)")
	_ = cmd.MarkFlagFilename("ca", "pem", "crt")
}

// check checks that the flags make sense together (a problem is a usage
// error) and returns the TLS mode they ask for.
func (c *clientFlags) check(cmd *cobra.Command) (tlsMode, error) {
	mode := noTLS
	switch {
	case c.ssl && c.startTLS:
		return 0, usagef(cmd, "Use --ssl for TLS from the start, --starttls to upgrade.", "--ssl and --starttls do not go together")
	case c.ssl:
		mode = tlsAtOnce
	case c.startTLS:
		mode = tlsStartTLS
	case cmd.Flags().Changed("ca") || c.insecure || c.serverName != "":
		return 0, usagef(cmd, "Add --ssl (or --starttls).", "--ca, --insecure and --servername need --ssl or --starttls")
	}
	switch {
	case c.timeout <= 0:
		return 0, usagef(cmd, "", "--timeout must be positive")
	case c.stall < 0:
		return 0, usagef(cmd, "", "--stall-timeout must not be negative")
	}
	return mode, nil
}

// tls checks the flags and returns the TLS mode they ask for and its
// configuration (nil for noTLS). A problem with the flags is a usage
// error; one with the CA file, a failure.
func (c *clientFlags) tls(cmd *cobra.Command, e *env) (tlsMode, *tls.Config, error) {
	mode, err := c.check(cmd)
	if err != nil || mode == noTLS {
		return mode, nil, err
	}
	cfg, err := clientTLS(e, c.ca, c.insecure, c.serverName)
	if err != nil {
		return mode, nil, failure(err)
	}
	return mode, cfg, nil
}
