package axon_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
)

// infoOf returns the snapshot entry of c in r.
func infoOf(t *testing.T, r *axon.Registry, c axon.Component) axon.ComponentInfo {
	t.Helper()
	for _, ci := range r.Snapshot().Components {
		if ci.ID == axon.CoreOf(c).ID() {
			return ci
		}
	}
	t.Fatalf("%s is not in the snapshot", c.Name())
	return axon.ComponentInfo{}
}

func TestGroups(t *testing.T) {
	r := axon.NewRegistry()
	ctx, cancel := context.WithCancel(axon.NewContext(testCtx(t), r))
	defer cancel()
	server := idle("server")
	adapter, handler, inner, loner := idle("adapter"), idle("handler"), idle("inner"), idle("loner")
	if err := handler.AddChildren(inner); err != nil {
		t.Fatal(err)
	}
	if err := server.AddChildren(adapter, handler); err != nil {
		t.Fatal(err)
	}
	conn := adapter.ID()
	adapter.SetGroup(conn)
	handler.SetGroup(conn)
	for _, c := range []*axon.Core{server, loner} {
		if err := c.Activate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		c    *axon.Core
		want uint64
	}{
		{"grouped itself", adapter, conn},
		{"grouped with it", handler, conn},
		{"child inherits its parent's group", inner, conn},
		{"the parent of a group is not in it", server, 0},
		{"no group", loner, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.Group(); got != tc.want {
				t.Errorf("Group() = %d, want %d", got, tc.want)
			}
			if got := infoOf(t, r, tc.c).Group; got != tc.want {
				t.Errorf("ComponentInfo.Group = %d, want %d", got, tc.want)
			}
		})
	}
	t.Run("own group beats the inherited one", func(t *testing.T) {
		inner.SetGroup(7)
		defer inner.SetGroup(0)
		if got := infoOf(t, r, inner).Group; got != 7 {
			t.Errorf("Group = %d, want 7", got)
		}
	})
	t.Run("0 leaves the group", func(t *testing.T) {
		handler.SetGroup(0)
		defer handler.SetGroup(conn)
		if got := infoOf(t, r, inner).Group; got != 0 {
			t.Errorf("child of an ungrouped handler: Group = %d, want 0", got)
		}
	})
}

// byteCounter is a StatsReporter counting bytes the way a socket
// adapter does.
type byteCounter struct{ in, out atomic.Int64 }

func (b *byteCounter) ReportStats() axon.Stats {
	return axon.Stats{BytesIn: b.in.Load(), BytesOut: b.out.Load(), Remote: "192.0.2.1:4000",
		Counters: []axon.Counter{{Name: "frames", Value: uint64(b.in.Load() / 2)}}}
}

func TestStatsReporter(t *testing.T) {
	r := axon.NewRegistry()
	ctx, cancel := context.WithCancel(axon.NewContext(testCtx(t), r))
	defer cancel()
	reporting, silent := idle("reporting"), idle("silent")
	var counts byteCounter
	reporting.SetStatsReporter(&counts)
	for _, c := range []*axon.Core{reporting, silent} {
		if err := c.Activate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if st := infoOf(t, r, silent).Stats; st != nil {
		t.Errorf("component without a reporter: Stats = %+v, want nil", st)
	}
	counts.in.Add(10)
	counts.out.Add(3)
	want := axon.Stats{BytesIn: 10, BytesOut: 3, Remote: "192.0.2.1:4000",
		Counters: []axon.Counter{{Name: "frames", Value: 5}}}
	if st := infoOf(t, r, reporting).Stats; st == nil || !reflect.DeepEqual(*st, want) {
		t.Errorf("Stats = %+v, want %+v", st, want)
	}
	reporting.SetStatsReporter(nil)
	if st := infoOf(t, r, reporting).Stats; st != nil {
		t.Errorf("after SetStatsReporter(nil): Stats = %+v, want nil", st)
	}
}

// TestGroupsAndStatsConcurrently sets groups and reporters while
// snapshots are taken and children come and go; run it with -race.
func TestGroupsAndStatsConcurrently(t *testing.T) {
	r := axon.NewRegistry()
	ctx, cancel := context.WithCancel(axon.NewContext(testCtx(t), r))
	defer cancel()
	parent := idle("parent")
	if err := parent.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				_ = r.Snapshot()
			}
		}
	}()
	for i := range 200 {
		child := idle("child")
		child.SetStatsReporter(&byteCounter{})
		if err := parent.AddChildren(child); err != nil {
			t.Fatal(err)
		}
		child.SetGroup(uint64(i + 1))
		parent.SetGroup(uint64(i % 3))
		child.Stop()
		<-child.Done()
	}
	close(stop)
	wg.Wait()
}

// A server puts each connection's components in a group of their own,
// so that introspection can draw them together.
func ExampleCore_SetGroup() {
	r := axon.NewRegistry()
	ctx, cancel := context.WithCancel(axon.NewContext(context.Background(), r))
	defer cancel()
	wait := func(ctx context.Context, c *axon.Core) error { <-ctx.Done(); return nil }
	server := axon.New("server", wait)
	adapter, handler := axon.New("adapter", wait), axon.New("handler", wait)
	adapter.SetGroup(adapter.ID()) // the connection is known by its adapter
	handler.SetGroup(adapter.ID())
	_ = server.AddChildren(adapter, handler)
	_ = server.Activate(ctx)
	for _, ci := range r.Snapshot().Components {
		label, _, _ := strings.Cut(ci.Name, "#")
		fmt.Printf("%s in the adapter's group: %v\n", label, ci.Group == adapter.ID())
	}
	// Output:
	// server in the adapter's group: false
	// adapter in the adapter's group: true
	// handler in the adapter's group: true
}
