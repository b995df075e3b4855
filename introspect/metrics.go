package introspect

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kamaelia-go/kamaelia/internet"
)

// Server is a server whose connections /metrics counts:
// internet.ServerCore, internet.SingleServer and internet.TCPServer are.
// Connections is how many connections it has open now
// (kamaelia_connections_open); Stats its counters, each a Prometheus
// counter summed over the servers:
//
//	Accepted              kamaelia_connections_accepted_total
//	Refused               kamaelia_connections_refused_total
//	Cut                   kamaelia_connections_cut_total
//	IdleClosed            kamaelia_connections_idle_closed_total
//	TLSHandshakes         kamaelia_tls_handshakes_total
//	TLSHandshakeFailures  kamaelia_tls_handshake_failures_total
//	BytesRead             kamaelia_read_bytes_total
//	BytesWritten          kamaelia_written_bytes_total
//
// Without servers, /metrics counts the connections and bytes of the
// socket adapters in the graph instead, and has none of the other
// counters.
type Server interface {
	Connections() int
	Stats() internet.ServerStats
}

var (
	descOpen = prometheus.NewDesc("kamaelia_connections_open",
		"Connections open now.", nil, nil)
	descRead = prometheus.NewDesc("kamaelia_read_bytes_total",
		"Bytes read from connections (data, after TLS decryption).", nil, nil)
	descWritten = prometheus.NewDesc("kamaelia_written_bytes_total",
		"Bytes written to connections (data, before TLS encryption).", nil, nil)
	descComponents = prometheus.NewDesc("kamaelia_components",
		"Live components, by kind and state (active, waiting, blocked, finished).", []string{"kind", "state"}, nil)
	descQueued = prometheus.NewDesc("kamaelia_box_queued_messages",
		"Messages queued in inboxes, summed over the components of a kind.", []string{"kind", "box"}, nil)
	descQueuedBytes = prometheus.NewDesc("kamaelia_box_queued_bytes",
		"Bytes of []byte and string messages queued in inboxes, summed over the components of a kind.", []string{"kind", "box"}, nil)
	descWaiting = prometheus.NewDesc("kamaelia_box_waiting_senders",
		"Senders waiting for room in inboxes, summed over the components of a kind.", []string{"kind", "box"}, nil)

	// The counters of the servers' Stats but the bytes.
	serverCounters = []struct {
		desc *prometheus.Desc
		of   func(internet.ServerStats) uint64
	}{
		{prometheus.NewDesc("kamaelia_connections_accepted_total",
			"Connections accepted, refused ones included.", nil, nil),
			func(st internet.ServerStats) uint64 { return st.Accepted }},
		{prometheus.NewDesc("kamaelia_connections_refused_total",
			"Connections closed unserved: over the connection limit, while shutting down, or no handler.", nil, nil),
			func(st internet.ServerStats) uint64 { return st.Refused }},
		{prometheus.NewDesc("kamaelia_connections_cut_total",
			"Connections reset because a shutdown's grace ran out, or by a stop.", nil, nil),
			func(st internet.ServerStats) uint64 { return st.Cut }},
		{prometheus.NewDesc("kamaelia_connections_idle_closed_total",
			"Connections reset for making no progress for the idle timeout.", nil, nil),
			func(st internet.ServerStats) uint64 { return st.IdleClosed }},
		{prometheus.NewDesc("kamaelia_tls_handshakes_total",
			"Server-side TLS handshakes completed.", nil, nil),
			func(st internet.ServerStats) uint64 { return st.TLSHandshakes }},
		{prometheus.NewDesc("kamaelia_tls_handshake_failures_total",
			"Server-side TLS handshakes failed.", nil, nil),
			func(st internet.ServerStats) uint64 { return st.TLSHandshakeFailures }},
	}
)

// collector is the Prometheus collector of one Handler.
type collector struct {
	shots   *snapshots
	servers []Server
	tally   *byteTally
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOpen, descRead, descWritten, descComponents, descQueued, descQueuedBytes, descWaiting} {
		ch <- d
	}
	for _, sc := range serverCounters {
		ch <- sc.desc
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	g := c.shots.take().g
	open := len(g.Connections)
	in, out := c.tally.totals()
	if len(c.servers) > 0 {
		open = 0
		stats := make([]internet.ServerStats, len(c.servers))
		for i, s := range c.servers {
			open += s.Connections()
			stats[i] = s.Stats()
		}
		total := func(of func(internet.ServerStats) uint64) (n uint64) {
			for _, st := range stats {
				n += of(st)
			}
			return n
		}
		for _, sc := range serverCounters {
			ch <- prometheus.MustNewConstMetric(sc.desc, prometheus.CounterValue, float64(total(sc.of)))
		}
		in = int64(total(func(st internet.ServerStats) uint64 { return st.BytesRead }))
		out = int64(total(func(st internet.ServerStats) uint64 { return st.BytesWritten }))
	}
	ch <- prometheus.MustNewConstMetric(descOpen, prometheus.GaugeValue, float64(open))
	ch <- prometheus.MustNewConstMetric(descRead, prometheus.CounterValue, float64(in))
	ch <- prometheus.MustNewConstMetric(descWritten, prometheus.CounterValue, float64(out))
	collectComponents(ch, g)
}

// collectComponents reports the components by kind and state, and their
// inboxes' queues by kind and box name. Every inbox a kind declares gets
// its series, at zero when nothing is queued, so series do not come and
// go with traffic.
func collectComponents(ch chan<- prometheus.Metric, g *Graph) {
	type kindState struct{ kind, state string }
	type kindBox struct{ kind, box string }
	type queued struct{ msgs, bytes, waiting int }
	states := map[kindState]int{}
	boxes := map[kindBox]*queued{}
	for _, t := range g.Types {
		for _, b := range t.Inboxes {
			if boxes[kindBox{t.Kind, b.Name}] == nil {
				boxes[kindBox{t.Kind, b.Name}] = &queued{}
			}
		}
	}
	for i := range g.Components {
		c := &g.Components[i]
		states[kindState{c.Kind, c.State}]++
		for _, b := range c.Inboxes {
			q := boxes[kindBox{c.Kind, b.Name}]
			q.msgs += b.Depth
			q.bytes += b.Bytes
			q.waiting += b.Waiting
		}
	}
	for ks, n := range states {
		ch <- prometheus.MustNewConstMetric(descComponents, prometheus.GaugeValue, float64(n), ks.kind, ks.state)
	}
	for kb, q := range boxes {
		ch <- prometheus.MustNewConstMetric(descQueued, prometheus.GaugeValue, float64(q.msgs), kb.kind, kb.box)
		ch <- prometheus.MustNewConstMetric(descQueuedBytes, prometheus.GaugeValue, float64(q.bytes), kb.kind, kb.box)
		ch <- prometheus.MustNewConstMetric(descWaiting, prometheus.GaugeValue, float64(q.waiting), kb.kind, kb.box)
	}
}

// byteTally keeps the bytes read and written by components that report
// them (socket adapters) as counters that never go down: the live
// components' figures, plus the last figures seen of those that have
// ended since. The bytes a connection moved between the last picture
// and its end are missed; the servers' own counts (see Server), used
// when there are servers, are exact.
type byteTally struct {
	mu              sync.Mutex
	last            map[uint64][2]int64 // component → bytes in, out when last seen
	goneIn, goneOut int64               // of components that have ended
	in, out         int64
}

func newByteTally() *byteTally { return &byteTally{last: map[uint64][2]int64{}} }

// observe takes in the figures of a new graph. Graphs come in the order
// they were taken: snapshots takes one at a time.
func (t *byteTally) observe(g *Graph) {
	now := make(map[uint64][2]int64, len(t.last))
	var in, out int64
	for i := range g.Components {
		if st := g.Components[i].Stats; st != nil {
			now[g.Components[i].ID] = [2]int64{st.BytesIn, st.BytesOut}
			in += st.BytesIn
			out += st.BytesOut
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, v := range t.last {
		if _, ok := now[id]; !ok {
			t.goneIn += v[0]
			t.goneOut += v[1]
		}
	}
	t.last = now
	t.in, t.out = t.goneIn+in, t.goneOut+out
}

func (t *byteTally) totals() (in, out int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.in, t.out
}

// newMetricsHandler returns the /metrics handler of a private registry
// holding c and the Go runtime's and the process's collectors, so that
// any number of Handlers can be made and mounted without clashing.
func newMetricsHandler(c *collector) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}
