// Package components holds Kamaelia's everyday components: OneShot and
// TriggeredOneShot, ConsoleReader (lines) and ChunkReader (bytes, as
// they are), ConsoleEchoer, PromptedFileReader, RateController
// (Kamaelia's ByteRate_RequestControl) and RateControlledFileReader;
// the protocol handlers Echo and LineHandler; and the parts that
// services are built from:
//
//   - framing: LineFramer and LineDeframer (lines, "\n" or "\r\n"),
//     LengthFramer and LengthDeframer (length-prefixed frames, Kamaelia's
//     Framer and DeFramer idea), MarkerFramer and MarkerDeframer (frames
//     ended by a marker byte, with escaping: Kamaelia's DataChunker and
//     DataDeChunker idea). A deframer given input that breaks its
//     framing, or a frame over its maximum size, ends with the error, so
//     a connection wired to it closes;
//   - fan-out: PlugSplitter and Plug (destinations added and removed at
//     run time) and Fanout (a fixed set of named outboxes), both
//     lossless, so the slowest destination sets the pace (the backplane
//     package has fan-out with a bounded queue per subscriber instead);
//   - StreamForwarder, which joins two byte streams both ways with
//     back-pressure and half-close carried across: a TCP proxy's heart.
//
// # Conventions
//
// Every component here follows Kamaelia's shutdown habits (so they
// compose in a chassis.Pipeline, whose children pass "signal" to the
// next child's "control"):
//
//   - A shutdown request on "control" (axon.IsShutdownRequest: the
//     producerFinished or shutdownMicroprocess families) ends the
//     component, which first passes that same message on out of
//     "signal", so an error it carries survives the trip.
//   - Any other message on "control" (an axon.ErrorInformation from the
//     component before it in a pipeline, say) is passed on out of
//     "signal" unchanged, and the component carries on. Reports
//     therefore travel to the end of a pipeline instead of stopping in
//     the middle.
//   - A component that ends by itself (end of input, say) sends a fresh
//     axon.ProducerFinished{Caller: it} on "signal"; if it ended because
//     of an error, Err carries that error, and the component's own Err
//     is the same error.
//   - A message of a type a box does not take is reported as an
//     axon.ErrorInformation on "signal" (its Err is an *axon.BoxError
//     naming the component and box and wrapping ErrUnexpectedMessage)
//     and dropped; the component carries on.
//   - A component that is stopped (its Stop method, or the end of the
//     context it was activated with) ends at once without sending
//     anything, and its Err matches the context's error (errors.Is).
//
// Components that never block are reactive (axon.NewReactive) and hold
// no goroutine while idle; those that do blocking I/O run a goroutine
// body (axon.New).
package components
