package components_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"testing/synctest"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/chassis"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internet"
)

type wrongType struct{ N int }

// allComponents builds one of each component that runs until told to
// stop, for the tests of the package conventions.
var allComponents = []struct {
	name     string
	build    func(t *testing.T) axon.Component
	bad      any   // a message "inbox" does not take; nil if it takes anything
	badCause error // what the report of it wraps
}{
	{"ConsoleReader", func(t *testing.T) axon.Component {
		pr, pw := io.Pipe() // input that never comes
		t.Cleanup(func() { pw.Close() })
		return components.NewConsoleReader(components.WithInput(pr), components.WithPrompt(""))
	}, wrongType{1}, components.ErrUnexpectedMessage},
	{"ConsoleEchoer", func(t *testing.T) axon.Component {
		return components.NewConsoleEchoer(components.WithOutput(io.Discard))
	}, nil, nil},
	{"TriggeredOneShot", func(t *testing.T) axon.Component { return components.NewTriggeredOneShot("x") }, nil, nil},
	{"RateController", func(t *testing.T) axon.Component {
		return must(components.NewRateController())
	}, wrongType{2}, components.ErrUnexpectedMessage},
	{"PromptedFileReader", func(t *testing.T) axon.Component {
		return must(components.NewPromptedFileReader(writeFile(t, "data"), components.ReadLines))
	}, "three", components.ErrUnexpectedMessage},
	{"RateControlledFileReader", func(t *testing.T) axon.Component {
		return must(components.NewRateControlledFileReader(writeFile(t, "data"), components.ReadBytes))
	}, 5, chassis.ErrUnrouted},
}

// Every component: bad input on "inbox" is reported on "signal" and the
// component carries on; other control messages are passed on; a
// shutdown request on "control" is passed on, unchanged, and ends it
// cleanly.
func TestComponentsFollowTheShutdownConventions(t *testing.T) {
	t.Parallel()
	stops := []struct {
		name string
		msg  any
	}{
		{"producerFinished", axon.ProducerFinished{Message: "finish up"}},
		{"shutdownMicroprocess", axon.ShutdownMicroprocess{Message: "stop now"}},
		{"socketShutdown", internet.SocketShutdown{ProducerFinished: axon.ProducerFinished{Message: "peer closed"}}},
	}
	for _, comp := range allComponents {
		for _, stop := range stops {
			t.Run(comp.name+"/"+stop.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					ctx := axontest.Context(t)
					c := comp.build(t)
					h := axontest.Handle(t, c)
					axontest.Activate(t, ctx, c)
					synctest.Wait()
					if comp.bad != nil {
						axontest.Put(t, ctx, h, "inbox", comp.bad)
						m := axontest.Get(t, ctx, h, "signal")
						ei, ok := m.(axon.ErrorInformation)
						var be *axon.BoxError
						if !ok || ei.Message != comp.bad || !errors.Is(ei.Err, comp.badCause) ||
							!errors.As(ei.Err, &be) || be.Box != "inbox" || be.Component != c.Name() {
							t.Fatalf("signal got %#v, want ErrorInformation naming %s's inbox", m, c.Name())
						}
					}
					status := axon.Status{Status: "fyi"}
					for _, m := range []any{status, stop.msg} {
						axontest.Put(t, ctx, h, "control", m)
						if got := axontest.Get(t, ctx, h, "signal"); got != m {
							t.Fatalf("signal got %#v, want %#v passed on", got, m)
						}
					}
					<-axon.CoreOf(c).Done()
					if err := axon.CoreOf(c).Err(); err != nil {
						t.Fatalf("Err = %v", err)
					}
					if m, err := h.Get(ctx, "signal"); !errors.Is(err, axon.ErrFinished) {
						t.Fatalf("after its end, signal got %#v (err %v)", m, err)
					}
				})
			})
		}
	}
}

// A stopped component ends at once, says nothing, and reports the
// context's error.
func TestComponentsStop(t *testing.T) {
	t.Parallel()
	for _, tt := range allComponents {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := axontest.Context(t)
				c := tt.build(t)
				h := axontest.Handle(t, c)
				axontest.Activate(t, ctx, c)
				synctest.Wait()
				axon.CoreOf(c).Stop()
				<-axon.CoreOf(c).Done()
				if err := axon.CoreOf(c).Err(); !errors.Is(err, context.Canceled) {
					t.Fatalf("Err = %v, want context.Canceled", err)
				}
				if m, err := h.Get(ctx, "signal"); !errors.Is(err, axon.ErrFinished) {
					t.Fatalf("a stopped component sent %#v (err %v)", m, err)
				}
			})
		})
	}
}

// must returns c, panicking on err: for constructors that cannot fail
// with the arguments a test gives them.
func must[C axon.Component](c C, err error) axon.Component {
	if err != nil {
		panic(err)
	}
	return c
}
