package axon

// The messages of Kamaelia's vocabulary (Axon.Ipc) as Go types.
// Receivers test a message's family, not its exact type, as Kamaelia's
// isinstance checks did. A message joins a family by embedding the
// family's head: package internet's SocketShutdown embeds
// ProducerFinished and is a kind of it, its ServerShutdown embeds
// ShutdownMicroprocess, and its NewCSANotice and ShutdownCSA embed
// Notify.
//
//	ProducerFinished family:     ProducerFinished and what embeds it
//	ShutdownMicroprocess family: ShutdownMicroprocess and what embeds it
//	Notify family:               Notify and what embeds it
//
// Use IsProducerFinished, IsShutdownMicroprocess and IsNotify for the
// families, and IsShutdownRequest for "either of the first two", which
// is what most components stop on. Messages may be sent as values or as
// pointers; the predicates accept both.

// ProducerFinished says "I will produce no more": the receiver should
// finish what it has queued and then stop, usually forwarding the
// message (or its own) out of its "signal" outbox.
type ProducerFinished struct {
	Caller  Component // who finished; may be nil
	Message any       // free-form detail, as in Kamaelia
	Err     error     // why it finished: nil for a normal end
}

func (ProducerFinished) producerFinished() {}

func (m ProducerFinished) cause() error { return m.Err }

// ShutdownMicroprocess asks the receiver to stop as soon as it can.
type ShutdownMicroprocess struct {
	Caller  Component // who asks; may be nil
	Message any       // free-form detail
}

func (ShutdownMicroprocess) shutdownMicroprocess() {}

// Shutdown is Axon's legacy stop request. It is deliberately not in the
// ShutdownMicroprocess family, as in Kamaelia.
type Shutdown struct{}

// Notify is a generic event notification.
type Notify struct {
	Caller Component
	Object any
}

func (Notify) notify() {}

// Status is a generic status report.
type Status struct {
	Status any
}

// ErrorInformation reports an error that did not end the sender, such as
// a message of the wrong type arriving in a box. Err wraps the cause.
type ErrorInformation struct {
	Caller  Component
	Err     error
	Message any // the message that caused it, if any
}

func (m ErrorInformation) cause() error { return m.Err }

type producerFinishedFamily interface{ producerFinished() }
type shutdownMicroprocessFamily interface{ shutdownMicroprocess() }
type notifyFamily interface{ notify() }

// IsProducerFinished reports whether msg is a ProducerFinished or a kind
// of one (a type that embeds it, such as internet.SocketShutdown), by
// value or pointer.
func IsProducerFinished(msg any) bool { _, ok := msg.(producerFinishedFamily); return ok }

// IsShutdownMicroprocess reports whether msg is a ShutdownMicroprocess
// or a kind of one (a type that embeds it, such as
// internet.ServerShutdown), by value or pointer.
func IsShutdownMicroprocess(msg any) bool { _, ok := msg.(shutdownMicroprocessFamily); return ok }

// IsNotify reports whether msg is a Notify or a kind of one (a type
// that embeds it, such as internet.ShutdownCSA).
func IsNotify(msg any) bool { _, ok := msg.(notifyFamily); return ok }

// IsShutdownRequest reports whether msg asks a component to stop: a
// member of the ProducerFinished or ShutdownMicroprocess family.
func IsShutdownRequest(msg any) bool { return IsProducerFinished(msg) || IsShutdownMicroprocess(msg) }

// Cause returns the error a message carries: the Err of a message of
// the ProducerFinished family or an ErrorInformation, what the message's
// own Cause method returns if it has one (internet.ShutdownCSA does),
// and nil otherwise.
func Cause(msg any) error {
	switch m := msg.(type) {
	case interface{ cause() error }:
		return m.cause()
	case interface{ Cause() error }:
		return m.Cause()
	}
	return nil
}
