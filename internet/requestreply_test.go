package internet_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internet"
)

// rounds is how many request and reply round trips the tests below make
// before the case they test: enough for the adapter to have switched to
// reading a request without the read that would only find nothing.
const rounds = 5

// pingPong sends n messages of the given size on conn, one at a time,
// and checks each comes back whole before sending the next.
func pingPong(t *testing.T, conn net.Conn, n, size int) {
	t.Helper()
	got := make([]byte, size)
	for i := range n {
		msg := randomBytes(uint64(i), size)
		if _, err := conn.Write(msg); err != nil {
			t.Fatalf("round %d: write: %v", i, err)
		}
		if _, err := io.ReadFull(conn, got); err != nil {
			t.Fatalf("round %d: read: %v", i, err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("round %d: reply differs from the request", i)
		}
	}
}

// A peer that ends right after its last request, so that the request and
// its end arrive together, is seen to end: a half-close gets the last
// reply and then the close, a reset ends the adapter. Sizes cover reads
// into the adapter's stack buffer and into a pooled one.
func TestRequestReplyPeerEndsWithLastRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		size  int
		reset bool
	}{
		{"small, half-close", 100, false},
		{"pooled, half-close", 3000, false},
		{"small, reset", 100, true},
		{"pooled, reset", 3000, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, _ := testCtx(t)
			client, server := tcpPair(t)
			csa := echoCSA(t, server)
			activate(t, ctx, csa)
			if dl, ok := ctx.Deadline(); ok {
				client.SetDeadline(dl)
			}
			pingPong(t, client, rounds, tt.size)
			last := randomBytes(99, tt.size)
			if tt.reset {
				client.SetLinger(0)
				client.Write(last)
				client.Close()
				waitDone(t, ctx, csa)
				return
			}
			client.Write(last)
			client.CloseWrite()
			if got := readAll(t, ctx, client); !bytes.Equal(got, last) {
				t.Fatalf("after the half-close got %d bytes, want the %d of the last request", len(got), len(last))
			}
			waitDone(t, ctx, csa)
		})
	}
}

// A receiver that never writes back still sees a peer's reset that comes
// with its last message: with no write to show the connection was still
// up, the adapter reads again before it waits.
func TestSilentReceiverSeesResetAfterMessages(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	client, server := tcpPair(t)
	csa, k := sunkCSA(t, server)
	activate(t, ctx, k, csa)
	var want []byte
	for i := range rounds {
		msg := randomBytes(uint64(i), 50)
		want = append(want, msg...)
		if _, err := client.Write(msg); err != nil {
			t.Fatal(err)
		}
		k.waitFor(t, ctx, len(want))
	}
	client.SetLinger(0)
	client.Write([]byte("last"))
	client.Close()
	select {
	case <-k.done:
	case <-ctx.Done():
		t.Fatal("the adapter never reported the peer's reset")
	}
	waitDone(t, ctx, csa)
}

// closer echoes each message and, after the n-th, asks its adapter to
// close, from inside the delivery of that message: the adapter's reader
// runs this step itself, in the middle of its read.
type closer struct {
	*axon.Core
	n, seen int
}

func newCloser(n int) *closer {
	c := &closer{n: n}
	c.Core = axon.NewReactive("closer", func(ctx context.Context, core *axon.Core) error {
		for {
			msg, ok := core.Recv("inbox")
			if !ok {
				return nil
			}
			if err := core.Send(ctx, "outbox", msg); err != nil {
				return err
			}
			if c.seen++; c.seen == c.n {
				return core.Send(ctx, "signal", axon.ShutdownMicroprocess{})
			}
		}
	})
	return c
}

// A handler that closes its connection from inside the delivery of a
// message closes it: the last reply is written, then the peer sees the
// end, and the adapter ends.
func TestHandlerClosesFromInsideADelivery(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	client, server := tcpPair(t)
	csa, h := internet.NewCSA(server), newCloser(rounds+1)
	link(t, axon.Out(csa, "outbox"), axon.In(h, "inbox"))
	link(t, axon.Out(h, "outbox"), axon.In(csa, "inbox"))
	link(t, axon.Out(h, "signal"), axon.In(csa, "control"))
	activate(t, ctx, h, csa)
	if dl, ok := ctx.Deadline(); ok {
		client.SetDeadline(dl)
	}
	pingPong(t, client, rounds, 64)
	last := randomBytes(99, 64)
	client.Write(last)
	if got := readAll(t, ctx, client); !bytes.Equal(got, last) {
		t.Fatalf("got %d bytes before the close, want the %d of the last reply", len(got), len(last))
	}
	waitDone(t, ctx, csa)
	h.Stop()
	waitDone(t, ctx, h)
}
