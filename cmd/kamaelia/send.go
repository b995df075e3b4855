package main

import (
	"fmt"
	"io"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/chassis"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/spf13/cobra"
)

const sendAbout = `Send FILE to the server at HOST PORT at a controlled rate, then half-close
the connection and wait for the server to close it. FILE "-" is stdin.
What the server sends back is written to stdout.

When stderr is a terminal (and TERM is not "dumb") a progress bar on
stderr shows the percentage sent, the bytes, the rate, the time elapsed
and the time left (for stdin: the bytes, the rate and the time elapsed),
and a summary line follows at the end. --no-progress turns it off.

It takes connect's TLS flags: --ssl, or --starttls, with --ca, --insecure
and --servername.

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
  kamaelia send --rate 2MiB --chunk 64KiB big.iso 192.0.2.7 9000
  tar c . | kamaelia send --rate 10MiB - 192.0.2.7 9000
  kamaelia send --ssl --ca ca.pem report.pdf localhost 1601`

// sendFlags are send's flags.
type sendFlags struct {
	client     clientFlags
	rate       byteSize
	chunk      byteSize
	noProgress bool
}

func newSendCommand(e *env) *cobra.Command {
	f := sendFlags{rate: components.DefaultRate}
	cmd := &cobra.Command{
		Use:     "send [flags] FILE HOST PORT",
		Short:   "Send a file (or stdin) to a server at a controlled rate",
		Long:    sendAbout,
		Example: sendExamples,
		Args:    positional("FILE", "HOST", "PORT"),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return nil, cobra.ShellCompDirectiveDefault // FILE
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runSend(cmd, e, &f, args) },
	}
	f.client.register(cmd, 60*time.Second)
	fs := cmd.Flags()
	fs.Var(&f.rate, "rate", "send at this many `bytes` per second: a number, or with a unit as in 64KiB, 2MiB, 1.5MB")
	fs.Var(&f.chunk, "chunk", "read and send `bytes` at a time, units as for --rate (default: a tenth of the rate)")
	fs.BoolVar(&f.noProgress, "no-progress", false, "draw no progress bar, even on a terminal")
	return cmd
}

func runSend(cmd *cobra.Command, e *env, f *sendFlags, args []string) error {
	file, host := args[0], args[1]
	_, port, err := hostPort(cmd, host, args[2])
	if err != nil {
		return err
	}
	if f.rate <= 0 {
		return usagef(cmd, "", "--rate must be positive")
	}
	mode, tlsCfg, err := f.client.tls(cmd, e)
	if err != nil {
		return err
	}
	source, total, err := sendSource(e, file, float64(f.rate), int(f.chunk))
	if err != nil {
		return failure(err)
	}

	// With a progress bar, stdout (when it is the same terminal) and
	// the notes on stderr keep off the bar's line.
	out, notesOut := e.stdout, e.stderr
	var line *termLine
	if e.drawProgress(f.noProgress) {
		line = &termLine{term: e.stderr, out: e.stdout}
		notesOut = line.stderr()
		if e.stdoutSharesIt {
			out = line.stdout()
		}
	}
	notes := e.consoleTo(cmd, notesOut)
	g, err := newClientGraph(source, out, host, port, mode, clientOptions(&f.client, tlsCfg, sendLinger(f.client.stall)), notes)
	if err != nil {
		return failure(err)
	}
	if line == nil {
		return g.run(cmd.Context())
	}
	bar := startProgress(line, e.width(), total, 200*time.Millisecond, g.sent)
	err = g.run(cmd.Context())
	bar.stop(err == nil)
	return err
}

// sendLinger is how long send waits for the server to close after the
// end of the file: as long as a stall may last (for as long as it takes
// without a stall timeout).
func sendLinger(stall time.Duration) time.Duration {
	if stall == 0 {
		return -1
	}
	return stall
}

// sendSource returns the component that reads what send sends, at rate
// bytes a second in chunks of chunk bytes (0: a tenth of the rate), and
// its size (-1: unknown). A file is read by a RateControlledFileReader,
// as in Kamaelia's example; "-", stdin, by a ChunkReader that reads on
// request, paced by a RateController.
func sendSource(e *env, file string, rate float64, chunk int) (axon.Component, int64, error) {
	opts := []components.RateOption{components.WithRate(rate), components.WithChunkSize(chunk)}
	if file == "-" {
		return stdinAtRate(e.stdin, opts)
	}
	size, err := fileSize(e, file)
	if err != nil {
		return nil, 0, err
	}
	r, err := components.NewRateControlledFileReader(e.path(file), components.ReadBytes, opts...)
	if err != nil {
		return nil, 0, err
	}
	return r, size, nil
}

// fileSize returns the size of the regular file name, checking that it
// can be opened.
func fileSize(e *env, name string) (int64, error) {
	f, err := e.open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if !st.Mode().IsRegular() {
		return 0, fmt.Errorf("%s is not a regular file", name)
	}
	return st.Size(), nil
}

// stdinAtRate is in, read at a controlled rate: a RateController
// prompting a ChunkReader, wired as a RateControlledFileReader is.
func stdinAtRate(in io.Reader, opts []components.RateOption) (axon.Component, int64, error) {
	rate, err := components.NewRateController(opts...)
	if err != nil {
		return nil, 0, err
	}
	g, err := chassis.NewGraphline(chassis.Children{"RATE": rate, "READER": components.NewChunkReader(in, components.OnRequest())}, chassis.Linkages{
		{"RATE", "outbox"}:   {"READER", "inbox"},
		{"READER", "outbox"}: {"self", "outbox"},
		{"READER", "signal"}: {"RATE", "control"},
		{"RATE", "signal"}:   {"self", "signal"},
	})
	if err != nil {
		return nil, 0, err
	}
	return g, -1, nil
}
