package introspect_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internet"
	"github.com/kamaelia-go/kamaelia/introspect"
)

// startEchoServer runs an echo ServerCore on loopback port 0 in ctx's
// registry, stopped when the test ends.
func startEchoServer(t testing.TB, ctx context.Context, opts ...internet.ServerCoreOption) *internet.ServerCore {
	t.Helper()
	opts = append([]internet.ServerCoreOption{internet.Host("127.0.0.1"), internet.Logger(slog.New(slog.DiscardHandler))}, opts...)
	srv, err := internet.NewSimpleServer(func() axon.Component { return components.NewEcho() }, 0, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Stop()
		<-srv.Done()
	})
	return srv
}

// echoed connects to srv, sends msg and reads it back; the connection
// stays open until the test ends.
func echoed(t testing.TB, srv *internet.ServerCore, msg string) net.Conn {
	t.Helper()
	c := dial(t, srv)
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, len(msg))); err != nil {
		t.Fatal(err)
	}
	return c
}

// stalled connects a client that keeps sending and never reads, until
// the test ends: the server's echo backs up to its handler.
func stalled(t testing.TB, srv *internet.ServerCore) net.Conn {
	t.Helper()
	c, err := net.DialTCP("tcp", nil, srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		chunk := make([]byte, 64<<10)
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		c.Close()
		<-done
	})
	return c
}

// getGraph fetches and decodes /debug/graph.json.
func getGraph(t testing.TB, h http.Handler) *introspect.Graph {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/debug/graph.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("graph.json: %d %s", rec.Code, rec.Body)
	}
	var g introspect.Graph
	if err := json.Unmarshal(rec.Body.Bytes(), &g); err != nil {
		t.Fatalf("graph.json: %v", err)
	}
	return &g
}

// waitForGraph fetches graphs until cond holds for one, and returns it.
func waitForGraph(t testing.TB, ctx context.Context, h http.Handler, what string, cond func(*introspect.Graph) bool) *introspect.Graph {
	t.Helper()
	return waitUntil(t, ctx, what, func() *introspect.Graph { return getGraph(t, h) }, cond)
}

// waitUntil gets values until cond holds for one, and returns it. It
// waits on what it sees, never on the passing of time alone.
func waitUntil[T any](t testing.TB, ctx context.Context, what string, get func() T, cond func(T) bool) T {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		v := get()
		if cond(v) {
			return v
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("never happened: %s", what)
		}
	}
}

// blockedConnection returns the connection of g with a blocked
// component whose stall has settled: the box it waits on is full or has
// it waiting, in the same picture. (A picture reads each component once,
// not all at one instant, so a component just blocked may be seen
// beside its target's inbox just emptied: then the next picture tells.)
// It returns nil if there is none.
func blockedConnection(g *introspect.Graph) *introspect.Connection {
	byID := map[uint64]*introspect.Component{}
	for i := range g.Components {
		byID[g.Components[i].ID] = &g.Components[i]
	}
	limits := map[int][]introspect.BoxType{}
	for _, ty := range g.Types {
		limits[ty.ID] = ty.Inboxes
	}
	blocked := map[uint64]bool{}
	for _, c := range g.Components {
		if c.State != "blocked" || c.Conn == 0 || c.Blocked == nil {
			continue
		}
		target := byID[c.Blocked.Component]
		if target == nil {
			continue
		}
		for i, in := range target.Inboxes {
			if in.Name == c.Blocked.Box && i < len(limits[target.Type]) && (in.Full(limits[target.Type][i].Limit) || in.Waiting > 0) {
				blocked[c.Conn] = true
			}
		}
	}
	for i := range g.Connections {
		if blocked[g.Connections[i].ID] {
			return &g.Connections[i]
		}
	}
	return nil
}
