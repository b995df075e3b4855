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

// readyFD reports, without waiting, whether a read of the socket would
// find something (data, the peer's close or an error) and whether a
// write would be taken.
func readyFD(fd uintptr) (readable, writable bool) {
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN | unix.POLLOUT}}
	if n, err := unix.Poll(pfd, 0); err != nil || n == 0 {
		return false, false
	}
	ev := pfd[0].Revents
	return ev&(unix.POLLIN|unix.POLLHUP|unix.POLLERR) != 0, ev&unix.POLLOUT != 0
}
