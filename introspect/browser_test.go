package introspect_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kamaelia-go/kamaelia/chassis"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internal/browsertest"
	"github.com/kamaelia-go/kamaelia/introspect"
)

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
	p, err := chassis.NewPipeline(components.NewEcho(), components.NewEcho()) // passthrough links
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { p.Stop(); <-p.Done() }()

	if err := chromedp.Do(b.Ctx, chromedp.Navigate(hs.URL+"/")); err != nil {
		t.Fatal(err)
	}
	b.WaitFor(t, "three connections, one blocked on a full inbox",
		`document.querySelectorAll('#viewport .conn').length === 3 && document.querySelectorAll('#viewport .conn.blocked').length === 1 && `+browsertest.SettledStall)
	f := b.Facts(t)
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
	dashed, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#viewport .edge.inward, #viewport .edge.outward')).map((e) => e.dataset.kind + ' ' + getComputedStyle(e).strokeDasharray)`))
	// A Pipeline passes its inbox and control in to its first child and
	// its last child's outbox out; the last child's signal goes to the
	// pipeline's own _signal inbox (a normal link), so that the pipeline
	// sends exactly one terminal message.
	if err != nil || len(dashed) != 3 {
		t.Errorf("passthrough edges: %v (%v), want the pipeline's two inward and one outward", dashed, err)
	}
	for _, e := range dashed {
		if strings.HasSuffix(e, " none") {
			t.Errorf("passthrough edge %q is not dashed", e)
		}
	}
	b.Screenshot(t, "introspect-live")

	// Select the blocked Echo and zoom; both survive the next updates.
	b.Click(t, `#viewport .node[data-state="blocked"]`)
	b.WaitFor(t, "the blocked Echo selected, with its details", `document.querySelector('#viewport .node.selected[data-state="blocked"]') !== null && document.querySelector('#details [data-detail="component"]') !== null`)
	b.Do(t, `document.getElementById('graph').dispatchEvent(new WheelEvent('wheel', {deltaY: -300, clientX: 300, clientY: 300, bubbles: true, cancelable: true}))`)
	before := b.Facts(t)
	if len(before.Selected) != 1 || before.Detail["kind"] != "component" {
		t.Fatalf("after a click: selected %v, details %v", before.Selected, before.Detail)
	}
	b.WaitFor(t, "two more updates", fmt.Sprintf(`+document.body.dataset.updates >= %d`, before.Updates+2))
	after := b.Facts(t)
	if after.Zoom != before.Zoom || fmt.Sprint(after.Selected) != fmt.Sprint(before.Selected) || after.Detail["id"] != before.Detail["id"] {
		t.Errorf("an update lost the view: zoom %s → %s, selected %v → %v, details %v → %v",
			before.Zoom, after.Zoom, before.Selected, after.Selected, before.Detail["id"], after.Detail["id"])
	}

	// Above two identical connections (as the URL asks), the three
	// collapse into one group with a count, which opens on a click.
	if err := chromedp.Do(b.Ctx, chromedp.Navigate(hs.URL+"/?collapse=2")); err != nil {
		t.Fatal(err)
	}
	b.WaitFor(t, "one group of three", `document.querySelector('#viewport .bundle[data-count="3"]') !== null`)
	if f := b.Facts(t); len(f.Conns) != 0 {
		t.Errorf("collapsed: %d connection groups drawn, want none", len(f.Conns))
	}
	b.Click(t, `#viewport .bundle .bt`)
	b.WaitFor(t, "the group open", `document.querySelectorAll('#viewport .bundle.expanded .conn').length === 3`)
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
	b.WaitFor(t, "a group of 10,000", `document.querySelector('#viewport .bundle[data-count="10000"]') !== null`)
	f := b.Facts(t)
	if f.Nodes > 10 || f.Elements > 2000 {
		t.Errorf("collapsed, the page still has %d nodes and %d elements", f.Nodes, f.Elements)
	}
	t.Logf("10,000 connections: %d elements; last update took %d ms (%s)", f.Elements, f.UpdateMS, f.Phases)

	b.Click(t, `#viewport .bundle .bt`)
	b.WaitFor(t, "the first page of connections", `document.querySelectorAll('#viewport .bundle.expanded .conn').length === 50`)
	b.Click(t, `#viewport .more text`)
	b.WaitFor(t, "a second page", `document.querySelectorAll('#viewport .bundle.expanded .conn').length === 100`)
	f = b.Facts(t)
	b.WaitFor(t, "two more updates", fmt.Sprintf(`+document.body.dataset.updates >= %d`, f.Updates+2))
	f = b.Facts(t)
	if len(f.Bundles) != 1 || !f.Bundles[0].Expanded || f.Bundles[0].Conns != 100 {
		t.Errorf("after updates: groups %+v, want the one group still open on 100", f.Bundles)
	}
	t.Logf("10,000 connections, 100 shown: %d elements; last update took %d ms (%s)", f.Elements, f.UpdateMS, f.Phases)
	b.Screenshot(t, "introspect-10k")
	b.CheckErrors(t)
}

// TestPageWithToken opens the page of a handler that needs a token, as
// /?token=...: the page's own requests (script, worker, feed) get in
// with the cookie that sets, and it draws the graph. Without the token
// the browser gets 401.
func TestPageWithToken(t *testing.T) {
	b := browsertest.Start(t)
	ctx, reg := testCtx(t)
	srv := startEchoServer(t, ctx)
	echoed(t, srv, "hello")
	h := introspect.New(introspect.WithRegistry(reg), introspect.WithToken("s3cret"))
	hs := httptest.NewServer(h)
	defer hs.Close()
	defer h.Close()
	resp, err := chromedp.Run(b.Ctx, chromedp.NavigateResponse(hs.URL+"/"))
	if err != nil || resp.Status != 401 {
		t.Fatalf("the page without the token: %v, %v; want 401", resp, err)
	}
	if err := chromedp.Do(b.Ctx, chromedp.Navigate(hs.URL+"/?token=s3cret")); err != nil {
		t.Fatal(err)
	}
	b.WaitFor(t, "the server and its connection", `document.querySelector('#viewport .node[data-kind="ServerCore"]') !== null && document.querySelectorAll('#viewport .conn').length === 1`)
	b.CheckErrors(t)
}

// TestPageWithoutConnections draws a graph that has no connections (no
// server, or one nobody has connected to yet): graph.json then has
// "connections": null, which the page takes as none.
func TestPageWithoutConnections(t *testing.T) {
	b := browsertest.Start(t)
	ctx, reg := testCtx(t)
	echo := components.NewEcho()
	if err := echo.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { echo.Stop(); <-echo.Done() }()
	h := introspect.New(introspect.WithRegistry(reg), introspect.WithInterval(200*time.Millisecond))
	hs := httptest.NewServer(h)
	defer hs.Close()
	defer h.Close()
	if err := chromedp.Do(b.Ctx, chromedp.Navigate(hs.URL+"/")); err != nil {
		t.Fatal(err)
	}
	b.WaitFor(t, "the Echo drawn", `document.querySelector('#viewport .node[data-kind="Echo"]') !== null`)
	b.CheckErrors(t)
}
