package bench_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/bench"
	"github.com/kamaelia-go/kamaelia/introspect"
)

// BenchmarkPingPong64Poll is pp64 on the SimpleServer without and with
// a picture of its graph taken once a second over HTTP, as a live page
// or a scraper takes it: what watching costs the data path. Compare the
// two variants with benchstat:
//
//	go test ./bench -run '^$' -bench PingPong64Poll -count 10 > pp.txt
//	benchstat -col /poll pp.txt
func BenchmarkPingPong64Poll(b *testing.B) {
	for _, poll := range []string{"none", "1s"} {
		b.Run("poll="+poll, func(b *testing.B) {
			reg := axon.NewRegistry()
			addr := startKindIn(b, axon.NewContext(context.Background(), reg), bench.Simple)
			cs := dialWarm(b, addr, 64, 64)
			if poll == "1s" {
				defer startPolling(b, introspect.New(introspect.WithRegistry(reg)), time.Second)()
			}
			timePingPong(b, cs, 64)
		})
	}
}

// startPolling fetches /debug/graph.json from h at once and then every
// interval, until the function it returns is called.
func startPolling(b *testing.B, h *introspect.Handler, every time.Duration) func() {
	hs := httptest.NewServer(h)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			resp, err := http.Get(hs.URL + "/debug/graph.json")
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		close(stop)
		<-done
		h.Close()
		hs.Close()
	}
}
