package internet

import "github.com/kamaelia-go/kamaelia/axon"

// csaStats is a CSA seen as the reporter of its byte counters to
// introspection (axon.StatsReporter): a conversion, so reporting them
// allocates nothing per connection.
type csaStats CSA

// ReportStats returns the adapter's counters and its peer's address.
func (r *csaStats) ReportStats() axon.Stats {
	s := (*CSA)(r)
	st := axon.Stats{BytesIn: s.bytesIn.Load(), BytesOut: s.bytesOut.Load()}
	if a := s.base.RemoteAddr(); a != nil {
		st.Remote = a.String()
	}
	return st
}
