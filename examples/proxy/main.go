// Proxy is a TCP proxy built from parts: every connection it accepts is
// forwarded to a target, bytes unchanged both ways.
//
//	ServerCore(protocol=StreamForwarder(TCPClient(target)))
//
// Each accepted connection gets its own TCPClient to the target, and a
// StreamForwarder joins the two: when one side finishes sending (a
// half-close), the other is half-closed after the last byte, and the
// other direction goes on until its side finishes too. When one side
// stops reading, the other side's bytes wait in bounded boxes and TCP
// slows its peer: the proxy's memory stays bounded, whatever the peers
// do. If the target refuses the connection or is down (or resets it
// later), the client's connection is reset, so the client can tell, and
// the proxy logs it; a client that resets gets the target's connection
// reset likewise.
//
// The proxy prints "LISTENING host:port" once it accepts, and on Ctrl-C
// stops accepting, lets the connections finish for up to -grace, resets
// what is left and exits.
//
// Usage:
//
//	proxy -to HOST:PORT [-host 127.0.0.1] [-port 1603] [-connect-timeout 10s]
//	      [-max-conns 0] [-idle-timeout 0] [-grace 5s]
//
// Then, for instance: "proxy -to example.org:80", and
// "curl -H 'Host: example.org' http://127.0.0.1:1603/".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
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
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if code := exitStatus(err); code != 0 {
		fmt.Fprintln(os.Stderr, "proxy:", err)
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

// run serves until ctx ends, then shuts down gracefully.
func run(ctx context.Context, args []string, out, logs io.Writer) error {
	fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
	to := fs.String("to", "", "the target, HOST:PORT, to forward every connection to")
	host := fs.String("host", "127.0.0.1", "address to listen on")
	port := fs.Int("port", 1603, "port to listen on (0: any free port)")
	connectTimeout := fs.Duration("connect-timeout", 10*time.Second, "how long connecting to the target may take")
	maxConns := fs.Int("max-conns", 0, "connections served at once (0: no limit)")
	idle := fs.Duration("idle-timeout", 0, "reset a connection with no traffic for this long (0: never)")
	grace := fs.Duration("grace", 5*time.Second, "how long connections may take to finish at shutdown")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *to == "" {
		return errors.New("-to HOST:PORT is needed")
	}

	logger := slog.New(slog.NewTextHandler(logs, nil))
	proxy, err := newProxy(*to, *port, []internet.TCPClientOption{internet.ConnectTimeout(*connectTimeout), internet.IdleTimeout(*idle)},
		internet.Host(*host), internet.MaxConnections(*maxConns), internet.IdleTimeout(*idle), internet.Logger(logger))
	if err != nil {
		return err
	}
	// A registry of its own; ctx ending does not stop the proxy (Shutdown does).
	if err := proxy.Activate(axon.NewContext(context.WithoutCancel(ctx), axon.NewRegistry())); err != nil {
		return err
	}
	fmt.Fprintf(out, "LISTENING %s\n", proxy.Addr())
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	return proxy.Shutdown(shutdown) // stop accepting, let the connections finish, reset the rest
}

// newProxy returns a proxy on port that forwards every connection to
// target (HOST:PORT), dialling it with the options dial.
func newProxy(target string, port int, dial []internet.TCPClientOption, opts ...internet.ServerCoreOption) (*internet.ServerCore, error) {
	if _, err := internet.NewTCPClientAddr(target); err != nil {
		return nil, err // a bad address is an error now, not on every connection
	}
	dial = append(dial, internet.AllowHalfClose()) // the client may go on sending after the target finishes
	reset := components.AbortWith(func(cause error) any { return internet.Reset{Err: cause} })
	return internet.NewServerCore(func(internet.ConnInfo) (axon.Component, error) {
		client, err := internet.NewTCPClientAddr(target, dial...)
		if err != nil {
			return nil, err
		}
		return components.NewStreamForwarder(client, reset)
	}, port, opts...)
}
