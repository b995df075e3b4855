package introspect_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/chassis"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/introspect"
)

// Mount the handler on a mux of your own, under a prefix, and read the
// graph as JSON. A browser at /kamaelia/ would show it drawn, live.
func Example() {
	reg := axon.NewRegistry()
	ctx, cancel := context.WithCancel(axon.NewContext(context.Background(), reg))
	defer cancel()
	p, _ := chassis.NewPipeline(components.NewEcho(), components.NewEcho())
	_ = p.Activate(ctx)

	h := introspect.New(introspect.WithRegistry(reg))
	defer h.Close()
	mux := http.NewServeMux()
	mux.Handle("/kamaelia/", http.StripPrefix("/kamaelia", h))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/kamaelia/debug/graph.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var g introspect.Graph
	if err := json.NewDecoder(resp.Body).Decode(&g); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("version", g.Version)
	for _, c := range g.Components {
		fmt.Println(c.Kind, len(c.Inboxes), "inboxes") // c.State says what it is doing now
	}
	for _, l := range g.Links {
		fmt.Println(l.From.Box, "→", l.To.Box, l.Kind)
	}
	// Output:
	// version 1
	// Echo 2 inboxes
	// Echo 2 inboxes
	// pipeline 3 inboxes
	// outbox → inbox normal
	// signal → control normal
	// outbox → outbox outward
	// signal → _signal normal
	// inbox → inbox inward
	// control → control inward
}
