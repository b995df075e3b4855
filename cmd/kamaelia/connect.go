package main

import (
	"io"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/chassis"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/spf13/cobra"
)

const connectAbout = `Connect to HOST PORT: what is read from stdin goes to the server, byte for
byte, and what the server sends is written to stdout. Nothing is added,
removed or rewritten ("\r\n", binary data and a last line without a
newline arrive as they are), and however long a line is, only a chunk of
it is held in memory. At the end of stdin the connection is half-closed
(no more data from us) and the server's output is still printed until the
server closes, like "nc -N". With --crlf it sends lines instead, each
ended by "\r\n" whatever ended it in stdin (a line may be at most 64 KiB).

With --ssl the connection switches to TLS as soon as it is made (makessl),
the server's certificate is verified (against --ca, or the system's roots),
and the TLS version, cipher suite and the server certificate's subject are
noted on stderr. Data read before TLS is up waits for it. With --starttls
instead, the client first sends the line STARTTLS and switches once the
server answers "OK STARTTLS" (as "kamaelia serve --starttls" does).

If a plaintext connection is closed by the server without a byte after we
sent something, a server that expects TLS is the likely reason, and a note
on stderr says to try --ssl.

With --stall-timeout, a connection that makes no progress (nothing read
from the server, nothing written to it) for that long is given up, even
while waiting for a server that does not answer. Off by default: a console
session may well sit idle.

Exit status: 0 when the server closed the connection cleanly; 1 with a
one-line reason on stderr for a refused connection, a timeout (connecting,
or a stall), a reset or a TLS failure; 2 for a bad flag or argument; 130
when interrupted.

It is the Graphline of Kamaelia's TCPClient SSL example: a reader of the
console feeding a TCPClient whose output goes to a ConsoleEchoer, and a
OneShot sending makessl.`

const connectExamples = `  kamaelia connect 127.0.0.1 1601
  printf 'hello\n' | kamaelia connect localhost 1601
  kamaelia connect --crlf smtp.example.org 25
  kamaelia connect --ssl example.org 443
  kamaelia connect --ssl --ca ca.pem --servername localhost 127.0.0.1 1601
  kamaelia connect --starttls --ca ca.pem localhost 1601`

// connectFlags are connect's flags.
type connectFlags struct {
	client clientFlags
	crlf   bool
}

func newConnectCommand(e *env) *cobra.Command {
	var f connectFlags
	cmd := &cobra.Command{
		Use:               "connect [flags] HOST PORT",
		Short:             "Join stdin and stdout to a server, byte for byte",
		Long:              connectAbout,
		Example:           connectExamples,
		Args:              positional("HOST", "PORT"),
		ValidArgsFunction: noFiles,
		RunE:              func(cmd *cobra.Command, args []string) error { return runConnect(cmd, e, &f, args) },
	}
	f.client.register(cmd, 0)
	cmd.Flags().BoolVar(&f.crlf, "crlf", false, `send lines, each ended by "\r\n" (like nc -C)`)
	return cmd
}

func runConnect(cmd *cobra.Command, e *env, f *connectFlags, args []string) error {
	host := args[0]
	_, port, err := hostPort(cmd, host, args[1])
	if err != nil {
		return err
	}
	mode, tlsCfg, err := f.client.tls(cmd, e)
	if err != nil {
		return err
	}
	source, err := stdinSource(e.stdin, f.crlf)
	if err != nil {
		return failure(err)
	}
	notes := e.console(cmd)
	// Linger -1: after our half-close, wait for the server to close
	// for as long as it takes, like nc -N; an interrupt (or the stall
	// timeout) ends the wait.
	g, err := newClientGraph(source, e.stdout, host, port, mode, clientOptions(&f.client, tlsCfg, -1), notes)
	if err != nil {
		return failure(err)
	}
	if err := g.run(cmd.Context()); err != nil {
		return err
	}
	g.hintTLS()
	return nil
}

// stdinSource reads in chunk by chunk; with crlf, it is a pipeline that
// splits it into lines and ends each with "\r\n".
func stdinSource(in io.Reader, crlf bool) (axon.Component, error) {
	reader := components.NewChunkReader(in)
	if !crlf {
		return reader, nil
	}
	return chassis.NewPipeline(reader, components.NewLineDeframer(), components.NewLineFramer(components.CRLF()))
}

// noFiles completes positional arguments that are not files: nothing.
func noFiles(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveNoFileComp
}
