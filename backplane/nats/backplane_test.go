package nats_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	natsgo "github.com/nats-io/nats.go"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/backplane"
	"github.com/kamaelia-go/kamaelia/backplane/nats"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/natstest"
)

// Two processes on one NATS, each with two subscribers (one that skips
// its own process's publisher, one that does not) and a publisher, talk
// at once: every subscriber gets every message it should, exactly once,
// each publisher's in order, and nothing it should not.
func TestTwoProcessesShareMessagesExactlyOnce(t *testing.T) {
	srv := natstest.Start(t)
	const n = 200
	type sub struct {
		name string
		h    *axon.Handle
		want []string // the messages it should get, in no particular order
	}
	var subs []sub
	procs := map[string]*proc{}
	lines := func(who string) []string {
		var l []string
		for i := range n {
			l = append(l, fmt.Sprintf("%s %03d %s", who, i, strings.Repeat("x", i)))
		}
		return l
	}
	pubs := map[string]*axon.Handle{}
	for _, who := range []string{"a", "b"} {
		p := startProc(t, srv.URL())
		procs[who] = p
		pub, ph := p.publisher(t)
		pubs[who] = ph
		other := "b"
		if who == "b" {
			other = "a"
		}
		_, h1 := p.subscribe(t, backplane.NotFrom(pub))
		_, h2 := p.subscribe(t)
		subs = append(subs,
			sub{who + " not its own", h1, lines(other)},
			sub{who + " all", h2, append(lines(who), lines(other)...)})
		// Attached once activated; the bridge to NATS is not counted.
		if st := p.bp.Stats(); st.Subscribers != 2 {
			t.Fatalf("%s: %d subscribers, want 2", who, st.Subscribers)
		}
	}
	var wg sync.WaitGroup
	for who, ph := range pubs {
		wg.Go(func() {
			for _, l := range lines(who) {
				if err := ph.Put(procs[who].ctx, "inbox", []byte(l)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	got := make([][]string, len(subs))
	for i, s := range subs {
		ctx := procs[s.name[:1]].ctx
		for range s.want {
			got[i] = append(got[i], getString(t, ctx, s.h))
		}
	}
	// Every message has come back from NATS to its own process and been
	// skipped there; then a last message put into each backplane is the
	// next thing its subscribers get: nothing else was on its way.
	for _, p := range procs {
		p.eventually(t, "every echo skipped and every message received", func() bool {
			st := p.bp.Stats()
			return st.Echoes == n && st.Received == n
		})
	}
	for who, p := range procs {
		axontest.Put(t, p.ctx, axontest.Handle(t, p.bp), "inbox", "last "+who)
	}
	for i, s := range subs {
		ctx := procs[s.name[:1]].ctx
		for {
			m := getString(t, ctx, s.h)
			if m == "last "+s.name[:1] {
				break
			}
			if !strings.HasPrefix(m, "last ") {
				t.Fatalf("%s: %q again", s.name, m)
			}
		}
		// Each publisher's messages in its order.
		for _, who := range []string{"a", "b"} {
			var mine []string
			for _, m := range got[i] {
				if strings.HasPrefix(m, who+" ") {
					mine = append(mine, m)
				}
			}
			if !slices.IsSorted(mine) {
				t.Errorf("%s: %s's messages out of order", s.name, who)
			}
		}
		slices.Sort(got[i])
		slices.Sort(s.want)
		if !slices.Equal(got[i], s.want) {
			t.Errorf("%s: got %d messages, not the %d it should, each once", s.name, len(got[i]), len(s.want))
		}
	}
	for who, p := range procs {
		// n from its publisher and the last message.
		p.eventually(t, "the last message sent", func() bool { return p.bp.Stats().Sent == n+1 })
		st := p.bp.Stats()
		if st.Unsent != 0 || st.Lost != 0 || st.Dropped != 0 || st.Disconnects != 0 || !st.Connected {
			t.Errorf("%s: stats %+v", who, st)
		}
	}
}

// The origin header decides: a message carrying the backplane's own
// origin is skipped, one from any other origin, or from a NATS client
// that sets none, is delivered.
func TestOriginTagging(t *testing.T) {
	srv := natstest.Start(t)
	p := startProc(t, srv.URL())
	_, h := p.subscribe(t)
	nc := rawClient(t, srv.URL())
	for _, m := range []struct {
		origin, data string
	}{
		{p.bp.Origin(), "mine"},
		{"", "no origin"},
		{"someone else", "theirs"},
		{p.bp.Origin(), "mine again"},
		{"", "end"},
	} {
		msg := natsgo.NewMsg(p.bp.Subject())
		msg.Data = []byte(m.data)
		if m.origin != "" {
			msg.Header.Set(nats.OriginHeader, m.origin)
		}
		if err := nc.PublishMsg(msg); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for len(got) < 3 {
		got = append(got, getString(t, p.ctx, h))
	}
	if want := []string{"no origin", "theirs", "end"}; !slices.Equal(got, want) {
		t.Fatalf("delivered %q, want %q", got, want)
	}
	if st := p.bp.Stats(); st.Echoes != 2 || st.Received != 3 {
		t.Fatalf("stats %+v: want 2 echoes skipped and 3 received", st)
	}
	if p.bp.Subject() != nats.DefaultSubject("chat") || len(p.bp.Origin()) < 16 {
		t.Fatalf("subject %q, origin %q", p.bp.Subject(), p.bp.Origin())
	}
}

// Two backplanes made in one process have different origins, so they
// hear each other.
func TestEachBackplaneHasItsOwnOrigin(t *testing.T) {
	srv := natstest.Start(t)
	a, b := startProc(t, srv.URL()), startProc(t, srv.URL())
	if a.bp.Origin() == b.bp.Origin() {
		t.Fatalf("both have origin %q", a.bp.Origin())
	}
	_, h := b.subscribe(t)
	axontest.Put(t, a.ctx, axontest.Handle(t, a.bp), "inbox", []byte("hello"))
	if m := getString(t, b.ctx, h); m != "hello" {
		t.Fatalf("got %q", m)
	}
}

// Messages that are not []byte or string are delivered in their own
// process and counted as unsent; strings arrive elsewhere as []byte.
func TestOnlyBytesTravel(t *testing.T) {
	srv := natstest.Start(t)
	a, b := startProc(t, srv.URL()), startProc(t, srv.URL())
	_, ah := a.subscribe(t)
	_, bh := b.subscribe(t)
	in := axontest.Handle(t, a.bp)
	for _, m := range []any{42, "text", []byte("bytes")} {
		axontest.Put(t, a.ctx, in, "inbox", m)
	}
	for _, want := range []any{42, "text", []byte("bytes")} {
		if m := axontest.Get(t, a.ctx, ah, "outbox"); fmt.Sprint(m) != fmt.Sprint(want) {
			t.Fatalf("a got %v, want %v", m, want)
		}
	}
	for _, want := range []string{"text", "bytes"} {
		m, ok := axontest.Get(t, b.ctx, bh, "outbox").([]byte)
		if !ok || string(m) != want {
			t.Fatalf("b got %#v, want []byte %q", m, want)
		}
	}
	a.eventually(t, "both strings sent", func() bool { return a.bp.Stats().Sent == 2 })
	if st := a.bp.Stats(); st.Unsent != 1 {
		t.Fatalf("a's stats %+v", st)
	}
	if !strings.Contains(a.logs.String(), "int is not []byte or string") {
		t.Fatalf("no log of the message not sent:\n%s", a.logs)
	}
}

// A shutdown request on control ends the backplane gracefully: what was
// published before it reaches the other processes, the request is passed
// on out of signal, the subscribers here end once they have sent what
// they hold, and the backplane leaves the registry.
func TestShutdownSendsWhatWasPublished(t *testing.T) {
	srv := natstest.Start(t)
	a, b := startProc(t, srv.URL()), startProc(t, srv.URL())
	asub, ah := a.subscribe(t)
	_, bh := b.subscribe(t)
	ctl := axontest.Handle(t, a.bp)
	const n = 500
	for i := range n {
		axontest.Put(t, a.ctx, ctl, "inbox", fmt.Appendf(nil, "%d", i))
	}
	axontest.Put(t, a.ctx, ctl, "control", axon.ProducerFinished{})
	if m := axontest.Get(t, a.ctx, ctl, "signal"); !axon.IsProducerFinished(m) || axon.Cause(m) != nil {
		t.Fatalf("signal: %#v", m)
	}
	axontest.WaitDone(t, a.ctx, a.bp)
	if err := a.bp.Err(); err != nil {
		t.Fatalf("Err = %v", err)
	}
	for _, s := range []struct {
		p *proc
		h *axon.Handle
	}{{a, ah}, {b, bh}} {
		for i := range n {
			if m := getString(t, s.p.ctx, s.h); m != fmt.Sprint(i) {
				t.Fatalf("message %d: %q", i, m)
			}
		}
	}
	if m := axontest.Get(t, a.ctx, ah, "signal"); !axon.IsProducerFinished(m) {
		t.Fatalf("a's subscriber's signal: %#v", m)
	}
	axontest.WaitDone(t, a.ctx, asub)
	if _, err := axon.RegistryFrom(a.ctx).Service(backplane.ServiceName("chat")); err == nil {
		t.Fatal("the name is still registered")
	}
	if st := a.bp.Stats(); st.Sent != n || st.Connected {
		t.Fatalf("a's stats %+v", st)
	}
}

// A second backplane of the same name in one registry fails at start, as
// an in-process one does, and closes its connection.
func TestSameNameTwiceFails(t *testing.T) {
	srv := natstest.Start(t)
	p := startProc(t, srv.URL())
	again, err := nats.New("chat", srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	h := axontest.Handle(t, again)
	axontest.Activate(t, p.ctx, again)
	m := axontest.Get(t, p.ctx, h, "signal")
	if err := axon.Cause(m); !errors.Is(err, axon.ErrServiceExists) {
		t.Fatalf("signal %#v, want ProducerFinished with ErrServiceExists", m)
	}
	axontest.WaitDone(t, p.ctx, again)
	if again.Stats().Connected {
		t.Fatal("still connected")
	}
}
