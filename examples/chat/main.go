// Chat is a one-room chat server built from parts: every line a client
// sends reaches every other client, byte for byte, and not the sender.
//
//	ServerCore(protocol=Graphline(
//	    LINES = LineDeframer,                   the client's bytes, as lines
//	    SAY   = PublishTo("chat"),              what the client says, to the room
//	    HEAR  = SubscribeTo("chat", not SAY),   what the others say, to the client
//	))
//
// The room is a Backplane. Each client has a bounded queue of the lines
// it has yet to hear (-max-behind, 1000 by default); a client that falls
// further behind than that (it stops reading, or reads too slowly) is
// disconnected, and the server logs it, rather than anyone losing lines
// without a word. A client that finishes sending (Ctrl-D in nc, a
// half-close) has said its last line and is disconnected; the others
// carry on.
//
// The server prints "LISTENING host:port" once it accepts, and on
// Ctrl-C stops accepting, lets the clients go and exits.
//
// Several chat servers share one room through a NATS server when given
// its URL (-backplane nats://host:4222): the room is then a NATS
// backplane (package backplane/nats), and the wiring above is the same.
// -backplane-creds names a NATS credentials file, -backplane-ca a CA
// file for the server's certificate (a tls:// URL asks for TLS). If
// NATS cannot be reached at start, chat exits 1 with the reason.
//
// Usage:
//
//	chat [-host 127.0.0.1] [-port 1602] [-max-behind 1000] [-linger 5s]
//	     [-backplane URL [-backplane-creds FILE] [-backplane-ca FILE]]
//
// Then, in two other terminals: "nc 127.0.0.1 1602", and type.
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
	"github.com/kamaelia-go/kamaelia/backplane"
	bpnats "github.com/kamaelia-go/kamaelia/backplane/nats"
	"github.com/kamaelia-go/kamaelia/chassis"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internet"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if code := exitStatus(err); code != 0 {
		fmt.Fprintln(os.Stderr, "chat:", err)
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

// run serves the room until ctx ends, then shuts down gracefully.
func run(ctx context.Context, args []string, out, logs io.Writer) error {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	host := fs.String("host", "127.0.0.1", "address to listen on")
	port := fs.Int("port", 1602, "port to listen on (0: any free port)")
	maxBehind := fs.Int("max-behind", 1000, "lines a client may fall behind before it is disconnected")
	linger := fs.Duration("linger", 5*time.Second, "how long closing a connection may take")
	nats := fs.String("backplane", "", "URL of a NATS server (nats://host:4222) to share the room with other chat servers")
	creds := fs.String("backplane-creds", "", "NATS credentials file")
	ca := fs.String("backplane-ca", "", "CA file that signed the NATS server's certificate")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *nats == "" && (*creds != "" || *ca != "") {
		return errors.New("-backplane-creds and -backplane-ca need -backplane")
	}

	logger := slog.New(slog.NewTextHandler(logs, nil))
	room, err := newRoom(*nats, *creds, *ca, logger)
	if err != nil {
		return err
	}
	server, err := newChat(*port, *maxBehind, internet.Host(*host), internet.Linger(*linger), internet.Logger(logger))
	if err != nil {
		if c, ok := room.(interface{ Close() error }); ok {
			c.Close() // the NATS connection
		}
		return err
	}
	if err := start(ctx, server, room); err != nil {
		return err
	}
	fmt.Fprintf(out, "LISTENING %s\n", server.Addr())
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = server.Shutdown(shutdown) // stop accepting, let the clients go
	axon.CoreOf(room).Stop()
	<-axon.CoreOf(room).Done()
	return err
}

// newRoom returns the room: a backplane called "chat" of this process's
// own, or, given the URL of a NATS server, one shared with every chat
// server using that NATS server (creds and ca name files, if not empty).
func newRoom(url, creds, ca string, logger *slog.Logger) (axon.Component, error) {
	if url == "" {
		return backplane.New("chat"), nil
	}
	return bpnats.New("chat", url, bpnats.Credentials(creds), bpnats.RootCA(ca), bpnats.Logger(logger))
}

// newChat returns a chat server on port, whose clients talk through the
// room called "chat"; a client may fall maxBehind lines behind.
func newChat(port, maxBehind int, opts ...internet.ServerCoreOption) (*internet.ServerCore, error) {
	client := func(internet.ConnInfo) (axon.Component, error) {
		say := backplane.NewPublishTo("chat")
		hear := backplane.NewSubscribeTo("chat", backplane.NotFrom(say),
			backplane.QueueLimit(axon.Limit{Messages: maxBehind})) // then Disconnect
		return chassis.NewGraphline(chassis.Children{
			"LINES": components.NewLineDeframer(components.KeepLineEnding()),
			"SAY":   say,
			"HEAR":  hear,
		}, chassis.Linkages{
			{"self", "inbox"}:   {"LINES", "inbox"},
			{"LINES", "outbox"}: {"SAY", "inbox"},
			{"HEAR", "outbox"}:  {"self", "outbox"},
			// The client finishing ends LINES, then SAY, then HEAR (once
			// it has sent what it holds), so the connection closes. A
			// child that fails (a line too long, HEAR falling too far
			// behind) ends the whole graph. Not a ring: each child
			// passes other control messages on (a server's
			// ShutdownBegun notice), which would go round for ever.
			{"self", "control"}: {"LINES", "control"},
			{"LINES", "signal"}: {"SAY", "control"},
			{"SAY", "signal"}:   {"HEAR", "control"},
		})
	}
	return internet.NewServerCore(client, port, opts...)
}

// start starts the room, then the server, with a registry of their own;
// ctx ending does not stop them (Shutdown does).
func start(ctx context.Context, server *internet.ServerCore, room axon.Component) error {
	ctx = axon.NewContext(context.WithoutCancel(ctx), axon.NewRegistry())
	if err := axon.CoreOf(room).Activate(ctx); err != nil {
		return err
	}
	return server.Activate(ctx)
}
