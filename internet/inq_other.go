//go:build !linux || 386

package internet

// inqSupported is false where the reader cannot learn with a read
// whether the socket holds more: it reads until EAGAIN before it waits.
const inqSupported = false

func enableInq(fd uintptr) bool { return false }

func readInq(fd uintptr, p []byte) (n, inq int, err error) {
	n, err = readFD(fd, p)
	return n, -1, err
}
