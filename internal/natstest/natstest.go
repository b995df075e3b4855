// Package natstest runs a NATS server inside a test's process (the
// nats-server module, as a library), so tests of the NATS backplane need
// no server installed and no process started.
package natstest

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server is a NATS server on 127.0.0.1 and a port the kernel chose.
type Server struct {
	*server.Server
}

// Start starts a server, with the options configure sets on top of the
// defaults (127.0.0.1, a free port, no logging), and stops it when the
// test ends. It fails the test if the server does not start.
func Start(t testing.TB, configure ...func(*server.Options)) *Server {
	t.Helper()
	opts := &server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true}
	for _, c := range configure {
		c(opts)
	}
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	srv := &Server{Server: s}
	t.Cleanup(srv.Stop)
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("the NATS server did not start")
	}
	return srv
}

// URL returns the server's client URL: nats://127.0.0.1:port.
func (s *Server) URL() string { return s.ClientURL() }

// Addr returns the host:port clients connect to.
func (s *Server) Addr() string {
	a := s.Server.Addr().(*net.TCPAddr)
	return net.JoinHostPort(a.IP.String(), strconv.Itoa(a.Port))
}

// Stop shuts the server down, closing every client connection, and
// waits until it has. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.Shutdown()
	s.WaitForShutdown()
}
