package main

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/kamaelia-go/kamaelia/internet"
)

// reason turns the cause a TCPClient signalled into one line for a
// person: what kind of failure it was, then the error itself, unless the
// error says the kind already. A failure to connect is the dial's own
// error, without the layers that wrapped it.
func reason(err error) string {
	msg := err.Error()
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		msg = op.Error()
	}
	msg = oneLine(msg)
	kind := failureKind(err)
	if strings.Contains(strings.ToLower(msg), kind) {
		return msg
	}
	return kind + ": " + msg
}

// failureKind names the kind of a connection failure.
func failureKind(err error) string {
	var dns *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ENOTCONN): // a reset seen by a later shutdown(2)
		return "connection reset"
	case errors.Is(err, internet.ErrLinger):
		return "timed out closing the connection"
	case errors.Is(err, internet.ErrIdleTimeout):
		return "timed out: the connection stalled"
	case isTimeout(err):
		return "timed out"
	case isTLSError(err), errors.Is(err, errStartTLSRefused), errors.Is(err, errClosedBeforeTLS):
		return "TLS failure"
	case errors.As(err, &dns):
		return "host not found"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "unreachable"
	}
	return "connection failed"
}

// isTimeout reports whether err is a timeout: a deadline passed while
// connecting, reading, writing or in a handshake.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// oneLine folds a message onto one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}
