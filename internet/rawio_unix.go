//go:build unix

package internet

import (
	"syscall"
	"unsafe"
)

// rawIOSupported says readFD and writevFD work on this platform, so a
// plain TCP adapter can wait for readability without holding a buffer
// and write without blocking.
const rawIOSupported = true

// readFD reads once from a non-blocking descriptor, retrying EINTR.
func readFD(fd uintptr, p []byte) (int, error) {
	for {
		n, err := syscall.Read(int(fd), p)
		if err != syscall.EINTR {
			return n, err
		}
	}
}

// shutdownFD shuts both directions of a socket down, so that the peer
// sees the end and a write waiting on the socket fails at once.
func shutdownFD(fd uintptr) { _ = syscall.Shutdown(int(fd), syscall.SHUT_RDWR) }

// writeFD writes b with one write call on a non-blocking descriptor and
// returns how many bytes the kernel took.
func writeFD(fd uintptr, b []byte) (int, error) {
	for {
		n, err := syscall.Write(int(fd), b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		return n, nil
	}
}

type iovec = syscall.Iovec

// maxIovecs bounds one writev call (IOV_MAX is 1024 on Linux and the
// BSDs).
const maxIovecs = 1024

// writevFD writes bufs with one writev call on a non-blocking descriptor
// and returns how many bytes the kernel took. iov is scratch space.
func writevFD(fd uintptr, bufs [][]byte, iov []iovec) (int, error) {
	iov = iov[:0]
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		if len(iov) == maxIovecs {
			break
		}
		v := iovec{Base: &b[0]}
		v.SetLen(len(b))
		iov = append(iov, v)
	}
	if len(iov) == 0 {
		return 0, nil
	}
	for {
		n, _, errno := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			return 0, errno
		}
		return int(n), nil
	}
}

func isAgain(err error) bool { return err == syscall.EAGAIN || err == syscall.EWOULDBLOCK }
