package internet_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internet"
)

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// send puts data into a connection's inbox in chunks of random sizes,
// then producerFinished on its control.
func send(ctx context.Context, h *axon.Handle, data []byte, seed uint64) error {
	r := rand.New(rand.NewPCG(seed, 1))
	for len(data) > 0 {
		n := min(1+r.IntN(100<<10), len(data))
		if err := h.Put(ctx, "inbox", data[:n]); err != nil {
			return err
		}
		data = data[n:]
	}
	return h.Put(ctx, "control", axon.ProducerFinished{})
}

func TestTransferBothWaysAndClose(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	c1, c2 := tcpPair(t)
	a, b := internet.NewCSA(c1), internet.NewCSA(c2)
	ka, kb := newSink(), newSink()
	attach(t, a, ka)
	attach(t, b, kb)
	ha, hb := axontest.Handle(t, a), axontest.Handle(t, b)
	activate(t, ctx, ka, kb, a, b)

	// 10 MiB each way; 1 MiB in the quick suite.
	size := axontest.ShortOr(1<<20, 10<<20)
	toB, toA := randomBytes(1, size), randomBytes(2, size)
	errs := make(chan error, 2)
	go func() { errs <- send(ctx, ha, toB, 3) }()
	go func() { errs <- send(ctx, hb, toA, 4) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	waitDone(t, ctx, a, b, ka, kb)
	for _, tc := range []struct {
		name string
		k    *sink
		want []byte
	}{{"a received", ka, toA}, {"b received", kb, toB}} {
		got := tc.k.bytes()
		if !bytes.Equal(got, tc.want) {
			t.Errorf("%s %d bytes, want %d identical bytes", tc.name, len(got), len(tc.want))
		}
		if tc.k.notice.Err != nil {
			t.Errorf("%s: peerFinished carried %v", tc.name, tc.k.notice.Err)
		}
	}
	for _, h := range []*axon.Handle{ha, hb} {
		fb, err := h.Get(ctx, "CreatorFeedback")
		if err != nil {
			t.Fatal(err)
		}
		if !axon.IsProducerFinished(fb) || axon.Cause(fb) != nil {
			t.Errorf("CreatorFeedback = %#v, want a clean SocketShutdown", fb)
		}
		sig, err := h.Get(ctx, "signal")
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := sig.(internet.ShutdownCSA); !ok {
			t.Errorf("signal = %#v, want ShutdownCSA", sig)
		}
	}
	if st := a.Stats(); st.BytesWritten != int64(size) || st.BytesRead != int64(size) || st.BytesPending != 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestPeerHalfCloseThenWeKeepWriting(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	peer, ours := tcpPair(t)
	csa, k := sunkCSA(t, ours)
	h := axontest.Handle(t, csa)
	activate(t, ctx, k, csa)

	if _, err := peer.Write([]byte("question")); err != nil {
		t.Fatal(err)
	}
	if err := peer.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-k.done:
	case <-ctx.Done():
		t.Fatal("no peerFinished")
	}
	if got := string(k.bytes()); got != "question" {
		t.Fatalf("before peerFinished got %q", got)
	}
	answer := randomBytes(5, 1<<20)
	if err := send(ctx, h, answer, 6); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, ctx, peer); !bytes.Equal(got, answer) {
		t.Fatalf("peer got %d bytes after its half-close, want %d", len(got), len(answer))
	}
	waitDone(t, ctx, csa)
}

func TestBadMessageIsReportedAndConnectionStillEchoes(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	peer, ours := tcpPair(t)
	csa := echoCSA(t, ours)
	h := axontest.Handle(t, csa)
	activate(t, ctx, csa)

	roundTrip := func(msg string) {
		t.Helper()
		if _, err := peer.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(peer, buf); err != nil || string(buf) != msg {
			t.Fatalf("echo of %q = %q, %v", msg, buf, err)
		}
	}
	roundTrip("before")
	if err := h.Put(ctx, "inbox", 42); err != nil {
		t.Fatal(err)
	}
	sig, err := h.Get(ctx, "signal")
	if err != nil {
		t.Fatal(err)
	}
	if ei, ok := sig.(axon.ErrorInformation); !ok || !errors.Is(ei.Err, internet.ErrBadMessage) || ei.Message != 42 {
		t.Fatalf("signal = %#v, want ErrorInformation with ErrBadMessage", sig)
	}
	roundTrip("after")
	peer.CloseWrite()
	readAll(t, ctx, peer)
	waitDone(t, ctx, csa)
}

func TestCrashOnBadDataCloses(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	peer, ours := tcpPair(t)
	csa := internet.NewCSA(ours, internet.CrashOnBadData())
	h := axontest.Handle(t, csa)
	activate(t, ctx, csa)
	if err := h.Put(ctx, "inbox", struct{}{}); err != nil {
		t.Fatal(err)
	}
	fb, err := h.Get(ctx, "CreatorFeedback")
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(axon.Cause(fb), internet.ErrBadMessage) {
		t.Fatalf("CreatorFeedback cause = %v", axon.Cause(fb))
	}
	readAll(t, ctx, peer) // the peer sees the close, not a hang
	waitDone(t, ctx, csa)
}

func TestShutdownMicroprocessFlushesThenCloses(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	peer, ours := tcpPair(t)
	csa := internet.NewCSA(ours)
	h := axontest.Handle(t, csa)
	activate(t, ctx, csa)
	data := randomBytes(7, 3<<20)
	if err := h.Put(ctx, "inbox", data); err != nil {
		t.Fatal(err)
	}
	if err := h.Put(ctx, "control", axon.ShutdownMicroprocess{}); err != nil {
		t.Fatal(err)
	}
	// The peer never sent or closed anything: shutdownMicroprocess does
	// not wait for it, yet every queued byte arrives.
	if got := readAll(t, ctx, peer); !bytes.Equal(got, data) {
		t.Fatalf("peer got %d of %d bytes", len(got), len(data))
	}
	waitDone(t, ctx, csa)
}

// TestShutdownMicroprocessAfterProducerFinishedClosesAtOnce: after a
// producerFinished the adapter waits (bounded by Linger) for the peer
// to finish too; a shutdownMicroprocess then stops the wait and closes,
// as it would have without the producerFinished.
func TestShutdownMicroprocessAfterProducerFinishedClosesAtOnce(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	peer, ours := tcpPair(t)
	csa := internet.NewCSA(ours, internet.Linger(time.Hour))
	h := axontest.Handle(t, csa)
	activate(t, ctx, csa)
	axontest.Put(t, ctx, h, "inbox", "all of it")
	axontest.Put(t, ctx, h, "control", axon.ProducerFinished{})
	if got := readAll(t, ctx, peer); string(got) != "all of it" { // up to our half-close
		t.Fatalf("peer got %q", got)
	}
	axontest.Put(t, ctx, h, "control", axon.ShutdownMicroprocess{})
	quick, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	waitDone(t, quick, csa)
	if err := axon.Cause(axontest.Get(t, ctx, h, "CreatorFeedback")); err != nil {
		t.Fatalf("CreatorFeedback carries %v; want a clean close", err)
	}
}

func TestEmptyAndIgnoredMessagesDoNotClose(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	peer, ours := tcpPair(t)
	csa := internet.NewCSA(ours)
	h := axontest.Handle(t, csa)
	activate(t, ctx, csa)
	for _, m := range []struct {
		box string
		msg any
	}{{"inbox", []byte{}}, {"inbox", ""}, {"control", "not a shutdown request"}, {"inbox", []byte("still open")}} {
		if err := h.Put(ctx, m.box, m.msg); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, len("still open"))
	peer.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(peer, buf); err != nil || string(buf) != "still open" {
		t.Fatalf("peer read %q, %v", buf, err)
	}
	h.Put(ctx, "control", axon.ProducerFinished{})
	peer.Close()
	waitDone(t, ctx, csa)
}

// Reads of every size come out whole and in order, in an order that
// makes the adapter's read buffer change size: short reads (into its
// stack buffer), one that fills that exactly, reads that fill a pooled
// buffer and make it grow, and short ones after long ones, which are
// copied out of the larger buffer until it shrinks.
func TestReadSizes(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	client, server := tcpPair(t)
	csa, k := sunkCSA(t, server)
	activate(t, ctx, k, csa)

	tests := []struct {
		name string
		size int
	}{
		{"one byte", 1},
		{"just under the small buffer", 511},
		{"exactly the small buffer", 512},
		{"just over the small buffer", 513},
		{"a page", 4096},
		{"a page again", 4096},
		{"short after a page", 100},
		{"short again", 100},
		{"larger than one read", 100_000},
		{"short after large", 3},
		{"exactly the small buffer after short", 512},
		{"large again", 40_000},
		{"one byte after large", 1},
		{"one byte again", 1},
		{"one byte a third time", 1},
	}
	var want []byte
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := randomBytes(uint64(i), tt.size)
			want = append(want, b...)
			if _, err := client.Write(b); err != nil {
				t.Fatal(err)
			}
			// Wait for it all, so that the next write is a separate read.
			if got := k.waitFor(t, ctx, len(want)); !bytes.Equal(got, want) {
				t.Fatalf("received %d bytes differing from the %d sent", len(got), len(want))
			}
		})
	}
	client.Close()
	waitDone(t, ctx, k)
	if got := csa.Stats().BytesRead; got != int64(len(want)) {
		t.Errorf("BytesRead = %d, want %d", got, len(want))
	}
	csa.Stop()
	waitDone(t, ctx, csa)
}
