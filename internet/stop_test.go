package internet_test

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internet"
)

// ending waits for c to end and returns the Err of its one terminal
// message on "signal" (a ShutdownCSA for a CSA, else a ProducerFinished
// of its own) and its own Err, what Run returns. It fails the test
// unless exactly one terminal message came.
func ending(t *testing.T, ctx context.Context, c axon.Component, h *axon.Handle) (term, own error) {
	t.Helper()
	select {
	case <-h.Done():
	case <-ctx.Done():
		t.Fatalf("%s did not end", c.Name())
	}
	var terms []error
	for {
		m, ok := h.TryGet("signal")
		if !ok {
			break
		}
		switch m := m.(type) {
		case internet.ShutdownCSA:
			terms = append(terms, m.Err)
		case axon.ProducerFinished:
			if m.Caller == c {
				terms = append(terms, m.Err)
			}
		}
	}
	if len(terms) != 1 {
		t.Fatalf("%s sent %d terminal messages on signal (%v); want exactly one", c.Name(), len(terms), terms)
	}
	return terms[0], axon.CoreOf(c).Err()
}

// stopRow is one row of the stop table in the package documentation:
// run makes a component, stops it that way, and returns how it ended.
type stopRow struct {
	name string
	run  func(t *testing.T, ctx context.Context) (term, own error)
	want func(error) bool
}

func isNil(err error) bool { return err == nil }

func matches(targets ...error) func(error) bool {
	return func(err error) bool {
		for _, target := range targets {
			if !errors.Is(err, target) {
				return false
			}
		}
		return true
	}
}

// TestStopTable backs each row of the package documentation's stop
// table: each way a component can be stopped, and the Err it ends with,
// which is both its terminal message's Err and its own (Run's).
func TestStopTable(t *testing.T) {
	t.Parallel()
	rows := []stopRow{}
	rows = append(rows, csaStopRows()...)
	rows = append(rows, clientStopRows()...)
	rows = append(rows, serverStopRows()...)
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			ctx, _ := testCtx(t)
			term, own := row.run(t, ctx)
			if !row.want(term) {
				t.Errorf("the terminal message's Err = %v", term)
			}
			if !row.want(own) {
				t.Errorf("the component's Err = %v", own)
			}
		})
	}
}

// csaRow runs a CSA over a loopback connection whose peer is peer, and
// stops it with stop.
func csaRow(name string, stop func(t *testing.T, ctx context.Context, h *axon.Handle, csa *internet.CSA, peer *net.TCPConn), want func(error) bool) stopRow {
	return stopRow{name, func(t *testing.T, ctx context.Context) (error, error) {
		peer, ours := tcpPair(t)
		csa := internet.NewCSA(ours)
		h := axontest.Handle(t, csa)
		activate(t, ctx, csa)
		stop(t, ctx, h, csa, peer)
		return ending(t, ctx, csa, h)
	}, want}
}

func csaStopRows() []stopRow {
	return []stopRow{
		csaRow("CSA/producerFinished, then the peer finishes", func(t *testing.T, ctx context.Context, h *axon.Handle, _ *internet.CSA, peer *net.TCPConn) {
			axontest.Put(t, ctx, h, "control", axon.ProducerFinished{})
			readAll(t, ctx, peer)
			peer.CloseWrite()
		}, isNil),
		csaRow("CSA/shutdownMicroprocess", func(t *testing.T, ctx context.Context, h *axon.Handle, _ *internet.CSA, _ *net.TCPConn) {
			axontest.Put(t, ctx, h, "control", axon.ShutdownMicroprocess{})
		}, isNil),
		csaRow("CSA/Reset", func(t *testing.T, ctx context.Context, h *axon.Handle, _ *internet.CSA, _ *net.TCPConn) {
			axontest.Put(t, ctx, h, "control", internet.Reset{})
		}, matches(internet.ErrReset)),
		csaRow("CSA/Stop", func(_ *testing.T, _ context.Context, _ *axon.Handle, csa *internet.CSA, _ *net.TCPConn) {
			csa.Stop()
		}, matches(context.Canceled)),
		csaRow("CSA/the connection fails", func(_ *testing.T, _ context.Context, _ *axon.Handle, _ *internet.CSA, peer *net.TCPConn) {
			peer.SetLinger(0)
			peer.Close()
		}, matches(syscall.ECONNRESET)),
	}
}

// clientRow runs a TCPClient against a listener and stops it with stop;
// accepted is the server's end of the connection, nil if the client is
// stopped before it connects (Delay).
func clientRow(name string, connected bool, stop func(t *testing.T, ctx context.Context, h *axon.Handle, c *internet.TCPClient, accepted net.Conn), want func(error) bool) stopRow {
	return stopRow{name, func(t *testing.T, ctx context.Context) (error, error) {
		ln, port := listener(t)
		var opts []internet.TCPClientOption
		if !connected {
			opts = append(opts, internet.Delay(time.Hour))
		}
		c := internet.NewTCPClient("127.0.0.1", port, opts...)
		h := axontest.Handle(t, c)
		activate(t, ctx, c)
		var conn net.Conn
		if connected {
			var err error
			if conn, err = ln.Accept(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() })
			// Connected once the adapter exists.
			eventually(t, ctx, "the adapter", func() bool { return c.CSA() != nil })
		}
		stop(t, ctx, h, c, conn)
		return ending(t, ctx, c, h)
	}, want}
}

func clientStopRows() []stopRow {
	put := func(msg any) func(t *testing.T, ctx context.Context, h *axon.Handle, _ *internet.TCPClient, _ net.Conn) {
		return func(t *testing.T, ctx context.Context, h *axon.Handle, _ *internet.TCPClient, _ net.Conn) {
			axontest.Put(t, ctx, h, "control", msg)
		}
	}
	stop := func(_ *testing.T, _ context.Context, _ *axon.Handle, c *internet.TCPClient, _ net.Conn) { c.Stop() }
	return []stopRow{
		clientRow("TCPClient/shutdownMicroprocess before connecting", false, put(axon.ShutdownMicroprocess{}), matches(internet.ErrShutdown)),
		clientRow("TCPClient/Reset before connecting", false, put(internet.Reset{}), matches(internet.ErrShutdown)),
		clientRow("TCPClient/Stop before connecting", false, stop, matches(context.Canceled)),
		{"TCPClient/the connect fails", func(t *testing.T, ctx context.Context) (error, error) {
			ln, port := listener(t)
			ln.Close()
			c := internet.NewTCPClient("127.0.0.1", port)
			h := axontest.Handle(t, c)
			activate(t, ctx, c)
			return ending(t, ctx, c, h)
		}, matches(syscall.ECONNREFUSED)},
		clientRow("TCPClient/producerFinished, then the server finishes", true, func(t *testing.T, ctx context.Context, h *axon.Handle, _ *internet.TCPClient, conn net.Conn) {
			axontest.Put(t, ctx, h, "control", axon.ProducerFinished{})
			readAll(t, ctx, conn)
			conn.(*net.TCPConn).CloseWrite()
		}, isNil),
		clientRow("TCPClient/shutdownMicroprocess", true, put(axon.ShutdownMicroprocess{}), isNil),
		clientRow("TCPClient/Reset", true, put(internet.Reset{}), matches(internet.ErrReset)),
		clientRow("TCPClient/Stop", true, stop, matches(context.Canceled)),
		clientRow("TCPClient/the server finishes", true, func(_ *testing.T, _ context.Context, _ *axon.Handle, _ *internet.TCPClient, conn net.Conn) {
			conn.(*net.TCPConn).CloseWrite()
		}, isNil),
		clientRow("TCPClient/the connection fails", true, func(_ *testing.T, _ context.Context, _ *axon.Handle, _ *internet.TCPClient, conn net.Conn) {
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		}, matches(syscall.ECONNRESET)),
	}
}

// server is what the server rows need of a server.
type server interface {
	axon.Component
	Addr() *net.TCPAddr
	Shutdown(context.Context) error
}

// serverRow runs a server (made by start) with one client connected
// that neither sends nor finishes unless finish, and stops it with stop.
func serverRow(name string, start func(t *testing.T, ctx context.Context) (server, *axon.Handle), finish bool,
	stop func(t *testing.T, ctx context.Context, srv server, h *axon.Handle), want func(error) bool) stopRow {
	return stopRow{name, func(t *testing.T, ctx context.Context) (error, error) {
		srv, h := start(t, ctx)
		c := dialCore(t, srv)
		echoOnce(t, c, "connected")
		if finish {
			c.CloseWrite()
		} else {
			// The client keeps its connection busy, well inside a
			// drain's quiet second, so that only the stop can end it
			// however late the stop comes on a busy machine.
			go func() {
				tick := time.NewTicker(100 * time.Millisecond)
				defer tick.Stop()
				for range tick.C {
					if _, err := c.Write([]byte("x")); err != nil {
						return
					}
				}
			}()
		}
		stop(t, ctx, srv, h)
		return ending(t, ctx, srv, h)
	}, want}
}

// Servers whose clients are echoed.
func startTCPServerRow(t *testing.T, ctx context.Context) (server, *axon.Handle) {
	srv, err := internet.NewTCPServer(0, internet.Host("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	w := newWirer(nil)
	link(t, axon.Out(srv, "protocolHandlerSignal"), axon.In(w, "inbox"))
	h := axontest.Handle(t, srv)
	activate(t, ctx, w, srv)
	t.Cleanup(func() { srv.Stop(); w.Stop(); <-srv.Done(); <-w.Done() })
	return srv, h
}

func startServerCoreRow(t *testing.T, ctx context.Context) (server, *axon.Handle) {
	srv, err := internet.NewServerCore(echoFactory, 0, internet.Host("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	h := axontest.Handle(t, srv)
	activate(t, ctx, srv)
	t.Cleanup(func() { srv.Stop(); <-srv.Done() })
	return srv, h
}

func startSingleServerRow(t *testing.T, ctx context.Context) (server, *axon.Handle) {
	srv, err := internet.NewSingleServer(0, internet.Host("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	// Echo what the client sends: "outbox" back to "inbox".
	echo := components.NewEcho()
	link(t, axon.Out(srv, "outbox"), axon.In(echo, "inbox"))
	link(t, axon.Out(echo, "outbox"), axon.In(srv, "inbox"))
	h := axontest.Handle(t, srv)
	activate(t, ctx, echo, srv)
	t.Cleanup(func() { srv.Stop(); echo.Stop(); <-srv.Done(); <-echo.Done() })
	return srv, h
}

func serverStopRows() []stopRow {
	shutdown := func(grace time.Duration, want error) func(t *testing.T, ctx context.Context, srv server, _ *axon.Handle) {
		return func(t *testing.T, ctx context.Context, srv server, _ *axon.Handle) {
			sctx, cancel := context.WithTimeout(ctx, grace)
			defer cancel()
			if err := srv.Shutdown(sctx); !errors.Is(err, want) && (want != nil || err != nil) {
				t.Errorf("Shutdown = %v; want %v", err, want)
			}
		}
	}
	request := func(t *testing.T, ctx context.Context, _ server, h *axon.Handle) {
		axontest.Put(t, ctx, h, "control", internet.ServerShutdown{})
	}
	stop := func(_ *testing.T, _ context.Context, srv server, _ *axon.Handle) { axon.CoreOf(srv).Stop() }
	var rows []stopRow
	for _, s := range []struct {
		name  string
		start func(t *testing.T, ctx context.Context) (server, *axon.Handle)
		// owns: stopping the server resets its connections (a bare
		// TCPServer's adapters belong to whoever wired them).
		owns bool
	}{
		{"TCPServer", startTCPServerRow, false},
		{"ServerCore", startServerCoreRow, true},
		{"SingleServer", startSingleServerRow, true},
	} {
		stopped := matches(context.Canceled)
		if s.owns {
			stopped = matches(context.Canceled, internet.ErrConnectionsCut)
		}
		rows = append(rows,
			serverRow(s.name+"/Shutdown, and the clients finish", s.start, true, shutdown(20*time.Second, nil), isNil),
			serverRow(s.name+"/Shutdown, and the grace runs out", s.start, false, shutdown(100*time.Millisecond, internet.ErrConnectionsCut), matches(internet.ErrConnectionsCut)),
			serverRow(s.name+"/a shutdown request on control, and the clients finish", s.start, true, request, isNil),
			serverRow(s.name+"/Stop", s.start, false, stop, stopped),
		)
	}
	return rows
}
