package components_test

import (
	"context"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
	"github.com/kamaelia-go/kamaelia/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// arrival is one message a recorder received, with the box it came in.
type arrival struct {
	box string
	msg any
}

// recorder is a reactive component that records everything reaching
// its "inbox" and "control", in arrival order. It ends only when
// stopped.
type recorder struct {
	*axon.Core
	got chan arrival

	inbox, control []any // what taken has collected; test goroutine only
}

// record links c's "outbox" to a new recorder's "inbox" and c's "signal"
// to its "control", and starts the recorder; it is stopped when the
// test ends.
func record(t *testing.T, ctx context.Context, c axon.Component) *recorder {
	t.Helper()
	r := &recorder{got: make(chan arrival, 1024)}
	r.Core = axontest.NewReactive("recorder", func(_ context.Context, _ *axon.Core, box string, msg any) error {
		r.got <- arrival{box, msg}
		return nil
	})
	wireTo(t, c, r)
	axontest.Activate(t, ctx, r)
	t.Cleanup(func() { r.Stop(); <-r.Done() })
	return r
}

// wireTo links c's "outbox" to sink's "inbox" and c's "signal" to
// sink's "control".
func wireTo(t *testing.T, c, sink axon.Component) {
	t.Helper()
	for _, l := range [][2]axon.BoxRef{
		{axon.Out(c, "outbox"), axon.In(sink, "inbox")},
		{axon.Out(c, "signal"), axon.In(sink, "control")},
	} {
		if _, err := axon.Link(l[0], l[1]); err != nil {
			t.Fatal(err)
		}
	}
}

// next returns the next arrival or fails the test at the deadline.
func (r *recorder) next(t *testing.T, ctx context.Context) arrival {
	t.Helper()
	select {
	case a := <-r.got:
		return a
	case <-ctx.Done():
		t.Fatal("no message arrived before the deadline")
	}
	return arrival{}
}

// taken collects the arrivals so far, without waiting, and returns all
// those collected by this and earlier calls, by box.
func (r *recorder) taken() (inbox, control []any) {
	for len(r.got) > 0 {
		a := <-r.got
		if a.box == "control" {
			r.control = append(r.control, a.msg)
		} else {
			r.inbox = append(r.inbox, a.msg)
		}
	}
	return r.inbox, r.control
}

// joined concatenates []byte and string messages.
func joined(msgs []any) string {
	var b []byte
	for _, m := range msgs {
		switch m := m.(type) {
		case []byte:
			b = append(b, m...)
		case string:
			b = append(b, m...)
		}
	}
	return string(b)
}

// data collects the arrivals on "inbox" up to the first on "control",
// which it returns too.
func (r *recorder) data(t *testing.T, ctx context.Context) ([]any, any) {
	t.Helper()
	var msgs []any
	for {
		a := r.next(t, ctx)
		if a.box == "control" {
			return msgs, a.msg
		}
		msgs = append(msgs, a.msg)
	}
}

// putIn delivers msg into c's named inbox.
func putIn(t *testing.T, ctx context.Context, c axon.Component, box string, msg any) {
	t.Helper()
	if err := axon.CoreOf(c).Inbox(box).Put(ctx, msg); err != nil {
		t.Fatalf("put into %s.%s: %v", c.Name(), box, err)
	}
}

// finished checks that msg is a ProducerFinished from caller with no
// error.
func finished(t *testing.T, msg any, caller axon.Component) {
	t.Helper()
	pf, ok := msg.(axon.ProducerFinished)
	if !ok || pf.Caller != caller || pf.Err != nil {
		t.Fatalf("signal got %#v, want ProducerFinished{Caller: %s}", msg, caller.Name())
	}
}
