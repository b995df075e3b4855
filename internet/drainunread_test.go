package internet_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
)

// gatedEcho makes handlers that take nothing until gate is closed, then
// echo what they get and pass their control messages on (ending with
// the first). Their inbox holds at most 16 KiB.
func gatedEcho(gate <-chan struct{}) func() axon.Component {
	return func() axon.Component {
		return axon.New("gated", func(ctx context.Context, c *axon.Core) error {
			select {
			case <-gate:
			case <-ctx.Done():
				return ctx.Err()
			}
			for box, msg := range c.Messages(ctx) {
				if box == "control" {
					return c.Send(ctx, "signal", msg)
				}
				if err := c.Send(ctx, "outbox", msg); err != nil {
					return err
				}
			}
			return ctx.Err()
		}, axon.WithInboxes(axon.Box("inbox", "").WithLimit(axon.Limit{Bytes: 16 << 10}), axon.Box("control", "")))
	}
}

// TestServerShutdownLeavesAStalledReaderOpen: a drain closes a connection
// that has made no progress for a second only if nothing waits to be
// read either. An adapter held up by a consumer that takes nothing makes
// no progress while its peer's bytes wait in the socket: the drain
// closes a connection quiet for as long, and leaves this one, which
// then delivers every byte once the consumer takes them.
func TestServerShutdownLeavesAStalledReaderOpen(t *testing.T) {
	t.Parallel()
	ctx, reg := testCtx(t)
	gate := make(chan struct{})
	srv, w := startServer(t, ctx, gatedEcho(gate))

	stalled := dialCore(t, srv)
	sent := randomBytes(5, 256<<10)
	wrote := make(chan error, 1)
	go func() {
		_, err := stalled.Write(sent)
		wrote <- err
	}()
	eventually(t, ctx, "the adapter waiting for room in the handler's inbox", func() bool {
		return inboxInfo(reg, "gated").Waiting == 1
	})
	// Made after the stalled adapter's last progress: once the drain
	// finds this one quiet, it has found the stalled one quiet for longer.
	quiet := dialCore(t, srv)
	eventually(t, ctx, "both connections announced", func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		return len(w.news) == 2
	})

	shut := shutdownAsync(ctx, srv, 30*time.Second)
	if got := readAll(t, ctx, quiet); len(got) != 0 {
		t.Fatalf("the quiet connection got %q", got)
	}
	close(gate)
	echo := make([]byte, len(sent))
	stalled.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.ReadFull(stalled, echo); err != nil || !bytes.Equal(echo, sent) {
		t.Fatalf("the stalled connection's echo: %v (the bytes match: %v)", err, bytes.Equal(echo, sent))
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	stalled.CloseWrite()
	if got := readAll(t, ctx, stalled); len(got) != 0 {
		t.Fatalf("unexpected %q", got)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}
