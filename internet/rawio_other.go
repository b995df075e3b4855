//go:build !unix

package internet

import "errors"

const rawIOSupported = false

var errNoRawIO = errors.New("internet: raw I/O not supported on this platform")

func readFD(fd uintptr, p []byte) (int, error) { return 0, errNoRawIO }

const maxIovecs = 1024

type iovec struct{}

func shutdownFD(fd uintptr) {}

func writeFD(fd uintptr, b []byte) (int, error) { return 0, errNoRawIO }

func writevFD(fd uintptr, bufs [][]byte, iov []iovec) (int, error) { return 0, errNoRawIO }

func isAgain(err error) bool { return false }
