package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/kamaelia-go/kamaelia/chassis"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internet"
)

const sendAbout = `
Send FILE to the server at HOST PORT at a controlled rate, then half-close
the connection and wait for the server to close it. What the server sends
back is written to stdout. When stderr is a terminal a progress bar shows
the bytes sent, the current rate and the time left.

A server that stops reading, or that neither answers nor closes after the
end of the file, makes no progress; after --stall-timeout of that, send
gives up.

Exit status: 0 once every byte has been handed to the kernel and the server
has closed the connection cleanly; 1 with a one-line reason on stderr
otherwise (a stall included); 2 for a bad flag or argument; 130 when
interrupted.

It is the Pipeline of Kamaelia's TCPClient example,
Pipeline(RateControlledFileReader(FILE, rate), TCPClient(HOST, PORT)),
with a ConsoleEchoer after the client for what the server says.`

const sendExamples = `  kamaelia send notes.txt 127.0.0.1 1601
  kamaelia send --rate 2MiB --chunk 64KiB big.iso 192.0.2.7 9000`

func runSend(ctx context.Context, e *env, args []string) int {
	c := newCLI("send", "kamaelia send [flags] FILE HOST PORT", sendAbout, sendExamples)
	rate := byteSize(components.DefaultRate)
	c.fs.Var(&rate, "rate", "send at this many `bytes` per second: a number, or with a unit as in 64KiB, 2MiB, 1.5MB")
	var chunk byteSize
	c.fs.Var(&chunk, "chunk", "read and send the file `n` bytes at a time, units as for --rate (default: a tenth of the rate)")
	timeout := c.fs.Duration("timeout", 30*time.Second, "give up connecting after this `duration`")
	stall := c.fs.Duration("stall-timeout", 60*time.Second, "give up (exit 1) when the connection makes no progress for this `duration` (0: never)")
	pos, code, ok := c.parse(e, args, "FILE", "HOST", "PORT")
	if !ok {
		return code
	}
	file, host := pos[0], pos[1]
	port, err := parsePort(pos[2], false)
	if err != nil {
		return c.bad(e, "%v", err)
	}
	if rate <= 0 {
		return c.bad(e, "--rate must be positive")
	}
	if *timeout <= 0 {
		return c.bad(e, "--timeout must be positive")
	}
	if *stall < 0 {
		return c.bad(e, "--stall-timeout must not be negative")
	}
	st, err := os.Stat(file)
	if err != nil {
		fmt.Fprintf(e.stderr, "kamaelia send: %v\n", err)
		return exitFailure
	}
	if !st.Mode().IsRegular() {
		fmt.Fprintf(e.stderr, "kamaelia send: %s is not a regular file\n", file)
		return exitFailure
	}

	p, client, err := newFileSender(e, file, host, port, float64(rate), int(chunk), *timeout, *stall)
	if err != nil {
		return c.bad(e, "%v", err)
	}
	stopProgress := func() {}
	if e.stderrIsTerminal {
		stopProgress = startProgress(e.stderr, st.Size(), 200*time.Millisecond, func() int64 {
			if csa := client.CSA(); csa != nil {
				return csa.Stats().BytesWritten
			}
			return 0
		})
	}
	end := runClient(ctx, p.Core)
	stopProgress()
	if code := end.exitStatus(e, "send", net.JoinHostPort(host, strconv.Itoa(port))); code != exitOK {
		return code
	}
	if end.err != nil { // the file could not be read, say
		fmt.Fprintf(e.stderr, "kamaelia send: %s\n", oneLine(end.err.Error()))
		return exitFailure
	}
	return exitOK
}

// newFileSender builds send's Pipeline: Kamaelia's TCPClient example, plus
// an echoer for what the server sends back.
//
//	RateControlledFileReader(file, bytes, rate, chunk) → TCPClient(host, port) → ConsoleEchoer(stdout)
//
// Each child's signal feeds the next one's control: the reader's end of
// file makes the client flush, half-close and wait for the server to
// close; the client's one terminal message (with its cause) makes the
// echoer finish, and comes out as the pipeline's signal.
func newFileSender(e *env, file, host string, port int, rate float64, chunk int, timeout, stall time.Duration) (*chassis.Pipeline, *internet.TCPClient, error) {
	reader, err := components.NewRateControlledFileReader(file, components.ReadBytes,
		components.WithRate(rate), components.WithChunkSize(chunk))
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", file, err)
	}
	// The wait for the server to close after the end of the file is
	// bounded the same way: no progress for the stall timeout.
	linger := stall
	if stall == 0 {
		linger = -1
	}
	client := internet.NewTCPClient(host, port, internet.ConnectTimeout(timeout),
		internet.IdleTimeout(stall), internet.Linger(linger))
	echo := components.NewConsoleEchoer(components.WithOutput(e.stdout))
	p, err := chassis.NewPipeline(reader, client, echo)
	if err != nil {
		return nil, nil, fmt.Errorf("building the sender: %w", err)
	}
	return p, client, nil
}
