package browsertest

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Facts is what a test reads from the live page's DOM.
type Facts struct {
	Updates  int               `json:"updates"`  // graphs the page has drawn
	Zoom     string            `json:"zoom"`     // the view's scale
	Nodes    int               `json:"nodes"`    // component nodes drawn
	Servers  int               `json:"servers"`  // ServerCore nodes drawn
	Conns    []Conn            `json:"conns"`    // connection groups drawn
	Bundles  []Bundle          `json:"bundles"`  // groups of identical connections
	Selected []string          `json:"selected"` // ids of the selected items
	Detail   map[string]string `json:"detail"`   // kind, id and text of the details shown
	More     int               `json:"more"`     // "show more" buttons
	UpdateMS int               `json:"updateMs"` // time the last graph took, feed to screen
	RenderMS int               `json:"renderMs"` // time the page took to put it in
	Elements int               `json:"elements"` // elements in the document
	Phases   string            `json:"phases"`   // the last update's time per phase
}

// Conn is a connection group on the page.
type Conn struct {
	ID          string   `json:"id"`
	Blocked     bool     `json:"blocked"`
	Kinds       []string `json:"kinds"`       // of its components, in order
	Edges       int      `json:"edges"`       // links drawn inside it
	BlockedOn   []string `json:"blockedOn"`   // the box each blocked component waits on
	FullInboxes []string `json:"fullInboxes"` // "kind.box" of inboxes full or waited on
}

// Bundle is a group of identical connections on the page.
type Bundle struct {
	Count    int  `json:"count"`
	Expanded bool `json:"expanded"`
	Conns    int  `json:"conns"` // connection groups shown in it
}

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

// SettledStall is a JavaScript condition for WaitFor: a connection on
// the page is marked blocked and shows a full or waited-on inbox in the
// same picture. A picture reads components one by one, so a component
// just blocked can be drawn beside its target's inbox just emptied;
// waiting for both tells a stall that has settled.
const SettledStall = `document.querySelector('#viewport .conn.blocked .port.in.full, #viewport .conn.blocked .port.in.waiting') !== null`

// Facts reads the live page.
func (b *Browser) Facts(t testing.TB) Facts {
	t.Helper()
	f, err := chromedp.Run(b.Ctx, chromedp.Evaluate[Facts](factsJS))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// WaitFor polls the page until the JavaScript condition holds, or fails
// the test after a minute, showing what the page held.
func (b *Browser) WaitFor(t testing.TB, what, cond string) {
	t.Helper()
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(time.Minute))); err != nil {
		b.Screenshot(t, "failed")
		t.Fatalf("waiting for %s: %v\non the page: %+v", what, err, b.Facts(t))
	}
}

// Do runs JavaScript in the page.
func (b *Browser) Do(t testing.TB, js string) {
	t.Helper()
	if _, err := chromedp.Run(b.Ctx, chromedp.Evaluate[chromedp.Void](js)); err != nil {
		t.Fatalf("%s: %v", js, err)
	}
}

// Click clicks the first element that matches a CSS selector, as a user
// would (the event bubbles).
func (b *Browser) Click(t testing.TB, selector string) {
	t.Helper()
	b.Do(t, `document.querySelector('`+selector+`').dispatchEvent(new MouseEvent('click', {bubbles: true}))`)
}
