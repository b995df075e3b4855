package introspect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/chassis"
	"github.com/kamaelia-go/kamaelia/components"
	"github.com/kamaelia-go/kamaelia/introspect"
)

// field is one key of a JSON object in the documented schema.
type field struct {
	kind     string // "number", "string", "bool", "object", "array"
	required bool
	of       schema // the fields of an object, or of an array's objects
	numbers  bool   // an array of numbers
}

type schema map[string]field

// The graph document, version 1, as the package documents it. A field
// added, renamed or retyped in the Go types shows up here first.
var (
	endpointSchema = schema{
		"component": {kind: "number", required: true},
		"box":       {kind: "string", required: true},
		"label":     {kind: "string"},
	}
	boxSchema = schema{
		"name": {kind: "string", required: true}, "depth": {kind: "number"}, "bytes": {kind: "number"},
		"received": {kind: "number"}, "taken": {kind: "number"}, "waiting": {kind: "number"},
		"overflow": {kind: "number"}, "sent": {kind: "number"}, "dropped": {kind: "number"},
	}
	graphSchema = schema{
		"version": {kind: "number", required: true},
		"taken":   {kind: "string", required: true},
		"types": {kind: "array", required: true, of: schema{
			"id":       {kind: "number", required: true},
			"kind":     {kind: "string", required: true},
			"reactive": {kind: "bool", required: true},
			"inboxes": {kind: "array", required: true, of: schema{
				"name":  {kind: "string", required: true},
				"doc":   {kind: "string"},
				"limit": {kind: "object", of: schema{"messages": {kind: "number", required: true}, "bytes": {kind: "number"}}},
			}},
			"outboxes": {kind: "array", required: true, of: schema{
				"name": {kind: "string", required: true},
				"doc":  {kind: "string"},
			}},
		}},
		"components": {kind: "array", required: true, of: schema{
			"id":         {kind: "number", required: true},
			"name":       {kind: "string", required: true},
			"kind":       {kind: "string", required: true},
			"type":       {kind: "number", required: true},
			"state":      {kind: "string", required: true},
			"blocked":    {kind: "object", of: endpointSchema},
			"parent":     {kind: "number"},
			"connection": {kind: "number"},
			"stats": {kind: "object", of: schema{
				"bytes_in":  {kind: "number", required: true},
				"bytes_out": {kind: "number", required: true},
				"remote":    {kind: "string"},
			}},
			"inboxes":  {kind: "array", required: true, of: boxSchema},
			"outboxes": {kind: "array", required: true, of: boxSchema},
		}},
		"connections": {kind: "array", required: true, of: schema{
			"id":         {kind: "number", required: true},
			"server":     {kind: "number"},
			"components": {kind: "array", required: true, numbers: true},
			"bytes_in":   {kind: "number", required: true},
			"bytes_out":  {kind: "number", required: true},
			"remote":     {kind: "string"},
		}},
		"links": {kind: "array", required: true, of: schema{
			"from":  {kind: "object", required: true, of: endpointSchema},
			"to":    {kind: "object", required: true, of: endpointSchema},
			"kind":  {kind: "string", required: true},
			"owner": {kind: "number"},
		}},
	}
)

// check reports where v departs from s.
func (s schema) check(path string, v any) []string {
	obj, ok := v.(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("%s: %T, want an object", path, v)}
	}
	var bad []string
	for k := range obj {
		if _, ok := s[k]; !ok {
			bad = append(bad, fmt.Sprintf("%s.%s: not in the schema", path, k))
		}
	}
	for k, f := range s {
		val, ok := obj[k]
		if !ok {
			if f.required {
				bad = append(bad, fmt.Sprintf("%s.%s: missing", path, k))
			}
			continue
		}
		bad = append(bad, f.check(path+"."+k, val)...)
	}
	return bad
}

func (f field) check(path string, v any) []string {
	switch f.kind {
	case "number":
		if _, ok := v.(float64); !ok {
			return []string{fmt.Sprintf("%s: %T, want a number", path, v)}
		}
	case "string":
		if _, ok := v.(string); !ok {
			return []string{fmt.Sprintf("%s: %T, want a string", path, v)}
		}
	case "bool":
		if _, ok := v.(bool); !ok {
			return []string{fmt.Sprintf("%s: %T, want a bool", path, v)}
		}
	case "object":
		return f.of.check(path, v)
	case "array":
		list, ok := v.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %T, want an array", path, v)}
		}
		var bad []string
		for i, e := range list {
			if f.numbers {
				bad = append(bad, field{kind: "number"}.check(fmt.Sprintf("%s[%d]", path, i), e)...)
				continue
			}
			bad = append(bad, f.of.check(fmt.Sprintf("%s[%d]", path, i), e)...)
		}
		return bad
	}
	return nil
}

// TestGraphJSONSchema serves the graph of a real server with three
// connections, one of them stalled, and checks the document against the
// documented schema and against what the server is doing.
func TestGraphJSONSchema(t *testing.T) {
	ctx, reg := testCtx(t)
	srv := startEchoServer(t, ctx)
	h := introspect.New(introspect.WithRegistry(reg))
	defer h.Close()
	a, b := echoed(t, srv, "hello"), echoed(t, srv, "hello, world")
	stalled(t, srv)
	g := waitForGraph(t, ctx, h, "three connections, one blocked", func(g *introspect.Graph) bool {
		return len(g.Connections) == 3 && blockedConnection(g) != nil
	})

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/debug/graph.json", nil))
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	var doc any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, problem := range graphSchema.check("graph", doc) {
		t.Error(problem)
	}
	if g.Version != introspect.Version || introspect.Version != 1 {
		t.Errorf("version %d (package %d), want 1", g.Version, introspect.Version)
	}
	if time.Since(g.Taken) > time.Minute || g.Taken.After(time.Now()) {
		t.Errorf("taken %v", g.Taken)
	}

	byID := map[uint64]introspect.Component{}
	types := map[int]introspect.Type{}
	for _, ty := range g.Types {
		types[ty.ID] = ty
	}
	for _, c := range g.Components {
		byID[c.ID] = c
		ty, ok := types[c.Type]
		if !ok || ty.Kind != c.Kind || len(ty.Inboxes) != len(c.Inboxes) || len(ty.Outboxes) != len(c.Outboxes) {
			t.Errorf("%s: type %d does not describe it: %+v", c.Name, c.Type, ty)
		}
		for i, b := range c.Inboxes {
			if ok && i < len(ty.Inboxes) && (ty.Inboxes[i].Name != b.Name || ty.Inboxes[i].Limit == nil) {
				t.Errorf("%s inbox %d: %q, type says %+v", c.Name, i, b.Name, ty.Inboxes[i])
			}
		}
	}
	server := byID[srv.ID()]
	if server.Kind != "ServerCore" {
		t.Fatalf("the server %d is not in the graph as a ServerCore: %+v", srv.ID(), server)
	}
	peers := map[string]bool{a.LocalAddr().String(): false, b.LocalAddr().String(): false}
	for _, conn := range g.Connections {
		if conn.Server != srv.ID() {
			t.Errorf("connection %d: server %d, want %d", conn.ID, conn.Server, srv.ID())
		}
		kinds := []string{}
		for _, id := range conn.Components {
			c := byID[id]
			kinds = append(kinds, c.Kind)
			if c.Conn != conn.ID || c.Parent != srv.ID() {
				t.Errorf("%s: connection %d, parent %d; want %d, %d", c.Name, c.Conn, c.Parent, conn.ID, srv.ID())
			}
		}
		if fmt.Sprint(kinds) != "[CSA Echo]" {
			t.Errorf("connection %d holds %v, want its adapter and handler", conn.ID, kinds)
		}
		if _, ok := peers[conn.Remote]; ok {
			peers[conn.Remote] = true
			if conn.BytesIn < 5 {
				t.Errorf("connection %d from %s: %d bytes in", conn.ID, conn.Remote, conn.BytesIn)
			}
		}
	}
	for peer, seen := range peers {
		if !seen {
			t.Errorf("no connection from %s", peer)
		}
	}

	stuck := blockedConnection(g)
	var blocked introspect.Component
	for _, id := range stuck.Components {
		if byID[id].State == "blocked" {
			blocked = byID[id]
		}
	}
	target := byID[blocked.Blocked.Component]
	if blocked.Kind != "Echo" || target.Kind != "CSA" || blocked.Blocked.Box != "inbox" || target.Conn != stuck.ID {
		t.Errorf("blocked %s on %+v (%s), want the Echo on its own adapter's inbox", blocked.Name, blocked.Blocked, target.Name)
	}
	in := target.Inboxes[0]
	if lim := types[target.Type].Inboxes[0].Limit; !in.Full(lim) && in.Waiting == 0 {
		t.Errorf("the stalled adapter's inbox %+v is neither full (%+v) nor waited on", in, lim)
	}

	// Each connection's five links inside it, and its adapter's links out
	// to the server and the listener.
	inside := map[uint64]int{}
	for _, l := range g.Links {
		if l.Kind != introspect.LinkNormal {
			t.Errorf("link %+v: kind %q, want normal in a server", l, l.Kind)
		}
		from, to := byID[l.From.Component], byID[l.To.Component]
		if from.Conn != 0 && from.Conn == to.Conn {
			inside[from.Conn]++
			if l.Owner != srv.ID() {
				t.Errorf("link %+v: owner %d, want the server %d", l, l.Owner, srv.ID())
			}
		}
	}
	for _, conn := range g.Connections {
		if inside[conn.ID] != 4 {
			t.Errorf("connection %d: %d links inside, want 4 (data both ways, signal, peerFinished)", conn.ID, inside[conn.ID])
		}
	}
}

// TestGraphPassthroughLinks checks the kinds of a Pipeline's links: its
// inbox passes through to the first child's (inward) and the last
// child's outbox to its own (outward).
func TestGraphPassthroughLinks(t *testing.T) {
	ctx, reg := testCtx(t)
	first, last := components.NewEcho(), components.NewEcho()
	p, err := chassis.NewPipeline(first, last)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { p.Stop(); <-p.Done() }()
	g := introspect.FromSnapshot(reg.Snapshot())
	kinds := map[string]string{}
	names := map[uint64]string{}
	for _, c := range g.Components {
		names[c.ID] = c.Kind
	}
	for _, l := range g.Links {
		kinds[fmt.Sprintf("%s.%s>%s.%s", names[l.From.Component], l.From.Box, names[l.To.Component], l.To.Box)] = l.Kind
		if l.Owner != p.ID() {
			t.Errorf("link %+v: owner %d, want the pipeline %d", l, l.Owner, p.ID())
		}
	}
	for link, want := range map[string]string{
		"pipeline.inbox>Echo.inbox":   introspect.LinkInward,
		"Echo.outbox>Echo.inbox":      introspect.LinkNormal,
		"Echo.outbox>pipeline.outbox": introspect.LinkOutward,
	} {
		if kinds[link] != want {
			t.Errorf("%s: kind %q, want %q (links %v)", link, kinds[link], want, kinds)
		}
	}
}

// TestGraphJSONMatchesEncodingJSON checks the hand-written encoder
// against encoding/json, byte for byte, on names and descriptions that
// need escaping.
func TestGraphJSONMatchesEncodingJSON(t *testing.T) {
	ctx, reg := testCtx(t)
	odd := []string{`quote " and \ backslash`, "tab\tnew\nline\r\b\f\x01\x1f", "<html> & 'apostrophe'",
		"bad utf-8 \xff\xfe end", "line\u2028para\u2029", "ünïcödé ✓ 🙂", ""}
	var kids []axon.Component
	for i, s := range odd {
		kids = append(kids, axon.NewReactive(s, func(context.Context, *axon.Core) error { return nil },
			axon.WithInboxes(axon.Box("in "+s, "doc "+s).WithLimit(axon.Limit{Messages: i + 1, Bytes: i * 100})),
			axon.WithOutboxes(axon.Box("out."+s, s))))
	}
	parent := axon.NewReactive("parent", func(context.Context, *axon.Core) error { return nil })
	if err := parent.AddChildren(kids...); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(kids); i++ {
		if _, err := parent.Link(axon.Out(kids[i-1], "out."+odd[i-1]), axon.In(kids[i], "in "+odd[i])); err != nil {
			t.Fatal(err)
		}
	}
	axon.CoreOf(kids[0]).SetGroup(99)
	if err := parent.Activate(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { parent.Stop(); <-parent.Done() }()
	g := introspect.FromSnapshot(reg.Snapshot())
	if len(g.Links) != len(odd)-1 {
		t.Fatalf("%d links, want %d", len(g.Links), len(odd)-1)
	}
	g.Components[1].Blocked = &introspect.Endpoint{Box: "gone", Label: "Gone#1.gone"}
	g.Components[2].Stats = &introspect.Stats{BytesIn: 1, BytesOut: 2, Remote: odd[0]}
	g.Components[3].Stats = &introspect.Stats{Counters: []introspect.Counter{{Name: odd[1], Value: 1 << 63}, {Name: "dropped"}}}
	g.Components[4].Stats = &introspect.Stats{Counters: []introspect.Counter{}}
	for _, tc := range []struct {
		name string
		g    *introspect.Graph
	}{
		{"odd names", g},
		{"empty", &introspect.Graph{Version: 1}},
		{"empty lists", &introspect.Graph{Version: 1, Types: []introspect.Type{}, Components: []introspect.Component{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.g.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			type plain introspect.Graph // the same fields, without MarshalJSON
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(false)
			if err := enc.Encode((*plain)(tc.g)); err != nil {
				t.Fatal(err)
			}
			if w := bytes.TrimSuffix(want.Bytes(), []byte("\n")); !bytes.Equal(got, w) {
				i := 0
				for i < len(got) && i < len(w) && got[i] == w[i] {
					i++
				}
				t.Fatalf("differs from encoding/json at byte %d:\ngot  %.200q\nwant %.200q", i, got[i:], w[i:])
			}
			var back introspect.Graph
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatal(err)
			}
			back.Taken, tc.g.Taken = tc.g.Taken, tc.g.Taken.Round(0)
			if tc.name != "odd names" && !reflect.DeepEqual(&back, tc.g) {
				t.Errorf("round trip: %+v, want %+v", back, *tc.g)
			}
		})
	}
}

// TestFromSnapshotOutOfOrder checks a snapshot put together by hand:
// components in no particular order, IDs far apart, and links to
// components it does not hold.
func TestFromSnapshotOutOfOrder(t *testing.T) {
	s := axon.Snapshot{Taken: time.Now(), Components: []axon.ComponentInfo{
		{ID: 1 << 40, Name: "b.x#1099511627776", State: "waiting", Parent: "a#7", Group: 7,
			Outboxes: []axon.BoxInfo{{Name: "out.put", LinkedTo: "a#7.in"}, {Name: "away", LinkedTo: "gone#3.in"}}},
		{ID: 7, Name: "a#7", State: "blocked", Blocked: "gone#3.in",
			Inboxes: []axon.BoxInfo{{Name: "in", Depth: 2, Limit: axon.Limit{Messages: 2}}}},
	}}
	g := introspect.FromSnapshot(s)
	if g.Components[0].Parent != 7 || g.Components[0].Kind != "b.x" {
		t.Errorf("component %+v: want parent 7, kind b.x", g.Components[0])
	}
	if b := g.Components[1].Blocked; b == nil || b.Component != 0 || b.Label != "gone#3.in" || b.Box != "in" {
		t.Errorf("blocked on %+v, want an endpoint outside the graph", b)
	}
	want := []introspect.Link{
		{From: introspect.Endpoint{Component: 1 << 40, Box: "out.put"}, To: introspect.Endpoint{Component: 7, Box: "in"}, Kind: introspect.LinkNormal},
		{From: introspect.Endpoint{Component: 1 << 40, Box: "away"}, To: introspect.Endpoint{Box: "in", Label: "gone#3.in"}, Kind: introspect.LinkNormal},
	}
	if !reflect.DeepEqual(g.Links, want) {
		t.Errorf("links %+v, want %+v", g.Links, want)
	}
	if len(g.Connections) != 1 || g.Connections[0].Server != 7 {
		t.Errorf("connections %+v, want one served by 7", g.Connections)
	}
	if !g.Components[1].Inboxes[0].Full(g.Types[1].Inboxes[0].Limit) {
		t.Errorf("inbox %+v with limit %+v is not full", g.Components[1].Inboxes[0], g.Types[1].Inboxes[0].Limit)
	}
}
