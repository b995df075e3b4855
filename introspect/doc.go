// Package introspect shows a running kamaelia program from the inside,
// over HTTP: the live graph of its components in a browser, the same
// graph as JSON and as Graphviz DOT, Prometheus metrics, and Go's
// profiles. It is the Go form of Kamaelia's Introspector.
//
// New returns an http.Handler to mount on any mux (`kamaelia serve
// --debug-addr` serves one):
//
//	h := introspect.New(introspect.WithServers(server))
//	defer h.Close()
//	go http.ListenAndServe("127.0.0.1:6060", h)
//
// Endpoints (GET or HEAD only; anything else is 405, an unknown path 404):
//
//	/                    the page: the live graph, drawn in the browser
//	/debug/events        server-sent events feeding the page: a Graph per interval
//	/debug/graph.json    every component and connection, never collapsed (type Graph)
//	/debug/graph.dot     the same for Graphviz: dot -Tsvg graph.dot > graph.svg
//	/metrics             Prometheus metrics (see Server for the counters)
//	/debug/pprof/        net/http/pprof
//
// The page draws each component as a node with its inboxes on the left
// and its outboxes on the right, each showing its queue against its limit
// and its counts; links are edges (passthrough links dashed); a component
// blocked on a full box is red and names the box. The components serving
// one connection (see axon.Core.SetGroup) are drawn as a group with the
// connection's bytes in and out; more identical connections than
// WithCollapseAbove allows are drawn as one group with a count that opens
// on a click, which is what keeps the page quick with ten thousand
// connections. It updates once a second without losing the zoom or the
// selection, and needs nothing from the internet: its script and style
// are built in.
//
// # Safety
//
// The pages show the program's internals and pprof can profile it, so
// serve them on a loopback address, or give a token with WithToken. Every
// endpoint only reads. Pictures of the graph are taken only while
// someone asks, one at a time however many ask; a slow or stalled
// browser has a short queue of its own, whose oldest picture is dropped
// when it is full, and is cut off after the write timeout; the number of
// live pages is capped. The components never wait for a browser.
package introspect
