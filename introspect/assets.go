package introspect

import (
	"bytes"
	"embed"
	"net/http"
	"path"
	"time"
)

// The page and its script and style are built in, so the page works with
// no internet access: it loads nothing from anywhere else.
//
//go:embed assets/index.html assets/app.js assets/worker.js assets/app.css
var assets embed.FS

// assetTypes are the content types of the assets, by extension.
var assetTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
}

// pagePolicy lets the page load only its own script and style, and talk
// only to this handler.
const pagePolicy = "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// servePage serves the page ("/") and its assets.
func (h *Handler) servePage(w http.ResponseWriter, r *http.Request) {
	name := "index.html"
	if r.URL.Path != "/" {
		name = path.Base(r.URL.Path)
	}
	b, err := assets.ReadFile("assets/" + name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", assetTypes[path.Ext(name)])
	w.Header().Set("Content-Security-Policy", pagePolicy)
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}
