package internet_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/testpki"
	"github.com/kamaelia-go/kamaelia/internet"
)

// errOurs is a cause of our own, for Reset.
var errOurs = errors.New("a cause of our own")

// TestEveryNoticeCarriesTheCause: however a connection ends, its first
// notice (the SocketShutdown on "peerFinished", which a ServerCore
// handler gets on "control") carries the cause, and so do the
// SocketShutdown on "CreatorFeedback" and the ShutdownCSA on "signal":
// nil for an orderly end (the peer's half-close, our shutdownMicroprocess),
// else why the connection ended, in particular when the adapter closed
// it itself.
func TestEveryNoticeCarriesTheCause(t *testing.T) {
	t.Parallel()
	p := testpki.New(t)
	const short = 200 * time.Millisecond
	type rig struct {
		csa  *internet.CSA
		h    *axon.Handle
		peer *net.TCPConn
	}
	is := func(target error) func(error) bool { return func(err error) bool { return errors.Is(err, target) } }
	tests := []struct {
		name  string
		opts  []internet.CSAOption
		act   func(t *testing.T, ctx context.Context, r rig)
		check func(error) bool
	}{
		{"the peer half-closes", nil, func(t *testing.T, ctx context.Context, r rig) {
			r.peer.CloseWrite()
		}, func(err error) bool { return err == nil }},
		{"we shut down", nil, func(t *testing.T, ctx context.Context, r rig) {
			axontest.Put(t, ctx, r.h, "control", axon.ShutdownMicroprocess{})
		}, func(err error) bool { return err == nil }},
		{"the peer resets", nil, func(t *testing.T, ctx context.Context, r rig) {
			r.peer.SetLinger(0)
			r.peer.Close()
		}, is(syscall.ECONNRESET)},
		{"the idle timeout", []internet.CSAOption{internet.IdleTimeout(short)}, func(*testing.T, context.Context, rig) {},
			is(internet.ErrIdleTimeout)},
		{"the linger runs out during the flush", []internet.CSAOption{internet.Linger(short)}, func(t *testing.T, ctx context.Context, r rig) {
			chunk := randomBytes(5, 32<<10)
			go func() { // more than the socket holds: the peer never reads
				for range 256 {
					if r.h.Put(ctx, "inbox", chunk) != nil {
						return
					}
				}
			}()
			eventually(t, ctx, "data waiting to be written", func() bool { return r.csa.Stats().BytesPending > 0 && r.csa.DataReady("inbox") > 0 })
			axontest.Put(t, ctx, r.h, "control", axon.ProducerFinished{})
		}, is(internet.ErrLinger)},
		{"the linger runs out after the half-close", []internet.CSAOption{internet.Linger(short)}, func(t *testing.T, ctx context.Context, r rig) {
			axontest.Put(t, ctx, r.h, "control", axon.ProducerFinished{}) // the peer never finishes
		}, is(internet.ErrLinger)},
		{"the linger cap", []internet.CSAOption{internet.Linger(-1), internet.LingerCap(short)}, func(t *testing.T, ctx context.Context, r rig) {
			axontest.Put(t, ctx, r.h, "control", axon.ProducerFinished{})
		}, is(internet.ErrLinger)},
		{"a Reset message", nil, func(t *testing.T, ctx context.Context, r rig) {
			axontest.Put(t, ctx, r.h, "control", internet.Reset{})
		}, is(internet.ErrReset)},
		{"CSA.Reset with a cause", nil, func(t *testing.T, ctx context.Context, r rig) {
			r.csa.Reset(errOurs)
		}, is(errOurs)},
		{"bad data with CrashOnBadData", []internet.CSAOption{internet.CrashOnBadData()}, func(t *testing.T, ctx context.Context, r rig) {
			axontest.Put(t, ctx, r.h, "inbox", 42)
		}, is(internet.ErrBadMessage)},
		{"a failed TLS handshake", []internet.CSAOption{internet.TLSServer(p.ServerConfig())}, func(t *testing.T, ctx context.Context, r rig) {
			axontest.Put(t, ctx, r.h, "makessl", internet.MakeSSL{})
			r.peer.Write([]byte("this is not a TLS client hello\r\n"))
		}, func(err error) bool {
			var rec tls.RecordHeaderError
			return errors.As(err, &rec) && strings.Contains(err.Error(), "TLS server handshake")
		}},
		{"Stop", nil, func(t *testing.T, ctx context.Context, r rig) {
			r.csa.Stop()
		}, is(context.Canceled)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, _ := testCtx(t)
			peer, ours := tcpPair(t)
			smallBuffers(t, ours, peer)
			csa := internet.NewCSA(ours, tt.opts...)
			k := newSink()
			link(t, axon.Out(csa, "peerFinished"), axon.In(k, "control"))
			h := axontest.Handle(t, csa) // "outbox" (not read here), "signal", "CreatorFeedback"
			activate(t, ctx, k, csa)
			tt.act(t, ctx, rig{csa, h, peer})
			select {
			case <-k.done:
			case <-ctx.Done():
				t.Fatal("no notice on peerFinished")
			}
			if err := k.notice.Err; !tt.check(err) {
				t.Errorf("peerFinished carries %v", err)
			}
			if tt.name == "the peer half-closes" {
				axontest.Put(t, ctx, h, "control", axon.ShutdownMicroprocess{})
			}
			if err := axon.Cause(axontest.Get(t, ctx, h, "CreatorFeedback")); !tt.check(err) {
				t.Errorf("CreatorFeedback carries %v", err)
			}
			for {
				m := axontest.Get(t, ctx, h, "signal")
				if sc, ok := m.(internet.ShutdownCSA); ok {
					if !tt.check(sc.Err) {
						t.Errorf("ShutdownCSA carries %v", sc.Err)
					}
					break
				}
			}
		})
	}
}

// TestStopWhileDeliveringCarriesTheCause: an adapter stopped while its
// reader waits for room to deliver what it read still says why on
// "peerFinished".
func TestStopWhileDeliveringCarriesTheCause(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	peer, ours := tcpPair(t)
	csa := internet.NewCSA(ours)
	// A receiver with room for one chunk that never takes it: the
	// reader's second delivery waits.
	full := axon.NewReactive("full", func(context.Context, *axon.Core) error { return nil },
		axon.WithInboxes(axon.Box("inbox", "").WithLimit(axon.Limit{Messages: 1})))
	k := newSink()
	link(t, axon.Out(csa, "outbox"), axon.In(full, "inbox"))
	link(t, axon.Out(csa, "peerFinished"), axon.In(k, "control"))
	activate(t, ctx, full, k, csa)
	t.Cleanup(func() { full.Stop(); <-full.Done() })
	peer.Write([]byte("first"))
	eventually(t, ctx, "the first chunk delivered", func() bool { return full.DataReady("inbox") == 1 })
	peer.Write([]byte("second"))
	eventually(t, ctx, "the second chunk read", func() bool { return csa.Stats().BytesRead == int64(len("firstsecond")) })
	csa.Stop()
	select {
	case <-k.done:
	case <-ctx.Done():
		t.Fatal("no notice on peerFinished")
	}
	if err := k.notice.Err; !errors.Is(err, context.Canceled) {
		t.Fatalf("peerFinished carries %v; want the stop's cause", err)
	}
}
