package chassis_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// relay is a reactive test component. It passes what reaches "inbox" on
// out of "outbox", records every control message, passes it on out of
// "signal", and ends on a shutdown request (with fail, if set).
type relay struct {
	*axon.Core
	controls chan any
	fail     error
	fn       func(any) any // applied to data, if set
}

func newRelay(opts ...axon.Option) *relay {
	r := &relay{controls: make(chan any, 16)}
	r.Core = axontest.NewReactive("relay", r.handle, opts...)
	return r
}

func (r *relay) handle(ctx context.Context, c *axon.Core, box string, msg any) error {
	if box != "control" {
		if r.fn != nil {
			msg = r.fn(msg)
		}
		return c.Send(ctx, "outbox", msg)
	}
	r.controls <- msg
	if err := c.Send(ctx, "signal", msg); err != nil {
		return err
	}
	if axon.IsShutdownRequest(msg) {
		if r.fail != nil {
			return r.fail
		}
		return axon.ErrStop
	}
	return nil
}

// checkError checks that a constructor failed with an error matching
// want whose text mentions each of mention.
func checkError(t *testing.T, err, want error, mention []string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error %v, want one matching %v", err, want)
	}
	for _, s := range mention {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %s", err, s)
		}
	}
}

// free returns the children that have no parent (and are not nil).
func free[C axon.Component](children []C) []axon.Component {
	var out []axon.Component
	for _, c := range children {
		if v := reflect.ValueOf(c); !v.IsValid() || v.IsNil() || axon.CoreOf(c) == nil {
			continue
		}
		if axon.CoreOf(c).Parent() == nil {
			out = append(out, c)
		}
	}
	return out
}

// checkReleased checks that a failed constructor left the children it
// was given free: no links from their outboxes and no parent.
func checkReleased(t *testing.T, children []axon.Component) {
	t.Helper()
	for _, c := range children {
		core := axon.CoreOf(c)
		for _, box := range core.OutboxNames() {
			if core.Outbox(box).Linked() {
				t.Errorf("%s.%s left linked", c.Name(), box)
			}
		}
		if core.Parent() != nil {
			t.Errorf("%s left with a parent", c.Name())
		}
	}
}

// linkSet describes links as "from → to (kind)" strings, with each
// component name replaced by its label so tests can compare them.
func linkSet(links []*axon.Linkage, labels map[*axon.Core]string) []string {
	name := func(r axon.BoxRef) string {
		return labels[axon.CoreOf(r.Component())] + "." + r.Name()
	}
	out := make([]string, 0, len(links))
	for _, l := range links {
		out = append(out, name(l.Source())+" → "+name(l.Destination())+" ("+l.Kind().String()+")")
	}
	return out
}

// finisher is a component that sends ProducerFinished{Caller: itself,
// Err: err} on "signal" as soon as it starts, and ends with err.
func finisher(err error) *axon.Core {
	return axon.New("finisher", func(ctx context.Context, c *axon.Core) error {
		if serr := c.Send(ctx, "signal", axon.ProducerFinished{Caller: c, Err: err}); serr != nil {
			return serr
		}
		return err
	})
}
