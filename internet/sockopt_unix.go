//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package internet

import (
	"os"
	"syscall"
)

func setListenOptions(fd uintptr, cfg config) error {
	reuse := 0
	if cfg.reuseAddr {
		reuse = 1
	}
	if err := syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, reuse); err != nil {
		return os.NewSyscallError("setsockopt SO_REUSEADDR", err)
	}
	if cfg.reusePort {
		if err := syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soReusePort, 1); err != nil {
			return os.NewSyscallError("setsockopt SO_REUSEPORT", err)
		}
	}
	return nil
}

func relisten(fd uintptr, backlog int) error {
	return os.NewSyscallError("listen", syscall.Listen(int(fd), backlog))
}
