package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internet"
	"github.com/kamaelia-go/kamaelia/introspect"
	"github.com/spf13/pflag"
)

// debugFlags are serve's --debug-addr and --debug-token: the live view
// of the server (package introspect) on an address of its own.
type debugFlags struct {
	addr, token string
}

// addDebugFlags declares the flags on fs.
func addDebugFlags(fs *pflag.FlagSet) *debugFlags {
	d := &debugFlags{}
	fs.StringVar(&d.addr, "debug-addr", "", "serve the live graph, metrics and profiles on this `address` (off unless given; \":6060\" is 127.0.0.1:6060)")
	fs.StringVar(&d.token, "debug-token", "", "require this `token` on every --debug-addr request (needed off loopback; default $KAMAELIA_DEBUG_TOKEN)")
	return d
}

// check completes and checks the flags; it returns what is wrong, or "".
// An address without a host is on 127.0.0.1; any other address that is
// not loopback needs a token, since the pages show the server's
// internals and pprof can profile it.
func (d *debugFlags) check(e *env) string {
	if d.addr == "" {
		if d.token != "" {
			return "--debug-token needs --debug-addr"
		}
		return ""
	}
	if d.token == "" {
		d.token = e.getenv("KAMAELIA_DEBUG_TOKEN")
	}
	host, port, err := net.SplitHostPort(d.addr)
	if err != nil {
		return fmt.Sprintf("bad --debug-addr %q: want host:port or :port", d.addr)
	}
	if _, err := parsePort(port, true); err != nil {
		return fmt.Sprintf("bad --debug-addr %q: %v", d.addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
		d.addr = net.JoinHostPort(host, port)
	}
	if !isLoopback(host) && d.token == "" {
		return fmt.Sprintf("--debug-addr %s is not a loopback address: give --debug-token too (the pages show the server's internals)", d.addr)
	}
	return ""
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// debugServer serves the live view. Its methods do nothing on a nil
// debugServer (no --debug-addr).
type debugServer struct {
	ln    net.Listener
	token string
	reg   *axon.Registry // the registry of the served components
	log   *slog.Logger
	h     *introspect.Handler
	srv   *http.Server
	done  chan struct{} // closed when Serve has returned; nil before serve
}

// listen opens the debug address, or returns nil if there is none.
func (d *debugFlags) listen(log *slog.Logger) (*debugServer, error) {
	if d.addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", d.addr)
	if err != nil {
		return nil, fmt.Errorf("debug: %w", err)
	}
	host, _, _ := net.SplitHostPort(d.addr)
	if !isLoopback(host) {
		log.Warn("debug: serving the live view off loopback; the pages show the server's internals and pprof can profile it, so keep the token secret", "addr", ln.Addr().String())
	}
	return &debugServer{ln: ln, token: d.token, reg: axon.NewRegistry(), log: log}, nil
}

// context returns ctx carrying the registry the live view shows: the
// server is activated with it.
func (s *debugServer) context(ctx context.Context) context.Context {
	if s == nil {
		return ctx
	}
	return axon.NewContext(ctx, s.reg)
}

// serve prints the "DEBUG http://host:port/" line and serves the live
// view of srv until close.
func (s *debugServer) serve(stdout io.Writer, srv *internet.ServerCore) {
	if s == nil {
		return
	}
	s.h = introspect.New(introspect.WithRegistry(s.reg), introspect.WithServers(srv), introspect.WithToken(s.token))
	s.srv = &http.Server{
		Handler:           s.h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.srv.RegisterOnShutdown(func() { _ = s.h.Close() })
	s.done = make(chan struct{})
	fmt.Fprintf(stdout, "DEBUG http://%s/\n", s.ln.Addr())
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("debug: serving stopped", "err", err)
		}
	}()
}

// close stops serving: the listener and every connection to it close.
func (s *debugServer) close() {
	if s == nil {
		return
	}
	if s.done == nil {
		_ = s.ln.Close()
		return
	}
	_ = s.h.Close()
	_ = s.srv.Close()
	<-s.done
}
