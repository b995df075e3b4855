package axon

// Stats are figures a component reports about itself, beside those
// introspection reads from its boxes: the bytes a socket adapter read
// and wrote, say, or the messages a backplane dropped. Counts are
// cumulative over the component's life.
type Stats struct {
	BytesIn  int64  // bytes taken in from outside the graph (read from a socket or a file)
	BytesOut int64  // bytes given out of the graph (written to a socket)
	Remote   string // what the component talks to, if anything: a socket's peer address
	// Counters are the component's other counts, by name, in an order
	// of its choosing: what its boxes cannot show, such as messages a
	// publish/subscribe hub dropped or subscribers it cut off.
	Counters []Counter
}

// Counter is one named count a component reports (see Stats.Counters).
// Names are short, lower case and unique within the component, such as
// "dropped" or "disconnected".
type Counter struct {
	Name  string
	Value uint64
}

// A StatsReporter gives a component's own figures to introspection (see
// Core.SetStatsReporter).
type StatsReporter interface {
	// ReportStats returns the figures now. It is called from whichever
	// goroutine takes a snapshot, so it must be safe for concurrent use,
	// quick, and must not block. The Counters it returns belong to the
	// caller.
	ReportStats() Stats
}

// SetStatsReporter makes r the source of the component's own figures:
// ComponentInfo.Stats reports what r returns when a snapshot is taken,
// and nothing else calls it, so it costs nothing on the delivery path.
// nil removes it. Storing a pointer in r allocates nothing.
//
// SetStatsReporter is safe for concurrent use.
func (c *Core) SetStatsReporter(r StatsReporter) {
	c.mu.Lock()
	c.stats = r
	c.mu.Unlock()
}

// reportStats returns the figures of the component's reporter, or nil
// if it has none.
func (c *Core) reportStats() *Stats {
	c.mu.Lock()
	r := c.stats
	c.mu.Unlock()
	if r == nil {
		return nil
	}
	st := r.ReportStats()
	return &st
}
