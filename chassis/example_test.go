package chassis_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/chassis"
	"github.com/kamaelia-go/kamaelia/components"
)

// A Pipeline wires its children in a line: outbox to inbox, signal to
// control. When the reader reaches the end of its input it says so on
// its signal; the echoer writes what it was sent before that, then
// ends, and the pipeline ends with its last child.
func ExampleNewPipeline() {
	input := strings.NewReader("hello\nworld\n")
	p, err := chassis.NewPipeline(
		components.NewConsoleReader(components.WithInput(input), components.WithPrompt("")),
		components.NewConsoleEchoer(components.WithTag("echo: ")),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(axon.Run(context.Background(), p))
	// Output:
	// echo: hello
	// echo: world
	// <nil>
}

// A Graphline wires named children as its linkages say, like Kamaelia's
// linkages dict. "self" (or "") is the Graphline itself: here its inbox
// passes through to the echoer's inbox, and the echoer's outbox passes
// out as the Graphline's own. No linkage starts at the Graphline's
// control, so a shutdown request sent there goes to each child whose
// control no linkage feeds (the echoer, and the greeting, which has
// already ended); once all have ended, the Graphline sends the request
// on out of its signal.
func ExampleNewGraphline() {
	ctx := context.Background()
	g, err := chassis.NewGraphline(chassis.Children{
		"GREETING": components.NewOneShot("hello from a OneShot\n"),
		"ECHO":     components.NewConsoleEchoer(components.WithTag("echo: "), components.Forwarder()),
	}, chassis.Linkages{
		{"GREETING", "outbox"}: {"ECHO", "inbox"},
		{"self", "inbox"}:      {"ECHO", "inbox"},
		{"ECHO", "outbox"}:     {"self", "outbox"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, _ := axon.NewHandle(g)
	defer h.Close()
	_ = g.Activate(ctx)

	msg, _ := h.Get(ctx, "outbox") // forwarded by the echoer
	fmt.Printf("forwarded %q\n", msg)
	_ = h.Put(ctx, "inbox", "hello from outside\n")
	msg, _ = h.Get(ctx, "outbox")
	fmt.Printf("forwarded %q\n", msg)

	_ = h.Put(ctx, "control", axon.ShutdownMicroprocess{})
	sig, _ := h.Get(ctx, "signal")
	fmt.Printf("signal: %T\n", sig)
	fmt.Println(h.Wait(ctx))
	// Output:
	// echo: hello from a OneShot
	// forwarded "hello from a OneShot\n"
	// echo: hello from outside
	// forwarded "hello from outside\n"
	// signal: axon.ShutdownMicroprocess
	// <nil>
}
