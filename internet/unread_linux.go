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

// peerCountsFD returns what the kernel has counted of the peer's
// progress on a TCP socket (TCP_INFO), and whether it could tell.
func peerCountsFD(fd uintptr) (peerCounts, bool) {
	info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return peerCounts{}, false
	}
	return peerCounts{received: info.Bytes_received, acked: info.Bytes_acked}, true
}
