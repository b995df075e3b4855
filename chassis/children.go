package chassis

import (
	"errors"
	"fmt"

	"github.com/kamaelia-go/kamaelia/axon"
)

// Errors returned by the constructors. Wiring errors also wrap the axon
// error that caused them (axon.ErrNoBox, axon.ErrAlreadyLinked, ...), so
// errors.Is works on either.
var (
	// ErrNoChildren means a chassis was given no children.
	ErrNoChildren = errors.New("chassis: no children")

	// ErrBadChild means a child cannot be used: it is nil, it is given
	// twice, its name is reserved for the chassis itself ("" or "self"),
	// or it already belongs to another parent.
	ErrBadChild = errors.New("chassis: bad child")

	// ErrUnknownChild means a linkage names a component that is not
	// among the Graphline's children.
	ErrUnknownChild = errors.New("chassis: unknown child")

	// ErrUnrouted is the cause a Graphline reports (in an
	// axon.ErrorInformation on its signal) for a message that reached
	// one of its inboxes that no linkage passes to a child. The message
	// is dropped.
	ErrUnrouted = errors.New("chassis: no linkage passes this box to a child; message dropped")
)

// member is one child with the label errors give it.
type member struct {
	label string
	c     axon.Component
}

// newMember labels c for errors: the given label, then its component
// name. A nil pointer of a component type, or a component whose Core is
// nil, counts as nil.
func newMember(label string, c axon.Component) member {
	if axon.CoreOf(c) == nil { // also a nil pointer of a component type
		c = nil
	}
	if c != nil {
		label += " (" + c.Name() + ")"
	}
	return member{label: label, c: c}
}

// wire is one link a chassis makes.
type wire struct {
	src, dst axon.BoxRef
	what     string // how the caller named the link, for errors
}

// checkMembers reports a child that is nil, given twice, or already
// another component's child.
func checkMembers(members []member) error {
	seen := make(map[*axon.Core]string, len(members))
	for _, m := range members {
		c := axon.CoreOf(m.c)
		if c == nil {
			return fmt.Errorf("%w: child %s is nil", ErrBadChild, m.label)
		}
		if other, ok := seen[c]; ok {
			return fmt.Errorf("%w: child %s is also child %s", ErrBadChild, m.label, other)
		}
		if p := c.Parent(); p != nil {
			return fmt.Errorf("%w: child %s is already a child of %s", ErrBadChild, m.label, p.Name())
		}
		seen[c] = m.label
	}
	return nil
}

// connect makes the links for parent and adopts the members as its
// children. On failure it undoes everything it did, so the children can
// be used elsewhere, and returns an error that names the link or child.
func connect(parent *axon.Core, wires []wire, members []member) error {
	for _, w := range wires {
		if _, err := parent.Link(w.src, w.dst); err != nil {
			unwire(parent, nil)
			return fmt.Errorf("%s: %w", w.what, err)
		}
	}
	for i, m := range members {
		if err := parent.AddChildren(m.c); err != nil {
			unwire(parent, members[:i])
			return fmt.Errorf("%w: child %s: %w", ErrBadChild, m.label, err)
		}
	}
	return nil
}

// unwire removes every link parent made and releases the given children.
func unwire(parent *axon.Core, adopted []member) {
	for _, m := range adopted {
		parent.RemoveChild(m.c)
	}
	for _, l := range parent.Links() {
		_ = parent.Unlink(l)
	}
}
