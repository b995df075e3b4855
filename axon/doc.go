// Package axon is the component model of kamaelia-go: Kamaelia's Axon
// rebuilt on goroutines.
//
// # Components and boxes
//
// A component is a small, independent piece of a system that talks to
// the rest only through named boxes: inboxes it reads and outboxes it
// writes. By default every component has the inboxes "inbox" (data) and
// "control" (requests to stop) and the outboxes "outbox" (data) and
// "signal" (its own stop notices); it may declare others, each with a
// one-line description that introspection shows. A component does not
// know who is linked to its boxes, so it can be tested alone and rewired
// freely.
//
// In Go a component is a value that embeds a *Core (or is one). New
// builds a Core whose Body runs in its own goroutine, the Go form of
// Kamaelia's generator main. NewReactive builds a Core with no
// goroutine of its own: its Step runs whenever a message arrives, in a
// goroutine that is already running. Reactive steps run one at a time,
// never one inside another: a send from outside any step runs the
// receiver's step in the sender's goroutine (a body's own send starts
// it on a goroutine of its own instead), and a send from a step queues
// the receiver to run in the same goroutine once that step returns (see
// NewReactive). Either kind receives with Messages and sends with Send:
//
//	for box, msg := range c.Messages(ctx) {
//		if err := c.Send(ctx, "outbox", msg); err != nil {
//			return err
//		}
//	}
//	return ctx.Err()
//
// In a body the loop waits for messages and ends when the component is
// stopped; in a step it takes what is queued, and the step returns to
// wait for more. (Next, Recv, Drain and Wait are the parts it is made
// of, for the rare component that needs them: one that must also wake
// on Wake, say.) An idle reactive component costs only its memory, which
// is what lets a server hold many idle connections cheaply; a component
// that blocks belongs in New (or in a helper goroutine started with Go).
//
// Activate starts a component in the background and Run starts it and
// waits for it. A component may add children: they start with it, each
// child's end wakes it, and it is not Done until they are. Stopping it,
// or its failing, stops the children it started, and theirs, down to
// idle reactive ones; so does the end of the context the tree was
// activated with. RemoveChild sets a child free: it no longer ends with
// its former parent. When a body ends, its last messages are delivered
// while its links still exist; then the links it made are removed and
// its inboxes closed.
//
// # Links and delivery
//
// Link joins a source box to a destination box. There are Kamaelia's
// three kinds: outbox to inbox (Normal), a parent's inbox to a child's
// inbox (Inward, "passthrough 1") and a child's outbox to its parent's
// outbox (Outward, "passthrough 2"). Chains are resolved when links
// change, so a Send goes straight into the final inbox of the chain, in
// the sender's goroutine, however many passthrough hops the chain has.
// When a passthrough link is made, messages already queued in the source
// inbox move to the new destination in order: data sent to a component
// before its internal wiring exists is not lost. Many sources may feed
// one box (fan-in); one box feeding two is an error at link time, as is a
// box name that does not exist. A link belongs to the component that made
// it; the package-level Link makes links that belong to nobody.
//
// # Bounded boxes and back-pressure
//
// Every inbox has a Limit (DefaultInboxLimit unless declared, or set by
// the link that feeds it with Width). Send to a full inbox waits for
// room or for the sender's context to end; TrySend returns an error
// matching ErrBoxFull instead. A slow consumer therefore slows its
// producers, all the way back to a socket, instead of letting queues
// grow. A message sent to an outbox that leads nowhere is dropped and
// counted, as in Kamaelia.
//
// A reactive step that waits for room hands whatever was queued to run
// after it (the receiver, perhaps) to a goroutine of its own first, so
// the wait never depends on work stuck behind it. Some waits could never
// end: a step's send into its own inbox, or one that would close a cycle
// of steps each waiting for room in the next one's inbox. Send lets such
// a message in past the limit (counted as overflow) rather than
// deadlock. It knows a step's send by the context the step passes (the
// one it was given, or one derived from it). Other cycles, through body
// components or helpers, are as with channels: components in a loop
// that each send more than they take can fill every box in the loop and
// wait on each other for ever. Give such a loop an Unbounded box, or use
// TrySend where a message may be shed.
//
// # Messages
//
// Messages are plain Go values. Kamaelia's shutdown vocabulary is typed,
// and families matter: a message that embeds ProducerFinished (package
// internet's SocketShutdown, say) is a ProducerFinished, and one that
// embeds ShutdownMicroprocess a ShutdownMicroprocess; test them with
// IsProducerFinished and IsShutdownMicroprocess, and read their cause
// with Cause. This package knows nothing of sockets: the socket messages
// live with the sockets, in package internet. Messages carry errors that
// wrap their cause, so errors.Is works on what a component reports.
//
// Each message is numbered as it arrives, so Messages (and Next) return
// messages in arrival order across boxes: a component sees the data sent
// before a producerFinished before the producerFinished.
//
// # Failures, services, handles, introspection
//
// A panic in a body or step is recovered: the component ends with a
// *PanicError (with the stack), which Run returns and its parent can read
// with Err; a ProducerFinished carrying it goes out of the component's
// "signal"; siblings keep running (a chassis, though, stops its other
// children when one fails: see package chassis). A panic in a helper
// started with Go fails the component the same way, except that nothing
// is sent for it on "signal".
//
// A Registry is Kamaelia's Coordinating Assistant Tracker: it maps
// service names to inboxes, and it tracks the live components so that
// Snapshot can list them with their boxes, queue depths, counters, drops
// and links, and who is blocked on what. DefaultRegistry serves the
// process; NewContext and WithRegistry give a part of a program (or a
// test) its own. SetGroup marks components that belong together (one
// connection's adapter and handler), and SetStatsReporter gives a
// component figures of its own (bytes read and written) for the snapshot
// to report; package introspect draws a snapshot live in a browser.
//
// A Handle lets plain Go code drive a component: Put into its inboxes,
// Get from its outboxes, Wait for it to end.
//
// # How a component ends
//
// Each way a component can end or be stopped, and the Err it then ends
// with: what Run returns and what its parent reads with Err. The rows
// assume that a body or step that finds its context done returns the
// context's error, as the components of this module do. axon itself
// sends one thing on a component's "signal": the ProducerFinished that
// reports a panic of its body or step; everything else there is the
// component's own. Each group names the test that backs its rows;
// packages built on axon add a group for their components.
//
//	axon: TestHowComponentsEnd, one case per row, named like it
//	body returns nil               nil
//	step returns ErrStop           nil
//	body returns an error          that error; its context's cause is it too
//	step returns an error          that error
//	body panics                    *PanicError (value, stack); sent on signal
//	step panics                    *PanicError; sent on signal
//	helper panics                  *PanicError, whatever the body returns after
//	Stop                           context.Canceled
//	Stop, reactive                 context.Canceled: the step is called once more
//	activation context cancelled   the context's error: context.Canceled
//	activation context deadline    context.DeadlineExceeded
//	parent stopped                 context.Canceled
//	parent fails                   context.Canceled; context.Cause gives the
//	                               parent's error
//	parent ends normally           nothing yet: the child runs until it ends
//	                               or is stopped
//
//	chassis (Pipeline, Graphline): the tests named on each row
//	stopped                        context.Canceled; nothing sent on signal
//	                               (TestPipelineStop, TestGraphlineStop)
//	a child fails                  the failures joined, each naming its child;
//	                               one terminal message on signal
//	                               (TestPipelineEndsWhenAChildFails,
//	                               TestGraphlineEndsWhenAChildFails)
//	all children end normally      nil (TestPipelinePassesThroughAndCascadesShutdown,
//	                               TestGraphlineSignalsItsEnd)
//
// # Guarantees
//
// What a user may rely on, each point with the tests that back it.
//
//   - Receiving: Messages yields messages in arrival order across
//     boxes; in a body it waits for more and ends when its context does,
//     in a step it ends when nothing is left (TestMessagesInABody,
//     TestMessagesInAStep, TestMessagesBreakLeavesTheRest).
//   - Ordering: messages from one sender reach a box in the order they
//     were sent, across passthrough links and while links are made
//     (TestQueuedMessagesMoveOnPassthroughLink,
//     TestInwardLinkWhileSendingKeepsOrder), and Next returns messages in
//     arrival order across boxes (TestNextFollowsArrivalOrderAcrossBoxes,
//     TestPassthroughKeepsArrivalOrderAcrossBoxes). A body's last
//     messages are delivered before its links are removed
//     (TestFinalMessagesSentBeforeLinksRemoved).
//   - Nothing lost silently: a message sent where nobody takes it (an
//     unlinked outbox, a component that has ended) is dropped and
//     counted, and the sender does not wait
//     (TestUnlinkedOutboxDropsAndCounts,
//     TestSendToEndedComponentIsDroppedNotBlocked).
//   - Bounded boxes: an inbox holds DefaultInboxLimit messages unless
//     told otherwise (TestDefaultLimitIs64, TestByteLimit,
//     TestLinkWidthSetsDestinationLimit); Send waits for room and ends
//     when its context does (TestSendWaitsForRoom,
//     TestCancelUnblocksSend); a step that waits leaves nothing waiting
//     behind it, and its receiver's limit holds
//     (TestNothingWaitsBehindAWaitingStep,
//     TestStepWaitsForAReceiverQueuedBehindIt); a cycle of reactive
//     steps cannot deadlock (TestReactiveCycleWithFullBoxesDoesNotDeadlock).
//   - One terminal signal from axon: it sends on a component's "signal"
//     only the report of a panic in its body or step, once, and nothing
//     for a component that merely wraps a child's panic
//     (TestHowComponentsEnd, TestWrappedPanicSendsNothingOnSignal).
//   - Causes: a component that fails cancels its context with its error
//     as the cause, and its children's with it (TestHowComponentsEnd,
//     "body returns an error" and "parent fails"); errors wrap their
//     cause, so errors.Is works (TestLinkErrors).
//   - What a stop returns: see the table above (TestHowComponentsEnd).
//     Err is nil while the body or step runs (TestErrIsNilWhileRunning).
//   - Stops reach the whole tree: stopping or failing a component, or
//     ending its activation context, ends every descendant it started,
//     idle reactive ones included, even after it has finished itself
//     (TestCancellationWakesIdleReactiveDescendants,
//     TestCancellationReachesChildrenOfFinishedParent). A component is
//     Done only when its helpers and children are
//     (TestParentDoneWaitsForChildren, TestGoHelperKeepsComponentAlive).
//     A removed child keeps running (TestRemovedChildKeepsRunning,
//     TestRemovedChildEndsWithTheTreesContext); an adopted one keeps its
//     own context (TestAdoptedChildKeepsItsOwnContext).
//   - Panics: a panic ends one component, with a *PanicError that holds
//     the stack; its siblings keep running
//     (TestPanicBecomesErrorWithStack,
//     TestPanicIsReportedToParentAndSpareSiblings,
//     TestPanicInHelperFailsComponent).
//   - Introspection: Snapshot and Info may be called at any time from any
//     goroutine, while components block, unblock, link and end; a
//     component shown blocked names a box one of its sends waits on, and
//     only a waiting sender is shown blocked
//     (TestSnapshotWhileComponentsBlockLinkAndEnd,
//     TestBlockedNamesTheWaitingSender).
//   - Concurrency: Core and Handle methods are safe for concurrent use
//     (TestHandleConcurrentUse, and every test above under -race).
//
// # How this differs from Kamaelia
//
// Components run in parallel on goroutines instead of one cooperative
// scheduler; a full box makes Send wait instead of raising noSpaceInBox;
// inboxes are bounded by default; Recv on a passthrough inbox never
// steals the child's messages; a panic ends one component, not the
// process; and a message delivered to a component that has ended is
// dropped and counted instead of lost in a dead queue.
package axon
