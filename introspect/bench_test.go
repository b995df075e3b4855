package introspect_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kamaelia-go/kamaelia/introspect"
)

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkGraphJSON10k measures /debug/graph.json with ten thousand
// connections (20,002 components, 60,001 links): the snapshot, the
// Graph, and the JSON. The sub-benchmarks take the steps one by one.
func BenchmarkGraphJSON10k(b *testing.B) {
	ctx, reg := testCtx(b)
	startFakeServer(b, ctx, 10_000)
	b.Run("snapshot", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			_ = reg.Snapshot()
		}
	})
	b.Run("graph", func(b *testing.B) {
		s := reg.Snapshot()
		defer reportCPU(b)()
		for b.Loop() {
			_ = introspect.FromSnapshot(s)
		}
	})
	b.Run("handler", func(b *testing.B) {
		h := introspect.New(introspect.WithRegistry(reg))
		defer h.Close()
		req := httptest.NewRequest("GET", "/debug/graph.json", nil)
		w := &discardWriter{h: http.Header{}}
		defer reportCPU(b)()
		for b.Loop() {
			h.ServeHTTP(w, req)
		}
	})
}

// reportCPU reports the process's CPU time per operation (all threads,
// the garbage collector's too) as cpu-ns/op, which a machine shared with
// other work distorts less than the wall-clock ns/op. Call the function
// it returns when the loop is done. Where the CPU time cannot be read,
// it reports nothing.
func reportCPU(b *testing.B) func() {
	start, ok := cpuTime()
	return func() {
		if end, ok2 := cpuTime(); ok && ok2 && b.N > 0 {
			b.ReportMetric(float64((end-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}
