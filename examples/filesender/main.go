// Filesender is the first example of Kamaelia's TCPClient documentation,
// written with kamaelia-go: sending the contents of a file to a server.
// The original:
//
//	Pipeline( RateControlledFileReader("myfile", rate=100000),
//	          TCPClient("1.2.3.4", 1000),
//	        ).activate()
//
// In the Pipeline the reader's outbox feeds the client's inbox, and its
// signal the client's control: at the end of the file the client sends
// what is queued, half-closes the connection and waits for the server to
// close it. The client's one terminal message comes out of the
// Pipeline's signal, with the cause if the connection failed.
//
// Usage:
//
//	filesender [-rate BYTES_PER_SECOND] FILE HOST PORT
//
// For example, with "go run ./cmd/kamaelia serve" running:
//
//	go run ./examples/filesender -rate 100000 README.md 127.0.0.1 1601
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/chassis"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internet"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:])
	stop()
	if code := exitStatus(err); code != 0 {
		fmt.Fprintln(os.Stderr, "filesender:", err)
		os.Exit(code)
	}
}

// exitStatus is the exit status for what run returned: 0 for nothing
// or for -help (the flag package has printed the usage), else 1.
func exitStatus(err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 1
}

// run sends the file the arguments name to the server they name.
func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("filesender", flag.ContinueOnError)
	rate := fs.Float64("rate", 100_000, "bytes per second")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 3 {
		return errors.New("usage: filesender [-rate BYTES_PER_SECOND] FILE HOST PORT")
	}
	file, host := fs.Arg(0), fs.Arg(1)
	port, err := strconv.Atoi(fs.Arg(2))
	if err != nil {
		return fmt.Errorf("bad port %q: %w", fs.Arg(2), err)
	}

	reader, err := components.NewRateControlledFileReader(file, components.ReadBytes, components.WithRate(*rate))
	if err != nil {
		return err
	}
	p, err := chassis.NewPipeline(reader, internet.NewTCPClient(host, port))
	if err != nil {
		return err
	}

	// Run it, and wait for the client's terminal message.
	h, err := axon.NewHandle(p)
	if err != nil {
		return err
	}
	defer h.Close()
	if err := p.Activate(ctx); err != nil {
		return err
	}
	for {
		m, err := h.Get(ctx, "signal")
		if err != nil {
			<-p.Done()
			return errors.Join(err, p.Err())
		}
		if axon.IsProducerFinished(m) {
			// Stop the reader too if the connection failed first.
			_ = h.Put(ctx, "control", axon.ShutdownMicroprocess{})
			<-p.Done()
			return errors.Join(axon.Cause(m), p.Err())
		}
	}
}
