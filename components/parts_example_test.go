package components_test

import (
	"context"
	"fmt"
	"io"
	"net"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/chassis"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internet"
)

// Lines out of chunks that split them anywhere, with their endings kept.
func ExampleNewLineDeframer() {
	ctx := context.Background()
	d := components.NewLineDeframer(components.KeepLineEnding())
	h, _ := axon.NewHandle(d)
	_ = d.Activate(ctx)
	for _, chunk := range []string{"hel", "lo\r\nwor", "ld\nand the rest"} {
		_ = h.Put(ctx, "inbox", []byte(chunk))
	}
	_ = h.Put(ctx, "control", axon.ProducerFinished{}) // the end of the stream
	for {
		line, err := h.Get(ctx, "outbox")
		if err != nil {
			break
		}
		fmt.Printf("%q\n", line)
	}
	// Output:
	// "hello\r\n"
	// "world\n"
	// "and the rest"
}

// Length-prefixed frames there and back: a LengthFramer and a
// LengthDeframer in a Pipeline, as the two ends of a connection would be.
func ExampleNewLengthFramer() {
	ctx := context.Background()
	p, _ := chassis.NewPipeline(components.NewLengthFramer(), components.NewLengthDeframer())
	h, _ := axon.NewHandle(p)
	_ = p.Activate(ctx)
	for _, m := range []string{"one", "", "three"} {
		_ = h.Put(ctx, "inbox", m)
	}
	for range 3 {
		m, _ := h.Get(ctx, "outbox")
		fmt.Printf("%q\n", m)
	}
	_ = h.Put(ctx, "control", axon.ShutdownMicroprocess{})
	_ = h.Wait(ctx)
	// Output:
	// "one"
	// ""
	// "three"
}

// Marker framing escapes the marker and escape bytes inside a payload.
func ExampleNewMarkerFramer() {
	ctx := context.Background()
	f := components.NewMarkerFramer(components.Marker('\n', '\\'))
	h, _ := axon.NewHandle(f)
	_ = f.Activate(ctx)
	_ = h.Put(ctx, "inbox", "two\nlines")
	m, _ := h.Get(ctx, "outbox")
	fmt.Printf("%q\n", m)
	_ = h.Put(ctx, "control", axon.ShutdownMicroprocess{})
	_ = h.Wait(ctx)
	// Output:
	// "two\\*lines\n"
}

// Destinations join and leave a PlugSplitter while it runs.
func ExamplePlugSplitter() {
	ctx := context.Background()
	split := components.NewPlugSplitter()
	_ = split.Activate(ctx)
	a, b := components.NewEcho(), components.NewEcho()
	ha, _ := axon.NewHandle(a)
	hb, _ := axon.NewHandle(b)
	_ = a.Activate(ctx)
	_ = b.Activate(ctx)

	conf := split.Inbox("configuration")
	_ = conf.Put(ctx, components.AddSink{Inbox: axon.In(a, "inbox"), Control: axon.In(a, "control")})
	_ = conf.Put(ctx, components.AddSink{Inbox: axon.In(b, "inbox"), Control: axon.In(b, "control")})
	_ = split.Inbox("inbox").Put(ctx, "to both")
	_ = conf.Put(ctx, components.RemoveSink{Inbox: axon.In(b, "inbox")})
	_ = split.Inbox("inbox").Put(ctx, "to a only")
	_ = split.Inbox("control").Put(ctx, axon.ProducerFinished{}) // reaches a's control: it ends

	for {
		m, err := ha.Get(ctx, "outbox")
		if err != nil {
			break
		}
		fmt.Println("a:", m)
	}
	m, _ := hb.Get(ctx, "outbox")
	fmt.Println("b:", m)
	b.Stop()
	<-split.Done()
	// Output:
	// a: to both
	// a: to a only
	// b: to both
}

// A Fanout sends everything out of each of its named outboxes.
func ExampleNewFanout() {
	ctx := context.Background()
	f, _ := components.NewFanout("left", "right")
	h, _ := axon.NewHandle(f)
	_ = f.Activate(ctx)
	_ = h.Put(ctx, "inbox", "hello")
	l, _ := h.Get(ctx, "left")
	r, _ := h.Get(ctx, "right")
	fmt.Println(l, r)
	_ = h.Put(ctx, "control", axon.ShutdownMicroprocess{})
	_ = h.Wait(ctx)
	// Output:
	// hello hello
}

// A TCP proxy: every connection to the server is forwarded to a target,
// here an upper-casing server of the example's own. The client sends,
// half-closes, and reads the reply until the proxy closes.
func ExampleNewStreamForwarder() {
	target, _ := net.Listen("tcp", "127.0.0.1:0")
	defer target.Close()
	go func() {
		c, err := target.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c) // until the client's half-close comes across
		for i, ch := range b {
			if 'a' <= ch && ch <= 'z' {
				b[i] = ch - 'a' + 'A'
			}
		}
		c.Write(b)
	}()
	port := target.Addr().(*net.TCPAddr).Port

	proxy, _ := internet.NewServerCore(func(internet.ConnInfo) (axon.Component, error) {
		return components.NewStreamForwarder(internet.NewTCPClient("127.0.0.1", port, internet.AllowHalfClose()))
	}, 0, internet.Host("127.0.0.1"))
	_ = proxy.Activate(context.Background())
	defer proxy.Shutdown(context.Background())

	c, _ := net.Dial("tcp", proxy.Addr().String())
	defer c.Close()
	io.WriteString(c, "hello through the proxy")
	c.(*net.TCPConn).CloseWrite()
	reply, _ := io.ReadAll(c)
	fmt.Println(string(reply))
	// Output:
	// HELLO THROUGH THE PROXY
}
