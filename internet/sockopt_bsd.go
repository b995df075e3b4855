//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package internet

import "syscall"

const soReusePort = syscall.SO_REUSEPORT
