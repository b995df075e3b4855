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

	// ErrLinger means a flush or drain made no progress for the linger
	// (or went past LingerCap). It is joined with os.ErrDeadlineExceeded.
	ErrLinger = errors.New("internet: linger ran out")

	// ErrNoTLSConfig means makessl arrived at an adapter that was given
	// no TLS configuration, or a server constructor was given a TLS
	// server configuration it cannot serve with (nil, or one without a
	// certificate).
	ErrNoTLSConfig = errors.New("internet: no TLS configuration")

	// ErrAlreadyTLS means makessl arrived at an adapter that already
	// speaks TLS.
	ErrAlreadyTLS = errors.New("internet: connection is already TLS")

	// ErrWriteClosed means data arrived for a connection whose sending
	// side was already finished; it was not sent.
	ErrWriteClosed = errors.New("internet: data after the sending side finished")

	// ErrShutdown means a component was told to shut down (or reset)
	// before it had a connection (a TCPClient still connecting).
	ErrShutdown = errors.New("internet: shut down before connecting")

	// ErrIdleTimeout means a connection made no progress for its
	// IdleTimeout and was reset. It is joined with os.ErrDeadlineExceeded.
	ErrIdleTimeout = errors.New("internet: no progress")

	// ErrConnectionsCut means a graceful shutdown ran out of time and
	// reset connections that had not finished; it is also the cause each
	// of them ends with.
	ErrConnectionsCut = errors.New("internet: connections cut off at shutdown")

	// ErrReset is the cause of a connection reset on request (CSA.Reset,
	// or a Reset message without an Err of its own).
	ErrReset = errors.New("internet: connection reset")

	// ErrHandler wraps the error of a protocol handler that failed or
	// panicked, or of a Factory that could not make one, as reported for
	// its connection.
	ErrHandler = errors.New("internet: protocol handler failed")

	// errNotServed is the cause of a connection accepted and then
	// dropped before it was served (the server was stopping).
	errNotServed = errors.New("internet: connection dropped before it was served")
)
