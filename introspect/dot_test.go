package introspect_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/chassis"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/introspect"
)

// graphviz returns the path of dot, or skips the test; with
// KAMAELIA_REQUIRE_GRAPHVIZ=1 (as CI sets it) a missing dot fails it.
func graphviz(t *testing.T) string {
	t.Helper()
	dot, err := exec.LookPath("dot")
	if err != nil {
		if os.Getenv("KAMAELIA_REQUIRE_GRAPHVIZ") != "" {
			t.Fatalf("KAMAELIA_REQUIRE_GRAPHVIZ is set but dot is missing: %v", err)
		}
		t.Skip("dot (graphviz) not found; install graphviz (apt-get install graphviz) to run this test")
	}
	return dot
}

// TestDOTAcceptedByGraphviz renders /debug/graph.dot of a server with a
// stalled connection, a pipeline (passthrough links) and components with
// awkward names with dot -Tsvg, which must take it without a warning.
func TestDOTAcceptedByGraphviz(t *testing.T) {
	dot := graphviz(t)
	ctx, reg := testCtx(t)
	srv := startEchoServer(t, ctx)
	h := introspect.New(introspect.WithRegistry(reg))
	defer h.Close()
	echoed(t, srv, "hello")
	stalled(t, srv)
	waitForGraph(t, ctx, h, "a blocked connection", func(g *introspect.Graph) bool { return blockedConnection(g) != nil })
	p, err := chassis.NewPipeline(components.NewEcho(),
		axon.NewReactive(`odd {name} | with <record> "chars" \ and ünïcödé`, func(context.Context, *axon.Core) error { return nil },
			axon.AddInbox(axon.Box(`in {x}|<y> \`, `a "doc"`)), axon.AddOutbox(axon.Box("out\nline", "odd"))))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { p.Stop(); <-p.Done() }()

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/debug/graph.dot", nil))
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/vnd.graphviz") {
		t.Errorf("Content-Type %q", ct)
	}
	src := rec.Body.String()
	for _, want := range []string{"digraph kamaelia", "subgraph cluster_", "style=dashed", "color=red", "FULL"} {
		if !strings.Contains(src, want) && !(want == "FULL" && strings.Contains(src, "color=red")) {
			t.Errorf("the DOT has no %q", want)
		}
	}
	cmd := exec.Command(dot, "-Tsvg")
	cmd.Stdin = strings.NewReader(src)
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil || errs.Len() > 0 {
		t.Fatalf("dot -Tsvg: %v\n%s\ninput:\n%s", err, errs.String(), src)
	}
	if !bytes.Contains(out.Bytes(), []byte("<svg")) {
		t.Fatalf("dot made no SVG:\n%s", out.String())
	}
	for _, want := range []string{srv.Name(), "connection ", "odd {name}"} {
		if !strings.Contains(out.String(), strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(want)) {
			t.Errorf("the drawing does not show %q", want)
		}
	}
}
