// Package natstest runs a NATS server inside a test's process (the
// nats-server module, as a library), so tests of the NATS backplane need
// no server installed and no process started.
package natstest

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
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

// Operator is a NATS operator with one account and a user of it, for a
// server that takes credentials files: give Serve to Start, and the
// user's Creds (the contents of a credentials file) to the client.
type Operator struct {
	claims *jwt.OperatorClaims
	accPub string
	accJWT string
	Creds  []byte // the user's credentials file
}

// NewOperator makes an operator, its account and its user, with keys of
// their own.
func NewOperator(t testing.TB) *Operator {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	okp, err := nkeys.CreateOperator()
	must(err)
	opub, err := okp.PublicKey()
	must(err)
	oc := jwt.NewOperatorClaims(opub)
	_, err = oc.Encode(okp)
	must(err)
	akp, err := nkeys.CreateAccount()
	must(err)
	apub, err := akp.PublicKey()
	must(err)
	ajwt, err := jwt.NewAccountClaims(apub).Encode(okp)
	must(err)
	ukp, err := nkeys.CreateUser()
	must(err)
	upub, err := ukp.PublicKey()
	must(err)
	ujwt, err := jwt.NewUserClaims(upub).Encode(akp)
	must(err)
	seed, err := ukp.Seed()
	must(err)
	creds, err := jwt.FormatUserConfig(ujwt, seed)
	must(err)
	return &Operator{claims: oc, accPub: apub, accJWT: ajwt, Creds: creds}
}

// Serve configures a server to trust the operator, for Start.
func (o *Operator) Serve(opts *server.Options) {
	r := &server.MemAccResolver{}
	if err := r.Store(o.accPub, o.accJWT); err != nil {
		panic(err)
	}
	opts.TrustedOperators = []*jwt.OperatorClaims{o.claims}
	opts.AccountResolver = r
}
