// Echoserver is the smallest server built from components: Kamaelia's
// SimpleServer with the Echo protocol, which sends every client its own
// bytes back.
//
//	SimpleServer(protocol=Echo, port=1601)
//
// Every connection gets a ConnectedSocketAdapter wired to a fresh Echo:
// what the client sends comes in on Echo's inbox and goes back out of its
// outbox. The server prints "LISTENING host:port" once it accepts, and on
// Ctrl-C it stops accepting, lets the connections finish and exits.
//
// Usage:
//
//	echoserver [-host 127.0.0.1] [-port 1601]
//
// Then, in another terminal: "go run ./cmd/kamaelia connect 127.0.0.1 1601".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internet"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if code := exitStatus(err); code != 0 {
		fmt.Fprintln(os.Stderr, "echoserver:", err)
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

// run serves echo until ctx ends, then shuts down gracefully.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("echoserver", flag.ContinueOnError)
	host := fs.String("host", "127.0.0.1", "address to listen on")
	port := fs.Int("port", 1601, "port to listen on (0: any free port)")
	if err := fs.Parse(args); err != nil {
		return err
	}

	server, err := internet.NewSimpleServer(func() axon.Component { return components.NewEcho() },
		*port, internet.Host(*host))
	if err != nil {
		return err
	}
	if err := server.Activate(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	fmt.Fprintf(out, "LISTENING %s\n", server.Addr())

	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return server.Shutdown(shutdown)
}
