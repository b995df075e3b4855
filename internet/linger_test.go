package internet_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internet"
)

func TestLingerCutsShortAFlushAndSaysSo(t *testing.T) {
	ctx, _ := testCtx(t)
	_, ours := tcpPair(t) // the peer never reads
	const linger = 200 * time.Millisecond
	csa := internet.NewCSA(ours, internet.Linger(linger))
	h := axontest.Handle(t, csa)
	activate(t, ctx, csa)
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		buf := make([]byte, 64<<10)
		for range 160 { // 10 MiB: far more than the socket buffers hold
			if h.Put(ctx, "inbox", buf) != nil {
				return
			}
		}
	}()
	eventually(t, ctx, "the sender waits on a full inbox", func() bool {
		return csa.Info().Inboxes[0].Waiting > 0
	})
	start := time.Now()
	if err := h.Put(ctx, "control", axon.ProducerFinished{}); err != nil {
		t.Fatal(err)
	}
	fb, err := h.Get(ctx, "CreatorFeedback")
	if err != nil {
		t.Fatal(err)
	}
	cause := axon.Cause(fb)
	if !errors.Is(cause, internet.ErrLinger) || !errors.Is(cause, os.ErrDeadlineExceeded) {
		t.Fatalf("cause = %v, want ErrLinger and os.ErrDeadlineExceeded", cause)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Fatalf("closing took %v with a %v linger", took, linger)
	}
	waitDone(t, ctx, csa)
	<-fed // released: the ended adapter drops what it could not send
}
