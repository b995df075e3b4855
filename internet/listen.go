package internet

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"syscall"
)

// ListenTCP opens a TCP listener the way TCPServer does, for code that
// wants the socket without the component. The options are those of a
// listening socket (ListenerOption): Host, Backlog, ReuseAddress,
// ReusePort, KeepAlive. Port 0 lets the kernel choose a free port; the
// listener's Addr reports it.
func ListenTCP(port int, opts ...ListenTCPOption) (*net.TCPListener, error) {
	return listenTCP(configOf(opts, ListenTCPOption.applyListenTCP), port)
}

func listenTCP(cfg config, port int) (*net.TCPListener, error) {
	addr := net.JoinHostPort(trimBrackets(cfg.host), strconv.Itoa(port))
	lc := net.ListenConfig{
		KeepAlive: cfg.keepAlive,
		Control: func(network, address string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) { serr = setListenOptions(fd, cfg) })
			if err != nil {
				return err
			}
			return serr
		},
	}
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("internet: %w", err) // "listen tcp addr: ..." says the rest
	}
	tl := ln.(*net.TCPListener)
	if cfg.backlog > 0 {
		if err := setBacklog(tl, cfg.backlog); err != nil {
			tl.Close()
			return nil, fmt.Errorf("internet: listen on %s: backlog %d: %w", addr, cfg.backlog, err)
		}
	}
	return tl, nil
}

// setBacklog listens again with the given backlog: on a socket that is
// already listening this only changes the queue length.
func setBacklog(ln *net.TCPListener, n int) error {
	rc, err := ln.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) { lerr = relisten(fd, n) }); err != nil {
		return err
	}
	return lerr
}
