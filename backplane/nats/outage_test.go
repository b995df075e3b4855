package nats_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/backplane"
	"github.com/kamaelia-go/kamaelia/backplane/nats"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/natstest"
)

// startGated starts a backplane that reaches NATS through g, retrying
// every 10 ms while it cannot.
func startGated(t *testing.T, g *gate, opts ...nats.Option) *proc {
	t.Helper()
	opts = append([]nats.Option{nats.NATSOptions(natsgo.SetCustomDialer(g), natsgo.ReconnectWait(10*time.Millisecond))}, opts...)
	return startProc(t, "nats://"+g.addr, opts...)
}

// NATS stops and a new server starts: delivery in the process goes on
// meanwhile; both processes reconnect and log the outage and the
// recovery; of what was published during the outage, what fitted in the
// reconnect buffer reaches the other process after the reconnection, in
// order, and the rest is dropped and counted.
func TestNATSLostAndBack(t *testing.T) {
	srv := natstest.Start(t)
	ga, gb := &gate{addr: srv.Addr(), open: true}, &gate{addr: srv.Addr(), open: true}
	a := startGated(t, ga, nats.ReconnectBuffer(2048))
	b := startGated(t, gb)
	_, pa := a.publisher(t)
	_, ha := a.subscribe(t)
	_, hb := b.subscribe(t)
	say := func(s string) { axontest.Put(t, a.ctx, pa, "inbox", []byte(s)) }
	say("before")
	if m1, m2 := getString(t, a.ctx, ha), getString(t, b.ctx, hb); m1 != "before" || m2 != "before" {
		t.Fatalf("before the outage: a got %q, b got %q", m1, m2)
	}

	// NATS goes away; neither process can reconnect until the test
	// lets it.
	ga.set(srv.Addr(), false)
	gb.set(srv.Addr(), false)
	srv.Stop()
	for _, p := range []*proc{a, b} {
		p.eventually(t, "the loss noticed", func() bool { st := p.bp.Stats(); return st.Disconnects == 1 && !st.Connected })
		if !strings.Contains(p.logs.String(), "lost NATS") {
			t.Fatalf("no log of the loss:\n%s", p.logs)
		}
	}
	const n = 50
	line := func(i int) string { return fmt.Sprintf("outage %02d %s", i, strings.Repeat("x", 50)) }
	for i := range n {
		say(line(i))
	}
	for i := range n { // delivery here goes on
		if m := getString(t, a.ctx, ha); m != line(i) {
			t.Fatalf("during the outage, a got %q, want %q", m, line(i))
		}
	}
	a.eventually(t, "every message handed to NATS or refused", func() bool {
		st := a.bp.Stats()
		return st.Sent+st.Unsent == 1+n
	})
	st := a.bp.Stats()
	kept := n - int(st.Unsent)
	if kept <= 0 || kept >= n || st.Sent != uint64(1+kept) {
		t.Fatalf("of %d messages in the outage, %d kept for reconnecting: want some and not all (stats %+v)", n, kept, st)
	}
	if strings.Count(a.logs.String(), "message not sent to NATS") != 1 ||
		!strings.Contains(a.logs.String(), natsgo.ErrReconnectBufExceeded.Error()) {
		t.Fatalf("want one log of the first message not sent, with the cause:\n%s", a.logs)
	}

	// A new server; b reconnects first, so that a's buffered messages
	// find b's subscription there.
	srv2 := natstest.Start(t)
	gb.set(srv2.Addr(), true)
	b.eventually(t, "b reconnected", func() bool { return b.bp.Stats().Reconnects == 1 })
	ga.set(srv2.Addr(), true)
	a.eventually(t, "a reconnected", func() bool { return a.bp.Stats().Reconnects == 1 })
	for _, p := range []*proc{a, b} {
		if !strings.Contains(p.logs.String(), "NATS is back") || !p.bp.Stats().Connected {
			t.Fatalf("no log of the recovery, or not connected:\n%s", p.logs)
		}
	}
	if want := fmt.Sprintf("unsent=%d outage=", n-kept); !strings.Contains(a.logs.String(), want) {
		t.Fatalf("the recovery's log does not say %q:\n%s", want, a.logs)
	}
	say("after")
	for i := range kept {
		if m := getString(t, b.ctx, hb); m != line(i) {
			t.Fatalf("after the outage, b got %q, want %q", m, line(i))
		}
	}
	if m1, m2 := getString(t, a.ctx, ha), getString(t, b.ctx, hb); m1 != "after" || m2 != "after" {
		t.Fatalf("after the outage: a got %q, b got %q (what did not fit must not arrive)", m1, m2)
	}
	if st := a.bp.Stats(); st.Unsent != uint64(n-kept) || st.Sent != uint64(kept+2) {
		t.Fatalf("a's stats %+v", st)
	}
}

// A backplane told to stop while NATS is away ends at once: it does not
// wait for NATS, and says what it could not send.
func TestStopWhileNATSIsAway(t *testing.T) {
	for _, how := range []string{"shutdown request", "Stop"} {
		t.Run(how, func(t *testing.T) {
			srv := natstest.Start(t)
			g := &gate{addr: srv.Addr(), open: true}
			p := startGated(t, g)
			ctl := axontest.Handle(t, p.bp)
			g.set(srv.Addr(), false)
			srv.Stop()
			p.eventually(t, "the loss noticed", func() bool { return p.bp.Stats().Disconnects == 1 })
			axontest.Put(t, p.ctx, ctl, "inbox", []byte("kept for reconnecting"))
			if how == "Stop" {
				p.bp.Stop()
			} else {
				axontest.Put(t, p.ctx, ctl, "control", axon.ShutdownMicroprocess{})
				if m := axontest.Get(t, p.ctx, ctl, "signal"); !axon.IsShutdownMicroprocess(m) {
					t.Fatalf("signal: %#v", m)
				}
				if !strings.Contains(p.logs.String(), "messages kept for reconnecting are lost") {
					t.Errorf("no log of what was lost:\n%s", p.logs)
				}
			}
			axontest.WaitDone(t, p.ctx, p.bp)
		})
	}
}

// If nats.go gives up reconnecting (here after one try, as NATSOptions
// asks), the backplane logs it and goes on delivering in its process;
// what is published is counted as unsent.
func TestNATSGivesUp(t *testing.T) {
	srv := natstest.Start(t)
	g := &gate{addr: srv.Addr(), open: true}
	p := startGated(t, g, nats.NATSOptions(natsgo.MaxReconnects(1)))
	_, pub := p.publisher(t)
	_, h := p.subscribe(t, backplane.QueueLimit(axon.Limit{Messages: 10}))
	g.set(srv.Addr(), false)
	srv.Stop()
	p.eventually(t, "the log of the end", func() bool { return strings.Contains(p.logs.String(), "closed for good") })
	axontest.Put(t, p.ctx, pub, "inbox", []byte("still here"))
	if m := getString(t, p.ctx, h); m != "still here" {
		t.Fatalf("got %q", m)
	}
	p.eventually(t, "the message refused", func() bool { return p.bp.Stats().Unsent == 1 })
	if st := p.bp.Stats(); st.Sent != 0 || st.Connected || st.Disconnects != 1 {
		t.Fatalf("stats %+v", st)
	}
}
