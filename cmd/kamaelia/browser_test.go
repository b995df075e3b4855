package main

import (
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kamaelia-go/kamaelia/internal/browsertest"
)

// TestServeDebugPageInBrowser runs the built command with --debug-addr,
// connects three clients, one of which keeps sending and never reads,
// and reads the page in headless Chromium: the server node, three
// connection groups with their links, and the stalled one blocked, its
// handler waiting on its adapter's full inbox. It saves a screenshot in
// screenshots/ (ignored by git); with KAMAELIA_DOCS_SCREENSHOT=1 it also
// writes the README's, docs/seeing-inside.png.
func TestServeDebugPageInBrowser(t *testing.T) {
	t.Parallel()
	b := browsertest.Start(t)
	s := serveDebug(t, nil, "--debug-addr", "127.0.0.1:0", "--log-level", "warn")
	echoOnce(t, s.addr, "hello\n")
	echoOnce(t, s.addr, "hello again\n")
	stalled, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	writing := make(chan struct{})
	go func() {
		defer close(writing)
		chunk := make([]byte, 64<<10)
		for {
			if _, err := stalled.Write(chunk); err != nil {
				return
			}
		}
	}()
	stopStalled := sync.OnceFunc(func() { stalled.Close(); <-writing })
	defer stopStalled()

	if err := chromedp.Do(b.Ctx, chromedp.Navigate(s.debugURL)); err != nil {
		t.Fatal(err)
	}
	b.WaitFor(t, "three connections, one blocked on a full inbox",
		`document.querySelectorAll('#viewport .conn').length === 3 && document.querySelector('#viewport .conn.blocked .node[data-state="blocked"]') !== null && `+browsertest.SettledStall)
	f := b.Facts(t)
	if f.Servers != 1 {
		t.Errorf("%d ServerCore nodes, want 1", f.Servers)
	}
	blocked := 0
	for _, c := range f.Conns {
		if len(c.Kinds) != 2 || c.Kinds[0] != "CSA" || c.Kinds[1] != "Echo" || c.Edges < 4 {
			t.Errorf("connection %s: %v with %d links, want its CSA and Echo linked four ways", c.ID, c.Kinds, c.Edges)
		}
		if !c.Blocked {
			continue
		}
		blocked++
		if len(c.BlockedOn) != 1 || len(c.FullInboxes) != 1 || c.FullInboxes[0] != "CSA.inbox" {
			t.Errorf("stalled connection %s: blocked on %v, full or waited-on inboxes %v; want the Echo waiting on its CSA's inbox", c.ID, c.BlockedOn, c.FullInboxes)
		}
	}
	if blocked != 1 {
		t.Errorf("%d connections marked blocked, want the stalled one: %+v", blocked, f.Conns)
	}

	// The picture for the README: the stalled handler selected.
	b.Click(t, `#viewport .node[data-state="blocked"]`)
	b.WaitFor(t, "its details", `document.querySelector('#details [data-detail="component"]') !== null`)
	shot := b.Screenshot(t, "serve-debug")
	if os.Getenv("KAMAELIA_DOCS_SCREENSHOT") != "" {
		png, err := os.ReadFile(shot)
		if err == nil {
			err = os.WriteFile(filepath.Join("..", "..", "docs", "seeing-inside.png"), png, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	b.CheckErrors(t)
	// A client that never reads cannot finish, so a shutdown would reset
	// it (exit status 3): it goes first, and the server then shuts down
	// with every connection finished.
	stopStalled()
	s.stop(t)
}
