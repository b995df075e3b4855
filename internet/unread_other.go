//go:build !linux

package internet

// unreadFD returns -1: this platform does not say how many bytes a
// socket holds unread (see the Linux version).
func unreadFD(fd uintptr) int { return -1 }

// peerCountsFD reports that it cannot tell: on this platform the clocks
// count only the progress the adapter has seen (see the Linux version).
func peerCountsFD(fd uintptr) (peerCounts, bool) { return peerCounts{}, false }
