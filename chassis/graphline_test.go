package chassis_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/chassis"
	"github.com/kamaelia-go/kamaelia/internal/axontest"
)

func TestGraphlineWiring(t *testing.T) {
	withSSL := axon.AddInbox(axon.Box("makessl", "switch to TLS"))
	tests := []struct {
		name     string
		children map[string]*relay
		links    chassis.Linkages
		want     []string
		inboxes  []string // the Graphline's own
		outboxes []string
	}{
		{
			name: "the seeds' SSL example",
			children: map[string]*relay{
				"MAKESSL": newRelay(), "CONSOLE": newRelay(), "ECHO": newRelay(), "CONNECTION": newRelay(withSSL),
			},
			links: chassis.Linkages{
				{"MAKESSL", "outbox"}:    {"CONNECTION", "makessl"},
				{"CONSOLE", "outbox"}:    {"CONNECTION", "inbox"},
				{"CONNECTION", "outbox"}: {"ECHO", "inbox"},
			},
			want: []string{
				"MAKESSL.outbox → CONNECTION.makessl (outbox→inbox)",
				"CONSOLE.outbox → CONNECTION.inbox (outbox→inbox)",
				"CONNECTION.outbox → ECHO.inbox (outbox→inbox)",
			},
			inboxes:  []string{"inbox", "control"},
			outboxes: []string{"outbox", "signal"},
		},
		{
			name:     "self and its empty alias",
			children: map[string]*relay{"A": newRelay()},
			links: chassis.Linkages{
				{"self", "inbox"}: {"A", "inbox"},
				{"", "control"}:   {"A", "control"},
				{"A", "outbox"}:   {"self", "outbox"},
				{"A", "signal"}:   {"", "signal"},
			},
			want: []string{
				"self.inbox → A.inbox (inbox→inbox)",
				"self.control → A.control (inbox→inbox)",
				"A.outbox → self.outbox (outbox→outbox)",
				"A.signal → self._signal (outbox→inbox)",
			},
			inboxes:  []string{"inbox", "control", "_signal"},
			outboxes: []string{"outbox", "signal"},
		},
		{
			name: "boxes added to self",
			children: map[string]*relay{
				"A": newRelay(withSSL, axon.AddOutbox(axon.Box("sslready", ""))),
			},
			links: chassis.Linkages{
				{"self", "makessl"}: {"A", "makessl"},
				{"A", "sslready"}:   {"self", "sslready"},
			},
			want: []string{
				"self.makessl → A.makessl (inbox→inbox)",
				"A.sslready → self.sslready (outbox→outbox)",
			},
			inboxes:  []string{"inbox", "control", "makessl"},
			outboxes: []string{"outbox", "signal", "sslready"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			children := chassis.Children{}
			for name, r := range tt.children {
				children[name] = r
			}
			g, err := chassis.NewGraphline(children, tt.links)
			if err != nil {
				t.Fatal(err)
			}
			labels := map[*axon.Core]string{g.Core: "self"}
			for name, r := range tt.children {
				labels[r.Core] = name
				if g.Child(name) != r {
					t.Errorf("Child(%q) = %v, want %v", name, g.Child(name), r)
				}
				if r.Parent() != g.Core {
					t.Errorf("%s is not the Graphline's child", name)
				}
			}
			got := linkSet(g.Links(), labels)
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tt.want))
			if !slices.Equal(got, want) {
				t.Fatalf("links:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if got := g.InboxNames(); !slices.Equal(got, tt.inboxes) {
				t.Errorf("inboxes = %v, want %v", got, tt.inboxes)
			}
			if got := g.OutboxNames(); !slices.Equal(got, tt.outboxes) {
				t.Errorf("outboxes = %v, want %v", got, tt.outboxes)
			}
		})
	}
}

// Kamaelia added self boxes to the class, so every later Graphline had
// them; ours are added to the one instance.
func TestGraphlineSelfBoxesBelongToOneInstance(t *testing.T) {
	a := newRelay(axon.AddInbox(axon.Box("makessl", "")))
	g1, err := chassis.NewGraphline(chassis.Children{"A": a}, chassis.Linkages{{"self", "makessl"}: {"A", "makessl"}})
	if err != nil {
		t.Fatal(err)
	}
	g2, err := chassis.NewGraphline(chassis.Children{"B": newRelay()}, chassis.Linkages{})
	if err != nil {
		t.Fatal(err)
	}
	if g1.Inbox("makessl") == nil {
		t.Fatal("first Graphline lacks the box its linkage named")
	}
	if g2.Inbox("makessl") != nil {
		t.Fatal("the box leaked into another Graphline")
	}
}

func TestNewGraphlineErrors(t *testing.T) {
	twice := newRelay()
	tests := []struct {
		name     string
		children chassis.Children
		links    chassis.Linkages
		want     error
		mention  []string
	}{
		{"no children", nil, nil, chassis.ErrNoChildren, nil},
		{"child named self", chassis.Children{"self": newRelay()}, nil, chassis.ErrBadChild, []string{`"self"`, "reserved"}},
		{"child named empty", chassis.Children{"": newRelay()}, nil, chassis.ErrBadChild, []string{`""`, "reserved"}},
		{"nil child", chassis.Children{"A": nil}, nil, chassis.ErrBadChild, []string{`"A"`, "nil"}},
		{"child twice", chassis.Children{"A": twice, "B": twice}, nil, chassis.ErrBadChild, []string{`"A"`, `"B"`}},
		{"unknown source", chassis.Children{"A": newRelay()},
			chassis.Linkages{{"NOPE", "outbox"}: {"A", "inbox"}}, chassis.ErrUnknownChild, []string{"NOPE.outbox → A.inbox", `"NOPE"`}},
		{"unknown destination", chassis.Children{"A": newRelay()},
			chassis.Linkages{{"A", "outbox"}: {"ECHO", "inbox"}}, chassis.ErrUnknownChild, []string{`"ECHO"`}},
		{"child lacks box", chassis.Children{"A": newRelay(), "CONNECTION": newRelay()},
			chassis.Linkages{{"A", "outbox"}: {"CONNECTION", "makessl"}}, axon.ErrNoBox, []string{"A.outbox → CONNECTION.makessl", `inbox "makessl"`}},
		{"self to self", chassis.Children{"A": newRelay()},
			chassis.Linkages{{"self", "inbox"}: {"", "outbox"}}, axon.ErrBadLink, []string{"self.inbox → self.outbox"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			unadopted := free(slices.Collect(maps.Values(tt.children)))
			g, err := chassis.NewGraphline(tt.children, tt.links)
			if g != nil {
				t.Fatalf("NewGraphline returned a Graphline and %v", err)
			}
			checkError(t, err, tt.want, tt.mention)
			checkReleased(t, unadopted)
		})
	}
}

func TestGraphlineBroadcastsControl(t *testing.T) {
	tests := []struct {
		name string
		msgs []any // put on the Graphline's control, in order
		want any   // what the Graphline sends on signal at its end
	}{
		{"shutdownMicroprocess", []any{axon.ShutdownMicroprocess{Message: "stop"}}, axon.ShutdownMicroprocess{Message: "stop"}},
		{"producerFinished", []any{axon.ProducerFinished{Message: "done"}}, axon.ProducerFinished{Message: "done"}},
		{"first request is remembered", []any{axon.Status{Status: "fyi"}, axon.ProducerFinished{Message: "first"}, axon.ShutdownMicroprocess{}},
			axon.ProducerFinished{Message: "first"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { synctest.Test(t, func(t *testing.T) { testBroadcast(t, tt.msgs, tt.want) }) })
	}
}

func testBroadcast(t *testing.T, msgs []any, want any) {
	ctx := axontest.Context(t)
	a, b, c := newRelay(), newRelay(), newRelay()
	// C's control is fed by A's signal, so the Graphline does not send
	// to it directly.
	g, err := chassis.NewGraphline(chassis.Children{"A": a, "B": b, "C": c},
		chassis.Linkages{{"A", "signal"}: {"C", "control"}})
	if err != nil {
		t.Fatal(err)
	}
	h := axontest.Handle(t, g)
	axontest.Activate(t, ctx, g)
	// Each child sees each message up to the first shutdown request
	// once: A and B from the Graphline, C through A.
	n := slices.IndexFunc(msgs, axon.IsShutdownRequest) + 1
	for i, m := range msgs {
		axontest.Put(t, ctx, h, "control", m)
		synctest.Wait()
		for name, r := range map[string]*relay{"A": a, "B": b, "C": c} {
			if got := len(r.controls); got != min(i+1, n) {
				t.Fatalf("after %d messages %s has seen %d on control, want %d", i+1, name, got, min(i+1, n))
			}
		}
	}
	if m := axontest.Get(t, ctx, h, "signal"); m != want {
		t.Fatalf("signal got %#v, want %#v", m, want)
	}
	<-g.Done()
	for name, r := range map[string]*relay{"A": a, "B": b, "C": c} {
		for i := range n {
			if m := <-r.controls; m != msgs[i] {
				t.Errorf("%s got %v on control, want %v", name, m, msgs[i])
			}
		}
	}
	if err := g.Err(); err != nil {
		t.Fatalf("Err = %v", err)
	}
}

func TestGraphlineControlLinkedFromSelf(t *testing.T) {
	ctx := axontest.Context(t)
	a, b := newRelay(), newRelay()
	g, err := chassis.NewGraphline(chassis.Children{"A": a, "B": b},
		chassis.Linkages{{"self", "control"}: {"A", "control"}})
	if err != nil {
		t.Fatal(err)
	}
	h := axontest.Handle(t, g)
	axontest.Activate(t, ctx, g)
	stop := axon.ShutdownMicroprocess{Message: "only A"}
	axontest.Put(t, ctx, h, "control", stop)
	axontest.WaitDone(t, ctx, a)
	if m := <-a.controls; m != stop {
		t.Fatalf("A got %v", m)
	}
	if n := len(b.controls); n != 0 {
		t.Fatalf("B got %d control messages; the linkage should route control to A only", n)
	}
	if err := b.Inbox("control").Put(ctx, axon.ProducerFinished{}); err != nil {
		t.Fatal(err)
	}
	// Self's control was passed through, so nothing was remembered: the
	// Graphline reports its own producerFinished.
	m := axontest.Get(t, ctx, h, "signal")
	if pf, ok := m.(axon.ProducerFinished); !ok || pf.Caller != g || pf.Err != nil {
		t.Fatalf("signal got %#v, want ProducerFinished from the Graphline", m)
	}
	axontest.WaitDone(t, ctx, g)
}

func TestGraphlineSignalsItsEnd(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name     string
		children chassis.Children
		links    chassis.Linkages
		wantErr  error // in the Graphline's own ProducerFinished and Err
		fromKid  bool  // signal is passed out from child A instead
	}{
		{"children end by themselves", chassis.Children{"A": finisher(nil), "B": finisher(nil)}, nil, nil, false},
		{"a child fails", chassis.Children{"A": finisher(nil), "B": finisher(boom)}, nil, boom, false},
		{"signal passed out from a child", chassis.Children{"A": finisher(nil), "B": finisher(nil)},
			chassis.Linkages{{"A", "signal"}: {"self", "signal"}}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := axontest.Context(t)
			g, err := chassis.NewGraphline(tt.children, tt.links)
			if err != nil {
				t.Fatal(err)
			}
			h := axontest.Handle(t, g)
			axontest.Activate(t, ctx, g)
			m := axontest.Get(t, ctx, h, "signal")
			pf, ok := m.(axon.ProducerFinished)
			if !ok {
				t.Fatalf("signal got %#v, want ProducerFinished", m)
			}
			wantCaller := axon.Component(g)
			if tt.fromKid {
				wantCaller = tt.children["A"]
			}
			if pf.Caller != wantCaller || !errors.Is(pf.Err, tt.wantErr) || (tt.wantErr == nil && pf.Err != nil) {
				t.Fatalf("signal got %#v, want Caller %v, Err %v", pf, wantCaller.Name(), tt.wantErr)
			}
			axontest.WaitDone(t, ctx, g)
			if m, err := h.Get(ctx, "signal"); !errors.Is(err, axon.ErrFinished) {
				t.Fatalf("second message on signal: %#v (err %v)", m, err)
			}
			err = g.Err()
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil && !strings.Contains(err.Error(), `"B"`) {
				t.Fatalf("Err = %v does not name the child", err)
			}
		})
	}
}

func TestGraphlineReportsUnroutedInput(t *testing.T) {
	ctx := axontest.Context(t)
	g, err := chassis.NewGraphline(chassis.Children{"A": newRelay()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := axontest.Handle(t, g)
	axontest.Activate(t, ctx, g)
	axontest.Put(t, ctx, h, "inbox", "stray")
	m := axontest.Get(t, ctx, h, "signal")
	ei, ok := m.(axon.ErrorInformation)
	var be *axon.BoxError
	if !ok || ei.Message != "stray" || !errors.Is(ei.Err, chassis.ErrUnrouted) || !errors.As(ei.Err, &be) || be.Box != "inbox" {
		t.Fatalf("signal got %#v, want ErrorInformation about the inbox", m)
	}
	// It carries on.
	axontest.Put(t, ctx, h, "control", axon.ShutdownMicroprocess{})
	if m := axontest.Get(t, ctx, h, "signal"); !axon.IsShutdownMicroprocess(m) {
		t.Fatalf("signal got %#v", m)
	}
	axontest.WaitDone(t, ctx, g)
}

func TestGraphlineStop(t *testing.T) {
	ctx := axontest.Context(t)
	a := newRelay()
	g, err := chassis.NewGraphline(chassis.Children{"A": a}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := axontest.Handle(t, g)
	axontest.Activate(t, ctx, g)
	g.Stop()
	axontest.WaitDone(t, ctx, g)
	if !errors.Is(g.Err(), context.Canceled) || !a.Finished() {
		t.Fatalf("Err = %v, child finished %v", g.Err(), a.Finished())
	}
	if m, err := h.Get(ctx, "signal"); !errors.Is(err, axon.ErrFinished) {
		t.Fatalf("stopped Graphline sent %#v on signal (err %v), want nothing", m, err)
	}
}
