package introspect_test

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kamaelia-go/kamaelia/internal/browsertest"
	"github.com/kamaelia-go/kamaelia/introspect"
)

// pageFacts is what a test reads from the page's DOM.
type pageFacts struct {
	Updates  int               `json:"updates"`
	Zoom     string            `json:"zoom"`
	Nodes    int               `json:"nodes"`
	Servers  int               `json:"servers"`
	Conns    []connFacts       `json:"conns"`
	Bundles  []bundleFacts     `json:"bundles"`
	Selected []string          `json:"selected"`
	Detail   map[string]string `json:"detail"`
	More     int               `json:"more"`
	UpdateMS int               `json:"updateMs"`
	RenderMS int               `json:"renderMs"`
	Elements int               `json:"elements"`
	Phases   string            `json:"phases"`
}

type connFacts struct {
	ID          string   `json:"id"`
	Blocked     bool     `json:"blocked"`
	Kinds       []string `json:"kinds"`
	Edges       int      `json:"edges"`
	BlockedOn   []string `json:"blockedOn"`
	FullInboxes []string `json:"fullInboxes"`
}

type bundleFacts struct {
	Count    int  `json:"count"`
	Expanded bool `json:"expanded"`
	Conns    int  `json:"conns"`
}

// factsJS collects pageFacts in the page.
const factsJS = `(() => {
  const q = (s, el) => Array.from((el || document).querySelectorAll(s));
  const d = document.body.dataset;
  const det = document.querySelector('#details [data-detail]');
  return {
    updates: +(d.updates || 0), zoom: d.zoom || '', updateMs: +(d.updateMs || 0), renderMs: +(d.renderMs || 0),
    nodes: q('#viewport .node').length,
    servers: q('#viewport .node[data-kind="ServerCore"]').length,
    conns: q('#viewport .conn').map((c) => ({
      id: c.dataset.conn, blocked: c.classList.contains('blocked'),
      kinds: q('.node', c).map((n) => n.dataset.kind),
      edges: q('.edge', c).length,
      blockedOn: q('.node[data-state="blocked"]', c).map((n) => n.dataset.blocked),
      fullInboxes: q('.port.in.full, .port.in.waiting', c).map((p) => p.closest('.node').dataset.kind + '.' + p.dataset.box),
    })),
    bundles: q('#viewport .bundle').map((b) => ({ count: +b.dataset.count, expanded: b.classList.contains('expanded'), conns: q('.conn', b).length })),
    selected: q('#viewport .selected').map((n) => n.dataset.id || n.dataset.conn || n.dataset.bundle),
    detail: det ? { kind: det.dataset.detail, id: det.dataset.id || '', text: det.textContent } : {},
    more: q('#viewport .more').length,
    elements: document.getElementsByTagName('*').length, phases: d.phases || '',
  };
})()`

func facts(t *testing.T, b *browsertest.Browser) pageFacts {
	t.Helper()
	f, err := chromedp.Run(b.Ctx, chromedp.Evaluate[pageFacts](factsJS))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// waitFor polls the page until the JavaScript condition holds.
func waitFor(t *testing.T, b *browsertest.Browser, what, cond string) {
	t.Helper()
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(time.Minute))); err != nil {
		t.Fatalf("waiting for %s: %v\nfacts: %+v", what, err, facts(t, b))
	}
}

func do(t *testing.T, b *browsertest.Browser, js string) {
	t.Helper()
	if _, err := chromedp.Run(b.Ctx, chromedp.Evaluate[chromedp.Void](js)); err != nil {
		t.Fatalf("%s: %v", js, err)
	}
}

// TestPageLive drives the page in a browser against a server with three
// connections, one of them stalled: it draws the server, three
// connection groups with their links and the stalled one blocked; it
// keeps the zoom and the selection across updates; more identical
// connections than the threshold collapse into a group that opens on a
// click.
func TestPageLive(t *testing.T) {
	b := browsertest.Start(t)
	ctx, reg := testCtx(t)
	srv := startEchoServer(t, ctx)
	h := introspect.New(introspect.WithRegistry(reg), introspect.WithInterval(200*time.Millisecond))
	hs := httptest.NewServer(h)
	defer hs.Close()
	defer h.Close()
	echoed(t, srv, "one")
	echoed(t, srv, "two")
	stalled(t, srv)

	if err := chromedp.Do(b.Ctx, chromedp.Navigate(hs.URL+"/")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, "three connections, one blocked",
		`document.querySelectorAll('#viewport .conn').length === 3 && document.querySelectorAll('#viewport .conn.blocked').length === 1`)
	f := facts(t, b)
	if f.Servers != 1 {
		t.Errorf("%d ServerCore nodes, want 1", f.Servers)
	}
	for _, c := range f.Conns {
		if fmt.Sprint(c.Kinds) != "[CSA Echo]" || c.Edges < 4 {
			t.Errorf("connection %s: %v with %d links inside, want CSA and Echo with 4", c.ID, c.Kinds, c.Edges)
		}
		if c.Blocked && (len(c.BlockedOn) != 1 || len(c.FullInboxes) == 0) {
			t.Errorf("blocked connection %s: blocked on %v, full inboxes %v; want the Echo on its CSA's full inbox", c.ID, c.BlockedOn, c.FullInboxes)
		}
	}
	b.Screenshot(t, "introspect-live")

	// Select the blocked Echo and zoom; both survive the next updates.
	do(t, b, `document.querySelector('#viewport .node[data-state="blocked"]').dispatchEvent(new MouseEvent('click', {bubbles: true}))`)
	waitFor(t, b, "the blocked Echo selected, with its details", `document.querySelector('#viewport .node.selected[data-state="blocked"]') !== null && document.querySelector('#details [data-detail="component"]') !== null`)
	do(t, b, `document.getElementById('graph').dispatchEvent(new WheelEvent('wheel', {deltaY: -300, clientX: 300, clientY: 300, bubbles: true, cancelable: true}))`)
	before := facts(t, b)
	if len(before.Selected) != 1 || before.Detail["kind"] != "component" {
		t.Fatalf("after a click: selected %v, details %v", before.Selected, before.Detail)
	}
	waitFor(t, b, "two more updates", fmt.Sprintf(`+document.body.dataset.updates >= %d`, before.Updates+2))
	after := facts(t, b)
	if after.Zoom != before.Zoom || fmt.Sprint(after.Selected) != fmt.Sprint(before.Selected) || after.Detail["id"] != before.Detail["id"] {
		t.Errorf("an update lost the view: zoom %s → %s, selected %v → %v, details %v → %v",
			before.Zoom, after.Zoom, before.Selected, after.Selected, before.Detail["id"], after.Detail["id"])
	}

	// Above two identical connections (as the URL asks), the three
	// collapse into one group with a count, which opens on a click.
	if err := chromedp.Do(b.Ctx, chromedp.Navigate(hs.URL+"/?collapse=2")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, "one group of three", `document.querySelector('#viewport .bundle[data-count="3"]') !== null`)
	if f := facts(t, b); len(f.Conns) != 0 {
		t.Errorf("collapsed: %d connection groups drawn, want none", len(f.Conns))
	}
	do(t, b, `document.querySelector('#viewport .bundle .bt').dispatchEvent(new MouseEvent('click', {bubbles: true}))`)
	waitFor(t, b, "the group open", `document.querySelectorAll('#viewport .bundle.expanded .conn').length === 3`)
	b.CheckErrors(t)
}

// TestPageTenThousandConnections checks that the page stays usable with
// ten thousand connections: they are drawn as one group, which opens a
// page of connections at a time, and clicks are answered while updates
// keep coming. The time the page takes per update is logged.
func TestPageTenThousandConnections(t *testing.T) {
	b := browsertest.Start(t)
	ctx, reg := testCtx(t)
	startFakeServer(t, ctx, 10_000)
	h := introspect.New(introspect.WithRegistry(reg))
	hs := httptest.NewServer(h)
	defer hs.Close()
	defer h.Close()
	if err := chromedp.Do(b.Ctx, chromedp.Navigate(hs.URL+"/")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, "a group of 10,000", `document.querySelector('#viewport .bundle[data-count="10000"]') !== null`)
	f := facts(t, b)
	if f.Nodes > 10 || f.Elements > 2000 {
		t.Errorf("collapsed, the page still has %d nodes and %d elements", f.Nodes, f.Elements)
	}
	t.Logf("10,000 connections: %d elements; last update took %d ms (%s)", f.Elements, f.UpdateMS, f.Phases)

	do(t, b, `document.querySelector('#viewport .bundle .bt').dispatchEvent(new MouseEvent('click', {bubbles: true}))`)
	waitFor(t, b, "the first page of connections", `document.querySelectorAll('#viewport .bundle.expanded .conn').length === 50`)
	do(t, b, `document.querySelector('#viewport .more text').dispatchEvent(new MouseEvent('click', {bubbles: true}))`)
	waitFor(t, b, "a second page", `document.querySelectorAll('#viewport .bundle.expanded .conn').length === 100`)
	f = facts(t, b)
	waitFor(t, b, "two more updates", fmt.Sprintf(`+document.body.dataset.updates >= %d`, f.Updates+2))
	f = facts(t, b)
	if len(f.Bundles) != 1 || !f.Bundles[0].Expanded || f.Bundles[0].Conns != 100 {
		t.Errorf("after updates: groups %+v, want the one group still open on 100", f.Bundles)
	}
	t.Logf("10,000 connections, 100 shown: %d elements; last update took %d ms (%s)", f.Elements, f.UpdateMS, f.Phases)
	b.Screenshot(t, "introspect-10k")
	b.CheckErrors(t)
}
