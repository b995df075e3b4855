package internet

import (
	"testing"
	"unsafe"
)

// The buffer sizes the adapter relies on fit together: every read and
// every chunk it copies has a pooled class, and no class is dead.
func TestBufferSizesFit(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"the largest class is the largest read", minChunk<<(maxChunkShift-minChunkShift) == readSize},
		{"a TLS read has a class", tlsReadSize <= readSize},
		{"the stack buffer is below the classes it grows into", smallRead < readSize && smallRead >= minChunk},
		{"a write batch is one read's worth", writeBatch == readSize},
		{"the writev scratch fits one call", iovBatch <= maxIovecs},
		{"every class has a pool", len(chunkPools) == chunkClass(readSize)+1},
	}
	for _, tt := range tests {
		if !tt.ok {
			t.Errorf("%s: does not hold", tt.name)
		}
	}
	for n := 1; n <= readSize; n = n*2 + 1 {
		if b := getChunk(n); len(b) < n || len(b) > max(2*n, minChunk) {
			t.Errorf("getChunk(%d) has %d bytes", n, len(b))
		}
	}
	// A connection's adapter is per-connection memory: keep it within
	// one small allocation class.
	if n := unsafe.Sizeof(CSA{}); n > 512 {
		t.Errorf("a CSA is %d bytes, more than 512", n)
	}
}
