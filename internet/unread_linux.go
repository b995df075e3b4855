//go:build linux

package internet

import "golang.org/x/sys/unix"

// unreadFD returns how many bytes a socket holds that have not been
// read, or -1 if it cannot tell.
func unreadFD(fd uintptr) int {
	n, err := unix.IoctlGetInt(int(fd), unix.SIOCINQ)
	if err != nil {
		return -1
	}
	return n
}

// receivedFD returns how many bytes the kernel has received from the
// peer of a TCP socket (TCP_INFO), and whether it could tell.
func receivedFD(fd uintptr) (uint64, bool) {
	info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return 0, false
	}
	return info.Bytes_received, true
}

// writableFD reports, without waiting, whether the socket has room for a
// write (as much as wakes a writer waiting for room).
func writableFD(fd uintptr) bool {
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
	n, err := unix.Poll(pfd, 0)
	return err == nil && n == 1 && pfd[0].Revents&unix.POLLOUT != 0
}
