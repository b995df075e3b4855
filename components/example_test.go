package components_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/chassis"
	"github.com/kamaelia-go/kamaelia/components"
)

func ExampleConsoleEchoer() {
	ctx := context.Background()
	e := components.NewConsoleEchoer(components.WithTag("echo: "))
	_ = e.Activate(ctx)
	_ = e.Inbox("inbox").Put(ctx, []byte("bytes are written as they are\n"))
	_ = e.Inbox("inbox").Put(ctx, fmt.Sprintln("and so are strings"))
	_ = e.Inbox("control").Put(ctx, axon.ProducerFinished{})
	<-e.Done()
	// Output:
	// echo: bytes are written as they are
	// echo: and so are strings
}

// The seeds' file-sending example, with a ConsoleEchoer in place of the
// TCPClient: the file is read at 100 000 bytes a second, in chunks of
// 10 000 bytes, and the end of the file ends the pipeline.
func ExampleNewRateControlledFileReader() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "myfile")
	_ = os.WriteFile(name, []byte("the contents of myfile\n"), 0o600)

	reader, err := components.NewRateControlledFileReader(name, components.ReadBytes, components.WithRate(100_000))
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := chassis.NewPipeline(reader, components.NewConsoleEchoer())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(axon.Run(context.Background(), p))
	// Output:
	// the contents of myfile
	// <nil>
}
