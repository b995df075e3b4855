package introspect_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/socktest"
	"github.com/kamaelia-go/kamaelia/introspect"
)

// event is one server-sent event.
type event struct{ name, data string }

// sseStream is a live page's feed, read as a browser would.
type sseStream struct {
	conn net.Conn
	r    *bufio.Reader
}

// openEvents connects to /debug/events with a raw connection (so that a
// test can stop reading it) and reads the response's header.
func openEvents(t testing.TB, addr string, rcvbuf int) (*sseStream, int) {
	t.Helper()
	d := net.Dialer{Timeout: 10 * time.Second}
	if rcvbuf > 0 {
		// A small receive buffer, set before connecting, so that a page
		// that stops reading stalls the server's writes soon.
		d.Control = socktest.Buffers(rcvbuf, 0)
	}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(time.Minute))
	fmt.Fprintf(conn, "GET /debug/events HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", addr)
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, resp.StatusCode
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	return &sseStream{conn: conn, r: bufio.NewReader(resp.Body)}, resp.StatusCode
}

// next reads the next event.
func (s *sseStream) next(t testing.TB) event {
	t.Helper()
	var e event
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading events: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if e.name != "" || e.data != "" {
				return e
			}
		case strings.HasPrefix(line, "event: "):
			e.name = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			e.data += line[len("data: "):]
		}
	}
}

// nextGraph reads events up to the next graph, which must decode.
func (s *sseStream) nextGraph(t testing.TB) *introspect.Graph {
	t.Helper()
	for {
		e := s.next(t)
		if e.name != "graph" {
			continue
		}
		var g introspect.Graph
		if err := json.Unmarshal([]byte(e.data), &g); err != nil {
			t.Fatalf("graph event: %v", err)
		}
		return &g
	}
}

func TestEventsStreamHelloThenGraphs(t *testing.T) {
	ctx, reg := testCtx(t)
	srv := startEchoServer(t, ctx)
	h := introspect.New(introspect.WithRegistry(reg), introspect.WithInterval(100*time.Millisecond), introspect.WithCollapseAbove(7))
	hs := httptest.NewServer(h)
	defer hs.Close()
	defer h.Close() // first: the live pages never end by themselves
	s, code := openEvents(t, hs.Listener.Addr().String(), 0)
	if code != 200 {
		t.Fatalf("events: %d", code)
	}
	hello := s.next(t)
	var settings struct {
		Version       int `json:"version"`
		IntervalMS    int `json:"interval_ms"`
		CollapseAbove int `json:"collapse_above"`
	}
	if err := json.Unmarshal([]byte(hello.data), &settings); hello.name != "hello" || err != nil ||
		settings.Version != 1 || settings.IntervalMS != 100 || settings.CollapseAbove != 7 {
		t.Fatalf("first event %+v (%v), want hello with the settings", hello, err)
	}
	if g := s.nextGraph(t); len(g.Connections) != 0 {
		t.Fatalf("first graph has %d connections, want none yet", len(g.Connections))
	}
	echoed(t, srv, "live")
	for {
		if g := s.nextGraph(t); len(g.Connections) == 1 {
			break // the next picture shows the new connection, without a reload
		}
	}
}

// TestEventsPausedPageBlocksNothing has a page that stops reading for a
// while: the other page gets picture after picture on time and the echo
// server keeps echoing meanwhile; when the paused page reads again it is
// told how many pictures it missed, and carries on.
func TestEventsPausedPageBlocksNothing(t *testing.T) {
	axontest.SkipShort(t, "streams pictures of 2,000 components until socket buffers fill")
	ctx, reg := testCtx(t)
	startFakeServer(t, ctx, 2000) // pictures of about 2.5 MB fill socket buffers fast
	srv := startEchoServer(t, ctx)
	h := introspect.New(introspect.WithRegistry(reg), introspect.WithInterval(100*time.Millisecond),
		introspect.WithWriteTimeout(time.Hour)) // however slow the test runs, the paused page is not cut off
	hs := httptest.NewServer(h)
	defer hs.Close()
	defer h.Close() // first: the live pages never end by themselves
	addr := hs.Listener.Addr().String()

	reader, _ := openEvents(t, addr, 0)
	paused, _ := openEvents(t, addr, 4096)
	// Ten pictures are more than the kernel's buffers and the page's
	// queue hold, so the paused page's writer is stuck and pictures are
	// dropped for it.
	for range 10 {
		for reader.next(t).name != "graph" {
		}
		echoed(t, srv, "still echoing").Close()
	}
	dropped := 0
	for dropped == 0 {
		e := paused.next(t)
		if e.name == "dropped" {
			if dropped, _ = strconv.Atoi(e.data); dropped <= 0 {
				t.Fatalf("dropped event %q", e.data)
			}
		}
	}
	if g := paused.nextGraph(t); len(g.Components) < 4000 {
		t.Fatalf("after the dropped event: a graph of %d components", len(g.Components))
	}
}

// TestEventsStalledPageIsCutOff fills the cap on live pages with a page
// that never reads: it is cut off once a write to it has waited for the
// write timeout, and its place goes to a new page.
func TestEventsStalledPageIsCutOff(t *testing.T) {
	axontest.SkipShort(t, "streams pictures of 2,000 components until socket buffers fill")
	ctx, reg := testCtx(t)
	startFakeServer(t, ctx, 2000)
	h := introspect.New(introspect.WithRegistry(reg), introspect.WithInterval(100*time.Millisecond),
		introspect.WithMaxClients(2), introspect.WithWriteTimeout(500*time.Millisecond))
	hs := httptest.NewServer(h)
	defer hs.Close()
	defer h.Close()
	addr := hs.Listener.Addr().String()
	openEvents(t, addr, 4096) // never read
	openEvents(t, addr, 4096) // never read
	for {
		s, code := openEvents(t, addr, 0)
		if code == http.StatusOK {
			s.nextGraph(t)
			return
		}
		if code != http.StatusServiceUnavailable {
			t.Fatalf("a third page: %d, want 503 until a stalled one is cut off", code)
		}
		select {
		case <-ctx.Done():
			t.Fatal("the stalled pages were never cut off")
		case <-time.After(20 * time.Millisecond): // poll for room; the cut-off is what is awaited
		}
	}
}

// TestEventsCap turns away pages beyond the cap, and takes one again
// when a page leaves.
func TestEventsCap(t *testing.T) {
	_, reg := testCtx(t)
	h := introspect.New(introspect.WithRegistry(reg), introspect.WithMaxClients(2))
	hs := httptest.NewServer(h)
	defer hs.Close()
	defer h.Close()
	addr := hs.Listener.Addr().String()
	first, _ := openEvents(t, addr, 0)
	openEvents(t, addr, 0)
	if _, code := openEvents(t, addr, 0); code != http.StatusServiceUnavailable {
		t.Fatalf("a third page: %d, want 503", code)
	}
	first.conn.Close()
	ctx, _ := testCtx(t)
	for {
		s, code := openEvents(t, addr, 0)
		if code == http.StatusOK {
			s.nextGraph(t)
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("the place of a page that left was never given to another")
		case <-time.After(5 * time.Millisecond): // poll for the server to see the page leave
		}
	}
}

func TestCloseEndsLivePages(t *testing.T) {
	_, reg := testCtx(t)
	h := introspect.New(introspect.WithRegistry(reg), introspect.WithInterval(100*time.Millisecond))
	hs := httptest.NewServer(h)
	defer hs.Close()
	s, _ := openEvents(t, hs.Listener.Addr().String(), 0)
	s.nextGraph(t)
	h.Close()
	h.Close() // twice is fine
	// The stream ends: cleanly, or cut if a picture was being written.
	var ne net.Error
	if _, err := io.Copy(io.Discard, s.r); errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the stream did not end after Close: %v", err)
	}
	if _, code := openEvents(t, hs.Listener.Addr().String(), 0); code != http.StatusServiceUnavailable {
		t.Errorf("a page after Close: %d, want 503", code)
	}
	// The other endpoints still answer.
	if g := getGraph(t, h); g.Version != 1 {
		t.Errorf("graph after Close: %+v", g)
	}
}

// TestCloseCutsAStalledPage closes the handler while a write to a page
// that never reads is stuck: Close ends it at once, not after the write
// timeout, so that the HTTP server can shut down.
func TestCloseCutsAStalledPage(t *testing.T) {
	axontest.SkipShort(t, "streams pictures of 2,000 components until socket buffers fill")
	ctx, reg := testCtx(t)
	startFakeServer(t, ctx, 2000)
	h := introspect.New(introspect.WithRegistry(reg), introspect.WithInterval(100*time.Millisecond),
		introspect.WithWriteTimeout(time.Hour))
	hs := httptest.NewServer(h)
	addr := hs.Listener.Addr().String()
	openEvents(t, addr, 4096) // never read
	reader, _ := openEvents(t, addr, 0)
	for range 4 { // four pictures of 2.5 MB: more than the stalled page's buffers hold
		for reader.next(t).name != "graph" {
		}
	}
	h.Close()
	closed := make(chan struct{})
	go func() {
		hs.Close() // waits for every request to end
		close(closed)
	}()
	select {
	case <-closed:
	case <-ctx.Done():
		t.Fatal("the HTTP server could not shut down: a live page's write was not cut")
	}
}
