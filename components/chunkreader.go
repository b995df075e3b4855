package components

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/kamaelia-go/kamaelia/axon"
)

// DefaultMaxChunk is the most a ChunkReader reads at once unless
// MaxChunk says otherwise.
const DefaultMaxChunk = 32 << 10

// ChunkReader reads a byte stream, standard input say, and sends it on
// byte for byte: each read goes out on "outbox" as one []byte. It is the
// byte-transparent sibling of ConsoleReader: it knows nothing of lines,
// so it adds, removes and rewrites nothing (a "\r\n", binary data and a
// last line without a newline all arrive as they were), and however long
// a line is it holds at most one chunk of it.
//
// By default it reads as soon as its last chunk is sent, and sends
// whatever one Read returns (at most MaxChunk bytes), so what is typed
// at a terminal goes out as soon as the line is entered. With OnRequest
// it reads only when asked, as a PromptedFileReader does: each int N on
// "inbox" reads N bytes (fewer only at the end of input) and sends them
// as one []byte, so a RateController can pace it.
//
// At the end of input it sends axon.ProducerFinished{Caller: it} on
// "signal", after every chunk read, and ends. A read error other than
// the end of input ends it the same way, with the error (wrapped, naming
// the reader) in the producerFinished's Err and in its own Err.
//
//	inbox    in   OnRequest: int, how many bytes to read next; else not
//	              used (messages are reported as unexpected)
//	control  in   shutdown requests
//	outbox   out  []byte chunks, each a new slice the receiver may keep
//	signal   out  producerFinished at the end of input (Err set on a
//	              read error); the shutdown request received; reports
//
// Memory is bounded: one chunk is read at a time, only when the last
// one has been sent, so a slow consumer holds the reader back.
//
// A blocking Read cannot be interrupted, so the reading is done by a
// helper goroutine, as in ConsoleReader, whose documentation says what
// that means when the reader is stopped in the middle of a Read: the
// reader ends at once, and the helper ends when that Read returns,
// discarding what it read.
//
// A ChunkReader is safe for concurrent use; its methods are those of
// axon.Core. Its input is used by its helper goroutine only.
type ChunkReader struct {
	*axon.Core
	in        io.Reader
	max       int
	onRequest bool
}

// ChunkReaderOption configures a ChunkReader.
type ChunkReaderOption func(*ChunkReader)

// MaxChunk sets the most a ChunkReader reads at once (without
// OnRequest); n < 1 means DefaultMaxChunk.
func MaxChunk(n int) ChunkReaderOption {
	return func(r *ChunkReader) {
		if n < 1 {
			n = DefaultMaxChunk
		}
		r.max = n
	}
}

// OnRequest makes a ChunkReader read only when asked: an int N on its
// inbox reads N bytes.
func OnRequest() ChunkReaderOption { return func(r *ChunkReader) { r.onRequest = true } }

// NewChunkReader returns a ChunkReader of in configured by opts.
func NewChunkReader(in io.Reader, opts ...ChunkReaderOption) *ChunkReader {
	r := &ChunkReader{in: in, max: DefaultMaxChunk}
	for _, o := range opts {
		o(r)
	}
	inbox := docNoInput
	if r.onRequest {
		inbox = "int: how many bytes to read next"
	}
	r.Core = axon.New("ChunkReader", r.run, boxes(inbox, "[]byte chunks read, byte for byte")...)
	return r
}

// chunk is what the helper goroutine hands over: bytes read, the end of
// input (err), or both.
type chunk struct {
	data []byte
	err  error
}

func (r *ChunkReader) run(ctx context.Context, c *axon.Core) error {
	want := make(chan int, 1)   // the body asks for a read: N bytes, or 0 for one Read
	got := make(chan chunk, 1)  // the helper hands it over
	quit := make(chan struct{}) // the body has ended
	defer close(quit)
	go r.read(want, got, quit, c.Wake)
	reading := false
	for {
		for msg := range c.Drain("control") {
			if err := passControl(ctx, c, msg); err != nil {
				return err
			}
		}
		if !reading {
			n, err := r.nextRequest(ctx)
			if err != nil {
				return err
			}
			if n >= 0 {
				want <- n
				reading = true
			}
		}
		select {
		case res := <-got:
			reading = false
			if len(res.data) > 0 {
				if err := c.Send(ctx, "outbox", res.data); err != nil {
					return err
				}
			}
			switch {
			case errors.Is(res.err, io.EOF):
				return finish(ctx, r, nil)
			case res.err != nil:
				return finish(ctx, r, fmt.Errorf("ChunkReader %s: read: %w", c.Name(), res.err))
			}
			continue
		default:
		}
		if err := c.Wait(ctx); err != nil {
			return err
		}
	}
}

// nextRequest returns what to read next: 0 for one Read (without
// OnRequest), N bytes for the next valid request on the inbox, or -1 if
// there is none yet. Other messages on the inbox are reported.
func (r *ChunkReader) nextRequest(ctx context.Context) (int, error) {
	if !r.onRequest {
		for msg := range r.Drain("inbox") {
			if err := unexpected(ctx, r, "inbox", msg, "nothing"); err != nil {
				return -1, err
			}
		}
		return 0, nil
	}
	for {
		msg, ok := r.Recv("inbox")
		if !ok {
			return -1, nil
		}
		if n, ok := msg.(int); ok && n > 0 {
			return n, nil
		}
		if err := unexpected(ctx, r, "inbox", msg, "an int of at least 1"); err != nil {
			return -1, err
		}
	}
}

// read is the helper goroutine: for each request on want it reads (N
// bytes, or one Read of at most max for 0) and hands the result over on
// got, then calls wake. It returns after the end of input or once quit
// is closed; a Read in progress is finished first.
func (r *ChunkReader) read(want <-chan int, got chan<- chunk, quit <-chan struct{}, wake func()) {
	var buf []byte
	for {
		var n int
		select {
		case n = <-want:
		case <-quit:
			return
		}
		var res chunk
		if n > 0 {
			res.data, res.err = readBytes(r.in, n)
		} else {
			res.data, buf, res.err = r.readSome(buf)
		}
		select {
		case got <- res:
			wake()
		case <-quit:
			return
		}
		if res.err != nil {
			return
		}
	}
}

// readSome reads at least one byte, or to the end of input or an error,
// into buf (made if nil). It returns the bytes read as a slice of their
// own and the buffer for the next read: a small read (a line typed, say)
// is copied out, so it does not pin a whole buffer; a large one keeps
// buf, and the next read gets a new one.
func (r *ChunkReader) readSome(buf []byte) (data, next []byte, err error) {
	if buf == nil {
		buf = make([]byte, r.max)
	}
	k := 0
	for k == 0 && err == nil {
		k, err = r.in.Read(buf)
	}
	switch {
	case k == 0:
		return nil, buf, err
	case k < len(buf)/4:
		return bytes.Clone(buf[:k]), buf, err
	}
	return buf[:k:k], nil, err
}
