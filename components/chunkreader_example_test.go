package components_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/components"
)

// A ChunkReader passes its input on byte for byte: the "\r\n" and the
// last line without a newline arrive as they were (a ConsoleReader would
// have made both "\n"). Give it os.Stdin to read standard input.
func ExampleChunkReader() {
	ctx := context.Background()
	r := components.NewChunkReader(strings.NewReader("first\r\nsecond, no newline"))
	h, _ := axon.NewHandle(r) // takes what r sends, for this example
	defer h.Close()
	_ = r.Activate(ctx)
	var got []byte
	for {
		msg, err := h.Get(ctx, "outbox")
		if err != nil {
			break // r has ended, after its signal
		}
		got = append(got, msg.([]byte)...)
	}
	fmt.Printf("%q\n", got)
	// Output:
	// "first\r\nsecond, no newline"
}
