package internet

import (
	"math/bits"
	"sync"
	"unsafe"
)

// readSize is the most a plain TCP adapter reads at once. Its reads
// grow to it while they fill their buffers (see CSA.rawRead), so that
// one read carries a whole burst.
const readSize = 32 << 10

// smallRead is the size of the buffer on the reader's own stack that a
// plain TCP adapter reads into while the reads it sees are short (see
// CSA.rawRead): a read that finds nothing, or a short message, then
// touches no pooled buffer but the chunk it hands out.
const smallRead = 512

// tlsReadSize is the buffer a TLS adapter holds while it waits for data:
// one TLS record at most.
const tlsReadSize = 16 << 10

// Chunk buffers come in power-of-two classes from minChunk to readSize.
// A chunk read from the socket is handed out in the smallest class that
// holds it, so a receiver that keeps a chunk keeps at most twice its
// length; buffers handed back to recycleChunk are reused.
const (
	minChunkShift = 6  // 64 B
	maxChunkShift = 15 // readSize: no read is larger
	minChunk      = 1 << minChunkShift
)

// chunkPools hold spare buffers by class, each as a pointer to its first
// byte: a pointer goes into an interface without an allocation, where a
// slice would need one, and the class gives the length back.
var chunkPools [maxChunkShift - minChunkShift + 1]sync.Pool

func chunkClass(n int) int {
	if n <= minChunk {
		return 0
	}
	return bits.Len(uint(n-1)) - minChunkShift
}

// getChunk returns a buffer of length size class(n) >= n.
func getChunk(n int) []byte {
	c := chunkClass(n)
	if p, _ := chunkPools[c].Get().(*byte); p != nil {
		return unsafe.Slice(p, minChunk<<c)
	}
	return make([]byte, minChunk<<c)
}

// recycleChunk takes back a buffer whose owner is done with it. Only
// buffers of an exact class size are kept; others are left to the
// garbage collector.
func recycleChunk(b []byte) {
	n := cap(b)
	if n < minChunk || n > readSize || n&(n-1) != 0 {
		return
	}
	chunkPools[chunkClass(n)].Put(unsafe.SliceData(b[:n]))
}

// trimChunk turns the first n bytes read into buf (a chunk buffer the
// caller owns) into a chunk to send: buf itself if they fill at least
// half of it, else a copy in a buffer of their class, and buf goes back
// to the pool. Either way the receiver holds at most twice n.
func trimChunk(buf []byte, n int) []byte {
	if 2*n >= len(buf) {
		return buf[:n]
	}
	c := copyChunk(buf[:n])
	recycleChunk(buf)
	return c
}

// copyChunk returns a chunk of its own holding p.
func copyChunk(p []byte) []byte {
	c := getChunk(len(p))[:len(p)]
	copy(c, p)
	return c
}
