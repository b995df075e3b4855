package internet_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/streamtest"
	"github.com/kamaelia-go/kamaelia/internal/testpki"
	"github.com/kamaelia-go/kamaelia/internet"
)

// counted is what every server of the package reports of its
// connections.
type counted interface {
	Addr() *net.TCPAddr
	Connections() int
	Stats() internet.ServerStats
	Shutdown(context.Context) error
}

var (
	_ counted = (*internet.TCPServer)(nil)
	_ counted = (*internet.ServerCore)(nil)
	_ counted = (*internet.SingleServer)(nil)
)

// serverOption is an option every server takes.
type serverOption interface {
	internet.TCPServerOption
	internet.ServerCoreOption
	internet.SingleServerOption
}

// echoServer is a kind of server, started as an echo server that
// serves at most max clients at once (0: no limit; a SingleServer
// serves one whatever max says), and stopped when the test ends.
type echoServer struct {
	name  string
	one   bool // serves one client at a time
	start func(t *testing.T, ctx context.Context, max int, opts ...serverOption) counted
}

// clients is n, or 1 for a server that serves one client at a time.
func (k echoServer) clients(n int) int {
	if k.one {
		return 1
	}
	return n
}

var echoServers = []echoServer{
	{"TCPServer", false, func(t *testing.T, ctx context.Context, max int, opts ...serverOption) counted {
		all := []internet.TCPServerOption{internet.Logger(discardLogger())}
		for _, o := range opts {
			all = append(all, o)
		}
		if max > 0 {
			all = append(all, internet.MaxConnections(max))
		}
		srv, _ := startServer(t, ctx, nil, all...)
		return srv
	}},
	{"ServerCore", false, func(t *testing.T, ctx context.Context, max int, opts ...serverOption) counted {
		var all []internet.ServerCoreOption
		for _, o := range opts {
			all = append(all, o)
		}
		if max > 0 {
			all = append(all, internet.MaxConnections(max))
		}
		return startServerCore(t, ctx, echoFactory, all...)
	}},
	{"SingleServer", true, func(t *testing.T, ctx context.Context, _ int, opts ...serverOption) counted {
		all := []internet.SingleServerOption{internet.Host("127.0.0.1"), internet.Logger(discardLogger())}
		for _, o := range opts {
			all = append(all, o)
		}
		srv, err := internet.NewSingleServer(0, all...)
		if err != nil {
			t.Fatal(err)
		}
		link(t, axon.Out(srv, "outbox"), axon.In(srv, "inbox")) // what the client sends goes back to it
		activate(t, ctx, srv)
		t.Cleanup(func() { srv.Stop(); <-srv.Done() })
		return srv
	}},
}

// statsAre checks every counter of srv against want.
func statsAre(t *testing.T, srv counted, want internet.ServerStats) {
	t.Helper()
	if got := srv.Stats(); got != want {
		t.Errorf("Stats() = %+v\n          want %+v", got, want)
	}
}

// wentDown names the counters that are lower in now than in before.
func wentDown(before, now internet.ServerStats) []string {
	b, n := reflect.ValueOf(before), reflect.ValueOf(now)
	var down []string
	for i := range b.NumField() {
		if n.Field(i).Uint() < b.Field(i).Uint() {
			down = append(down, fmt.Sprintf("%s from %d to %d", b.Type().Field(i).Name, b.Field(i).Uint(), n.Field(i).Uint()))
		}
	}
	return down
}

// TestServerCountsAcceptedAndRefused: with one slot, taken, every other
// client is refused, and counted as accepted and refused by the time
// it sees its connection closed; once the slot is free, the next one is
// served.
func TestServerCountsAcceptedAndRefused(t *testing.T) {
	t.Parallel()
	for _, kind := range echoServers {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			ctx, _ := testCtx(t)
			srv := kind.start(t, ctx, 1)
			statsAre(t, srv, internet.ServerStats{})

			held := dialCore(t, srv)
			echoOnce(t, held, "mine")
			for i := range 3 {
				expectClosed(t, dialCore(t, srv), fmt.Sprintf("client %d past the limit", i))
				if st := srv.Stats(); st.Accepted != uint64(2+i) || st.Refused != uint64(1+i) {
					t.Fatalf("client %d past the limit seen closed: accepted %d, refused %d; want %d, %d", i, st.Accepted, st.Refused, 2+i, 1+i)
				}
			}
			eventually(t, ctx, "the echo's write counted", func() bool { return srv.Stats().BytesWritten == 4 })
			statsAre(t, srv, internet.ServerStats{Accepted: 4, Refused: 3, BytesRead: 4, BytesWritten: 4})

			held.Close()
			eventually(t, ctx, "the slot free again", func() bool { return srv.Connections() == 0 })
			echoOnce(t, dialCore(t, srv), "next")
			if st := srv.Stats(); st.Accepted != 5 || st.Refused != 3 {
				t.Errorf("after one more client: accepted %d, refused %d; want 5 and 3", st.Accepted, st.Refused)
			}
		})
	}
}

// TestServerCoreCountsFailedFactoriesAsRefused: a connection whose
// handler cannot be made, because the Factory returned an error or
// panicked, is closed unserved and counted as refused; the server goes
// on serving.
func TestServerCoreCountsFailedFactoriesAsRefused(t *testing.T) {
	t.Parallel()
	ctx, _ := testCtx(t)
	var calls atomic.Int32
	srv := startServerCore(t, ctx, func(info internet.ConnInfo) (axon.Component, error) {
		switch calls.Add(1) {
		case 1:
			return nil, errors.New("no handler for you")
		case 2:
			panic("factory bug")
		}
		return echoFactory(info)
	})
	expectClosed(t, dialCore(t, srv), "a client whose factory failed")
	expectClosed(t, dialCore(t, srv), "a client whose factory panicked")
	if st := srv.Stats(); st.Accepted != 2 || st.Refused != 2 {
		t.Errorf("both seen closed: accepted %d, refused %d; want 2, 2", st.Accepted, st.Refused)
	}
	echoOnce(t, dialCore(t, srv), "served")
	eventually(t, ctx, "the echo's write counted", func() bool { return srv.Stats().BytesWritten == 6 })
	statsAre(t, srv, internet.ServerStats{Accepted: 3, Refused: 2, BytesRead: 6, BytesWritten: 6})
}

// TestServerCountsConnectionsCutAtShutdown: the connections a shutdown
// resets when its grace runs out are counted, as many as its error
// names; nothing else moves, and none is open once Shutdown returns.
func TestServerCountsConnectionsCutAtShutdown(t *testing.T) {
	t.Parallel()
	for _, kind := range echoServers {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			clients := kind.clients(5)
			ctx, _ := testCtx(t)
			srv := kind.start(t, ctx, 0)
			results, shutdownErr := cutMidStream(t, ctx, srv, clients)
			if want := fmt.Sprintf(" %d connection(s)", clients); !errors.Is(shutdownErr, internet.ErrConnectionsCut) || !strings.Contains(shutdownErr.Error(), want) {
				t.Fatalf("Shutdown = %v; want ErrConnectionsCut naming%s", shutdownErr, want)
			}
			for _, r := range results {
				if !errors.Is(r.Err, syscall.ECONNRESET) {
					t.Errorf("client %d ended with %v; want a reset", r.ID, r.Err)
				}
			}
			if n := srv.Connections(); n != 0 {
				t.Errorf("after Shutdown, Connections() = %d, want 0", n)
			}
			got := srv.Stats()
			if got.Cut != uint64(clients) {
				t.Errorf("Cut = %d, want %d", got.Cut, clients)
			}
			if got.Accepted != uint64(clients) || got.Refused != 0 || got.IdleClosed != 0 {
				t.Errorf("accepted %d, refused %d, idle closes %d; want %d, 0, 0", got.Accepted, got.Refused, got.IdleClosed, clients)
			}
		})
	}
}

// TestServerCountsConnectionsCutByStop: stopping a ServerCore or a
// SingleServer resets its connections, and counts them as cut, as its
// error says; none is open once it is done.
func TestServerCountsConnectionsCutByStop(t *testing.T) {
	t.Parallel()
	for _, kind := range echoServers {
		if kind.name == "TCPServer" {
			continue // its connections belong to whoever wired them, and go on
		}
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			clients := kind.clients(3)
			ctx, _ := testCtx(t)
			srv := kind.start(t, ctx, 0)
			conns := make([]net.Conn, clients)
			for i := range conns {
				conns[i] = dialCore(t, srv)
				echoOnce(t, conns[i], fmt.Sprint("client ", i))
			}
			stopper := srv.(interface {
				Stop()
				Done() <-chan struct{}
				Err() error
			})
			stopper.Stop()
			<-stopper.Done()
			if err := stopper.Err(); !errors.Is(err, internet.ErrConnectionsCut) {
				t.Fatalf("Err() = %v, want ErrConnectionsCut", err)
			}
			for i, c := range conns {
				if err := readUntilError(c); !isReset(err) {
					t.Errorf("client %d met %v; want a reset", i, err)
				}
			}
			if got := srv.Stats().Cut; got != uint64(clients) {
				t.Errorf("Cut = %d, want %d", got, clients)
			}
			if n := srv.Connections(); n != 0 {
				t.Errorf("once stopped, Connections() = %d, want 0", n)
			}
		})
	}
}

// TestServerCountsIdleCloses: a client that goes quiet is reset after
// IdleTimeout and counted as an idle close, and as nothing else.
func TestServerCountsIdleCloses(t *testing.T) {
	t.Parallel()
	for _, kind := range echoServers {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			ctx, _ := testCtx(t)
			// Long enough that the echo below never takes it on a busy
			// machine.
			srv := kind.start(t, ctx, 0, internet.IdleTimeout(500*time.Millisecond))
			c := dialCore(t, srv)
			echoOnce(t, c, "then silence")
			if err := readUntilError(c); !isReset(err) {
				t.Fatalf("the quiet client met %v; want a reset", err)
			}
			eventually(t, ctx, "the connection's end heard", func() bool { return srv.Connections() == 0 })
			statsAre(t, srv, internet.ServerStats{Accepted: 1, IdleClosed: 1, BytesRead: 12, BytesWritten: 12})
		})
	}
}

// TestServerCountsTLSHandshakes: a ServeTLS server counts a client's
// handshake that completes (before it reads anything over it), and one
// that fails: the client sent something other than TLS, does not trust
// the server's certificate, or never starts its handshake. What the
// connection moved is counted as data, not as TLS records.
func TestServerCountsTLSHandshakes(t *testing.T) {
	t.Parallel()
	p := testpki.New(t)
	stranger := testpki.New(t) // a CA the server's certificate is not from
	const msg = "over TLS"
	failed := internet.ServerStats{Accepted: 1, TLSHandshakeFailures: 1}
	tests := []struct {
		name   string
		opts   []serverOption
		client func(t *testing.T, ctx context.Context, srv counted)
		want   internet.ServerStats
	}{
		{"completed", nil, func(t *testing.T, ctx context.Context, srv counted) {
			tlsEcho(t, ctx, p, srv.Addr(), msg)
			// The echo came over the connection: the handshake before it
			// has been counted.
			if got := srv.Stats().TLSHandshakes; got != 1 {
				t.Errorf("after an echo over TLS, TLSHandshakes = %d, want 1", got)
			}
		}, internet.ServerStats{Accepted: 1, TLSHandshakes: 1, BytesRead: uint64(len(msg)), BytesWritten: uint64(len(msg))}},
		{"garbage", nil, func(t *testing.T, ctx context.Context, srv counted) {
			c := dialCore(t, srv)
			if _, err := io.WriteString(c, "GET / HTTP/1.0\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			expectClosed(t, c, "a client that speaks plaintext")
		}, failed},
		{"wrong CA", nil, func(t *testing.T, ctx context.Context, srv counted) {
			cfg := stranger.ClientConfig()
			cfg.ServerName = "localhost"
			raw := dialCore(t, srv)
			var unknown x509.UnknownAuthorityError
			if err := tls.Client(raw, cfg).HandshakeContext(ctx); !errors.As(err, &unknown) {
				t.Fatalf("handshake with a CA that did not sign the server's certificate: %v", err)
			}
			// The rest of the server's flight may come first.
			if err := readUntilError(raw); isTimeout(err) {
				t.Fatalf("a client that rejected the certificate: %v; want the connection closed", err)
			}
		}, failed},
		{"stalled", []serverOption{internet.HandshakeTimeout(200 * time.Millisecond)}, func(t *testing.T, ctx context.Context, srv counted) {
			expectClosed(t, dialCore(t, srv), "a client that never starts its handshake")
		}, failed},
	}
	for _, kind := range echoServers {
		for _, tt := range tests {
			t.Run(kind.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				ctx, _ := testCtx(t)
				srv := kind.start(t, ctx, 0, append(tt.opts, internet.ServeTLS(p.ServerConfig()))...)
				tt.client(t, ctx, srv)
				eventually(t, ctx, "the connection's end heard", func() bool {
					st := srv.Stats()
					return srv.Connections() == 0 && st.TLSHandshakes+st.TLSHandshakeFailures > 0
				})
				statsAre(t, srv, tt.want)
			})
		}
	}
}

// TestServerCoreCountsStartTLSHandshakes: a handler's makessl upgrade
// counts as a server-side handshake, completed or failed.
func TestServerCoreCountsStartTLSHandshakes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		client     func(t *testing.T, ctx context.Context, conn net.Conn, cfg *tls.Config)
		ok, failed uint64
	}{
		{"completed", func(t *testing.T, ctx context.Context, conn net.Conn, cfg *tls.Config) {
			tc := tls.Client(conn, cfg)
			if err := tc.HandshakeContext(ctx); err != nil {
				t.Fatal(err)
			}
			echoOnce(t, tc, "secret after STARTTLS")
		}, 1, 0},
		{"garbage", func(t *testing.T, ctx context.Context, conn net.Conn, _ *tls.Config) {
			io.WriteString(conn, "not a ClientHello\r\n")
			expectClosed(t, conn, "a client that goes on in plaintext")
		}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, _ := testCtx(t)
			p := testpki.New(t)
			var upgraded atomic.Int32
			handler := startTLSHandler(false, &upgraded)
			srv := startServerCore(t, ctx, func(internet.ConnInfo) (axon.Component, error) { return handler(), nil }, internet.TLSServer(p.ServerConfig()))
			conn := dialCore(t, srv)
			tt.client(t, ctx, conn, askStartTLS(t, conn, p))
			eventually(t, ctx, "the handshake counted", func() bool {
				st := srv.Stats()
				return st.TLSHandshakes+st.TLSHandshakeFailures > 0
			})
			if st := srv.Stats(); st.TLSHandshakes != tt.ok || st.TLSHandshakeFailures != tt.failed {
				t.Errorf("TLSHandshakes = %d, TLSHandshakeFailures = %d; want %d, %d", st.TLSHandshakes, st.TLSHandshakeFailures, tt.ok, tt.failed)
			}
		})
	}
}

// TestServerCountsBytesExactly: while clients stream, a connection
// that is still open is counted as it goes; once every client has
// finished, BytesRead is exactly what the clients sent and BytesWritten
// exactly what they got back, over hundreds of concurrent connections
// (one at a time for a SingleServer).
func TestServerCountsBytesExactly(t *testing.T) {
	if testing.Short() {
		t.Parallel() // 50 clients: light enough to share the process; the full size runs alone
	}
	for _, kind := range echoServers {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			rounds, clients := 1, axontest.ShortOr(50, 300)
			if kind.one {
				rounds, clients = 3, 1
			}
			ctx, _ := testCtx(t)
			srv := kind.start(t, ctx, 0)

			const first = "still open: counted as it goes"
			open := dialCore(t, srv)
			echoOnce(t, open, first)
			eventually(t, ctx, "an open connection's bytes counted", func() bool {
				st := srv.Stats()
				return st.BytesRead == uint64(len(first)) && st.BytesWritten == uint64(len(first))
			})
			open.Close()
			eventually(t, ctx, "the first client gone", func() bool { return srv.Connections() == 0 })

			sent, got := uint64(len(first)), uint64(len(first))
			st := streamtest.Stream{Total: 40 << 10, Chunk: 1 << 10, Every: 5 * time.Millisecond}
			for range rounds {
				before := sent
				var mid internet.ServerStats
				during := func() {
					mid = srv.Stats()
					// The echoes the clients have had were counted once
					// their write returned, which may be just after.
					eventually(t, ctx, "a write counted midway", func() bool { return srv.Stats().BytesWritten > before })
				}
				for _, r := range streamAll(t, ctx, srv.Addr().String(), clients, st, during) {
					if r.Err != nil || r.Corrupt || r.Got != r.Sent {
						t.Fatalf("client %d: sent %d, got %d back (corrupt %v): %v", r.ID, r.Sent, r.Got, r.Corrupt, r.Err)
					}
					sent += uint64(r.Sent)
					got += uint64(r.Got)
				}
				// Midway every client had an echo: the server had read a
				// chunk of each, counted before it is passed on.
				if least := before + uint64(clients*st.Chunk); mid.BytesRead < least {
					t.Errorf("midway, with every client echoed once: read %d; want at least %d", mid.BytesRead, least)
				}
				eventually(t, ctx, "every connection's end heard", func() bool { return srv.Connections() == 0 })
			}
			statsAre(t, srv, internet.ServerStats{Accepted: uint64(1 + rounds*clients), BytesRead: sent, BytesWritten: got})
		})
	}
}

// TestServerStatsAreSafeForConcurrentUse reads the counters from
// several goroutines while clients come and go, some refused: no
// counter ever goes down, Accepted is never below Refused, and at the
// end the counts agree with what the clients saw.
func TestServerStatsAreSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	const clients, rounds, limit = 40, 5, 10
	ctx, _ := testCtx(t)
	core := startServerCore(t, ctx, echoFactory, internet.MaxConnections(limit))
	views := []counted{core, core.TCPServer()}

	stop := make(chan struct{})
	var readers sync.WaitGroup
	for i := range 4 {
		srv := views[i%len(views)]
		readers.Go(func() {
			// A look every 100 µs at most: thousands during the test,
			// without spinning the cores the server needs.
			tick := time.NewTicker(100 * time.Microsecond)
			defer tick.Stop()
			last := srv.Stats()
			for {
				now := srv.Stats()
				if down := wentDown(last, now); down != nil {
					t.Errorf("counters went down: %v", down)
					return
				}
				if now.Refused > now.Accepted {
					t.Errorf("Refused %d above Accepted %d", now.Refused, now.Accepted)
					return
				}
				last = now
				select {
				case <-stop:
					return
				case <-tick.C:
				}
			}
		})
	}

	var served, refused atomic.Uint64
	var sent atomic.Uint64
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			for j := range rounds {
				c, err := net.DialTCP("tcp", nil, core.Addr())
				if err != nil {
					t.Error(err)
					return
				}
				c.SetDeadline(time.Now().Add(20 * time.Second))
				msg := fmt.Sprintf("client %d round %d", i, j)
				_, werr := io.WriteString(c, msg)
				buf := make([]byte, len(msg))
				_, rerr := io.ReadFull(c, buf)
				switch {
				case werr == nil && rerr == nil && string(buf) == msg:
					served.Add(1)
					sent.Add(uint64(len(msg)))
				case rerr != nil && !isTimeout(rerr):
					refused.Add(1) // closed without an answer
				default:
					t.Errorf("%s: write %v, read %q, %v", msg, werr, buf, rerr)
				}
				c.Close()
			}
		})
	}
	wg.Wait()
	eventually(t, ctx, "every connection's end heard", func() bool { return core.Connections() == 0 })
	close(stop)
	readers.Wait()

	want := internet.ServerStats{Accepted: served.Load() + refused.Load(), Refused: refused.Load(), BytesRead: sent.Load(), BytesWritten: sent.Load()}
	for _, srv := range views {
		statsAre(t, srv, want)
	}
	t.Logf("%d served, %d refused", served.Load(), refused.Load())
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
