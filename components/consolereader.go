package components

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kamaelia-go/kamaelia/axon"
)

// ConsoleReader reads lines from the console, Kamaelia's ConsoleReader.
// It writes its prompt, reads a line, and sends the line (a string,
// without its line end, then the eol string appended) on "outbox";
// then the next. A last line that has no line end is sent too. At the
// end of input it sends axon.ProducerFinished{Caller: it} on "signal",
// after every line read, and ends. A read error other than the end of
// input ends it the same way, with the error (wrapped, naming the
// reader) in the producerFinished's Err and in its own Err. (Kamaelia's
// reader crashed the program at the end of input.)
//
//	inbox    in   not used: messages are reported as unexpected
//	control  in   shutdown requests
//	outbox   out  each line, a string ending in eol
//	signal   out  producerFinished at the end of input (Err set on a
//	              read error); the shutdown request received; reports
//
// Lines are read one at a time, only when the previous one has been
// sent, so a slow consumer holds the reader back instead of letting
// lines pile up.
//
// # A read in progress
//
// A blocking Read cannot be interrupted, so the reading is done by a
// helper goroutine and the component itself only waits for its lines.
// When the reader is stopped (Stop, its context, or a shutdown request)
// it ends at once, even while a Read is in progress. That Read is not
// abandoned by the helper, though: the helper stays blocked in it until
// it returns (for os.Stdin, until the user enters a line or input ends),
// then discards what it read and exits. So a stopped ConsoleReader may
// leave one goroutine blocked in Read on its input, and may consume one
// line (plus whatever the bufio.Reader it uses had buffered) that nobody
// receives. Closing the input, where that is possible, releases it.
//
// A ConsoleReader is safe for concurrent use; its methods are those of
// axon.Core. Its input and prompt output are used by its helper
// goroutine only.
type ConsoleReader struct {
	*axon.Core
	in        io.Reader
	prompt    string
	promptOut io.Writer
	eol       string
}

// ConsoleReaderOption configures a ConsoleReader.
type ConsoleReaderOption func(*ConsoleReader)

// WithInput makes the reader read from r. The default, and what nil
// means, is os.Stdin as it is when the reader is built.
func WithInput(r io.Reader) ConsoleReaderOption {
	return func(c *ConsoleReader) {
		if r != nil {
			c.in = r
		}
	}
}

// WithPrompt sets the prompt written before each line is read. The
// default is ">>> ", as in Kamaelia; "" writes no prompt.
func WithPrompt(prompt string) ConsoleReaderOption {
	return func(c *ConsoleReader) { c.prompt = prompt }
}

// WithPromptOutput makes the reader write its prompt to w. The default,
// and what nil means, is os.Stdout as it is when the reader is built.
// Errors writing the prompt are ignored: the prompt is a courtesy, the
// lines are the data.
func WithPromptOutput(w io.Writer) ConsoleReaderOption {
	return func(c *ConsoleReader) {
		if w != nil {
			c.promptOut = w
		}
	}
}

// WithEOL sets the string appended to each line in place of its line
// end ("\n" or "\r\n"). The default is "\n"; "" sends bare lines.
func WithEOL(eol string) ConsoleReaderOption {
	return func(c *ConsoleReader) { c.eol = eol }
}

// NewConsoleReader returns a ConsoleReader configured by opts.
func NewConsoleReader(opts ...ConsoleReaderOption) *ConsoleReader {
	r := &ConsoleReader{in: os.Stdin, prompt: ">>> ", promptOut: os.Stdout, eol: "\n"}
	for _, o := range opts {
		o(r)
	}
	r.Core = axon.New("ConsoleReader", r.run, boxes(docNoInput, "each line read, a string ending in eol")...)
	return r
}

// readResult is what the helper goroutine hands over: a line, the end
// of input (err), or both.
type readResult struct {
	line    string
	hasLine bool
	err     error
}

func (r *ConsoleReader) run(ctx context.Context, c *axon.Core) error {
	want := make(chan struct{}, 1)    // the body asks for one line
	lines := make(chan readResult, 1) // the helper hands it over
	quit := make(chan struct{})       // the body has ended
	defer close(quit)
	go r.read(want, lines, quit, c.Wake)
	want <- struct{}{}
	for {
		// What is queued, without waiting: the lines read wake it too.
		handle := controlOnly(ctx, r)
		for box, msg, ok := c.Next(); ok; box, msg, ok = c.Next() {
			if err := handle(box, msg); err != nil {
				return err
			}
		}
		select {
		case res := <-lines:
			if res.hasLine {
				if err := c.Send(ctx, "outbox", res.line); err != nil {
					return err
				}
			}
			switch {
			case errors.Is(res.err, io.EOF):
				return finish(ctx, r, nil)
			case res.err != nil:
				return finish(ctx, r, fmt.Errorf("ConsoleReader %s: read: %w", c.Name(), res.err))
			}
			want <- struct{}{}
			continue
		default:
		}
		if err := c.Wait(ctx); err != nil {
			return err
		}
	}
}

// read is the helper goroutine: for each request on want it writes the
// prompt, reads a line and hands it over on lines, then calls wake. It
// returns after the end of input or once quit is closed; a Read in
// progress is finished first (see the type's doc).
func (r *ConsoleReader) read(want <-chan struct{}, lines chan<- readResult, quit <-chan struct{}, wake func()) {
	br := bufio.NewReader(r.in)
	for {
		select {
		case <-want:
		case <-quit:
			return
		}
		if r.prompt != "" {
			_, _ = io.WriteString(r.promptOut, r.prompt)
		}
		s, err := br.ReadString('\n')
		res := readResult{err: err}
		if s != "" {
			if t, ok := strings.CutSuffix(s, "\n"); ok {
				s = strings.TrimSuffix(t, "\r")
			}
			res.line, res.hasLine = s+r.eol, true
		}
		select {
		case lines <- res:
			wake()
		case <-quit:
			return
		}
		if err != nil {
			return
		}
	}
}
