//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package internet

import "errors"

var errSockopt = errors.New("internet: socket options not supported on this platform")

func setListenOptions(fd uintptr, cfg config) error {
	if cfg.reusePort || !cfg.reuseAddr {
		return errSockopt
	}
	return nil
}

func relisten(fd uintptr, backlog int) error { return errSockopt }
