package chassis_test

import (
	"context"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/chassis"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
)

// TestLastMessageBeforeTheEndGetsOut: a child that passes a message out
// to its composite's signal and ends at once has that message sent on,
// however its end and the composite's step interleave. (The composite
// once counted its children after draining its inbox, and a message
// that arrived between the two was left behind.)
func TestLastMessageBeforeTheEndGetsOut(t *testing.T) {
	build := []struct {
		name string
		make func(child axon.Component) (axon.Component, error)
	}{
		{"Graphline", func(child axon.Component) (axon.Component, error) {
			return chassis.NewGraphline(chassis.Children{"LAST": child},
				chassis.Linkages{{"LAST", "signal"}: {"self", "signal"}})
		}},
		{"Pipeline", func(child axon.Component) (axon.Component, error) { return chassis.NewPipeline(child) }},
	}
	for _, tt := range build {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := axontest.Context(t)
			for i := range 500 {
				child := axon.NewReactive("last", func(ctx context.Context, c *axon.Core) error {
					_ = c.Send(ctx, "signal", axon.ProducerFinished{Caller: c, Message: "the last word"})
					return axon.ErrStop
				})
				comp, err := tt.make(child)
				if err != nil {
					t.Fatal(err)
				}
				h := axontest.Handle(t, comp)
				axontest.Activate(t, ctx, comp)
				m, err := h.Get(ctx, "signal")
				if err != nil || !axon.IsProducerFinished(m) {
					t.Fatalf("run %d: signal gave %v, %v; want the child's ProducerFinished", i, m, err)
				}
			}
		})
	}
}
