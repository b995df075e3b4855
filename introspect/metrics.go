package introspect

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server is a server whose connections /metrics counts, such as
// internet.ServerCore or internet.TCPServer. Connections returns how many
// connections it has open now (kamaelia_connections_open). A server that
// also has any of these methods gets the matching counter:
//
//	ConnectionsAccepted() uint64   kamaelia_connections_accepted_total
//	ConnectionsRefused() uint64    kamaelia_connections_refused_total
//	ConnectionsCut() uint64        kamaelia_connections_cut_total
//	IdleCloses() uint64            kamaelia_connections_idle_closed_total
//	BytesRead() uint64             kamaelia_read_bytes_total
//	BytesWritten() uint64          kamaelia_written_bytes_total
//	TLSHandshakes() uint64         kamaelia_tls_handshakes_total
//	TLSHandshakeFailures() uint64  kamaelia_tls_handshake_failures_total
//
// Each counts from the server's start and never goes down.
type Server interface {
	Connections() int
}

// serverCounter is one optional counter of a Server.
type serverCounter struct {
	desc *prometheus.Desc
	read func(Server) (uint64, bool)
}

// counter reads the method m of a server, if it has it.
func counter[M any](get func(M) uint64) func(Server) (uint64, bool) {
	return func(s Server) (uint64, bool) {
		if m, ok := s.(M); ok {
			return get(m), true
		}
		return 0, false
	}
}

type (
	accepted       interface{ ConnectionsAccepted() uint64 }
	refused        interface{ ConnectionsRefused() uint64 }
	cut            interface{ ConnectionsCut() uint64 }
	idleCloses     interface{ IdleCloses() uint64 }
	bytesRead      interface{ BytesRead() uint64 }
	bytesWritten   interface{ BytesWritten() uint64 }
	tlsHandshakes  interface{ TLSHandshakes() uint64 }
	tlsHandshakeKO interface{ TLSHandshakeFailures() uint64 }
)

var (
	descOpen = prometheus.NewDesc("kamaelia_connections_open",
		"Connections open now.", nil, nil)
	descRead = prometheus.NewDesc("kamaelia_read_bytes_total",
		"Bytes read from connections.", nil, nil)
	descWritten = prometheus.NewDesc("kamaelia_written_bytes_total",
		"Bytes written to connections.", nil, nil)
	descComponents = prometheus.NewDesc("kamaelia_components",
		"Live components, by kind and state (active, waiting, blocked, finished).", []string{"kind", "state"}, nil)
	descQueued = prometheus.NewDesc("kamaelia_box_queued_messages",
		"Messages queued in inboxes, summed over the components of a kind.", []string{"kind", "box"}, nil)
	descQueuedBytes = prometheus.NewDesc("kamaelia_box_queued_bytes",
		"Bytes of []byte and string messages queued in inboxes, summed over the components of a kind.", []string{"kind", "box"}, nil)
	descWaiting = prometheus.NewDesc("kamaelia_box_waiting_senders",
		"Senders waiting for room in inboxes, summed over the components of a kind.", []string{"kind", "box"}, nil)

	serverCounters = []serverCounter{
		{prometheus.NewDesc("kamaelia_connections_accepted_total", "Connections accepted.", nil, nil),
			counter(accepted.ConnectionsAccepted)},
		{prometheus.NewDesc("kamaelia_connections_refused_total", "Connections closed at once: over the connection limit, or while shutting down.", nil, nil),
			counter(refused.ConnectionsRefused)},
		{prometheus.NewDesc("kamaelia_connections_cut_total", "Connections cut off by a shutdown whose grace ran out.", nil, nil),
			counter(cut.ConnectionsCut)},
		{prometheus.NewDesc("kamaelia_connections_idle_closed_total", "Connections closed for being idle.", nil, nil),
			counter(idleCloses.IdleCloses)},
		{prometheus.NewDesc("kamaelia_tls_handshakes_total", "TLS handshakes completed.", nil, nil),
			counter(tlsHandshakes.TLSHandshakes)},
		{prometheus.NewDesc("kamaelia_tls_handshake_failures_total", "TLS handshakes failed.", nil, nil),
			counter(tlsHandshakeKO.TLSHandshakeFailures)},
	}
	readCounter    = counter(bytesRead.BytesRead)
	writtenCounter = counter(bytesWritten.BytesWritten)
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
	if len(c.servers) > 0 {
		open = 0
		for _, s := range c.servers {
			open += s.Connections()
		}
	}
	ch <- prometheus.MustNewConstMetric(descOpen, prometheus.GaugeValue, float64(open))
	for _, sc := range serverCounters {
		if v, ok := c.sum(sc.read); ok {
			ch <- prometheus.MustNewConstMetric(sc.desc, prometheus.CounterValue, float64(v))
		}
	}
	in, out := c.tally.totals()
	if v, ok := c.sum(readCounter); ok {
		in = int64(v)
	}
	if v, ok := c.sum(writtenCounter); ok {
		out = int64(v)
	}
	ch <- prometheus.MustNewConstMetric(descRead, prometheus.CounterValue, float64(in))
	ch <- prometheus.MustNewConstMetric(descWritten, prometheus.CounterValue, float64(out))
	collectComponents(ch, g)
}

// sum adds up a counter over the servers that have it; ok is false if
// none has.
func (c *collector) sum(read func(Server) (uint64, bool)) (total uint64, ok bool) {
	for _, s := range c.servers {
		if v, has := read(s); has {
			total, ok = total+v, true
		}
	}
	return total, ok
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
// and its end are missed; a server that counts them itself (BytesRead,
// BytesWritten; see Server) is exact.
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
