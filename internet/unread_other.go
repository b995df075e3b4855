//go:build !linux

package internet

// unreadFD returns -1: this platform does not say how many bytes a
// socket holds unread (see the Linux version).
func unreadFD(fd uintptr) int { return -1 }
