//go:build !linux

package internet

// unreadFD returns -1: this platform does not say how many bytes a
// socket holds unread (see the Linux version).
func unreadFD(fd uintptr) int { return -1 }

// receivedFD reports that it cannot tell: on this platform the clocks
// count only the progress the adapter has seen (see the Linux version).
func receivedFD(fd uintptr) (uint64, bool) { return 0, false }

// writableFD reports false: on this platform the clocks count only the
// progress the adapter has seen (see the Linux version).
func writableFD(fd uintptr) bool { return false }
