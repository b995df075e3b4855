// Sslclient is the SSL example of Kamaelia's TCPClient documentation,
// written with kamaelia-go. The original:
//
//	Graphline(
//	    MAKESSL = OneShot(" make ssl "),
//	    CONSOLE = ConsoleReader(),
//	    ECHO = ConsoleEchoer(),
//	    CONNECTION = TCPClient("kamaelia.svn.sourceforge.net", 443),
//	    linkages = {
//	        ("MAKESSL", "outbox"): ("CONNECTION", "makessl"),
//	        ("CONSOLE", "outbox"): ("CONNECTION", "inbox"),
//	        ("CONNECTION", "outbox"): ("ECHO", "inbox"),
//	    }
//	)
//
// The Go version has the same four components and three linkages, and
// two more so that it ends: the console's signal goes to the
// connection's control (at the end of input the connection half-closes
// and waits for the server to finish), and the connection's signal comes
// out of the Graphline (its one terminal message, carrying the cause of
// a failure). The certificate of the server is verified, against -ca if
// given, else the system's roots.
//
// Usage:
//
//	sslclient [-ca FILE] [HOST [PORT]]
//
// For example, an HTTPS request by hand:
//
//	printf 'GET / HTTP/1.0\r\nHost: example.org\r\n\r\n' | go run ./examples/sslclient example.org 443
//
// The lines typed go to the connection as they come. A line that reaches
// the connection before its makessl has been handled would go out in
// plaintext; "kamaelia connect --ssl" holds lines back until TLS is up.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/chassis"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internet"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout)
	stop()
	if code := exitStatus(err); code != 0 {
		fmt.Fprintln(os.Stderr, "sslclient:", err)
		os.Exit(code)
	}
}

// exitStatus is the exit status for what run returned: 0 for nothing
// or for -help (the flag package has printed the usage), else 1.
func exitStatus(err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 1
}

// run connects to the server the arguments name, sends it the lines of
// in over TLS and writes what it sends back to out.
func run(ctx context.Context, args []string, in io.Reader, out io.Writer) error {
	fs := flag.NewFlagSet("sslclient", flag.ContinueOnError)
	caFile := fs.String("ca", "", "verify the server against the CA certificates in this PEM file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	host, port := "example.org", 443
	if fs.NArg() > 0 {
		host = fs.Arg(0)
	}
	if fs.NArg() > 1 {
		p, err := strconv.Atoi(fs.Arg(1))
		if err != nil {
			return fmt.Errorf("bad port %q: %w", fs.Arg(1), err)
		}
		port = p
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			return err
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return fmt.Errorf("no certificate in %s", *caFile)
		}
	}

	g, err := chassis.NewGraphline(chassis.Children{
		"MAKESSL":    components.NewOneShot(" make ssl "), // any message on makessl will do
		"CONSOLE":    components.NewConsoleReader(components.WithInput(in), components.WithPrompt("")),
		"ECHO":       components.NewConsoleEchoer(components.WithOutput(out)),
		"CONNECTION": internet.NewTCPClient(host, port, internet.TLSClient(cfg)),
	}, chassis.Linkages{
		{"MAKESSL", "outbox"}:    {"CONNECTION", "makessl"},
		{"CONSOLE", "outbox"}:    {"CONNECTION", "inbox"},
		{"CONNECTION", "outbox"}: {"ECHO", "inbox"},
		// So that it ends:
		{"CONSOLE", "signal"}:    {"CONNECTION", "control"},
		{"CONNECTION", "signal"}: {"self", "signal"},
	})
	if err != nil {
		return err
	}
	return runToEnd(ctx, g)
}

// runToEnd runs the Graphline until its connection has ended, then asks
// the console reader and echoer to finish (a shutdownMicroprocess on the
// Graphline's control reaches every child whose control no linkage
// feeds), and returns the connection's cause.
func runToEnd(ctx context.Context, g *chassis.Graphline) error {
	h, err := axon.NewHandle(g)
	if err != nil {
		return err
	}
	defer h.Close()
	if err := g.Activate(ctx); err != nil {
		return err
	}
	var cause error
	for {
		m, err := h.Get(ctx, "signal")
		if err != nil {
			<-g.Done()
			return errors.Join(err, g.Err())
		}
		if axon.IsProducerFinished(m) {
			cause = axon.Cause(m)
			break
		}
	}
	if err := h.Put(ctx, "control", axon.ShutdownMicroprocess{}); err != nil {
		return err
	}
	<-g.Done()
	return cause
}
