// Package streamtest holds a client for tests of echo servers under
// load: it streams at a steady rate, checks that what comes back is what
// it sent, and tells an orderly end of the connection from a reset.
package streamtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"time"
)

// Result is what one streaming client saw.
type Result struct {
	ID        int
	Sent, Got int       // bytes sent, and echoed back
	Corrupt   bool      // what came back is not what was sent
	Err       error     // the first error met: nil for an orderly end (EOF after the whole echo)
	Finished  time.Time // when it had sent everything (zero if it never did)
}

// Stream describes a client's stream: Total bytes in chunks of Chunk
// bytes, one chunk per Every.
type Stream struct {
	Total, Chunk int
	Every        time.Duration
}

// pattern is the byte client id sends at offset i.
func pattern(id, i int) byte { return byte(i*7 + id) }

// Echo is a client of an echo server at addr: it sends s.Total bytes in
// chunks of s.Chunk, one per tick of s.Every, and reads each chunk's
// echo before the next; once it has sent everything it half-closes and
// reads until the server closes. It announces its first echo on started
// (if not nil). ctx bounds it.
//
// One goroutine does both, so the first error it meets is the first the
// kernel reports: a reset shows as ECONNRESET (which a concurrent writer
// could otherwise take, leaving a reader a plain EOF), an orderly close
// as EOF.
func Echo(ctx context.Context, addr string, id int, s Stream, started chan<- int) (r Result) {
	r.ID = id
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		r.Err = err
		return r
	}
	conn := c.(*net.TCPConn)
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	tick := time.NewTicker(s.Every)
	defer tick.Stop()
	out, in := make([]byte, s.Chunk), make([]byte, s.Chunk)
	for r.Sent < s.Total {
		n := min(s.Chunk, s.Total-r.Sent)
		for i := range n {
			out[i] = pattern(id, r.Sent+i)
		}
		m, err := conn.Write(out[:n])
		r.Sent += m
		if err != nil {
			r.Err = err
			return r
		}
		m, err = io.ReadFull(conn, in[:n])
		if !bytes.Equal(in[:m], out[:m]) {
			r.Corrupt = true
		}
		r.Got += m
		if err != nil {
			r.Err = err
			return r
		}
		if r.Got == n && started != nil {
			started <- id
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			r.Err = ctx.Err()
			return r
		}
	}
	r.Finished = time.Now()
	conn.CloseWrite()
	m, err := conn.Read(in)
	r.Got += m
	if m > 0 {
		r.Corrupt = true // nothing more was sent
	}
	if !errors.Is(err, io.EOF) {
		r.Err = err
	}
	return r
}

// Many runs clients clients against addr, each streaming s, and returns
// what each saw once all have ended. Once every client has had an echo,
// midway, it calls during (a short stream may have ended by then). If
// a client ends before its first echo, or ctx ends first, it does not
// call during, and returns ok false once all have ended, with that
// client's result first.
func Many(ctx context.Context, addr string, clients int, s Stream, during func()) (results []Result, ok bool) {
	started := make(chan int, clients)
	done := make(chan Result, clients)
	for id := range clients {
		go func() { done <- Echo(ctx, addr, id, s, started) }()
	}
	var ended []Result
	collect := func() []Result {
		for len(ended) < clients {
			ended = append(ended, <-done)
		}
		return ended
	}
	for echoed := 0; echoed < clients; {
		select {
		case <-started:
			echoed++
		case r := <-done:
			ended = append(ended, r)
			if r.Got < min(s.Chunk, s.Total) { // it ended before its first echo
				ended[0], ended[len(ended)-1] = r, ended[0] // first, for the caller to report
				return collect(), false
			}
			// It had its echo, and said so on started before it ended.
		case <-ctx.Done():
			return collect(), false
		}
	}
	during()
	return collect(), true
}
