package nats_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"testing"

	natsgo "github.com/nats-io/nats.go"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/backplane"
	"github.com/kamaelia-go/kamaelia/backplane/nats"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/leakcheck"
)

// Every test stops the NATS servers and backplanes it starts; once a
// backplane is Done its connection is closed, and nats.go's goroutines
// end with it. goleak's retries cover the moment they take.
func TestMain(m *testing.M) { leakcheck.Main(m) }

// proc is one process's view: a registry of its own (as each process
// has) with a NATS backplane in it, and a log.
type proc struct {
	ctx  context.Context
	bp   *nats.Backplane
	logs *axontest.Buffer
}

// startProc makes a NATS backplane called "chat" on url, in a registry
// of its own, logging to the proc's buffer, activates it and stops it
// when the test ends.
func startProc(t *testing.T, url string, opts ...nats.Option) *proc {
	t.Helper()
	p := &proc{ctx: axontest.Context(t), logs: &axontest.Buffer{}}
	opts = append([]nats.Option{nats.Logger(slog.New(slog.NewTextHandler(p.logs, nil)))}, opts...)
	bp, err := nats.New("chat", url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	p.bp = bp
	axontest.Activate(t, p.ctx, bp)
	t.Cleanup(func() { bp.Stop(); <-bp.Done() })
	return p
}

// subscribe activates a subscriber to "chat" in p with a handle on its
// outboxes; it is stopped when the test ends.
func (p *proc) subscribe(t *testing.T, opts ...backplane.SubscribeOption) (*backplane.SubscribeTo, *axon.Handle) {
	t.Helper()
	s := backplane.NewSubscribeTo("chat", opts...)
	h := axontest.Handle(t, s)
	axontest.Activate(t, p.ctx, s)
	t.Cleanup(func() { s.Stop(); <-s.Done() })
	return s, h
}

// publisher activates a PublishTo "chat" in p with a handle; it is
// stopped when the test ends.
func (p *proc) publisher(t *testing.T) (*backplane.PublishTo, *axon.Handle) {
	t.Helper()
	pub := backplane.NewPublishTo("chat")
	h := axontest.Handle(t, pub)
	axontest.Activate(t, p.ctx, pub)
	t.Cleanup(func() { pub.Stop(); <-pub.Done() })
	return pub, h
}

// eventually waits until cond holds, or fails the test when p's
// context ends.
func (p *proc) eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	axontest.Eventually(t, p.ctx, what, cond)
}

// getString takes the next message from h's outbox, as a string.
func getString(t *testing.T, ctx context.Context, h *axon.Handle) string {
	t.Helper()
	switch m := axontest.Get(t, ctx, h, "outbox").(type) {
	case []byte:
		return string(m)
	case string:
		return m
	default:
		t.Fatalf("got a %T: %v", m, m)
		return ""
	}
}

// rawClient connects a plain nats.go client to url, closed when the
// test ends.
func rawClient(t *testing.T, url string) *natsgo.Conn {
	t.Helper()
	nc, err := natsgo.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// gate is a dialer for nats.go that connects to addr while it is open
// and fails at once while it is shut, so that a test decides when a
// client may reconnect, and to which server.
type gate struct {
	mu   sync.Mutex
	addr string
	open bool
}

var errGateShut = errors.New("test gate shut")

func (g *gate) Dial(network, _ string) (net.Conn, error) {
	g.mu.Lock()
	addr, open := g.addr, g.open
	g.mu.Unlock()
	if !open {
		return nil, errGateShut
	}
	return net.Dial(network, addr)
}

// set points the gate at addr and opens or shuts it.
func (g *gate) set(addr string, open bool) {
	g.mu.Lock()
	g.addr, g.open = addr, open
	g.mu.Unlock()
}
