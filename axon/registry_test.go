package axon_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
)

func TestServices(t *testing.T) {
	ctx := testCtx(t)
	r := axon.NewRegistry()
	svc := newCollector(1)
	if err := r.RegisterService("selector", svc, "inbox"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"duplicate", r.RegisterService("selector", svc, "inbox"), axon.ErrServiceExists},
		{"missing inbox", r.RegisterService("other", svc, "nosuch"), axon.ErrNoBox},
		{"deregister missing", r.DeregisterService("nosuch"), axon.ErrNoService},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, tt.err, tt.want)
		}
	}
	if _, err := r.Service("nosuch"); !errors.Is(err, axon.ErrNoService) {
		t.Errorf("lookup missing = %v", err)
	}
	if got := r.Services(); !slices.Equal(got, []string{"selector"}) {
		t.Errorf("services = %v", got)
	}
	ref, err := r.Service("selector")
	if err != nil {
		t.Fatal(err)
	}
	user := axon.New("user", nil)
	mustLink(t, axon.Out(user, "outbox"), ref)
	_ = user.Send(ctx, "outbox", "register me")
	if m, _ := svc.Recv("inbox"); m != "register me" {
		t.Fatalf("service got %v", m)
	}
	if err := r.DeregisterService("selector"); err != nil {
		t.Fatal(err)
	}
	if len(r.Services()) != 0 || len(axon.NewRegistry().Services()) != 0 {
		t.Fatal("registries share services")
	}
}

func TestRegistryScoping(t *testing.T) {
	mine := axon.NewRegistry()
	ctx := axon.NewContext(context.Background(), mine)
	parent := axon.New("parent", func(ctx context.Context, c *axon.Core) error { <-ctx.Done(); return nil })
	child := idle("child")
	_ = parent.AddChildren(child)
	ctx, cancel := context.WithCancel(ctx)
	if err := parent.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	if child.Registry() != mine || parent.Registry() != mine {
		t.Fatal("registry not inherited from context and parent")
	}
	if n := len(mine.Live()); n != 2 {
		t.Fatalf("live components = %d, want 2", n)
	}
	if err := mine.RegisterService("svc", child, "inbox"); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-parent.Done()
	if len(mine.Live()) != 0 || len(mine.Services()) != 0 {
		t.Fatalf("ended components still registered: %v %v", mine.Live(), mine.Services())
	}
	own := axon.NewRegistry()
	if got := axon.New("x", nil, axon.WithRegistry(own)).Registry(); got != own {
		t.Fatal("WithRegistry ignored")
	}
	if got := axon.New("y", nil).Registry(); got != axon.DefaultRegistry {
		t.Fatal("no DefaultRegistry fallback")
	}
}
