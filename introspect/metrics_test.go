package introspect_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/kamaelia-go/kamaelia/internet"
	"github.com/kamaelia-go/kamaelia/introspect"
)

// scrape fetches /metrics and parses it with Prometheus's text parser.
func scrape(t testing.TB, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", rec.Code, rec.Body)
	}
	fams, err := parseMetrics(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// scrapeURL fetches url, a /metrics served over HTTP, as Prometheus
// does, and parses it.
func scrapeURL(url string) (map[string]*dto.MetricFamily, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return parseMetrics(resp.Body)
}

func parseMetrics(r io.Reader) (map[string]*dto.MetricFamily, error) {
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("/metrics does not parse: %w", err)
	}
	return fams, nil
}

// value returns the value of the metric with the given labels (name,
// value pairs), summed over the other labels; ok is false if none.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) (v float64, ok bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
	for _, m := range f.Metric {
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.Label {
				found = found || lp.GetName() == labels[i] && lp.GetValue() == labels[i+1]
			}
			match = match && found
		}
		if !match {
			continue
		}
		ok = true
		switch {
		case m.Counter != nil:
			v += m.Counter.GetValue()
		case m.Gauge != nil:
			v += m.Gauge.GetValue()
		case m.Untyped != nil:
			v += m.Untyped.GetValue()
		}
	}
	return v, ok
}

// waitForMetrics scrapes until cond holds.
func waitForMetrics(t *testing.T, ctx context.Context, h http.Handler, what string, cond func(map[string]*dto.MetricFamily) bool) map[string]*dto.MetricFamily {
	t.Helper()
	return waitUntil(t, ctx, what, func() map[string]*dto.MetricFamily { return scrape(t, h) }, cond)
}

func TestMetricsParseAndMoveWithTraffic(t *testing.T) {
	ctx, reg := testCtx(t)
	srv := startEchoServer(t, ctx)
	h := introspect.New(introspect.WithRegistry(reg), introspect.WithServers(srv))
	defer h.Close()

	fams := scrape(t, h)
	for name, f := range fams {
		if !strings.HasPrefix(name, "kamaelia_") {
			continue
		}
		if f.GetType() == dto.MetricType_COUNTER && !strings.HasSuffix(name, "_total") {
			t.Errorf("counter %s does not end in _total", name)
		}
		if f.GetHelp() == "" {
			t.Errorf("%s has no help text", name)
		}
		for _, m := range f.Metric {
			for _, lp := range m.Label {
				if n := lp.GetName(); n != "kind" && n != "box" && n != "state" {
					t.Errorf("%s has label %q: only kind, box and state are allowed (no per-connection labels)", name, n)
				}
			}
		}
	}
	for _, name := range []string{"kamaelia_connections_open", "kamaelia_read_bytes_total", "kamaelia_written_bytes_total",
		"kamaelia_components", "kamaelia_box_queued_messages", "kamaelia_box_queued_bytes", "kamaelia_box_waiting_senders",
		"go_goroutines", "process_cpu_seconds_total"} {
		if fams[name] == nil {
			t.Errorf("no %s", name)
		}
	}
	for _, name := range serverCounterNames {
		if f := fams[name]; f == nil || f.GetType() != dto.MetricType_COUNTER {
			t.Errorf("%s: %v; want a counter", name, f)
		}
	}
	if v, _ := value(fams, "kamaelia_connections_open"); v != 0 {
		t.Errorf("connections open = %v before any client", v)
	}
	read0, _ := value(fams, "kamaelia_read_bytes_total")

	msg := strings.Repeat("x", 10000)
	c := echoed(t, srv, msg)
	fams = waitForMetrics(t, ctx, h, "one connection open, 10000 bytes each way", func(f map[string]*dto.MetricFamily) bool {
		open, _ := value(f, "kamaelia_connections_open")
		in, _ := value(f, "kamaelia_read_bytes_total")
		out, _ := value(f, "kamaelia_written_bytes_total")
		return open == 1 && in >= read0+10000 && out >= 10000
	})
	if v, _ := value(fams, "kamaelia_components", "kind", "CSA"); v != 1 {
		t.Errorf("kamaelia_components{kind=CSA} = %v, want 1", v)
	}
	if _, ok := value(fams, "kamaelia_box_queued_messages", "kind", "CSA", "box", "inbox"); !ok {
		t.Error("no kamaelia_box_queued_messages{kind=CSA,box=inbox}")
	}
	inBefore, _ := value(fams, "kamaelia_read_bytes_total")

	stalled(t, srv)
	waitForMetrics(t, ctx, h, "the stalled client's adapter queue full and a blocked handler", func(f map[string]*dto.MetricFamily) bool {
		q, _ := value(f, "kamaelia_box_queued_messages", "kind", "CSA", "box", "inbox")
		b, _ := value(f, "kamaelia_components", "kind", "Echo", "state", "blocked")
		return q > 0 && b == 1
	})

	// A connection that closes keeps its bytes in the counters.
	c.Close()
	waitForMetrics(t, ctx, h, "the first connection gone", func(f map[string]*dto.MetricFamily) bool {
		open, _ := value(f, "kamaelia_connections_open")
		in, _ := value(f, "kamaelia_read_bytes_total")
		if in < inBefore {
			t.Fatalf("kamaelia_read_bytes_total went down from %v to %v", inBefore, in)
		}
		return open == 1
	})
}

// countingServer is a server with fixed counts.
type countingServer struct{}

func (countingServer) Connections() int { return 3 }
func (countingServer) Stats() internet.ServerStats {
	return internet.ServerStats{Accepted: 10, Refused: 2, Cut: 1, IdleClosed: 4, TLSHandshakes: 5, TLSHandshakeFailures: 6, BytesRead: 1000, BytesWritten: 2000}
}

func TestMetricsSumTheServersCounters(t *testing.T) {
	_, reg := testCtx(t)
	h := introspect.New(introspect.WithRegistry(reg), introspect.WithServers(countingServer{}, countingServer{}))
	defer h.Close()
	fams := scrape(t, h)
	for name, want := range map[string]float64{
		"kamaelia_connections_open":              6,
		"kamaelia_connections_accepted_total":    20,
		"kamaelia_connections_refused_total":     4,
		"kamaelia_connections_cut_total":         2,
		"kamaelia_connections_idle_closed_total": 8,
		"kamaelia_read_bytes_total":              2000,
		"kamaelia_written_bytes_total":           4000,
		"kamaelia_tls_handshakes_total":          10,
		"kamaelia_tls_handshake_failures_total":  12,
	} {
		if got, ok := value(fams, name); !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v, the sum over both servers", name, got, ok, want)
		}
	}
}

// TestMetricsWithoutServersLeaveOutTheirCounters: a handler given no
// servers counts the connections and bytes it sees in the graph, and
// reports none of the counters only a server keeps, rather than zeros.
func TestMetricsWithoutServersLeaveOutTheirCounters(t *testing.T) {
	_, reg := testCtx(t)
	h := introspect.New(introspect.WithRegistry(reg))
	defer h.Close()
	fams := scrape(t, h)
	for _, name := range serverCounterNames {
		want := name == "kamaelia_read_bytes_total" || name == "kamaelia_written_bytes_total"
		if got := fams[name] != nil; got != want {
			t.Errorf("%s reported: %v, want %v", name, got, want)
		}
	}
}

// TestMetricsMountedTwice makes two handlers on one registry and mounts
// one of them twice: each has a metrics registry of its own, so nothing
// clashes.
func TestMetricsMountedTwice(t *testing.T) {
	_, reg := testCtx(t)
	a := introspect.New(introspect.WithRegistry(reg))
	defer a.Close()
	b := introspect.New(introspect.WithRegistry(reg))
	defer b.Close()
	mux := http.NewServeMux()
	mux.Handle("/one/", http.StripPrefix("/one", a))
	mux.Handle("/two/", http.StripPrefix("/two", a))
	mux.Handle("/three/", http.StripPrefix("/three", b))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, path := range []string{"/one/metrics", "/two/metrics", "/three/metrics"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "kamaelia_connections_open") {
			t.Errorf("%s: %d\n%.300s", path, resp.StatusCode, body)
		}
	}
}
