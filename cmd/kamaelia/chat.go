package main

import (
	"context"
	"log/slog"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/backplane"
	bpnats "github.com/kamaelia-go/kamaelia/backplane/nats"
	"github.com/kamaelia-go/kamaelia/chassis"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/spf13/cobra"
)

// chatRoom is the name of the chat protocol's backplane, the same in
// every server that shares it through NATS.
const chatRoom = "chat"

// defaultMaxBehind is how many lines a chat client may fall behind
// before it is disconnected.
const defaultMaxBehind = 1000

// chatFlags are serve's flags for a protocol that talks through a
// backplane (chat): how far behind a client may fall, and the NATS
// server that shares the room with other servers.
type chatFlags struct {
	maxBehind int
	url       string // NATS URL(s); empty: the room is in this process
	creds     string
	ca        string
	buffer    byteSize
}

func (c *chatFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.IntVar(&c.maxBehind, "max-behind", defaultMaxBehind, "with --protocol chat: disconnect (and log) a client that falls more than `n` lines behind")
	fs.StringVar(&c.url, "backplane", "", "with --protocol chat: share the room with every server using the NATS server at this `URL` (nats://host:4222, tls://host:4222; several, comma-separated)")
	fs.StringVar(&c.creds, "backplane-creds", "", "authenticate to NATS with the credentials `file` (a user JWT and its seed)")
	fs.StringVar(&c.ca, "backplane-ca", "", "verify the NATS server's certificate against the CA certificates in PEM `file` (and require TLS)")
	fs.Var(&c.buffer, "backplane-buffer", "while NATS is unreachable, keep up to this many `bytes` of lines to send once it is back; the rest are dropped and counted (default 8MiB)")
	_ = cmd.MarkFlagFilename("backplane-creds", "creds")
	_ = cmd.MarkFlagFilename("backplane-ca", "pem", "crt")
}

// check checks the flags against the protocol; a problem is a usage
// error.
func (c *chatFlags) check(cmd *cobra.Command, p protocol) error {
	changed := cmd.Flags().Changed
	switch {
	case p.room == "" && (c.url != "" || changed("max-behind")):
		return usagef(cmd, "Add --protocol chat.", "--backplane and --max-behind need --protocol chat")
	case c.url == "" && (c.creds != "" || c.ca != "" || changed("backplane-buffer")):
		return usagef(cmd, "Add --backplane nats://HOST:PORT.", "--backplane-creds, --backplane-ca and --backplane-buffer need --backplane")
	case c.maxBehind < 1:
		return usagef(cmd, "", "--max-behind must be at least 1")
	case changed("backplane-buffer") && c.buffer < 1:
		return usagef(cmd, "", "--backplane-buffer must be at least 1 byte")
	}
	return nil
}

// newRoom returns the backplane called name: this process's own, or,
// with --backplane, one shared through NATS, logging to log. A NATS
// server that cannot be reached is an error.
func (c *chatFlags) newRoom(name string, log *slog.Logger) (axon.Component, error) {
	if c.url == "" {
		return backplane.New(name), nil
	}
	opts := []bpnats.Option{bpnats.Credentials(c.creds), bpnats.RootCA(c.ca), bpnats.Logger(log)}
	if c.buffer > 0 {
		opts = append(opts, bpnats.ReconnectBuffer(int(c.buffer)))
	}
	return bpnats.New(name, c.url, opts...)
}

// newChatClient returns the protocol handler of one chat client, which
// talks through the backplane called room:
//
//	Graphline(
//	    LINES = LineDeframer,                  the client's bytes, as lines
//	    SAY   = PublishTo(room),               what the client says, to the room
//	    HEAR  = SubscribeTo(room, not SAY),    what the others say, to the client
//	)
//
// A client that falls more than maxBehind lines behind is disconnected
// (the server logs why); a line longer than the line limit closes its
// connection.
func newChatClient(room string, maxBehind int) (axon.Component, error) {
	say := backplane.NewPublishTo(room)
	hear := backplane.NewSubscribeTo(room, backplane.NotFrom(say),
		backplane.QueueLimit(axon.Limit{Messages: maxBehind})) // then Disconnect
	g, err := chassis.NewGraphline(chassis.Children{
		"LINES": components.NewLineDeframer(components.KeepLineEnding()),
		"SAY":   say,
		"HEAR":  hear,
	}, chassis.Linkages{
		{"self", "inbox"}:   {"LINES", "inbox"},
		{"LINES", "outbox"}: {"SAY", "inbox"},
		{"HEAR", "outbox"}:  {"self", "outbox"},
		// The client finishing ends LINES, then SAY, then HEAR (once it
		// has sent what it holds), so the connection closes; a child
		// that fails ends the graph. Not a ring, or the notices passed
		// on along it would go round for ever.
		{"self", "control"}: {"LINES", "control"},
		{"LINES", "signal"}: {"SAY", "control"},
		{"SAY", "signal"}:   {"HEAR", "control"},
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// room is the backplane a protocol's handlers talk through, run beside
// the server. A nil *room, a protocol's without one, does nothing.
type room struct {
	c         axon.Component
	where     string // for the log: "in-process", or the NATS subject
	activated bool
}

// openRoom makes the room of protocol p as f says, not yet active: nil
// if p has none. A NATS server that cannot be reached is an error.
func openRoom(p protocol, f *chatFlags, log *slog.Logger) (*room, error) {
	if p.room == "" {
		return nil, nil
	}
	c, err := f.newRoom(p.room, log)
	if err != nil {
		return nil, err
	}
	r := &room{c: c, where: "in-process"}
	if n, ok := c.(*bpnats.Backplane); ok {
		r.where = "NATS subject " + n.Subject()
	}
	return r, nil
}

// activate starts the room with ctx, which the server's handlers must
// share to find it.
func (r *room) activate(ctx context.Context) error {
	if r == nil {
		return nil
	}
	r.activated = true
	return axon.CoreOf(r.c).Activate(ctx)
}

// stop stops the room, once the server has shut down, and waits for it
// to end: a NATS backplane first sends what it was given.
func (r *room) stop() {
	switch {
	case r == nil:
	case r.activated:
		core := axon.CoreOf(r.c)
		core.Stop()
		<-core.Done()
	default:
		if c, ok := r.c.(interface{ Close() error }); ok {
			c.Close() // the NATS connection of a room never started
		}
	}
}
