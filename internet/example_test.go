package internet_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internet"
)

// A complete echo server: every connection gets an Echo handler.
func ExampleNewSimpleServer() {
	ctx := context.Background()
	srv, err := internet.NewSimpleServer(func() axon.Component { return components.NewEcho() }, 0,
		internet.Host("127.0.0.1"))
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = srv.Activate(ctx)
	defer srv.Shutdown(ctx)

	// A client: send, half-close, read the echo to the end.
	conn, _ := net.DialTCP("tcp", nil, srv.Addr())
	conn.Write([]byte("hello, kamaelia"))
	conn.CloseWrite()
	reply, _ := io.ReadAll(conn)
	conn.Close()
	fmt.Printf("%s\n", reply)
	// Output: hello, kamaelia
}

// A line-oriented protocol: the handler sees whole lines, whatever the
// chunks the connection delivers.
func ExampleNewServerCore() {
	ctx := context.Background()
	greet := func(info internet.ConnInfo) (axon.Component, error) {
		return components.NewLineHandler(func(line []byte) ([]byte, error) {
			return fmt.Appendf(nil, "hello %s, from %s\n", line, info.PeerHost), nil
		}), nil
	}
	srv, err := internet.NewServerCore(greet, 0, internet.Host("127.0.0.1"))
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = srv.Activate(ctx)
	defer srv.Shutdown(ctx)

	conn, _ := net.DialTCP("tcp", nil, srv.Addr())
	conn.Write([]byte("wor"))
	conn.Write([]byte("ld\n"))
	conn.CloseWrite()
	reply, _ := io.ReadAll(conn)
	conn.Close()
	fmt.Print(string(reply))
	// Output: hello world, from 127.0.0.1
}

// A graceful shutdown: the server stops listening, tells every handler
// with a ShutdownBegun, and serves each connection until its client
// finishes. This handler echoes, and says goodbye and finishes when it
// hears of the shutdown; one that ignored the notice would go on echoing
// until its client finished or the grace ran out.
func ExampleServerCore_Shutdown() {
	ctx := context.Background()
	polite := func(internet.ConnInfo) (axon.Component, error) {
		return axon.NewReactive("polite", func(ctx context.Context, c *axon.Core) error {
			for box, msg, ok := c.Next(); ok; box, msg, ok = c.Next() {
				if _, ok := msg.(internet.ShutdownBegun); ok {
					_ = c.Send(ctx, "outbox", []byte("server going away, bye\n"))
					_ = c.Send(ctx, "signal", axon.ProducerFinished{})
					return axon.ErrStop
				}
				if box == "inbox" {
					_ = c.Send(ctx, "outbox", msg)
				} else if axon.IsShutdownRequest(msg) { // the client has finished
					_ = c.Send(ctx, "signal", msg)
					return axon.ErrStop
				}
			}
			return ctx.Err()
		}), nil
	}
	srv, err := internet.NewServerCore(polite, 0, internet.Host("127.0.0.1"))
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = srv.Activate(ctx)

	conn, _ := net.DialTCP("tcp", nil, srv.Addr())
	conn.Write([]byte("hello\n"))
	echo := make([]byte, 6)
	io.ReadFull(conn, echo)

	shut := make(chan error, 1)
	go func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		shut <- srv.Shutdown(sctx)
	}()
	rest, _ := io.ReadAll(conn) // the goodbye, then the server's end
	conn.Close()
	fmt.Printf("%s%s", echo, rest)
	fmt.Println("connections cut off:", <-shut != nil)
	// Output:
	// hello
	// server going away, bye
	// connections cut off: false
}

// A server's counters, for monitoring: here one client is served and
// one refused by a limit of one connection. After Shutdown every
// connection has ended, so the byte counts are final. (The introspect
// package serves these as Prometheus metrics.)
func ExampleServerCore_Stats() {
	ctx := context.Background()
	echo := func(internet.ConnInfo) (axon.Component, error) { return components.NewEcho(), nil }
	srv, err := internet.NewServerCore(echo, 0, internet.Host("127.0.0.1"), internet.MaxConnections(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = srv.Activate(ctx)

	served, _ := net.DialTCP("tcp", nil, srv.Addr())
	served.Write([]byte("hello\n"))
	io.ReadFull(served, make([]byte, 6))
	refused, _ := net.DialTCP("tcp", nil, srv.Addr())
	io.ReadAll(refused) // closed at once: the one slot is taken
	refused.Close()
	served.CloseWrite()
	io.ReadAll(served) // the server has echoed everything and closed
	served.Close()
	_ = srv.Shutdown(ctx)

	st := srv.Stats()
	fmt.Println("accepted:", st.Accepted, "refused:", st.Refused)
	fmt.Println("bytes read:", st.BytesRead, "written:", st.BytesWritten)
	// Output:
	// accepted: 2 refused: 1
	// bytes read: 6 written: 6
}

// A client for an address in the form net.Dial takes.
func ExampleNewTCPClientAddr() {
	ctx := context.Background()
	srv, err := internet.NewSimpleServer(func() axon.Component { return components.NewEcho() }, 0,
		internet.Host("127.0.0.1"))
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = srv.Activate(ctx)
	defer srv.Shutdown(ctx)

	client, err := internet.NewTCPClientAddr(srv.Addr().String(), internet.ConnectTimeout(5*time.Second))
	if err != nil {
		fmt.Println(err)
		return
	}
	h, _ := axon.NewHandle(client)
	defer h.Close()
	_ = client.Activate(ctx)
	_ = h.Put(ctx, "inbox", "hello")
	var reply []byte
	for len(reply) < len("hello") {
		m, _ := h.Get(ctx, "outbox")
		reply = append(reply, m.([]byte)...)
	}
	fmt.Printf("%s\n", reply)
	_ = h.Put(ctx, "control", axon.ShutdownMicroprocess{})
	<-client.Done()

	_, err = internet.NewTCPClientAddr("example.org")
	fmt.Println(err)
	// Output:
	// hello
	// internet: NewTCPClientAddr: address example.org: missing port in address
}

// A server on a listener the program made: here one a test might open;
// under systemd's socket activation, net.FileListener(os.NewFile(3,
// "socket")). The server closes it when it shuts down.
func ExampleServeOn() {
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	srv, err := internet.NewSimpleServer(func() axon.Component { return components.NewEcho() }, 0,
		internet.ServeOn(ln))
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = srv.Activate(ctx)
	defer srv.Shutdown(ctx)

	conn, _ := net.Dial("tcp", ln.Addr().String())
	conn.Write([]byte("served on the caller's listener"))
	conn.(*net.TCPConn).CloseWrite()
	reply, _ := io.ReadAll(conn)
	conn.Close()
	fmt.Printf("%s; the server's address is the listener's: %v\n", reply, srv.Addr().String() == ln.Addr().String())
	// Output: served on the caller's listener; the server's address is the listener's: true
}

// A hook that hears of every connection a server serves: here it
// prints them; a program would count them, or log them.
func ExampleOnConnState() {
	ctx := context.Background()
	events := make(chan internet.ConnEvent, 2)
	srv, err := internet.NewSimpleServer(func() axon.Component { return components.NewEcho() }, 0,
		internet.Host("127.0.0.1"),
		internet.OnConnState(func(ev internet.ConnEvent) { events <- ev }))
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = srv.Activate(ctx)
	defer srv.Shutdown(ctx)

	conn, _ := net.DialTCP("tcp", nil, srv.Addr())
	conn.Write([]byte("hello"))
	conn.CloseWrite()
	io.ReadAll(conn)
	conn.Close()
	for range 2 {
		ev := <-events
		fmt.Println(ev.State, ev.Info.PeerHost, ev.Err)
	}
	// Output:
	// accepted 127.0.0.1 <nil>
	// closed 127.0.0.1 <nil>
}
