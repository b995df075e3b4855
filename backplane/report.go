package backplane

import "github.com/kamaelia-go/kamaelia/axon"

// backplaneReport gives a backplane's counts to introspection: each
// snapshot of the registry shows them (axon.Stats.Counters).
type backplaneReport Backplane

func (r *backplaneReport) ReportStats() axon.Stats {
	st := (*Backplane)(r).Stats()
	return axon.Stats{Counters: []axon.Counter{
		{Name: "published", Value: st.Published},
		{Name: "dropped", Value: st.Dropped},
		{Name: "disconnected", Value: st.Disconnected},
	}}
}

// subscriberReport gives a subscriber's counts to introspection.
type subscriberReport SubscribeTo

func (r *subscriberReport) ReportStats() axon.Stats {
	st := (*SubscribeTo)(r).Stats()
	var cut uint64
	if st.Disconnected {
		cut = 1
	}
	return axon.Stats{Counters: []axon.Counter{
		{Name: "delivered", Value: st.Delivered},
		{Name: "dropped", Value: st.Dropped},
		{Name: "disconnected", Value: cut},
	}}
}
