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
// starts, and it ends once all of them have ended.
//
// Both chassis are reactive (see axon.NewReactive): an idle chassis holds
// no goroutine. Its step runs when a child ends, when a child sends
// something to the chassis's own "signal", or, for Graphline, when a
// message reaches one of its own inboxes that is not passed through to a
// child.
//
// # Failures and stops
//
// When a child ends with an error (a panic included: see
// axon.PanicError), the chassis stops the children still running and,
// once all have ended, ends with the errors of the children that failed
// joined, each naming the child. The cancellation of the children it
// stopped is left out. Exactly one terminal message (a producerFinished
// or shutdownMicroprocess) goes out of its "signal": the one a child
// passed out there, if one did (for a Pipeline, its last child; for a
// Graphline, a child a linkage passes out to self's "signal"), and
// otherwise a ProducerFinished{Caller: the chassis, Err: its error}.
// So a line whose first child fails ends, rather than its other
// children waiting for a producerFinished that never comes.
//
// A chassis that is stopped (Stop, or the end of its activation context)
// stops its children and ends with the context's error, without sending
// anything on its "signal".
//
// # Guarantees
//
// Each point names the tests that back it.
//
//   - Wiring: a mistake is an error from the constructor naming the
//     component and box, and leaves no link behind and the children
//     free to use elsewhere (TestNewPipelineErrors,
//     TestNewGraphlineErrors). The chassis's links are gone once it has
//     ended (TestPipelinePassesThroughAndCascadesShutdown).
//   - Ordering: a Pipeline delivers its children's messages in the order
//     they were sent, and a producerFinished after the data sent before
//     it (TestPipelinePassesManyMessagesInOrder,
//     TestPipelinePassesThroughAndCascadesShutdown).
//   - End: a chassis ends once all its children have ended
//     (TestPipelinePassesThroughAndCascadesShutdown,
//     TestGraphlineSignalsItsEnd); like any parent it is not Done before
//     them (axon's TestParentDoneWaitsForChildren).
//   - A failing child ends the chassis: the others are stopped, and Err
//     joins the failures, each naming its child, without the
//     cancellations it caused (TestPipelineEndsWhenAChildFails,
//     TestGraphlineEndsWhenAChildFails, TestPipelineReportsChildFailures).
//   - One terminal signal: after a failure exactly one producerFinished
//     or shutdownMicroprocess goes out of "signal", and the chassis's own
//     carries the error as its cause (TestPipelineEndsWhenAChildFails,
//     TestGraphlineEndsWhenAChildFails). A Graphline that ends normally
//     with "signal" its own sends exactly one: the shutdown request it
//     was given, or a producerFinished (TestGraphlineSignalsItsEnd,
//     TestGraphlineBroadcastsControl).
//   - Panics: a child's panic is a failure like any other, reported
//     once (TestPipelineEndsWhenAChildFails, "first child panics").
//   - Stop: a stopped chassis stops its children, ends with the
//     context's error, and sends nothing on "signal" (TestPipelineStop,
//     TestGraphlineStop).
//   - Cost: an idle chassis holds no goroutine (TestIdlePipelineIsReactiveAndWaiting).
//
// How each kind of end shows in Err is listed, with axon's own, in the
// table "How a component ends" of the axon package.
package chassis
