package components_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/chassis"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
)

// fakeConnection stands in for TCPClient: it echoes what reaches
// "inbox" back out of "outbox", tagged once a message on "makessl" has
// switched it to "TLS"; it ends on a shutdown request, passing it on.
type fakeConnection struct {
	*axon.Core
	makessl chan any
	tls     bool
}

func newFakeConnection() *fakeConnection {
	f := &fakeConnection{makessl: make(chan any, 1)}
	f.Core = axontest.NewReactive("fakeConnection", func(ctx context.Context, c *axon.Core, box string, msg any) error {
		switch box {
		case "makessl":
			f.tls = true
			f.makessl <- msg
			return nil
		case "control":
			if err := c.Send(ctx, "signal", msg); err != nil {
				return err
			}
			return axon.ErrStop
		}
		if f.tls {
			msg = "[tls] " + msg.(string)
		}
		return c.Send(ctx, "outbox", msg)
	}, axon.AddInbox(axon.Box("makessl", "switch to TLS")))
	return f
}

// writes is an io.Writer that hands each write over on a channel.
type writes chan string

func (w writes) Write(p []byte) (int, error) { w <- string(p); return len(p), nil }

// The seeds' SSL example, with an in-process echo standing in for the
// TCPClient:
//
//	Graphline(MAKESSL = OneShot(" make ssl "), CONSOLE = ConsoleReader(),
//	          ECHO = ConsoleEchoer(), CONNECTION = TCPClient(...),
//	          linkages = {("MAKESSL", "outbox"): ("CONNECTION", "makessl"),
//	                      ("CONSOLE", "outbox"): ("CONNECTION", "inbox"),
//	                      ("CONNECTION", "outbox"): ("ECHO", "inbox")})
func TestSeedSSLGraphline(t *testing.T) {
	ctx := axontest.Context(t)
	input := "GET / HTTP/1.0\nHost: example\n"
	out := make(writes, 8)
	makessl := components.NewOneShot(" make ssl ")
	console := components.NewConsoleReader(components.WithInput(strings.NewReader(input)), components.WithPrompt(""))
	echo := components.NewConsoleEchoer(components.WithOutput(out))
	conn := newFakeConnection()
	g, err := chassis.NewGraphline(chassis.Children{
		"MAKESSL":    makessl,
		"CONSOLE":    console,
		"ECHO":       echo,
		"CONNECTION": conn,
	}, chassis.Linkages{
		{"MAKESSL", "outbox"}:    {"CONNECTION", "makessl"},
		{"CONSOLE", "outbox"}:    {"CONNECTION", "inbox"},
		{"CONNECTION", "outbox"}: {"ECHO", "inbox"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var links []string
	for _, l := range g.Links() {
		links = append(links, l.String()+" "+l.Kind().String())
	}
	slices.Sort(links)
	want := []string{
		conn.Name() + ".outbox → " + echo.Name() + ".inbox outbox→inbox",
		console.Name() + ".outbox → " + conn.Name() + ".inbox outbox→inbox",
		makessl.Name() + ".outbox → " + conn.Name() + ".makessl outbox→inbox",
	}
	slices.Sort(want)
	if !slices.Equal(links, want) {
		t.Fatalf("links %q, want %q", links, want)
	}

	h := axontest.Handle(t, g)
	axontest.Activate(t, ctx, g)
	select {
	case m := <-conn.makessl:
		if m != " make ssl " {
			t.Fatalf("makessl got %v", m)
		}
	case <-ctx.Done():
		t.Fatal("makessl never arrived")
	}
	// Every line typed reaches the connection and comes back to the
	// console, in order (before or after the switch to TLS).
	for _, line := range strings.SplitAfter(input, "\n")[:2] {
		select {
		case got := <-out:
			if strings.TrimPrefix(got, "[tls] ") != line {
				t.Fatalf("echoed %q, want %q", got, line)
			}
		case <-ctx.Done():
			t.Fatalf("%q never echoed", line)
		}
	}
	axontest.WaitDone(t, ctx, console) // end of input: the reader ends by itself
	axontest.WaitDone(t, ctx, makessl)

	// Shutting the Graphline down reaches the children still running.
	stop := axon.ShutdownMicroprocess{Message: "bye"}
	axontest.Put(t, ctx, h, "control", stop)
	if m := axontest.Get(t, ctx, h, "signal"); m != stop {
		t.Fatalf("signal got %#v, want %#v", m, stop)
	}
	axontest.WaitDone(t, ctx, g)
	if err := g.Err(); err != nil {
		t.Fatalf("Err = %v", err)
	}
}

// The seeds' first example, with the same stand-in for the TCPClient:
//
//	Pipeline(RateControlledFileReader("myfile", rate=100000), TCPClient(...))
func TestSeedRateControlledFilePipeline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := axontest.Context(t)
		content := strings.Repeat("kamaelia ", 20_000) // 180 kB: 1.8 s at the rate
		file, err := components.NewRateControlledFileReader(writeFile(t, content), components.ReadBytes, components.WithRate(100_000))
		if err != nil {
			t.Fatal(err)
		}
		client := newFakeConnection()
		p, err := chassis.NewPipeline(file, client)
		if err != nil {
			t.Fatal(err)
		}
		rec := record(t, ctx, p)
		start := time.Now()
		axontest.Activate(t, ctx, p)
		<-p.Done()
		// 18 chunks of 10 kB fall due at 0.1 s, 0.2 s, ... 1.8 s; the
		// request at 1.9 s finds the end of the file.
		if took := time.Since(start); took != 1900*time.Millisecond {
			t.Errorf("sending 180 kB at 100 kB/s took %v, want 1.9s", took)
		}
		synctest.Wait()
		data, control := rec.taken()
		if got := joined(data); got != content {
			t.Fatalf("the client got %d bytes, want the file's %d", len(got), len(content))
		}
		if len(control) != 1 {
			t.Fatalf("pipeline signal got %v, want one message", control)
		}
		finished(t, control[0], file.Child("READER"))
		if err := p.Err(); err != nil {
			t.Fatalf("Err = %v", err)
		}
	})
}
