package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internet"
)

// Server kinds for StartEcho.
const (
	// Simple is what `kamaelia serve --protocol echo` runs: a
	// SimpleServer (ServerCore) with a components.Echo handler per
	// connection.
	Simple = "simple"
	// Direct is a bare TCPServer whose adapters feed their "outbox"
	// straight back to their own "inbox" and hand the chunks over
	// (CSA.ReuseWritten): the adapter's own cost.
	Direct = "direct"
)

// shutdownGrace bounds the graceful shutdown of a Simple server.
const shutdownGrace = 2 * time.Second

// ServerOption is an option that applies to both kinds of echo server:
// a TCPServer's and a ServerCore's.
type ServerOption interface {
	internet.TCPServerOption
	internet.ServerCoreOption
}

// StartEcho starts an echo server of the given kind on 127.0.0.1:port
// (0: a free port). It returns the address it listens on and a channel
// closed once the server has stopped after ctx ends.
func StartEcho(ctx context.Context, kind string, port int, opts ...ServerOption) (string, <-chan struct{}, error) {
	opts = append([]ServerOption{internet.Host("127.0.0.1")}, opts...)
	switch kind {
	case Simple:
		coreOpts := []internet.ServerCoreOption{internet.RecycleWrittenChunks()}
		for _, o := range opts {
			coreOpts = append(coreOpts, o)
		}
		srv, err := internet.NewSimpleServer(func() axon.Component { return components.NewEcho() }, port, coreOpts...)
		if err != nil {
			return "", nil, err
		}
		// Stop gracefully when ctx ends (cancelling the server outright
		// makes it log every open connection as a failed handler).
		run, stop := context.WithCancel(context.WithoutCancel(ctx))
		if err := srv.Activate(run); err != nil {
			stop()
			return "", nil, err
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
			_ = srv.Shutdown(sctx)
			cancel()
			stop()
			<-srv.Done()
		}()
		return srv.Addr().String(), done, nil
	case Direct:
		tcpOpts := make([]internet.TCPServerOption, 0, len(opts))
		for _, o := range opts {
			tcpOpts = append(tcpOpts, o)
		}
		srv, err := internet.NewTCPServer(port, tcpOpts...)
		if err != nil {
			return "", nil, err
		}
		w := newWirer()
		if _, err := axon.Link(axon.Out(srv, "protocolHandlerSignal"), axon.In(w, "inbox")); err != nil {
			return "", nil, err
		}
		for _, c := range []*axon.Core{w.Core, srv.Core} {
			if err := c.Activate(ctx); err != nil {
				return "", nil, err
			}
		}
		done := make(chan struct{})
		go func() {
			<-srv.Done()
			<-w.Done()
			close(done)
		}()
		return srv.Addr().String(), done, nil
	}
	return "", nil, fmt.Errorf("bench: unknown echo server kind %q", kind)
}

// wirer is the Direct server's stand-in for ServerCore: each new
// adapter's "outbox" feeds its own "inbox" (so it echoes) and its
// "peerFinished" its own "control" (so it finishes when the peer does).
type wirer struct{ *axon.Core }

func newWirer() *wirer {
	w := &wirer{}
	w.Core = axon.NewReactive("echo-wirer", func(ctx context.Context, c *axon.Core) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		for m := range c.Drain("inbox") {
			switch msg := m.(type) {
			case internet.NewCSANotice:
				csa := msg.CSA
				csa.ReuseWritten() // it only echoes: every chunk is given away
				if _, err := c.Link(axon.Out(csa, "outbox"), axon.In(csa, "inbox")); err != nil {
					return err
				}
				if _, err := c.Link(axon.Out(csa, "peerFinished"), axon.In(csa, "control")); err != nil {
					return err
				}
				if err := c.AddChildren(csa); err != nil {
					return err
				}
			case internet.ShutdownCSA:
				c.UnlinkComponent(msg.CSA)
			}
		}
		return nil
	}, axon.WithInboxes(axon.Box("inbox", "NewCSANotice and ShutdownCSA from the TCPServer").WithLimit(axon.Unbounded)))
	return w
}
