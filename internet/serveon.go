package internet

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// ServeOn makes a server accept on ln, a listener the caller made,
// instead of opening its own: a socket inherited from systemd's socket
// activation (through net.FileListener), one a test opened, or a
// listener of the caller's that wraps another. ln's address must be TCP
// (its Addr a *net.TCPAddr), and it is the server's address; the
// connections it accepts need only be net.Conns (without the TCP
// socket's CloseWrite and SetLinger, a half-close and a reset close them
// as a plain Close does).
//
// The constructor's port must then be 0, and the options of a listening
// socket (Host, Backlog, ReuseAddress, ReusePort, KeepAlive) must not be
// given, since the caller set the socket up: either is a constructor
// error, as is a nil ln or more than one ServeOn.
//
// The server owns ln from the constructor on: it closes ln when it stops
// listening (a shutdown or a stop), and the constructor closes it if it
// fails, as http.Server.Serve does.
func ServeOn(ln net.Listener) ServingOption {
	return ServingOption{func(c *config) {
		c.serveOn = true
		c.given = append(c.given, ln)
	}}
}

// listen returns the server's listener: one opened on port, or the one
// given with ServeOn.
func (c *config) listen(port int) (net.Listener, error) {
	if !c.serveOn {
		return listenTCP(*c, port)
	}
	if err := c.checkServeOn(port); err != nil {
		c.closeGiven()
		return nil, err
	}
	return c.given[0], nil
}

// checkServeOn reports an error if the listener given with ServeOn
// cannot be served on as it is given.
func (c *config) checkServeOn(port int) error {
	ln := c.given[0]
	switch {
	case len(c.given) > 1:
		return fmt.Errorf("internet: ServeOn given %d times; a server has one listener", len(c.given))
	case ln == nil:
		return errors.New("internet: ServeOn(nil): no listener")
	case port != 0:
		return fmt.Errorf("internet: ServeOn: port %d given too; the listener's address is the server's (pass port 0)", port)
	case len(c.listenOpts) > 0:
		return fmt.Errorf("internet: ServeOn: %s set up a listening socket, and the listener given is set up already", strings.Join(c.listenOpts, ", "))
	}
	if _, ok := ln.Addr().(*net.TCPAddr); !ok {
		return fmt.Errorf("internet: ServeOn: a %s listener (%v); a server needs TCP", ln.Addr().Network(), ln.Addr())
	}
	return nil
}

// closeGiven closes the listeners given with ServeOn, for a constructor
// that fails.
func (c *config) closeGiven() {
	for _, ln := range c.given {
		if ln != nil {
			ln.Close()
		}
	}
}
