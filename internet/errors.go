package internet

import "errors"

// Sentinel errors. Errors from this package wrap one of these or the
// cause from the operating system, TLS or the context, so callers test
// them with errors.Is: errors.Is(err, syscall.ECONNREFUSED) works on what
// a TCPClient signals.
var (
	// ErrBadMessage means a message of a type the box does not take
	// arrived on it, such as an int on a CSA's "inbox".
	ErrBadMessage = errors.New("internet: unsupported message type")

	// ErrLinger means a flush or drain did not finish before the linger
	// deadline. It is joined with os.ErrDeadlineExceeded.
	ErrLinger = errors.New("internet: linger deadline passed")

	// ErrNoTLSConfig means makessl arrived at an adapter that was given
	// no TLS configuration.
	ErrNoTLSConfig = errors.New("internet: makessl without a TLS configuration")

	// ErrAlreadyTLS means makessl arrived at an adapter that already
	// speaks TLS.
	ErrAlreadyTLS = errors.New("internet: connection is already TLS")

	// ErrWriteClosed means data arrived for a connection whose sending
	// side was already finished; it was not sent.
	ErrWriteClosed = errors.New("internet: data after the sending side finished")

	// ErrShutdown means a component was told to shut down before it had
	// a connection (a TCPClient still connecting).
	ErrShutdown = errors.New("internet: shut down before connecting")

	// ErrIdleTimeout is the cause given to a ServerCore handler when its
	// connection was closed for being idle too long (see IdleTimeout).
	ErrIdleTimeout = errors.New("internet: connection idle too long")

	// ErrConnectionsCut means a graceful shutdown ran out of time and
	// closed connections that had not finished.
	ErrConnectionsCut = errors.New("internet: connections cut off at shutdown")

	// ErrHandler wraps the error of a protocol handler that failed or
	// panicked, as reported for its connection.
	ErrHandler = errors.New("internet: protocol handler failed")
)
