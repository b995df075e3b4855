//go:build unix

package socktest

import "syscall"

func setBuffers(fd uintptr, rcv, snd int) error {
	if rcv > 0 {
		if err := syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcv); err != nil {
			return err
		}
	}
	if snd > 0 {
		return syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, snd)
	}
	return nil
}
