package internet

import "sync"

// readSize is how much a plain TCP adapter reads at once. Large reads
// cost nothing extra (the buffer is taken from a pool only when the
// socket is readable, and returned at once) and let one read carry a
// whole burst.
const readSize = 64 << 10

// tlsReadSize is the buffer a TLS adapter holds while it waits for data:
// one TLS record at most.
const tlsReadSize = 16 << 10

var readPool = sync.Pool{New: func() any { b := make([]byte, readSize); return &b }}

func getReadBuf() *[]byte  { return readPool.Get().(*[]byte) }
func putReadBuf(b *[]byte) { readPool.Put(b) }
