package axon_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"testing/synctest"

	"github.com/kamaelia-go/kamaelia/axon"
)

// got is one message a Messages loop yielded.
type got struct {
	box string
	msg any
}

// Messages in a body: messages in arrival order across boxes, waiting
// for more when none is queued, until the loop's context ends; the
// reason is the context's afterwards.
func TestMessagesInABody(t *testing.T) {
	errWhy := errors.New("why")
	tests := []struct {
		name string
		// end ends the loop, given the component and the cancel of the
		// context its loop was given (derived from the body's).
		end       func(c *axon.Core, cancel context.CancelCauseFunc)
		wantErr   error // ctx.Err() after the loop
		wantCause error // context.Cause(ctx) after the loop
	}{
		{"the component is stopped", func(c *axon.Core, _ context.CancelCauseFunc) { c.Stop() }, context.Canceled, context.Canceled},
		{"the loop's context ends", func(_ *axon.Core, cancel context.CancelCauseFunc) { cancel(errWhy) }, context.Canceled, errWhy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := testCtx(t)
				var seen []got
				var afterErr, afterCause error
				cancels := make(chan context.CancelCauseFunc, 1)
				c := axon.New("reader", func(body context.Context, c *axon.Core) error {
					ctx, cancel := context.WithCancelCause(body)
					defer cancel(nil)
					cancels <- cancel
					for box, msg := range c.Messages(ctx) {
						seen = append(seen, got{box, msg})
					}
					afterErr, afterCause = ctx.Err(), context.Cause(ctx)
					return afterErr
				})
				if err := c.Activate(ctx); err != nil {
					t.Fatal(err)
				}
				cancel := <-cancels
				for i, m := range []got{{"inbox", 1}, {"control", "two"}, {"inbox", 3}} {
					if err := c.Inbox(m.box).Put(ctx, m.msg); err != nil {
						t.Fatal(err)
					}
					synctest.Wait() // taken, and waiting for more
					if len(seen) != i+1 || c.Finished() {
						t.Fatalf("after %d messages the loop yielded %v (finished: %v)", i+1, seen, c.Finished())
					}
				}
				tt.end(c, cancel)
				waitDone(t, ctx, c)
				want := []got{{"inbox", 1}, {"control", "two"}, {"inbox", 3}}
				if !reflect.DeepEqual(seen, want) {
					t.Errorf("yielded %v, want %v", seen, want)
				}
				if afterErr != tt.wantErr || afterCause != tt.wantCause {
					t.Errorf("after the loop: Err %v, Cause %v; want %v, %v", afterErr, afterCause, tt.wantErr, tt.wantCause)
				}
			})
		})
	}
}

// Messages in a step yields what is queued, in arrival order, and ends
// when nothing is left; the step runs again for what comes later.
func TestMessagesInAStep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := testCtx(t)
		var steps [][]got
		c := axon.NewReactive("reader", func(ctx context.Context, c *axon.Core) error {
			var this []got
			for box, msg := range c.Messages(ctx) {
				this = append(this, got{box, msg})
			}
			steps = append(steps, this)
			return ctx.Err()
		})
		h, err := axon.NewHandle(c)
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		for _, m := range []got{{"inbox", 1}, {"control", 2}} {
			if err := h.Put(ctx, m.box, m.msg); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Activate(ctx); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // the first step has taken both
		if err := h.Put(ctx, "inbox", 3); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		want := [][]got{{{"inbox", 1}, {"control", 2}}, {{"inbox", 3}}}
		if !reflect.DeepEqual(steps, want) {
			t.Errorf("steps yielded %v, want %v", steps, want)
		}
		c.Stop()
		waitDone(t, ctx, c)
	})
}

// A break ends the loop at once and leaves the rest queued, in order,
// for the next loop; a loop whose context has ended yields nothing.
func TestMessagesBreakLeavesTheRest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := testCtx(t)
		var first, second, late []any
		done := make(chan struct{})
		c := axon.New("reader", func(body context.Context, c *axon.Core) error {
			for _, msg := range c.Messages(body) {
				if first = append(first, msg); len(first) == 2 {
					break
				}
			}
			ended, cancel := context.WithCancel(body)
			cancel()
			for _, msg := range c.Messages(ended) {
				late = append(late, msg)
			}
			for _, msg := range c.Messages(body) {
				if second = append(second, msg); len(second) == 2 {
					break
				}
			}
			close(done)
			return nil
		})
		for i := range 4 {
			if err := c.Inbox("inbox").Put(ctx, i); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Activate(ctx); err != nil {
			t.Fatal(err)
		}
		<-done
		waitDone(t, ctx, c)
		if fmt.Sprint(first, second, late) != "[0 1] [2 3] []" {
			t.Errorf("first loop %v, second %v, one whose context had ended %v", first, second, late)
		}
	})
}
