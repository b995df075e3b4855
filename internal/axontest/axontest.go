// Package axontest holds helpers for tests of components: a context
// that ends with the test, and handle, activation and wait helpers that
// fail the test instead of returning errors.
package axontest

import (
	"context"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
)

// Deadline bounds how long a helper waits, so a broken test fails
// instead of hanging.
const Deadline = 20 * time.Second

// Context returns a context that ends with the test (or after Deadline)
// and carries a registry of its own.
func Context(t testing.TB) context.Context {
	t.Helper()
	return ContextFor(t, Deadline)
}

// ContextFor is Context with a deadline of d, for tests that take long
// (a browser, ten thousand connections). axon.RegistryFrom returns its
// registry.
func ContextFor(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return axon.NewContext(ctx, axon.NewRegistry())
}

// Activate activates c or fails the test.
func Activate(t testing.TB, ctx context.Context, c axon.Component) {
	t.Helper()
	if err := axon.CoreOf(c).Activate(ctx); err != nil {
		t.Fatal(err)
	}
}

// Handle returns a handle on c, closed when the test ends.
func Handle(t testing.TB, c axon.Component) *axon.Handle {
	t.Helper()
	h, err := axon.NewHandle(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

// Put puts msg into the named inbox through h or fails the test.
func Put(t testing.TB, ctx context.Context, h *axon.Handle, box string, msg any) {
	t.Helper()
	if err := h.Put(ctx, box, msg); err != nil {
		t.Fatalf("put into %s: %v", box, err)
	}
}

// Get returns the next message from the named outbox through h or fails
// the test.
func Get(t testing.TB, ctx context.Context, h *axon.Handle, box string) any {
	t.Helper()
	m, err := h.Get(ctx, box)
	if err != nil {
		t.Fatalf("get from %s: %v", box, err)
	}
	return m
}

// WaitDone waits for c to end or fails the test when ctx ends.
func WaitDone(t testing.TB, ctx context.Context, c axon.Component) {
	t.Helper()
	select {
	case <-axon.CoreOf(c).Done():
	case <-ctx.Done():
		t.Fatalf("%s did not end", c.Name())
	}
}

// Handler handles one message that reached the named inbox of c. It
// returns axon.ErrStop to end the component normally, another error to
// fail it, or nil to carry on.
type Handler func(ctx context.Context, c *axon.Core, box string, msg any) error

// NewReactive returns a reactive component whose step hands every
// message, in arrival order across its inboxes, to handle. When the
// component is stopped it ends with the context's error.
func NewReactive(name string, handle Handler, opts ...axon.Option) *axon.Core {
	return axon.NewReactive(name, func(ctx context.Context, c *axon.Core) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		for box, msg := range c.Messages(ctx) {
			if err := handle(ctx, c, box, msg); err != nil {
				return err
			}
		}
		return nil
	}, opts...)
}

// Eventually polls cond until it holds, or fails the test when ctx ends.
// It waits on an observable condition, never on the passing of time.
func Eventually(t testing.TB, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("never happened: %s", what)
		}
	}
}

// SkipShort skips a load test with -short, saying why it is one: the
// quick suite (the README's test command) leaves it to the full suite,
// which CI runs as well.
func SkipShort(t testing.TB, why string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("a load test (%s); skipped with -short", why)
	}
}

// ShortOr returns short with -short (the quick suite), else full: the
// size of a load test that runs smaller in the quick suite.
func ShortOr(short, full int) int {
	if testing.Short() {
		return short
	}
	return full
}

// Families says which of axon's message families a message belongs to.
type Families struct{ ProducerFinished, ShutdownMicroprocess, Notify bool }

// CheckFamilies fails the test unless axon's predicates put msg in
// exactly the families want names (and IsShutdownRequest agrees).
func CheckFamilies(t testing.TB, msg any, want Families) {
	t.Helper()
	got := Families{axon.IsProducerFinished(msg), axon.IsShutdownMicroprocess(msg), axon.IsNotify(msg)}
	if got != want {
		t.Errorf("%T is in the families %+v, want %+v", msg, got, want)
	}
	if r := axon.IsShutdownRequest(msg); r != (want.ProducerFinished || want.ShutdownMicroprocess) {
		t.Errorf("IsShutdownRequest(%T) = %v", msg, r)
	}
}
