// Package chassis holds components that hold other components: Pipeline,
// which wires its children in a line, and Graphline, which wires named
// children as a linkage map says. They are Kamaelia's chassis, built on
// the axon package.
//
// A chassis makes the links between its children when it is built, so a
// wiring mistake (a box a child does not have, a name that is not among
// the children) is an error from the constructor that names the
// component and the box, not a surprise at run time. The chassis owns
// those links: they are removed when it ends. Its children start when it
// starts, and it ends when all of them have ended; its Err then reports
// the children that failed.
//
// Both chassis are reactive (see axon.NewReactive): an idle chassis holds
// no goroutine. Its step runs when a child ends or, for Graphline, when a
// message reaches one of its own inboxes that is not passed through to a
// child.
//
// A chassis that is stopped (Stop, or the end of its activation context)
// stops its children and ends with the context's error, without sending
// anything on its "signal".
package chassis
