package axon

import "net"

// The messages of Kamaelia's vocabulary (Axon.Ipc and Kamaelia.IPC) as
// Go types. Receivers test a message's family, not its exact type, as
// Kamaelia's isinstance checks did: SocketShutdown is a kind of
// ProducerFinished, and ServerShutdown a kind of ShutdownMicroprocess.
//
//	ProducerFinished family:     ProducerFinished, SocketShutdown
//	ShutdownMicroprocess family: ShutdownMicroprocess, ServerShutdown
//	Notify family:               Notify, NewCSA, ShutdownCSA
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

// SocketShutdown says a socket has closed (on a CSA's "CreatorFeedback")
// or that the peer has finished sending (on a CSA's "peerFinished"). It
// is a ProducerFinished: Err carries the cause, nil for a clean close.
type SocketShutdown struct {
	ProducerFinished
	Conn net.Conn // the socket, if known
}

// ServerShutdown asks a server to stop listening. It is a
// ShutdownMicroprocess.
type ServerShutdown struct {
	ShutdownMicroprocess
}

// NewCSA announces a new connection: TCPServer sends it on
// "protocolHandlerSignal" with the (not yet activated) adapter.
type NewCSA struct {
	Notify
	CSA  Component // the ConnectedSocketAdapter for the connection
	Conn net.Conn  // its socket
}

// ShutdownCSA says a connection's adapter has ended: TCPServer sends it
// on "protocolHandlerSignal" and the adapter on its own "signal".
type ShutdownCSA struct {
	Notify
	CSA  Component // the adapter that ended
	Conn net.Conn  // its socket
	Err  error     // why the connection ended: nil for a clean close
}

type producerFinishedFamily interface{ producerFinished() }
type shutdownMicroprocessFamily interface{ shutdownMicroprocess() }
type notifyFamily interface{ notify() }

// IsProducerFinished reports whether msg is a ProducerFinished or a kind
// of one (such as SocketShutdown), by value or pointer.
func IsProducerFinished(msg any) bool { _, ok := msg.(producerFinishedFamily); return ok }

// IsShutdownMicroprocess reports whether msg is a ShutdownMicroprocess
// or a kind of one (such as ServerShutdown), by value or pointer.
func IsShutdownMicroprocess(msg any) bool { _, ok := msg.(shutdownMicroprocessFamily); return ok }

// IsNotify reports whether msg is a Notify or a kind of one (NewCSA,
// ShutdownCSA).
func IsNotify(msg any) bool { _, ok := msg.(notifyFamily); return ok }

// IsShutdownRequest reports whether msg asks a component to stop: a
// member of the ProducerFinished or ShutdownMicroprocess family.
func IsShutdownRequest(msg any) bool { return IsProducerFinished(msg) || IsShutdownMicroprocess(msg) }

// Cause returns the error a message carries: the Err of a
// ProducerFinished-family message, ErrorInformation or ShutdownCSA, and
// nil otherwise.
func Cause(msg any) error {
	switch m := msg.(type) {
	case ProducerFinished:
		return m.Err
	case *ProducerFinished:
		return m.Err
	case SocketShutdown:
		return m.Err
	case *SocketShutdown:
		return m.Err
	case ErrorInformation:
		return m.Err
	case *ErrorInformation:
		return m.Err
	case ShutdownCSA:
		return m.Err
	case *ShutdownCSA:
		return m.Err
	}
	if e, ok := msg.(interface{ Cause() error }); ok {
		return e.Cause()
	}
	return nil
}
