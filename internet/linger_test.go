package internet_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internet"
)

// smallBuffers shrinks the kernel's buffers between our end and the
// peer's, so that most of what a peer does not read stays in the process
// (where the linger governs it) instead of in the kernel. Much smaller
// buffers make loopback TCP itself stall for 200 ms at a time.
func smallBuffers(t testing.TB, ours, peer *net.TCPConn) {
	t.Helper()
	if err := ours.SetWriteBuffer(32 << 10); err != nil {
		t.Fatal(err)
	}
	if err := peer.SetReadBuffer(32 << 10); err != nil {
		t.Fatal(err)
	}
}

// readSlowly reads from conn chunk bytes every tick until EOF or an
// error, and returns what it read and the error (nil for EOF).
func readSlowly(conn net.Conn, chunk int, every time.Duration) ([]byte, error) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	var got bytes.Buffer
	buf := make([]byte, chunk)
	for {
		n, err := conn.Read(buf)
		got.Write(buf[:n])
		if err == io.EOF {
			return got.Bytes(), nil
		}
		if err != nil {
			return got.Bytes(), err
		}
		<-tick.C
	}
}

// TestLingerMeansNoProgress: Linger bounds how long closing may go
// without progress, not how long it takes; LingerCap bounds how long it
// takes. The reply is queued whole (the inbox is unbounded here), then
// producerFinished.
func TestLingerMeansNoProgress(t *testing.T) {
	t.Parallel()
	// A linger of a second: the steady reader below is a goroutine of
	// this test, and on a loaded machine it may not run for a few
	// hundred milliseconds, which the adapter rightly sees as a peer
	// that took nothing.
	const linger = time.Second
	const reply = 2 << 20 // at 16 KiB per 25 ms, about 3.2 s: three lingers
	steady := func(c net.Conn) ([]byte, error) { return readSlowly(c, 16<<10, 25*time.Millisecond) }
	tests := []struct {
		name string
		opts []internet.CSAOption
		// read is how the peer reads the reply; nil: it never reads.
		read    func(net.Conn) ([]byte, error)
		cut     bool
		minTook time.Duration // the close takes at least this long
	}{
		{"a slow but steady reader gets it all", []internet.CSAOption{internet.Linger(linger)}, steady, false, 2 * linger},
		{"a reader that stops is cut off", []internet.CSAOption{internet.Linger(linger)}, nil, true, linger},
		{"LingerCap cuts off even a steady reader", []internet.CSAOption{internet.Linger(linger), internet.LingerCap(2 * linger)}, steady, true, 2 * linger},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, _ := testCtx(t)
			peer, ours := tcpPair(t)
			smallBuffers(t, ours, peer)
			csa := internet.NewCSA(ours, append(tt.opts, internet.SendLimit(axon.Unbounded))...)
			h := axontest.Handle(t, csa)
			activate(t, ctx, csa)
			type result struct {
				got []byte
				err error
			}
			read := make(chan result, 1)
			if tt.read != nil {
				go func() {
					got, err := tt.read(peer)
					peer.CloseWrite() // our side drains until the peer finishes too
					read <- result{got, err}
				}()
			}
			data := randomBytes(3, reply)
			start := time.Now()
			if err := send(ctx, h, data, 3); err != nil {
				t.Fatal(err)
			}
			axontest.Put(t, ctx, h, "control", axon.ProducerFinished{})
			cause := axon.Cause(axontest.Get(t, ctx, h, "CreatorFeedback"))
			if took := time.Since(start); took < tt.minTook {
				t.Errorf("the close took %v, want at least %v", took, tt.minTook)
			}
			if !tt.cut {
				if cause != nil {
					t.Fatalf("cause = %v, want a clean close", cause)
				}
				r := <-read
				if r.err != nil || !bytes.Equal(r.got, data) {
					t.Fatalf("the peer read %d of %d bytes: %v", len(r.got), len(data), r.err)
				}
				waitDone(t, ctx, csa)
				return
			}
			if !errors.Is(cause, internet.ErrLinger) || !errors.Is(cause, os.ErrDeadlineExceeded) {
				t.Fatalf("cause = %v, want ErrLinger and os.ErrDeadlineExceeded", cause)
			}
			var r result
			if tt.read != nil {
				r = <-read
			} else {
				peer.SetReadDeadline(time.Now().Add(10 * time.Second))
				r.got, r.err = io.ReadAll(peer)
			}
			if !errors.Is(r.err, syscall.ECONNRESET) || len(r.got) >= len(data) {
				t.Fatalf("the peer read %d of %d bytes, then %v; want a reset", len(r.got), len(data), r.err)
			}
			waitDone(t, ctx, csa)
		})
	}
}

// TestLingerAfterHalfClose: after our half-close, a peer that keeps
// sending (slowly) is waited for as long as it makes progress; one that
// neither sends nor closes is closed on once the linger has passed
// without progress, cleanly: everything we sent was delivered.
func TestLingerAfterHalfClose(t *testing.T) {
	t.Parallel()
	// The peer is a goroutine of this process: on a loaded machine it
	// may not run for a while, and 500 ms was seen to pass without it
	// sending.
	const linger = time.Second
	tests := []struct {
		name  string
		sends int // the peer sends this many bytes, one every 50 ms, then half-closes; 0: it does nothing
		cut   bool
	}{
		{"a peer still sending is waited for", 40, false}, // 2 s: two lingers
		{"a silent peer that never closes is closed on", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, _ := testCtx(t)
			peer, ours := tcpPair(t)
			csa, k := internet.NewCSA(ours, internet.Linger(linger)), newSink()
			attach(t, csa, k)
			h := axontest.Handle(t, csa)
			activate(t, ctx, csa, k)
			axontest.Put(t, ctx, h, "control", axon.ProducerFinished{})
			if tt.sends > 0 {
				go func() {
					tick := time.NewTicker(50 * time.Millisecond)
					defer tick.Stop()
					for range tt.sends {
						if _, err := peer.Write([]byte("x")); err != nil {
							return
						}
						<-tick.C
					}
					peer.CloseWrite()
				}()
			}
			cause := axon.Cause(axontest.Get(t, ctx, h, "CreatorFeedback"))
			if !tt.cut {
				if cause != nil {
					t.Fatalf("cause = %v, want a clean close", cause)
				}
				if got := k.waitFor(t, ctx, tt.sends); len(got) != tt.sends {
					t.Fatalf("delivered %q", got)
				}
				return
			}
			if !errors.Is(cause, internet.ErrLinger) || !errors.Is(cause, os.ErrDeadlineExceeded) {
				t.Fatalf("cause = %v, want ErrLinger and os.ErrDeadlineExceeded", cause)
			}
			peer.SetReadDeadline(time.Now().Add(10 * time.Second))
			for range 2 { // our half-close, then nothing more: no reset
				if n, err := peer.Read(make([]byte, 1)); n != 0 || err != io.EOF {
					t.Fatalf("the peer read %d bytes, %v; want EOF", n, err)
				}
			}
			waitDone(t, ctx, csa, k)
		})
	}
}
