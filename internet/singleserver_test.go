package internet_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internet"
)

// startSingleServer runs a SingleServer on loopback port 0, with a
// handle on its boxes, and stops it when the test ends.
func startSingleServer(t testing.TB, ctx context.Context) (*internet.SingleServer, *axon.Handle) {
	t.Helper()
	srv, err := internet.NewSingleServer(0, internet.Host("127.0.0.1"), internet.Logger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	h := axontest.Handle(t, srv)
	activate(t, ctx, srv)
	t.Cleanup(func() { srv.Stop(); <-srv.Done() })
	return srv, h
}

func TestSingleServerServesOneClientAtATime(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	srv, h := startSingleServer(t, ctx)

	// recv reads what the server passes out of "outbox" until want has
	// arrived.
	recv := func(want string) {
		t.Helper()
		var got []byte
		for len(got) < len(want) {
			m, err := h.Get(ctx, "outbox")
			if err != nil {
				t.Fatalf("outbox: %v (after %q)", err, got)
			}
			got = append(got, m.([]byte)...)
		}
		if string(got) != want {
			t.Fatalf("outbox = %q, want %q", got, want)
		}
	}
	// send puts msg into the server's inbox and checks that conn gets it.
	send := func(c io.Reader, msg string) {
		t.Helper()
		if err := h.Put(ctx, "inbox", []byte(msg)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != msg {
			t.Fatalf("client got %q, %v; want %q", buf, err, msg)
		}
	}

	first := dialCore(t, srv)
	first.SetDeadline(time.Now().Add(20 * time.Second))
	first.Write([]byte("one"))
	recv("one")
	send(first, "to one")

	expectClosed(t, dialCore(t, srv), "a second client while one is connected")
	send(first, "one is still served")

	first.Close()
	m, err := h.Get(ctx, "signal")
	if err != nil || !axon.IsProducerFinished(m) {
		t.Fatalf("signal = %v, %v; want a SocketShutdown when the client leaves", m, err)
	}
	if _, ok := m.(internet.SocketShutdown); !ok {
		t.Fatalf("signal = %T, want internet.SocketShutdown", m)
	}

	next := dialCore(t, srv)
	next.SetDeadline(time.Now().Add(20 * time.Second))
	next.Write([]byte("two"))
	recv("two")
	send(next, "to two")
}

// TestSingleServerKeepsWhatWaitsForAClient: data sent to "inbox" while
// no client is connected waits, in order, and goes to the next client;
// the wait is bounded (SendLimit), so a producer is held back rather
// than the data dropped or the process grown.
func TestSingleServerKeepsWhatWaitsForAClient(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	srv, err := internet.NewSingleServer(0, internet.Host("127.0.0.1"),
		internet.SendLimit(axon.Limit{Messages: 4, Bytes: 1 << 10}))
	if err != nil {
		t.Fatal(err)
	}
	h := axontest.Handle(t, srv)
	activate(t, ctx, srv)
	t.Cleanup(func() { srv.Stop(); <-srv.Done() })

	// Before any client, and again between two clients.
	for round, name := range []string{"first", "second"} {
		var want []byte
		for i := range 4 {
			msg := fmt.Sprintf("for the %s client, %d; ", name, i)
			want = append(want, msg...)
			axontest.Put(t, ctx, h, "inbox", msg)
		}
		full, cancel := context.WithCancel(ctx)
		cancel()
		if err := srv.Inbox("inbox").Put(full, "one too many"); err == nil {
			t.Fatalf("round %d: a fifth message found room; want the inbox bounded by SendLimit", round)
		}
		c := dialCore(t, srv)
		c.SetDeadline(time.Now().Add(20 * time.Second))
		got := make([]byte, len(want))
		if _, err := io.ReadFull(c, got); err != nil || string(got) != string(want) {
			t.Fatalf("round %d: the client got %q, %v; want %q", round, got, err, want)
		}
		c.Close()
		if m := axontest.Get(t, ctx, h, "signal"); !axon.IsProducerFinished(m) {
			t.Fatalf("round %d: signal = %#v; want the client's SocketShutdown", round, m)
		}
	}
}
