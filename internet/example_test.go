package internet_test

import (
	"context"
	"fmt"
	"io"
	"net"

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
