// Package backplane is Kamaelia's Backplane: named publish/subscribe
// inside one process. Anything sent to a PublishTo reaches every
// SubscribeTo of the same name, the way Kamaelia programs fan one source
// out to many connections (a chat room, a live feed) where a link could
// only join one outbox to one inbox.
//
//	bp := backplane.New("chat")                   // Backplane("chat")
//	pub := backplane.NewPublishTo("chat")          // PublishTo("chat")
//	sub := backplane.NewSubscribeTo("chat",        // SubscribeTo("chat")
//		backplane.NotFrom(pub),                    // not the lines pub sent
//		backplane.QueueLimit(axon.Limit{Messages: 1000}))
//
// A Backplane registers itself in the service registry of its
// component (axon.Registry) under ServiceName(name), as Kamaelia's did
// with its Coordinating Assistant Tracker; a PublishTo or SubscribeTo
// looks the name up in its own registry when it starts. Start the
// Backplane first: its first step registers the name before its
// Activate returns.
//
// # Slow subscribers
//
// Publishing never waits for a subscriber. Each SubscribeTo has a bounded
// queue of its own (DefaultQueueLimit unless QueueLimit says otherwise)
// between the backplane and its "outbox"; it sends from that queue at the
// pace of whatever its outbox feeds. When a message arrives for a full
// queue, the subscriber's policy decides (OnFull):
//
//   - Disconnect (the default): the subscriber is cut off. Its queue is
//     discarded, and it ends with an error matching ErrSlowSubscriber,
//     sent in a ProducerFinished on its "signal" (a connection wired to it
//     then closes). Nothing is lost without someone hearing of it.
//   - DropOldest: the oldest queued message is dropped to make room. The
//     subscriber sees a gap and carries on.
//
// Either way the publisher and the other subscribers go on at their own
// pace. Drops and disconnects are counted: see Backplane.Stats and
// SubscribeTo.Stats, whose counts every snapshot of the registry shows
// as well (axon.Stats.Counters), so the live view of package introspect
// has them.
//
// # Order and sharing
//
// Every subscriber sees the messages in the same order: the order in
// which the backplane accepted them, whoever published them. Messages are
// any values and are not copied: every subscriber gets the same value, so
// treat what arrives as read-only (a []byte published to many connections
// is written by each of them, never changed).
//
// # How this differs from Kamaelia
//
// Kamaelia's Backplane was a PlugSplitter, whose unbounded inboxes let
// one slow subscriber grow the process without limit; here each
// subscriber's queue is bounded and its policy is explicit. Kamaelia
// registered two services, Backplane_I_<name> (the splitter's inbox) and
// Backplane_O_<name> (its configuration inbox, for subscribing); here
// there is one, Backplane_I_<name>, naming the backplane's "inbox", and
// a SubscribeTo attaches to the backplane it finds there directly.
// SubscribeTo can skip the messages of one PublishTo (NotFrom), which a
// Kamaelia chat server had to do with a filter of its own.
package backplane
