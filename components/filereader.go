package components

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/kamaelia-go/kamaelia/axon"
)

// ReadMode says what the number a PromptedFileReader is asked for
// counts: bytes or lines.
type ReadMode int

const (
	// ReadBytes makes a request for N read N bytes, sent as one []byte.
	// It is the zero ReadMode.
	ReadBytes ReadMode = iota
	// ReadLines makes a request for N read N lines, each sent as a
	// string that keeps its line end (so the lines joined are the file).
	ReadLines
)

// String returns "bytes" or "lines".
func (m ReadMode) String() string {
	switch m {
	case ReadBytes:
		return "bytes"
	case ReadLines:
		return "lines"
	}
	return fmt.Sprintf("ReadMode(%d)", int(m))
}

// PromptedFileReader reads a file on request, Kamaelia's
// PromptedFileReader. It opens the file when it starts. Each int N that
// arrives on "inbox" reads N bytes (sent as one []byte) or N lines
// (each sent as a string), as its ReadMode says; fewer if the file ends
// first. At the end of the file it sends axon.ProducerFinished{Caller:
// it} on "signal" and ends.
//
//	inbox    in   int: how many bytes or lines to read next (others,
//	              and N < 1, are reported as unexpected)
//	control  in   shutdown requests (requests that arrived before one
//	              are served first)
//	outbox   out  []byte chunks or string lines
//	signal   out  producerFinished at the end of the file, with Err if
//	              the file could not be opened or read; the shutdown
//	              request received; reports
//
// If the file cannot be opened or read, the producerFinished's Err is
// the error (wrapped, naming the reader; for a missing file it wraps the
// *fs.PathError, so errors.Is(err, fs.ErrNotExist) holds), and the
// reader ends with that error. (Kamaelia's lines mode sent nothing under
// Python 3; here both modes work.)
//
// Reading a file blocks, so the reader runs in a goroutine of its own.
// A PromptedFileReader is safe for concurrent use; its methods are those
// of axon.Core.
type PromptedFileReader struct {
	*axon.Core
	filename string
	mode     ReadMode
}

// NewPromptedFileReader returns a reader of the named file in the given
// mode. It returns an error only for an unknown mode; problems with the
// file are reported when the reader starts, as described above.
func NewPromptedFileReader(filename string, mode ReadMode) (*PromptedFileReader, error) {
	if mode != ReadBytes && mode != ReadLines {
		return nil, fmt.Errorf("NewPromptedFileReader %q: unknown %v", filename, mode)
	}
	r := &PromptedFileReader{filename: filename, mode: mode}
	out := "[]byte chunks read"
	if mode == ReadLines {
		out = "string lines read"
	}
	r.Core = axon.New("PromptedFileReader", r.run, boxes("int: how many "+mode.String()+" to read next", out)...)
	return r, nil
}

func (r *PromptedFileReader) run(ctx context.Context, c *axon.Core) error {
	f, err := os.Open(r.filename)
	if err != nil {
		return finish(ctx, r, fmt.Errorf("PromptedFileReader %s: %w", c.Name(), err))
	}
	defer f.Close()
	br := bufio.NewReader(f)
	return dispatch(ctx, c, func(box string, msg any) error {
		if box == "control" {
			return passControl(ctx, c, msg)
		}
		n, ok := msg.(int)
		if !ok || n < 1 {
			return unexpected(ctx, r, box, msg, "an int of at least 1")
		}
		err := r.readMode(ctx, c, br, n)
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return err // stopped while sending
		case errors.Is(err, io.EOF):
			return finish(ctx, r, nil)
		default:
			return finish(ctx, r, fmt.Errorf("PromptedFileReader %s: read %s: %w", c.Name(), r.filename, err))
		}
	})
}

// readMode reads and sends n bytes or lines. It returns io.EOF at the
// end of the file, after sending what it read.
func (r *PromptedFileReader) readMode(ctx context.Context, c *axon.Core, br *bufio.Reader, n int) error {
	if r.mode == ReadBytes {
		b, err := readBytes(br, n)
		if len(b) > 0 {
			if serr := c.Send(ctx, "outbox", b); serr != nil {
				return serr
			}
		}
		return err
	}
	for range n {
		line, err := br.ReadString('\n')
		if line != "" {
			if serr := c.Send(ctx, "outbox", line); serr != nil {
				return serr
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// maxPrealloc bounds the buffer allocated ahead of a read, so a request
// for a huge count costs memory only as the file supplies data.
const maxPrealloc = 1 << 20

// readBytes reads up to n bytes into a new slice. It returns io.EOF if
// the input ended first, with what was read.
func readBytes(r io.Reader, n int) ([]byte, error) {
	b := make([]byte, 0, min(n, maxPrealloc))
	for len(b) < n {
		if len(b) == cap(b) {
			b = slices.Grow(b, min(n-len(b), len(b)))
		}
		k, err := r.Read(b[len(b):min(cap(b), n)])
		b = b[:len(b)+k]
		if err != nil {
			return b, err
		}
	}
	return b, nil
}
