//go:build linux && !386

package internet

import (
	"syscall"
	"unsafe"
)

// tcpInq is the TCP_INQ socket option, and the type of the control
// message it adds to each read: how many bytes the socket still holds.
const tcpInq = 36

// inqSupported says the reader can learn, with each read, whether the
// socket holds more (see CSA.rawRead).
const inqSupported = true

// enableInq turns TCP_INQ on. It returns false if the socket does not
// have it (it is not TCP, or the kernel predates Linux 4.18).
func enableInq(fd uintptr) bool {
	return syscall.SetsockoptInt(int(fd), syscall.SOL_TCP, tcpInq, 1) == nil
}

// readInq reads once from a non-blocking TCP socket with TCP_INQ on,
// retrying EINTR. inq is what the kernel says is left to read: a count
// of bytes, 1 if there are none but the peer has closed its side (so
// 0 means the read emptied the socket), or -1 if it did not say.
func readInq(fd uintptr, p []byte) (n, inq int, err error) {
	var ctl [4]uint64 // one control message with an int: 24 bytes, aligned
	iov := syscall.Iovec{Base: &p[0]}
	iov.SetLen(len(p))
	msg := syscall.Msghdr{Iov: &iov, Iovlen: 1, Control: (*byte)(unsafe.Pointer(&ctl[0]))}
	msg.SetControllen(len(ctl) * 8)
	for {
		r, _, e := syscall.Syscall(syscall.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&msg)), 0)
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return 0, -1, e
		}
		inq = -1
		if msg.Controllen >= syscall.SizeofCmsghdr+4 {
			h := (*syscall.Cmsghdr)(unsafe.Pointer(&ctl[0]))
			if h.Level == syscall.SOL_TCP && h.Type == tcpInq {
				inq = int(*(*int32)(unsafe.Pointer(&ctl[2])))
			}
		}
		return int(r), inq, nil
	}
}
