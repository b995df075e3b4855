package introspect

import (
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
)

// Option configures a Handler made by New.
type Option func(*config)

type config struct {
	registry      *axon.Registry
	token         string
	servers       []Server
	interval      time.Duration
	collapseAbove int
	maxClients    int
	queueLen      int
	writeTimeout  time.Duration
}

// Defaults of the options.
const (
	DefaultInterval      = time.Second      // see WithInterval
	DefaultCollapseAbove = 20               // see WithCollapseAbove
	DefaultMaxClients    = 16               // see WithMaxClients
	DefaultWriteTimeout  = 10 * time.Second // see WithWriteTimeout
	defaultQueueLen      = 2
)

func newConfig(opts []Option) config {
	cfg := config{
		registry:      axon.DefaultRegistry,
		interval:      DefaultInterval,
		collapseAbove: DefaultCollapseAbove,
		maxClients:    DefaultMaxClients,
		queueLen:      defaultQueueLen,
		writeTimeout:  DefaultWriteTimeout,
	}
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// WithRegistry makes the handler show the components of r instead of
// axon.DefaultRegistry's.
func WithRegistry(r *axon.Registry) Option {
	return func(c *config) {
		if r != nil {
			c.registry = r
		}
	}
}

// WithToken makes every request need token, given as "Authorization:
// Bearer token", as the query parameter token=..., or in the cookie that
// a request with a good token in its query sets: open the page as
// /?token=... and its own requests (script, worker, feed) carry the
// cookie. Other requests get 401. An empty token means none is needed, which is
// only safe on a loopback address: the pages show the program's
// internals, and pprof can profile it.
func WithToken(token string) Option { return func(c *config) { c.token = token } }

// WithServers adds servers whose connection counters /metrics reports
// (see Server).
func WithServers(s ...Server) Option {
	return func(c *config) { c.servers = append(c.servers, s...) }
}

// WithInterval sets how often live pages get a new picture (default
// DefaultInterval). Values below 100ms are taken as 100ms.
func WithInterval(d time.Duration) Option {
	return func(c *config) { c.interval = max(d, 100*time.Millisecond) }
}

// WithCollapseAbove sets how many identical connections the page draws
// one by one before it draws them as one group with a count (default
// DefaultCollapseAbove). The page's own control can change it per view.
func WithCollapseAbove(n int) Option {
	return func(c *config) { c.collapseAbove = max(n, 1) }
}

// WithMaxClients caps how many live pages may watch at once (default
// DefaultMaxClients); more get 503 until one leaves.
func WithMaxClients(n int) Option { return func(c *config) { c.maxClients = max(n, 1) } }

// WithWriteTimeout bounds how long a write to a live page may take
// (default DefaultWriteTimeout): a browser that stops reading is
// disconnected then, and never holds anything else up meanwhile.
func WithWriteTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.writeTimeout = d
		}
	}
}
