package introspect_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/streamtest"
	"github.com/kamaelia-go/kamaelia/internal/testpki"
	"github.com/kamaelia-go/kamaelia/internet"
	"github.com/kamaelia-go/kamaelia/introspect"
)

// serverCounterNames are the metrics of a server's counters (see
// introspect.Server).
var serverCounterNames = []string{
	"kamaelia_connections_accepted_total",
	"kamaelia_connections_refused_total",
	"kamaelia_connections_cut_total",
	"kamaelia_connections_idle_closed_total",
	"kamaelia_tls_handshakes_total",
	"kamaelia_tls_handshake_failures_total",
	"kamaelia_read_bytes_total",
	"kamaelia_written_bytes_total",
}

// dial connects to srv; the test closes the connection.
func dial(t testing.TB, srv *internet.ServerCore) *net.TCPConn {
	t.Helper()
	c, err := net.DialTCP("tcp", nil, srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(time.Minute))
	return c
}

// echoTotals adds up what streaming clients sent and got back, as
// streamtest.Many reports it, failing the test if one did not get
// everything back.
func echoTotals(t testing.TB, results []streamtest.Result, ok bool) (sent, got float64) {
	t.Helper()
	for _, r := range results {
		if !ok || r.Err != nil || r.Corrupt || r.Got != r.Sent {
			t.Fatalf("client %d: sent %d, got %d (corrupt %v): %v", r.ID, r.Sent, r.Got, r.Corrupt, r.Err)
		}
		sent += float64(r.Sent)
		got += float64(r.Got)
	}
	return sent, got
}

// closedByServer reads c until the server closes it (EOF or a reset),
// failing the test on a timeout.
func closedByServer(t testing.TB, c net.Conn, what string) {
	t.Helper()
	_, err := io.Copy(io.Discard, c)
	if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: not closed by the server: %v", what, err)
	}
}

// TestMetricsServeServerCounters drives a real ServerCore into each
// situation a counter counts, then scrapes /metrics over HTTP, as
// Prometheus would, and finds every server counter at its exact value,
// the others at 0, and no connection open.
func TestMetricsServeServerCounters(t *testing.T) {
	p := testpki.New(t)
	tests := []struct {
		name string
		opts []internet.ServerCoreOption
		// run drives srv and returns the counters it should then have
		// (by metric name; those left out are 0).
		run func(t *testing.T, ctx context.Context, srv *internet.ServerCore) map[string]float64
	}{
		{"refused past MaxConnections", []internet.ServerCoreOption{internet.MaxConnections(1)},
			func(t *testing.T, ctx context.Context, srv *internet.ServerCore) map[string]float64 {
				held := echoed(t, srv, "hello")
				for i := range 2 {
					closedByServer(t, dial(t, srv), fmt.Sprint("client past the limit ", i))
				}
				held.Close()
				return map[string]float64{
					"kamaelia_connections_accepted_total": 3,
					"kamaelia_connections_refused_total":  2,
					"kamaelia_read_bytes_total":           5,
					"kamaelia_written_bytes_total":        5,
				}
			}},
		{"idle close", []internet.ServerCoreOption{internet.IdleTimeout(500 * time.Millisecond)}, // the echo never takes that long
			func(t *testing.T, ctx context.Context, srv *internet.ServerCore) map[string]float64 {
				closedByServer(t, echoed(t, srv, "then silence"), "a quiet client")
				return map[string]float64{
					"kamaelia_connections_accepted_total":    1,
					"kamaelia_connections_idle_closed_total": 1,
					"kamaelia_read_bytes_total":              12,
					"kamaelia_written_bytes_total":           12,
				}
			}},
		{"cut at shutdown", nil,
			func(t *testing.T, ctx context.Context, srv *internet.ServerCore) map[string]float64 {
				st := streamtest.Stream{Total: 1 << 30, Chunk: 1 << 10, Every: 10 * time.Millisecond}
				if _, ok := streamtest.Many(ctx, srv.Addr().String(), 3, st, func() {
					sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
					defer cancel()
					if err := srv.Shutdown(sctx); !errors.Is(err, internet.ErrConnectionsCut) {
						t.Errorf("Shutdown = %v, want ErrConnectionsCut", err)
					}
				}); !ok {
					t.Fatal("the clients did not all get an echo")
				}
				// How far each stream got before the reset is the
				// server's to say.
				bytes := srv.Stats()
				return map[string]float64{
					"kamaelia_connections_accepted_total": 3,
					"kamaelia_connections_cut_total":      3,
					"kamaelia_read_bytes_total":           float64(bytes.BytesRead),
					"kamaelia_written_bytes_total":        float64(bytes.BytesWritten),
				}
			}},
		{"TLS handshakes", []internet.ServerCoreOption{internet.ServeTLS(p.ServerConfig())},
			func(t *testing.T, ctx context.Context, srv *internet.ServerCore) map[string]float64 {
				cfg := p.ClientConfig()
				cfg.ServerName = "localhost"
				c := tls.Client(dial(t, srv), cfg)
				if _, err := io.WriteString(c, "over TLS"); err != nil {
					t.Fatal(err)
				}
				if _, err := io.ReadFull(c, make([]byte, 8)); err != nil {
					t.Fatal(err)
				}
				c.Close()
				garbage := dial(t, srv)
				io.WriteString(garbage, "GET / HTTP/1.0\r\n\r\n")
				closedByServer(t, garbage, "a client that speaks plaintext")
				return map[string]float64{
					"kamaelia_connections_accepted_total":   2,
					"kamaelia_tls_handshakes_total":         1,
					"kamaelia_tls_handshake_failures_total": 1,
					"kamaelia_read_bytes_total":             8,
					"kamaelia_written_bytes_total":          8,
				}
			}},
		{"bytes of 200 streams", nil,
			func(t *testing.T, ctx context.Context, srv *internet.ServerCore) map[string]float64 {
				st := streamtest.Stream{Total: 16 << 10, Chunk: 1 << 10, Every: 5 * time.Millisecond}
				results, ok := streamtest.Many(ctx, srv.Addr().String(), 200, st, func() {})
				sent, got := echoTotals(t, results, ok)
				return map[string]float64{
					"kamaelia_connections_accepted_total": 200,
					"kamaelia_read_bytes_total":           sent,
					"kamaelia_written_bytes_total":        got,
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, reg := testCtx(t)
			srv := startEchoServer(t, ctx, tt.opts...)
			h := introspect.New(introspect.WithRegistry(reg), introspect.WithServers(srv))
			defer h.Close()
			hs := httptest.NewServer(h)
			defer hs.Close()

			want := tt.run(t, ctx, srv)
			waitUntil(t, ctx, "every connection's end heard", srv.Connections, func(n int) bool { return n == 0 })
			fams, err := scrapeURL(hs.URL + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range append([]string{"kamaelia_connections_open"}, serverCounterNames...) {
				if got, _ := value(fams, name); got != want[name] {
					t.Errorf("%s = %v, want %v", name, got, want[name])
				}
			}
		})
	}
}

// TestMetricsCountersNeverGoDownUnderLoad scrapes /metrics over HTTP
// without pause while 200 clients stream to one server and clients
// past another's limit are refused: no counter ever goes down from one
// scrape to the next, and once all is done the counters are exact.
func TestMetricsCountersNeverGoDownUnderLoad(t *testing.T) {
	const refusals = 50
	clients := axontest.ShortOr(80, 200)
	ctx, reg := testCtx(t)
	busy := startEchoServer(t, ctx)
	limited := startEchoServer(t, ctx, internet.MaxConnections(1))
	h := introspect.New(introspect.WithRegistry(reg), introspect.WithServers(busy, limited))
	defer h.Close()
	hs := httptest.NewServer(h)
	defer hs.Close()

	var scrapes atomic.Int64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() { // a scrape every 10 ms, not back to back: a spinning scraper starves the servers
		defer close(done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		last := map[string]float64{}
		for {
			fams, err := scrapeURL(hs.URL + "/metrics")
			if err != nil {
				t.Error(err)
				return
			}
			for name, f := range fams {
				if f.GetType() != dto.MetricType_COUNTER || !strings.HasPrefix(name, "kamaelia_") {
					continue
				}
				v, _ := value(fams, name)
				if v < last[name] {
					t.Errorf("%s went down from %v to %v", name, last[name], v)
				}
				last[name] = v
			}
			scrapes.Add(1)
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()

	held := echoed(t, limited, "the one slot")
	st := streamtest.Stream{Total: 64 << 10, Chunk: 1 << 10, Every: 5 * time.Millisecond}
	results, ok := streamtest.Many(ctx, busy.Addr().String(), clients, st, func() {
		for i := range refusals {
			closedByServer(t, dial(t, limited), fmt.Sprint("client past the limit ", i))
		}
		// A few whole scrapes while the streams go on.
		n := scrapes.Load()
		waitUntil(t, ctx, "three scrapes under load", scrapes.Load, func(m int64) bool { return m >= n+3 })
	})
	sent, got := echoTotals(t, results, ok)
	sent, got = sent+float64(len("the one slot")), got+float64(len("the one slot"))
	held.Close()
	waitUntil(t, ctx, "every connection's end heard", func() int { return busy.Connections() + limited.Connections() },
		func(n int) bool { return n == 0 })
	close(stop)
	<-done
	t.Logf("%d scrapes", scrapes.Load())

	fams, err := scrapeURL(hs.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]float64{
		"kamaelia_connections_open":           0,
		"kamaelia_connections_accepted_total": float64(clients + 1 + refusals),
		"kamaelia_connections_refused_total":  refusals,
		"kamaelia_read_bytes_total":           sent,
		"kamaelia_written_bytes_total":        got,
	} {
		if v, _ := value(fams, name); v != want {
			t.Errorf("%s = %v, want %v", name, v, want)
		}
	}
}
