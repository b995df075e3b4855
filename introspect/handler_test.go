package introspect_test

import (
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/introspect"
)

func TestHandlerPathsMethodsAndToken(t *testing.T) {
	_, reg := testCtx(t)
	open := introspect.New(introspect.WithRegistry(reg))
	defer open.Close()
	locked := introspect.New(introspect.WithRegistry(reg), introspect.WithToken("s3cret"))
	defer locked.Close()
	tests := []struct {
		name     string
		h        *introspect.Handler
		method   string
		target   string
		header   string // Authorization, or "cookie " and a Cookie header
		want     int
		contains string
	}{
		{"page", open, "GET", "/", "", 200, "<svg"},
		{"script", open, "GET", "/app.js", "", 200, "new Worker"},
		{"worker", open, "GET", "/worker.js", "", 200, "EventSource"},
		{"style", open, "GET", "/app.css", "", 200, ".node"},
		{"head of the page", open, "HEAD", "/", "", 200, ""},
		{"graph json", open, "GET", "/debug/graph.json", "", 200, `"version":1`},
		{"graph dot", open, "GET", "/debug/graph.dot", "", 200, "digraph"},
		{"metrics", open, "GET", "/metrics", "", 200, "kamaelia_connections_open"},
		{"pprof index", open, "GET", "/debug/pprof/", "", 200, "goroutine"},
		{"pprof profile by name", open, "GET", "/debug/pprof/goroutine?debug=1", "", 200, "goroutine profile"},
		{"pprof cmdline", open, "GET", "/debug/pprof/cmdline", "", 200, ""},
		{"events head", open, "HEAD", "/debug/events", "", 200, ""},
		{"unknown path", open, "GET", "/nope", "", 404, ""},
		{"unknown asset", open, "GET", "/index.html", "", 404, ""},
		{"unknown debug path", open, "GET", "/debug/", "", 404, ""},
		{"nested pprof path", open, "GET", "/debug/pprof/heap/x", "", 404, ""},
		{"unknown profile", open, "GET", "/debug/pprof/nosuch", "", 404, ""},
		{"POST is refused", open, "POST", "/debug/graph.json", "", 405, "read-only"},
		{"PUT is refused", open, "PUT", "/", "", 405, ""},
		{"DELETE is refused", open, "DELETE", "/metrics", "", 405, ""},
		{"POST to pprof symbol is refused", open, "POST", "/debug/pprof/symbol", "", 405, ""},
		{"POST to an unknown path is 404", open, "POST", "/nope", "", 404, ""},
		{"no token", locked, "GET", "/", "", 401, "token"},
		{"no token, unknown path", locked, "GET", "/nope", "", 401, ""},
		{"no token, pprof", locked, "GET", "/debug/pprof/", "", 401, ""},
		{"wrong token", locked, "GET", "/debug/graph.json", "Bearer nope", 401, ""},
		{"token prefix", locked, "GET", "/debug/graph.json", "Bearer s3cre", 401, ""},
		{"token longer", locked, "GET", "/debug/graph.json", "Bearer s3cret!", 401, ""},
		{"wrong query token", locked, "GET", "/debug/graph.json?token=nope", "", 401, ""},
		{"bearer token", locked, "GET", "/debug/graph.json", "Bearer s3cret", 200, `"version":1`},
		{"query token", locked, "GET", "/metrics?token=s3cret", "", 200, "kamaelia_"},
		{"token, then unknown path", locked, "GET", "/nope?token=s3cret", "", 404, ""},
		{"cookie", locked, "GET", "/app.js", "cookie kamaelia_debug_token=s3cret", 200, "new Worker"},
		{"wrong cookie", locked, "GET", "/app.js", "cookie kamaelia_debug_token=nope", 401, ""},
		{"wrong query beats a good cookie", locked, "GET", "/?token=nope", "cookie kamaelia_debug_token=s3cret", 401, ""},
		{"token, then POST", locked, "POST", "/?token=s3cret", "", 405, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.target, nil)
			if cookie, ok := strings.CutPrefix(tc.header, "cookie "); ok {
				req.Header.Set("Cookie", cookie)
			} else if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			rec := httptest.NewRecorder()
			tc.h.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("%s %s: %d, want %d\n%.300s", tc.method, tc.target, rec.Code, tc.want, rec.Body)
			}
			if !strings.Contains(rec.Body.String(), tc.contains) {
				t.Errorf("%s %s: body does not hold %q:\n%.300s", tc.method, tc.target, tc.contains, rec.Body)
			}
			switch tc.want {
			case 401:
				if rec.Header().Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
			case 405:
				if rec.Header().Get("Allow") != "GET, HEAD" {
					t.Errorf("405 with Allow %q", rec.Header().Get("Allow"))
				}
			}
			if rec.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", rec.Header().Get("Cache-Control"))
			}
		})
	}
}

// TestPageWorksOffline checks that the page loads nothing from anywhere
// but the handler: no absolute URL in its assets, and a content policy
// that forbids them.
func TestPageWorksOffline(t *testing.T) {
	err := filepath.WalkDir("assets", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if m := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`).Find(b); m != nil && !strings.Contains(string(m), "www.w3.org") {
			t.Errorf("%s refers to %s: the page must work offline", path, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h := introspect.New()
	defer h.Close()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
}

// TestHandlerConcurrentUse asks for every endpoint from many goroutines
// at once while connections open and close and a live page watches;
// run it with -race.
func TestHandlerConcurrentUse(t *testing.T) {
	ctx, reg := testCtx(t)
	srv := startEchoServer(t, ctx)
	h := introspect.New(introspect.WithRegistry(reg), introspect.WithServers(srv), introspect.WithInterval(100*time.Millisecond))
	hs := httptest.NewServer(h)
	defer hs.Close()
	defer h.Close()
	page, _ := openEvents(t, hs.Listener.Addr().String(), 0)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() { // connections come and go
			for j := range 20 {
				if err := echoOnce(srv.Addr().String(), fmt.Sprintf("client %d, round %d", i, j)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for _, path := range []string{"/debug/graph.json", "/debug/graph.dot", "/metrics", "/"} {
		for range 2 {
			wg.Go(func() {
				for range 10 {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
					if rec.Code != 200 {
						t.Errorf("%s: %d", path, rec.Code)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	for range 3 {
		page.nextGraph(t) // the page still gets pictures that decode
	}
}

// echoOnce sends msg on a new connection, reads it back and closes.
func echoOnce(addr, msg string) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	if _, err := io.WriteString(c, msg); err != nil {
		return err
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != msg {
		return fmt.Errorf("echo of %q: %q, %v", msg, got, err)
	}
	return nil
}
