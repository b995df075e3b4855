package introspect_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/backplane"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/browsertest"
	"github.com/kamaelia-go/kamaelia/introspect"
)

// startLossyRoom starts a backplane called "room" with a subscriber
// that drops (its consumer, a handle, never reads) and publishes 100
// messages; it returns once the counts have settled.
func startLossyRoom(t *testing.T, ctx context.Context) *backplane.Backplane {
	t.Helper()
	bp := backplane.New("room")
	axontest.Activate(t, ctx, bp)
	t.Cleanup(func() { bp.Stop(); <-bp.Done() })
	sub := backplane.NewSubscribeTo("room", backplane.QueueLimit(axon.Limit{Messages: 1}), backplane.OnFull(backplane.DropOldest))
	axontest.Handle(t, sub)
	axontest.Activate(t, ctx, sub)
	t.Cleanup(func() { sub.Stop(); <-sub.Done() })
	pub := backplane.NewPublishTo("room")
	ph := axontest.Handle(t, pub)
	axontest.Activate(t, ctx, pub)
	t.Cleanup(func() { pub.Stop(); <-pub.Done() })
	for i := range 100 {
		axontest.Put(t, ctx, ph, "inbox", i)
	}
	// All sent or dropped, or waiting for room in the handle's box (64).
	axontest.Eventually(t, ctx, "the subscriber settled", func() bool {
		return sub.Stats().Queued == 0 || sub.Info().State == "blocked"
	})
	if bp.Stats().Dropped == 0 {
		t.Fatalf("nothing dropped: %+v", bp.Stats())
	}
	return bp
}

// A component's counters (here a backplane's) reach graph.json and
// graph.dot.
func TestCountersInJSONAndDOT(t *testing.T) {
	ctx, reg := testCtx(t)
	bp := startLossyRoom(t, ctx)
	st := bp.Stats()
	h := introspect.New(introspect.WithRegistry(reg))
	defer h.Close()
	for _, tc := range []struct{ path, want string }{
		{"/debug/graph.json", fmt.Sprintf(`"counters":[{"name":"published","value":100},{"name":"dropped","value":%d},{"name":"disconnected","value":0}]`, st.Dropped)},
		{"/debug/graph.dot", fmt.Sprintf(`published 100, dropped %d, disconnected 0`, st.Dropped)},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		if !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s has no %s:\n%.2000s", tc.path, tc.want, rec.Body.String())
		}
	}
}

// The page lists a component's counters in its details.
func TestPageShowsCounters(t *testing.T) {
	b := browsertest.Start(t)
	ctx, reg := testCtx(t)
	bp := startLossyRoom(t, ctx)
	h := introspect.New(introspect.WithRegistry(reg), introspect.WithInterval(200*time.Millisecond))
	hs := httptest.NewServer(h)
	defer hs.Close()
	defer h.Close()
	if err := chromedp.Do(b.Ctx, chromedp.Navigate(hs.URL+"/")); err != nil {
		t.Fatal(err)
	}
	node := `#viewport .node[data-kind="Backplane:room"]`
	b.WaitFor(t, "the backplane drawn", fmt.Sprintf("document.querySelector('%s') !== null", node))
	b.Click(t, node)
	want := fmt.Sprintf("%d", bp.Stats().Dropped)
	b.WaitFor(t, "its counters in the details", fmt.Sprintf(
		`(document.querySelector('#details [data-counter="published"]') || {}).textContent === '100' && (document.querySelector('#details [data-counter="dropped"]') || {}).textContent === '%s'`, want))
	b.CheckErrors(t)
}
