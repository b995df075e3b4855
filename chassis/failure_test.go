package chassis_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/chassis"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
)

var errBoom = errors.New("boom")

// failer ends with err at once, sending nothing.
func failer(err error) *axon.Core {
	return axon.New("failer", func(context.Context, *axon.Core) error { return err })
}

// panicker panics at once.
func panicker() *axon.Core {
	return axon.New("panicker", func(context.Context, *axon.Core) error { panic("bad") })
}

// terminals waits for c to end and returns every message it sent on
// signal that ends a stream (a shutdown request of either family).
func terminals(t *testing.T, ctx context.Context, h *axon.Handle, c axon.Component) []any {
	t.Helper()
	axontest.WaitDone(t, ctx, c)
	var out []any
	for {
		m, err := h.Get(ctx, "signal")
		if errors.Is(err, axon.ErrFinished) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if axon.IsShutdownRequest(m) {
			out = append(out, m)
		}
	}
}

// checkFailedEnd checks how a composite ended after a child failed:
// every child has ended, its Err matches want and names the failed
// child (and no child that was only stopped), and exactly one terminal
// message went out on its signal, from one of from, carrying want.
func checkFailedEnd(t *testing.T, composite axon.Component, got []any, want error, failed string, from ...axon.Component) {
	t.Helper()
	core := axon.CoreOf(composite)
	err := core.Err()
	if !isErr(err, want) || !strings.Contains(err.Error(), failed) || errors.Is(err, context.Canceled) {
		t.Errorf("Err = %v, want %v naming %s and no cancellation", err, want, failed)
	}
	if len(got) != 1 {
		t.Fatalf("%d terminal messages on signal, want exactly 1: %#v", len(got), got)
	}
	pf, ok := got[0].(axon.ProducerFinished)
	if !ok || !isErr(pf.Err, want) {
		t.Fatalf("signal got %#v, want a ProducerFinished carrying %v", got[0], want)
	}
	for _, c := range from {
		if pf.Caller == c {
			return
		}
	}
	t.Fatalf("ProducerFinished came from %v, want one of %v", pf.Caller, from)
}

// isErr reports whether err matches want, where a nil want stands for
// any *axon.PanicError.
func isErr(err, want error) bool {
	if want == nil {
		var pe *axon.PanicError
		return errors.As(err, &pe)
	}
	return errors.Is(err, want)
}

// When a child of a Pipeline ends with an error, the pipeline stops the
// others and ends with the error; exactly one terminal message goes out
// of its signal: the failed child's own, if it reached the signal (the
// last child's signal is the pipeline's), else the pipeline's.
func TestPipelineEndsWhenAChildFails(t *testing.T) {
	tests := []struct {
		name     string
		children func() []axon.Component
		failed   int   // index of the child that fails
		want     error // in Err and the terminal message; nil: a panic
		fromKid  bool  // the terminal message may be the failed child's
	}{
		{"first child fails without signalling", func() []axon.Component {
			return []axon.Component{failer(errBoom), newRelay(), newRelay()}
		}, 0, errBoom, false},
		{"middle child fails without signalling", func() []axon.Component {
			return []axon.Component{newRelay(), failer(errBoom), newRelay()}
		}, 1, errBoom, false},
		{"last child fails without signalling", func() []axon.Component {
			return []axon.Component{newRelay(), failer(errBoom)}
		}, 1, errBoom, false},
		{"last child fails after its producerFinished", func() []axon.Component {
			return []axon.Component{newRelay(), finisher(errBoom)}
		}, 1, errBoom, true},
		{"first child panics", func() []axon.Component {
			return []axon.Component{panicker(), newRelay(), newRelay()}
		}, 0, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := axontest.Context(t)
			kids := tt.children()
			p, err := chassis.NewPipeline(kids...)
			if err != nil {
				t.Fatal(err)
			}
			h := axontest.Handle(t, p)
			axontest.Activate(t, ctx, p)
			got := terminals(t, ctx, h, p)
			for _, k := range kids {
				if !axon.CoreOf(k).Finished() {
					t.Errorf("%s still running", k.Name())
				}
			}
			from := []axon.Component{p}
			if tt.fromKid {
				from = append(from, kids[tt.failed])
			}
			checkFailedEnd(t, p, got, tt.want, kids[tt.failed].Name(), from...)
		})
	}
}

// The same rule holds for a Graphline, whose signal is its own unless a
// linkage passes a child's box out to it.
func TestGraphlineEndsWhenAChildFails(t *testing.T) {
	tests := []struct {
		name    string
		a       func() axon.Component // "A" fails
		links   chassis.Linkages
		fromKid bool // the terminal message may be A's
	}{
		{"signal is the Graphline's own", func() axon.Component { return failer(errBoom) }, nil, false},
		{"signal passed out from the failed child", func() axon.Component { return finisher(errBoom) },
			chassis.Linkages{{"A", "signal"}: {"self", "signal"}}, true},
		{"signal passed out from another child", func() axon.Component { return failer(errBoom) },
			chassis.Linkages{{"B", "signal"}: {"self", "signal"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := axontest.Context(t)
			a, b := tt.a(), newRelay()
			g, err := chassis.NewGraphline(chassis.Children{"A": a, "B": b}, tt.links)
			if err != nil {
				t.Fatal(err)
			}
			h := axontest.Handle(t, g)
			axontest.Activate(t, ctx, g)
			got := terminals(t, ctx, h, g)
			if !b.Finished() {
				t.Error("B still running")
			}
			from := []axon.Component{g}
			if tt.fromKid {
				from = append(from, a)
			}
			checkFailedEnd(t, g, got, errBoom, `"A"`, from...)
		})
	}
}
