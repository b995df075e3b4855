package internet

import (
	"math/bits"
	"sync"
	"unsafe"
)

// readSize is how much a plain TCP adapter reads at once. Large reads
// cost nothing extra (the buffer is taken from a pool only when the
// socket is readable, and returned at once) and let one read carry a
// whole burst.
const readSize = 32 << 10

// smallRead is the size of the buffer on the reader's own stack that a
// plain TCP adapter reads into first while the reads it sees are small
// (see CSA.rawRead): a read that finds nothing, or a short message,
// then touches no pooled buffer but the chunk it hands out.
const smallRead = 512

// tlsReadSize is the buffer a TLS adapter holds while it waits for data:
// one TLS record at most.
const tlsReadSize = 16 << 10

// Chunk buffers come in power-of-two classes from minChunk to readSize.
// A chunk read from the socket is handed out in the smallest class that
// holds it, so a receiver that keeps a chunk keeps at most twice its
// length; buffers handed back to recycleChunk are reused.
const (
	minChunkShift = 6 // 64 B
	maxChunkShift = 16
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

// getReadBuf and putReadBuf are the read buffer of a plain TCP adapter:
// a readSize chunk buffer.
func getReadBuf() []byte  { return getChunk(readSize) }
func putReadBuf(b []byte) { recycleChunk(b) }

// chunkOf turns the first n bytes read into buf (a readSize buffer the
// caller owns) into a chunk to send. A read that fills more than half of
// buf is sent in buf itself; a smaller one is copied into a buffer of
// its class and buf goes back to the pool.
func chunkOf(buf []byte, n int) []byte {
	if n > readSize/2 {
		return buf[:n]
	}
	c := getChunk(n)[:n]
	copy(c, buf[:n])
	putReadBuf(buf)
	return c
}

// copyChunk returns a chunk of its own holding p.
func copyChunk(p []byte) []byte {
	c := getChunk(len(p))[:len(p)]
	copy(c, p)
	return c
}
