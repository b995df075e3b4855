// Package socktest holds what tests need to make a peer that stops
// reading felt soon: kernel socket buffers set small before a connection
// is made (so that the window TCP advertises is small from the start).
package socktest

import "syscall"

// Buffers returns a net.Dialer Control function that sets a socket's
// kernel receive buffer to rcv bytes and its send buffer to snd bytes
// before it connects; 0 leaves that buffer at the kernel's default. Where
// the system offers no such setting (not unix), both stay at the
// defaults, and a test only sends more before TCP pushes back. It is
// safe for concurrent use.
func Buffers(rcv, snd int) func(network, address string, c syscall.RawConn) error {
	return func(_, _ string, c syscall.RawConn) error {
		var err error
		if cerr := c.Control(func(fd uintptr) { err = setBuffers(fd, rcv, snd) }); cerr != nil {
			return cerr
		}
		return err
	}
}
