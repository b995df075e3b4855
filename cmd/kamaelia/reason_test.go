package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/kamaelia-go/kamaelia/internet"
)

func TestFailureKind(t *testing.T) {
	t.Parallel()
	op := func(err error) error {
		return fmt.Errorf("tcpclient: %w", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", err)})
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{op(syscall.ECONNREFUSED), "connection refused"},
		{op(syscall.ECONNRESET), "connection reset"},
		{op(syscall.EPIPE), "connection reset"},
		{op(syscall.ENOTCONN), "connection reset"},
		{op(os.ErrDeadlineExceeded), "timed out"},
		{fmt.Errorf("dial: %w", context.DeadlineExceeded), "timed out"},
		{fmt.Errorf("close: %w (%w)", internet.ErrLinger, os.ErrDeadlineExceeded), "timed out closing the connection"},
		{fmt.Errorf("%w for 1m0s (%w)", internet.ErrIdleTimeout, os.ErrDeadlineExceeded), "timed out: the connection stalled"},
		{fmt.Errorf("handshake: %w", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), "TLS failure"},
		{fmt.Errorf("handshake: %w", tls.AlertError(42)), "TLS failure"},
		{errors.New("internet: TLS client handshake: tls: first record does not look like a TLS handshake"), "TLS failure"},
		{fmt.Errorf("dial: %w", &net.DNSError{Err: "no such host", Name: "nowhere.invalid", IsNotFound: true}), "host not found"},
		{op(syscall.EHOSTUNREACH), "unreachable"},
		{fmt.Errorf("%w: it answered %q", errStartTLSRefused, "NO"), "TLS failure"},
		{errors.New("something else"), "connection failed"},
	} {
		if got := failureKind(tc.err); got != tc.want {
			t.Errorf("failureKind(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestReason(t *testing.T) {
	t.Parallel()
	dial := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9},
		Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"folded onto one line, the kind said once", errors.Join(syscall.ECONNRESET, errors.New("second\nthird")),
			"connection reset by peer; second; third"},
		{"a dial's own error, without the layers", fmt.Errorf("tcpclient: connect to 127.0.0.1:9: %w", dial),
			"dial tcp 127.0.0.1:9: connect: connection refused"},
		{"the kind first when the error does not say it", fmt.Errorf("handshake: %w", tls.AlertError(42)),
			"TLS failure: handshake: tls: bad certificate"},
	} {
		if got := reason(tc.err); got != tc.want {
			t.Errorf("%s: reason = %q, want %q", tc.name, got, tc.want)
		}
	}
}
