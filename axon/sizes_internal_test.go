package axon

import (
	"testing"
	"unsafe"
)

// Every component has its boxes, and a server has a few components per
// connection: keep a box within the size it was made for, so that an
// idle connection's memory does not creep up unseen.
func TestBoxSize(t *testing.T) {
	if n := unsafe.Sizeof(box{}); n > 80 {
		t.Errorf("a box is %d bytes, more than 80", n)
	}
}

// Likewise a Core: a server has two per connection (the adapter's and
// the handler's), so it stays within the 384-byte allocation class.
func TestCoreSize(t *testing.T) {
	if n := unsafe.Sizeof(Core{}); n > 384 {
		t.Errorf("a Core is %d bytes, more than 384", n)
	}
}
