package axon

import (
	"errors"
	"fmt"
)

// Sentinel errors. Errors returned by this package wrap one of these, so
// callers test them with errors.Is.
var (
	// ErrBoxFull is returned by TrySend when the destination inbox is at
	// its limit. Send waits instead.
	ErrBoxFull = errors.New("axon: box full")

	// ErrNoBox means a component has no box of the given name and kind.
	ErrNoBox = errors.New("axon: no such box")

	// ErrAlreadyLinked means the source box of a link already feeds
	// another box. Fan-in is allowed; fan-out is not.
	ErrAlreadyLinked = errors.New("axon: box already linked to a destination")

	// ErrBadLink means the two boxes cannot be linked: an inbox cannot
	// feed an outbox, and a chain of links may not loop back on itself.
	ErrBadLink = errors.New("axon: boxes cannot be linked")

	// ErrNotLinked is returned when unlinking a linkage that is not (or no
	// longer) in place, or that belongs to another component.
	ErrNotLinked = errors.New("axon: not linked")

	// ErrActivated is returned by Activate when the component was
	// activated before.
	ErrActivated = errors.New("axon: component already activated")

	// ErrFinished is returned when an operation needs a component that
	// has not ended yet, such as adding a child to a finished parent.
	ErrFinished = errors.New("axon: component finished")

	// ErrServiceExists is returned when registering a service name that
	// is already registered.
	ErrServiceExists = errors.New("axon: service already registered")

	// ErrNoService is returned when looking up or removing a service
	// name that is not registered.
	ErrNoService = errors.New("axon: no such service")

	// ErrStop is returned by a Step to say the component has finished
	// normally. A Body simply returns nil instead.
	ErrStop = errors.New("axon: stop")
)

// BoxError reports a problem with one named box of one component. It
// wraps the cause (ErrNoBox, ErrAlreadyLinked, ErrBoxFull, ...).
type BoxError struct {
	Component string // name of the component owning the box
	Box       string // box name
	Inbox     bool   // true for an inbox, false for an outbox
	Err       error  // the cause
}

func (e *BoxError) Error() string {
	kind := "outbox"
	if e.Inbox {
		kind = "inbox"
	}
	return fmt.Sprintf("%s %q of %s: %v", kind, e.Box, e.Component, e.Err)
}

// Unwrap returns the cause.
func (e *BoxError) Unwrap() error { return e.Err }

// PanicError is the error a component ends with when its body or step
// panicked. The panic is recovered; other components keep running.
type PanicError struct {
	Component string // name of the component that panicked
	Value     any    // the value passed to panic
	Stack     []byte // the goroutine stack at the panic
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("axon: component %s panicked: %v", e.Component, e.Value)
}

// Unwrap returns the panic value if it is an error, so errors.Is and
// errors.As see through a panic(err).
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}
