//go:build !linux

package internet

// unreadFD returns -1: this platform does not say how many bytes a
// socket holds unread (see the Linux version).
func unreadFD(fd uintptr) int { return -1 }

// readyFD reports neither: on this platform the clocks trust only the
// progress the adapter has seen (see the Linux version).
func readyFD(fd uintptr) (readable, writable bool) { return false, false }
