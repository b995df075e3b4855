package axon_test

import (
	"context"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
)

// A child that ends at once runs its reactive parent's step before
// Activate has returned; under -race this once showed the parent's end
// racing with its own activation.
func TestReactiveParentWhoseChildEndsAtOnce(t *testing.T) {
	ctx := context.Background()
	for range 3000 {
		p := axon.NewReactive("parent", func(ctx context.Context, c *axon.Core) error {
			if c.NumChildren() == 0 {
				return axon.ErrStop
			}
			return nil
		})
		if err := p.AddChildren(axon.New("child", func(context.Context, *axon.Core) error { return nil })); err != nil {
			t.Fatal(err)
		}
		if err := p.Run(ctx); err != nil {
			t.Fatal(err)
		}
	}
}
