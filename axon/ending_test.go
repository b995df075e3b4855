package axon_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
)

// TestHowComponentsEnd backs the table "How a component ends" in the
// package doc: each way a component can end or be stopped, the Err it
// ends with, the cause its context carries, and what axon sends on its
// signal. The component under test returns its context's error when it
// is stopped, as the doc advises.
func TestHowComponentsEnd(t *testing.T) {
	boom := errors.New("boom")
	var pe *axon.PanicError
	isPanic := func(err error) bool { return errors.As(err, &pe) }
	is := func(want error) func(error) bool { return func(err error) bool { return errors.Is(err, want) } }
	isNil := func(err error) bool { return err == nil }
	type setup struct {
		c      *axon.Core // the component under test
		top    *axon.Core // what is activated: c or its parent
		cancel context.CancelFunc
		fail   chan error // the parent's body returns what is sent here
	}
	tests := []struct {
		name   string
		body   axon.Body // if set, c runs it; else c waits for its context
		step   axon.Step // if set, c is reactive and runs it
		parent bool      // c is the child of a body that returns what fail gets
		end    func(t *testing.T, s setup)
		err    func(error) bool // c's Err
		cause  func(error) bool // the cause on c's context, if it was cancelled
		signal bool             // axon sent a ProducerFinished carrying Err on signal
	}{
		{name: "body returns nil", body: func(context.Context, *axon.Core) error { return nil }, err: isNil},
		{name: "step returns ErrStop", step: func(context.Context, *axon.Core) error { return axon.ErrStop }, err: isNil},
		{name: "body returns an error", body: func(context.Context, *axon.Core) error { return boom }, err: is(boom), cause: is(boom)},
		{name: "step returns an error", step: func(context.Context, *axon.Core) error { return boom }, err: is(boom), cause: is(boom)},
		{name: "body panics", body: func(context.Context, *axon.Core) error { panic(boom) }, err: isPanic, cause: isPanic, signal: true},
		{name: "step panics", step: func(context.Context, *axon.Core) error { panic(boom) }, err: isPanic, cause: isPanic, signal: true},
		{name: "helper panics", body: func(ctx context.Context, c *axon.Core) error {
			if err := c.Go(func(context.Context) { panic(boom) }); err != nil {
				return err
			}
			<-ctx.Done()
			return ctx.Err()
		}, err: isPanic, cause: isPanic},
		{name: "Stop", end: func(_ *testing.T, s setup) { s.c.Stop() }, err: is(context.Canceled), cause: is(context.Canceled)},
		{name: "Stop, reactive", step: func(ctx context.Context, c *axon.Core) error { return ctx.Err() },
			end: func(_ *testing.T, s setup) { s.c.Stop() }, err: is(context.Canceled), cause: is(context.Canceled)},
		{name: "activation context cancelled", end: func(_ *testing.T, s setup) { s.cancel() }, err: is(context.Canceled), cause: is(context.Canceled)},
		{name: "activation context deadline", end: func(*testing.T, setup) { time.Sleep(time.Hour) },
			err: is(context.DeadlineExceeded), cause: is(context.DeadlineExceeded)},
		{name: "parent stopped", parent: true, end: func(_ *testing.T, s setup) { s.top.Stop() }, err: is(context.Canceled), cause: is(context.Canceled)},
		{name: "parent fails", parent: true, end: func(_ *testing.T, s setup) { s.fail <- boom }, err: is(context.Canceled), cause: is(boom)},
		{name: "parent ends normally", parent: true, end: func(t *testing.T, s setup) {
			s.fail <- nil
			synctest.Wait()
			if s.c.Finished() {
				t.Fatal("the child ended with its parent")
			}
			s.c.Stop()
		},
			err: is(context.Canceled), cause: is(context.Canceled)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				var ctxOf context.Context // c's context, as its body or step saw it
				body := tt.body
				if body == nil {
					body = func(ctx context.Context, c *axon.Core) error {
						<-ctx.Done()
						return ctx.Err()
					}
				}
				var c *axon.Core
				if tt.step != nil {
					c = axon.NewReactive("c", func(ctx context.Context, c *axon.Core) error {
						ctxOf = ctx
						return tt.step(ctx, c)
					})
				} else {
					c = axon.New("c", func(ctx context.Context, c *axon.Core) error {
						ctxOf = ctx
						return body(ctx, c)
					})
				}
				s := setup{c: c, top: c, cancel: cancel, fail: make(chan error)}
				if tt.parent {
					s.top = axon.New("parent", func(ctx context.Context, _ *axon.Core) error {
						select {
						case err := <-s.fail:
							return err
						case <-ctx.Done():
							return ctx.Err()
						}
					})
					if err := s.top.AddChildren(c); err != nil {
						t.Fatal(err)
					}
				}
				h, err := axon.NewHandle(c)
				if err != nil {
					t.Fatal(err)
				}
				defer h.Close()
				if err := s.top.Activate(ctx); err != nil {
					t.Fatal(err)
				}
				synctest.Wait()
				if tt.end != nil {
					tt.end(t, s)
				}
				<-c.Done()
				if err := c.Err(); !tt.err(err) {
					t.Errorf("Err = %v", err)
				}
				if tt.cause != nil {
					if cause := context.Cause(ctxOf); !tt.cause(cause) {
						t.Errorf("context's cause = %v", cause)
					}
				}
				m, err := h.Get(context.Background(), "signal") // c is done: this does not wait
				switch {
				case tt.signal && (err != nil || !axon.IsProducerFinished(m) || axon.Cause(m) != c.Err()):
					t.Errorf("signal got %#v (err %v), want a ProducerFinished carrying Err", m, err)
				case !tt.signal && !errors.Is(err, axon.ErrFinished):
					t.Errorf("signal got %#v, want nothing", m)
				}
				s.top.Stop()
				<-s.top.Done()
			})
		})
	}
}
