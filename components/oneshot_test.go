package components_test

import (
	"fmt"
	"slices"
	"testing"
	"testing/synctest"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
)

func TestOneShotSendsThenFinishes(t *testing.T) {
	t.Parallel()
	for _, msg := range []any{" make ssl ", []byte("raw"), 42} {
		t.Run(fmt.Sprintf("%T", msg), func(t *testing.T) {
			ctx := axontest.Context(t)
			o := components.NewOneShot(msg)
			rec := record(t, ctx, o)
			axontest.Activate(t, ctx, o)
			got, sig := rec.data(t, ctx)
			if len(got) != 1 || !sameMsg(got[0], msg) {
				t.Fatalf("outbox got %v, want [%v]", got, msg)
			}
			finished(t, sig, o)
			axontest.WaitDone(t, ctx, o)
			if err := o.Err(); err != nil {
				t.Fatalf("Err = %v", err)
			}
		})
	}
}

func TestOneShotShutdownQueuedBeforeStart(t *testing.T) {
	t.Parallel()
	ctx := axontest.Context(t)
	o := components.NewOneShot("never sent")
	stop := axon.ShutdownMicroprocess{Message: "early"}
	putIn(t, ctx, o, "control", stop)
	rec := record(t, ctx, o)
	axontest.Activate(t, ctx, o)
	got, sig := rec.data(t, ctx)
	if len(got) != 0 || sig != stop {
		t.Fatalf("got %v then %#v, want nothing then %#v", got, sig, stop)
	}
	axontest.WaitDone(t, ctx, o)
}

func TestTriggeredOneShot(t *testing.T) {
	t.Parallel()
	status := axon.Status{Status: "fyi"}
	stop := axon.ProducerFinished{Message: "no thanks"}
	tests := []struct {
		name string
		puts []arrival // into the component, in order
		want []arrival // out of it: outbox as "inbox", signal as "control"
	}{
		{"trigger", []arrival{{"inbox", "go"}}, []arrival{{"inbox", "msg"}, {"control", "finished"}}},
		{"control passed on before the trigger", []arrival{{"control", status}, {"inbox", 1}},
			[]arrival{{"control", status}, {"inbox", "msg"}, {"control", "finished"}}},
		{"shutdown before the trigger", []arrival{{"control", stop}, {"inbox", "late"}},
			[]arrival{{"control", stop}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := axontest.Context(t)
				o := components.NewTriggeredOneShot("msg")
				rec := record(t, ctx, o)
				axontest.Activate(t, ctx, o)
				synctest.Wait()
				if len(rec.got) != 0 {
					t.Fatal("sent before it was triggered")
				}
				for _, p := range tt.puts {
					putIn(t, ctx, o, p.box, p.msg)
				}
				<-o.Done()
				synctest.Wait()
				var got []arrival
				for len(rec.got) > 0 {
					a := <-rec.got
					if pf, ok := a.msg.(axon.ProducerFinished); ok && pf.Caller == o {
						a.msg = "finished"
					}
					got = append(got, a)
				}
				if !slices.Equal(got, tt.want) {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			})
		})
	}
}

// sameMsg compares messages that may be byte slices.
func sameMsg(a, b any) bool {
	ab, aok := a.([]byte)
	bb, bok := b.([]byte)
	if aok || bok {
		return aok && bok && string(ab) == string(bb)
	}
	return a == b
}
