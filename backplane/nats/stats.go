package nats

import (
	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/backplane"
)

// Stats are a NATS backplane's counters. Each is read on its own, so a
// picture of a busy backplane is not one instant.
type Stats struct {
	// Stats are those of the backplane in this process, as the
	// in-process one counts them, leaving out the subscriber that
	// takes what is published here to NATS: Subscribers are this
	// process's subscribers; Published counts messages published
	// here, from this process and from the others; Dropped and
	// Disconnected count what this process's subscribers lost.
	backplane.Stats

	Sent     uint64 // messages published here and handed to NATS
	Received uint64 // messages from other processes, published here
	Echoes   uint64 // this backplane's own messages that NATS handed back, skipped
	// Unsent counts messages published here that did not reach NATS:
	// refused by the NATS client (its reconnect buffer full, the
	// connection closed for good, a message larger than the server
	// takes), not []byte or string, or dropped while waiting for the
	// client because it could not keep up.
	Unsent uint64
	// Lost counts messages from other processes that the NATS client
	// dropped because they arrived faster than they were published here
	// (a slow consumer, in NATS's words).
	Lost uint64
	// Disconnects counts the times the connection to NATS was lost,
	// each once the loss has been logged; Reconnects the times it was
	// made again, each once the server had the subscription again and
	// the recovery had been logged.
	Disconnects uint64
	Reconnects  uint64
	Connected   bool // connected to NATS now
}

// Stats returns the backplane's counters. Snapshots of the registry show
// them too, as the backplane's axon.Stats.Counters (the in-process
// backplane inside it and its subscribers report their own). It is safe
// for concurrent use.
func (b *Backplane) Stats() Stats {
	st := Stats{Stats: b.room.Stats()}
	bridge := b.out.Stats()
	if st.Subscribers > 0 && b.out.Activated() && !b.out.Finished() {
		st.Subscribers-- // the bridge
	}
	st.Dropped -= min(st.Dropped, bridge.Dropped)
	b.countLost()
	st.Sent, st.Received, st.Echoes = b.sent.Load(), b.received.Load(), b.echoes.Load()
	st.Unsent, st.Lost = b.unsent.Load()+bridge.Dropped, b.lost.Load()
	st.Disconnects, st.Reconnects = b.disconnects.Load(), b.reconnects.Load()
	st.Connected = b.nc.IsConnected()
	return st
}

// report gives a NATS backplane's counts to introspection.
type report Backplane

func (r *report) ReportStats() axon.Stats {
	st := (*Backplane)(r).Stats()
	return axon.Stats{Remote: r.url, Counters: []axon.Counter{
		{Name: "sent", Value: st.Sent},
		{Name: "received", Value: st.Received},
		{Name: "echoes", Value: st.Echoes},
		{Name: "unsent", Value: st.Unsent},
		{Name: "lost", Value: st.Lost},
		{Name: "disconnects", Value: st.Disconnects},
		{Name: "reconnects", Value: st.Reconnects},
	}}
}
