package internet_test

import (
	"context"
	"testing"

	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internet"
)

// A peer that never reads while we try to send 1 GiB: the sender ends up
// waiting (not failing), and what the process holds for the connection
// stays under the documented bound: the inbox limit plus one write batch.
func TestPeerThatNeverReadsHoldsMemoryBounded(t *testing.T) {
	t.Parallel()
	ctx, reg := testCtx(t)
	_, ours := tcpPair(t) // the peer end is never read
	csa := internet.NewCSA(ours)
	h := axontest.Handle(t, csa)
	activate(t, ctx, csa)

	const chunk = 64 << 10
	const total = 1 << 30
	sendCtx, stopSending := context.WithCancel(ctx)
	sent := make(chan int64, 1)
	go func() {
		buf := make([]byte, chunk)
		var n int64
		for n < total {
			if h.Put(sendCtx, "inbox", buf) != nil {
				break
			}
			n += chunk
		}
		sent <- n
	}()

	eventually(t, ctx, "sender blocked on a full inbox", func() bool { return inboxInfo(reg, csa.Name()).Waiting == 1 })

	in := inboxInfo(reg, csa.Name())
	held := int64(in.Bytes) + csa.Stats().BytesPending
	// The send limit and the write batch (32 KiB each), each overshot by
	// at most one chunk.
	const bound = 2*32<<10 + 2*chunk
	if held > bound {
		t.Errorf("process holds %d bytes for the connection, want at most %d", held, bound)
	}
	if in.Limit != internet.DefaultSendLimit {
		t.Errorf("inbox limit = %+v", in.Limit)
	}
	if w := csa.Stats().BytesWritten; w >= total/2 {
		t.Errorf("%d bytes written to a peer that reads nothing", w)
	}
	select {
	case n := <-sent:
		t.Fatalf("sender stopped after %d bytes instead of waiting", n)
	default:
	}
	stopSending()
	<-sent
	csa.Stop()
	waitDone(t, ctx, csa)
}
