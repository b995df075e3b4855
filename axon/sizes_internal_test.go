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
