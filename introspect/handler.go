package introspect

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"net/http/pprof"
	"strings"
)

// Handler serves the live view of a registry's components; see the
// package documentation for its endpoints. Make one with New. A Handler
// is safe for concurrent use.
type Handler struct {
	cfg     config
	shots   *snapshots
	events  *hub
	metrics http.Handler
	token   [sha256.Size]byte // of cfg.token, for a comparison in constant time
	routes  map[string]http.Handler
}

// New returns a handler serving the page, the graph, the metrics and
// the profiles of a registry (axon.DefaultRegistry unless WithRegistry
// says otherwise). Each Handler has a metrics registry of its own, so
// any number can be made and mounted. Close it when done, to end the
// live pages it serves.
func New(opts ...Option) *Handler {
	h := &Handler{cfg: newConfig(opts)}
	tally := newByteTally()
	h.shots = &snapshots{reg: h.cfg.registry, observe: tally.observe}
	h.events = newHub(h.shots, h.cfg)
	h.metrics = newMetricsHandler(&collector{shots: h.shots, servers: h.cfg.servers, tally: tally})
	h.token = sha256.Sum256([]byte(h.cfg.token))
	h.routes = map[string]http.Handler{
		"/":                    http.HandlerFunc(h.servePage),
		"/app.js":              http.HandlerFunc(h.servePage),
		"/worker.js":           http.HandlerFunc(h.servePage),
		"/app.css":             http.HandlerFunc(h.servePage),
		"/debug/graph.json":    http.HandlerFunc(h.serveJSON),
		"/debug/graph.dot":     http.HandlerFunc(h.serveDOT),
		"/debug/events":        http.HandlerFunc(h.events.serve),
		"/metrics":             h.metrics,
		"/debug/pprof/cmdline": http.HandlerFunc(pprof.Cmdline),
		"/debug/pprof/profile": http.HandlerFunc(pprof.Profile),
		"/debug/pprof/symbol":  http.HandlerFunc(pprof.Symbol),
		"/debug/pprof/trace":   http.HandlerFunc(pprof.Trace),
	}
	return h
}

// ServeHTTP answers one request: 401 without the token (if one is set),
// 404 for a path it does not serve, 405 for a method other than GET or
// HEAD (everything is read-only).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if !h.authorized(w, r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="kamaelia introspection"`)
		http.Error(w, "401 unauthorized: this page needs the debug token (Authorization: Bearer TOKEN, or ?token=TOKEN)", http.StatusUnauthorized)
		return
	}
	route := h.route(r.URL.Path)
	if route == nil {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed: this handler is read-only", http.StatusMethodNotAllowed)
		return
	}
	route.ServeHTTP(w, r)
}

// route returns the handler of a path, or nil.
func (h *Handler) route(path string) http.Handler {
	if rt, ok := h.routes[path]; ok {
		return rt
	}
	if name, ok := strings.CutPrefix(path, "/debug/pprof/"); ok && !strings.Contains(name, "/") {
		return http.HandlerFunc(pprof.Index) // the index, and profiles by name (404 for unknown ones)
	}
	return nil
}

// tokenCookie carries the token for the requests a page makes by itself
// (its script, style, worker and feed), once the page was opened with
// ?token=.
const tokenCookie = "kamaelia_debug_token"

// authorized checks the request's token, in constant time: from the
// Authorization header, else the token query parameter, else the
// cookie. A good token in the query sets the cookie.
func (h *Handler) authorized(w http.ResponseWriter, r *http.Request) bool {
	if h.cfg.token == "" {
		return true
	}
	given, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	fromQuery := false
	if !ok {
		given, fromQuery = r.URL.Query().Get("token"), r.URL.Query().Has("token")
	}
	if !ok && !fromQuery {
		if c, err := r.Cookie(tokenCookie); err == nil {
			given = c.Value
		}
	}
	sum := sha256.Sum256([]byte(given))
	good := subtle.ConstantTimeCompare(sum[:], h.token[:]) == 1
	if good && fromQuery {
		http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: given, HttpOnly: true,
			SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	}
	return good
}

// Close ends the live pages being served (they reconnect to whatever
// serves the address next) and stops taking pictures for them. The other
// endpoints keep working. Close is safe to call more than once.
//
// A live page's request never ends by itself, so http.Server.Shutdown
// would wait for it: call Close first, or register it with the server's
// RegisterOnShutdown.
func (h *Handler) Close() error {
	h.events.close()
	return nil
}

func (h *Handler) serveJSON(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(h.shots.take().json())
}

func (h *Handler) serveDOT(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/vnd.graphviz; charset=utf-8")
	_ = WriteDOT(w, h.shots.take().g)
}
