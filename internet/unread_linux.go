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
