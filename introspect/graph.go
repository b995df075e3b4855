package introspect

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kamaelia-go/kamaelia/axon"
)

// Version is the version of the Graph document. It goes up when a change
// would break a client that reads the current one; new fields that a
// client may ignore do not change it.
const Version = 1

// Graph is the document /debug/graph.json serves: every live component of
// a registry, its boxes and links, and the connections it serves, never
// collapsed. It is this package's own type, not axon.Snapshot, so that
// the core can change without breaking the clients of this format.
//
// Its JSON form, version 1:
//
//	{"version": 1, "taken": "2026-01-02T15:04:05.999Z",
//	 "types": [Type...], "components": [Component...],
//	 "connections": [Connection...], "links": [Link...]}
//
// Counters are cumulative from each component's start; figures are read
// box by box, so a graph of a busy system is not one instant, but every
// number in it was true at some point while it was taken.
type Graph struct {
	Version     int          `json:"version"`
	Taken       time.Time    `json:"taken"`
	Types       []Type       `json:"types"`
	Components  []Component  `json:"components"`
	Connections []Connection `json:"connections"`
	Links       []Link       `json:"links"`
}

// Type describes what components of one kind share: their kind and
// their boxes, with the boxes' descriptions and limits. Components refer
// to it by ID, so that ten thousand adapters carry their box descriptions
// once.
type Type struct {
	ID       int       `json:"id"`
	Kind     string    `json:"kind"`     // the name the component was given, without its "#n"
	Reactive bool      `json:"reactive"` // built with axon.NewReactive: no goroutine while idle
	Inboxes  []BoxType `json:"inboxes"`
	Outboxes []BoxType `json:"outboxes"`
}

// BoxType is one box of a Type.
type BoxType struct {
	Name string `json:"name"`
	Doc  string `json:"doc,omitempty"` // the box's one-line description
	// Limit bounds an inbox; it is absent for outboxes.
	Limit *Limit `json:"limit,omitempty"`
}

// Limit is an inbox's bound.
type Limit struct {
	Messages int `json:"messages"`        // the most messages it holds; -1: no limit
	Bytes    int `json:"bytes,omitempty"` // if set, the most bytes of []byte and string messages
}

// Component is one live component.
type Component struct {
	ID   uint64 `json:"id"`
	Name string `json:"name"` // kind#id, unique in the process
	Kind string `json:"kind"`
	Type int    `json:"type"` // the ID of its Type
	// State is "active" (running), "waiting" (for a message), "blocked"
	// (a send waits for room in a full box) or "finished" (its children
	// still run).
	State string `json:"state"`
	// Blocked is the box a blocked component's send waits on.
	Blocked *Endpoint `json:"blocked,omitempty"`
	Parent  uint64    `json:"parent,omitempty"`     // the ID of its parent, if any
	Conn    uint64    `json:"connection,omitempty"` // the ID of its connection, if it serves one
	// Stats are the figures the component reports of itself, if any
	// (bytes a socket adapter read and wrote).
	Stats *Stats `json:"stats,omitempty"`
	// Inboxes and Outboxes have the figures of the Type's boxes, in the
	// same order.
	Inboxes  []Box `json:"inboxes"`
	Outboxes []Box `json:"outboxes"`
}

// Stats are figures a component reports of itself.
type Stats struct {
	BytesIn  int64  `json:"bytes_in"`
	BytesOut int64  `json:"bytes_out"`
	Remote   string `json:"remote,omitempty"` // the peer's address, for a socket
	// Counters are its other counts (a backplane's drops and
	// disconnects), in the order it gave them.
	Counters []Counter `json:"counters,omitempty"`
}

// Counter is one named count a component reports.
type Counter struct {
	Name  string `json:"name"`
	Value uint64 `json:"value"`
}

// Box holds one box's figures. Zero figures are left out of the JSON.
type Box struct {
	Name     string `json:"name"`
	Depth    int    `json:"depth,omitempty"`    // inbox: messages queued now
	Bytes    int    `json:"bytes,omitempty"`    // inbox: bytes of []byte and string messages queued now
	Received uint64 `json:"received,omitempty"` // inbox: messages ever queued
	Taken    uint64 `json:"taken,omitempty"`    // inbox: messages ever taken out
	Waiting  int    `json:"waiting,omitempty"`  // inbox: senders waiting for room now
	Overflow uint64 `json:"overflow,omitempty"` // inbox: messages let in past the limit to avoid a deadlock
	Sent     uint64 `json:"sent,omitempty"`     // messages put into the box by senders
	Dropped  uint64 `json:"dropped,omitempty"`  // messages lost: sent nowhere, or to a component that had ended
}

// Full reports whether an inbox is at its limit, so that a sender waits.
func (b Box) Full(l *Limit) bool {
	if l == nil || l.Messages < 0 {
		return false
	}
	return b.Depth >= l.Messages || l.Bytes > 0 && b.Bytes >= l.Bytes
}

// Endpoint names a box of a component.
type Endpoint struct {
	// Component is the component's ID; 0 if it is not in the graph (it
	// has ended, or belongs to another registry), and then Label says
	// which it was.
	Component uint64 `json:"component"`
	Box       string `json:"box"`
	Label     string `json:"label,omitempty"`
}

// Link is one link between two boxes: messages sent into From end up in
// To.
type Link struct {
	From Endpoint `json:"from"`
	To   Endpoint `json:"to"`
	// Kind is "normal" (an outbox to an inbox), "inward" (a parent's
	// inbox to a child's, passthrough 1) or "outward" (a child's outbox
	// to its parent's, passthrough 2).
	Kind  string `json:"kind"`
	Owner uint64 `json:"owner,omitempty"` // the component that made it, if known
}

// Connection is one connection a server serves: the components of one
// group (see axon.Core.SetGroup).
type Connection struct {
	ID uint64 `json:"id"`
	// Server is the component whose children serve the connection (the
	// ServerCore), if any.
	Server     uint64   `json:"server,omitempty"`
	Components []uint64 `json:"components"`
	BytesIn    int64    `json:"bytes_in"`
	BytesOut   int64    `json:"bytes_out"`
	Remote     string   `json:"remote,omitempty"`
}

// Kinds of Link.
const (
	LinkNormal  = "normal"
	LinkInward  = "inward"
	LinkOutward = "outward"
)

// FromSnapshot converts a snapshot into a Graph.
func FromSnapshot(s axon.Snapshot) *Graph {
	b := &graphBuilder{
		s:     s,
		ids:   newIDIndex(s.Components),
		g:     &Graph{Version: Version, Taken: s.Taken, Components: make([]Component, len(s.Components))},
		kinds: map[string][]int{},
		conns: map[uint64]int{},
	}
	return b.build()
}

// graphBuilder turns one snapshot into a Graph.
type graphBuilder struct {
	s     axon.Snapshot
	ids   idIndex
	g     *Graph
	kinds map[string][]int // kind → indices of Types with that kind
	conns map[uint64]int   // group → index in g.Connections
}

func (b *graphBuilder) build() *Graph {
	comps := b.s.Components
	// Every box gets a slot, inboxes then outboxes, component by
	// component; the links their components made are noted by slot.
	base := make([]int, len(comps)+1)
	for i := range comps {
		base[i+1] = base[i] + len(comps[i].Inboxes) + len(comps[i].Outboxes)
	}
	nboxes := base[len(comps)]
	owners := make([]linkNote, nboxes)
	nlinks := 0
	for i := range comps {
		for _, l := range comps[i].Links {
			k, box := b.ids.split(l.From)
			if k < 0 {
				continue
			}
			fromInbox := l.Kind == axon.Inward
			if j := boxIndex(&comps[k], box, fromInbox); j >= 0 {
				if !fromInbox {
					j += len(comps[k].Inboxes)
				}
				owners[base[k]+j] = linkNote{owner: comps[i].ID, kind: kindName(l.Kind)}
			}
			nlinks++
		}
	}
	store := make([]Box, nboxes)
	b.g.Links = make([]Link, 0, nlinks)
	for i := range comps {
		ci := &comps[i]
		c := &b.g.Components[i]
		kind := kindOf(ci.Name)
		*c = Component{ID: ci.ID, Name: ci.Name, Kind: kind, Type: b.typeOf(kind, ci), State: ci.State, Conn: ci.Group}
		if ci.Parent != "" {
			if k := b.ids.byName(ci.Parent); k >= 0 {
				c.Parent = comps[k].ID
			}
		}
		if ci.Blocked != "" {
			e, _ := b.endpoint(ci.Blocked)
			c.Blocked = &e
		}
		if st := ci.Stats; st != nil {
			c.Stats = &Stats{BytesIn: st.BytesIn, BytesOut: st.BytesOut, Remote: st.Remote}
			for _, k := range st.Counters {
				c.Stats.Counters = append(c.Stats.Counters, Counter{Name: k.Name, Value: k.Value})
			}
		}
		c.Inboxes, store = fillBoxes(store, ci.Inboxes)
		c.Outboxes, store = fillBoxes(store, ci.Outboxes)
		if ci.Group != 0 {
			b.addToConnection(ci, c)
		}
	}
	// Every link shows on its source box, also those made by no
	// component (with axon.Link).
	for i := range comps {
		c, slot := &comps[i], base[i]
		for j := range c.Inboxes {
			b.addLink(c, &c.Inboxes[j], owners[slot], true)
			slot++
		}
		for j := range c.Outboxes {
			b.addLink(c, &c.Outboxes[j], owners[slot], false)
			slot++
		}
	}
	b.findServers()
	return b.g
}

// linkNote is what the component that made a link says of it.
type linkNote struct {
	owner uint64
	kind  string
}

// boxIndex returns the index of the named inbox (or outbox) of c, or -1.
func boxIndex(c *axon.ComponentInfo, name string, inbox bool) int {
	list := c.Outboxes
	if inbox {
		list = c.Inboxes
	}
	for j := range list {
		if list[j].Name == name {
			return j
		}
	}
	return -1
}

// fillBoxes copies box figures into the front of store and returns them
// with the rest of store.
func fillBoxes(store []Box, list []axon.BoxInfo) ([]Box, []Box) {
	out := store[:len(list):len(list)]
	for i := range list {
		bi := &list[i]
		out[i] = Box{Name: bi.Name, Depth: bi.Depth, Bytes: bi.Bytes, Received: bi.Received, Taken: bi.Taken,
			Waiting: bi.Waiting, Overflow: bi.Overflow, Sent: bi.Sent, Dropped: bi.Dropped}
	}
	return out, store[len(list):]
}

// addToConnection counts a component into its connection.
func (b *graphBuilder) addToConnection(ci *axon.ComponentInfo, c *Component) {
	k, ok := b.conns[ci.Group]
	if !ok {
		k = len(b.g.Connections)
		b.conns[ci.Group] = k
		b.g.Connections = append(b.g.Connections, Connection{ID: ci.Group, Components: make([]uint64, 0, 2)})
	}
	conn := &b.g.Connections[k]
	conn.Components = append(conn.Components, ci.ID)
	if st := c.Stats; st != nil {
		conn.BytesIn += st.BytesIn
		conn.BytesOut += st.BytesOut
		if conn.Remote == "" {
			conn.Remote = st.Remote
		}
	}
}

// findServers sets each connection's server: the parent of its members
// whose parent is not in the connection.
func (b *graphBuilder) findServers() {
	for k := range b.g.Connections {
		conn := &b.g.Connections[k]
		for _, id := range conn.Components {
			p := b.g.Components[b.ids.find(id)].Parent
			if p == 0 {
				continue
			}
			if j := b.ids.find(p); j >= 0 && b.g.Components[j].Conn == conn.ID {
				continue
			}
			conn.Server = p
			break
		}
	}
}

// addLink records the link leaving box bi of component c, if it has one.
// Its kind is what the component that made it says, else what the boxes
// say: from an inbox it is inward, to an outbox outward.
func (b *graphBuilder) addLink(c *axon.ComponentInfo, bi *axon.BoxInfo, note linkNote, inbox bool) {
	if bi.LinkedTo == "" {
		return
	}
	dst, di := b.endpoint(bi.LinkedTo)
	l := Link{From: Endpoint{Component: c.ID, Box: bi.Name}, To: dst, Kind: note.kind, Owner: note.owner}
	if l.Kind == "" {
		switch {
		case inbox:
			l.Kind = LinkInward
		case di >= 0 && boxIndex(&b.s.Components[di], dst.Box, true) < 0 && boxIndex(&b.s.Components[di], dst.Box, false) >= 0:
			l.Kind = LinkOutward
		default:
			l.Kind = LinkNormal
		}
	}
	b.g.Links = append(b.g.Links, l)
}

// endpoint resolves a "component.box" label, and returns the index of
// the component too (-1 if it is not in the snapshot).
func (b *graphBuilder) endpoint(label string) (Endpoint, int) {
	if k, box := b.ids.split(label); k >= 0 {
		return Endpoint{Component: b.s.Components[k].ID, Box: box}, k
	}
	e := Endpoint{Label: label}
	if i := strings.LastIndexByte(label, '.'); i >= 0 {
		e.Box = label[i+1:]
	}
	return e, -1
}

// idIndex finds the components of a snapshot by ID, and so by name: a
// name ends in "#" and the ID. IDs are handed out in order, so those of
// live components are usually dense enough for a table; otherwise a
// sorted list is searched.
type idIndex struct {
	comps []axon.ComponentInfo
	min   uint64
	dense []int32  // index by ID-min, -1 for none; or nil
	ids   []uint64 // sorted IDs, if not dense
	order []int32  // component index of each of ids
}

func newIDIndex(comps []axon.ComponentInfo) idIndex {
	x := idIndex{comps: comps}
	if len(comps) == 0 {
		return x
	}
	lo, hi := comps[0].ID, comps[0].ID
	for i := range comps {
		lo, hi = min(lo, comps[i].ID), max(hi, comps[i].ID)
	}
	x.min = lo
	if span := hi - lo + 1; span <= uint64(4*len(comps)+1024) {
		x.dense = make([]int32, span)
		for i := range x.dense {
			x.dense[i] = -1
		}
		for i := range comps {
			x.dense[comps[i].ID-lo] = int32(i)
		}
		return x
	}
	x.order = make([]int32, len(comps))
	for i := range x.order {
		x.order[i] = int32(i)
	}
	slices.SortFunc(x.order, func(a, b int32) int { return cmp.Compare(comps[a].ID, comps[b].ID) })
	x.ids = make([]uint64, len(comps))
	for i, k := range x.order {
		x.ids[i] = comps[k].ID
	}
	return x
}

// find returns the index of the component with the given ID, or -1.
func (x idIndex) find(id uint64) int {
	if x.dense != nil {
		if id < x.min || id-x.min >= uint64(len(x.dense)) {
			return -1
		}
		return int(x.dense[id-x.min])
	}
	if i, ok := slices.BinarySearch(x.ids, id); ok {
		return int(x.order[i])
	}
	return -1
}

// byName returns the index of the component called name, or -1.
func (x idIndex) byName(name string) int {
	h := strings.LastIndexByte(name, '#')
	if h < 0 {
		return -1
	}
	id, err := strconv.ParseUint(name[h+1:], 10, 64)
	if err != nil {
		return -1
	}
	if k := x.find(id); k >= 0 && x.comps[k].Name == name {
		return k
	}
	return -1
}

// split resolves a "component.box" label into the component's index and
// the box's name. Names of components and boxes may hold dots, so it
// splits at the last dot where the part before it names a component.
func (x idIndex) split(label string) (int, string) {
	for i := len(label) - 1; i > 0; i-- {
		if label[i] == '.' {
			if k := x.byName(label[:i]); k >= 0 {
				return k, label[i+1:]
			}
		}
	}
	return -1, ""
}

// typeOf returns the ID of the Type of a component of the given kind,
// adding it if it is new.
func (b *graphBuilder) typeOf(kind string, ci *axon.ComponentInfo) int {
	for _, t := range b.kinds[kind] {
		if sameType(&b.g.Types[t], ci) {
			return b.g.Types[t].ID
		}
	}
	t := Type{ID: len(b.g.Types) + 1, Kind: kind, Reactive: ci.Reactive,
		Inboxes: make([]BoxType, len(ci.Inboxes)), Outboxes: make([]BoxType, len(ci.Outboxes))}
	for i, bi := range ci.Inboxes {
		t.Inboxes[i] = BoxType{Name: bi.Name, Doc: bi.Doc, Limit: &Limit{Messages: bi.Limit.Messages, Bytes: bi.Limit.Bytes}}
	}
	for i, bi := range ci.Outboxes {
		t.Outboxes[i] = BoxType{Name: bi.Name, Doc: bi.Doc}
	}
	b.kinds[kind] = append(b.kinds[kind], len(b.g.Types))
	b.g.Types = append(b.g.Types, t)
	return t.ID
}

func sameType(t *Type, ci *axon.ComponentInfo) bool {
	if t.Reactive != ci.Reactive || len(t.Inboxes) != len(ci.Inboxes) || len(t.Outboxes) != len(ci.Outboxes) {
		return false
	}
	for i, bi := range ci.Inboxes {
		bt := &t.Inboxes[i]
		if bt.Name != bi.Name || bt.Doc != bi.Doc || bt.Limit.Messages != bi.Limit.Messages || bt.Limit.Bytes != bi.Limit.Bytes {
			return false
		}
	}
	for i, bi := range ci.Outboxes {
		if t.Outboxes[i].Name != bi.Name || t.Outboxes[i].Doc != bi.Doc {
			return false
		}
	}
	return true
}

// kindOf is a component's name without the "#n" that axon appends.
func kindOf(name string) string {
	if i := strings.LastIndexByte(name, '#'); i > 0 {
		return name[:i]
	}
	return name
}

func kindName(p axon.Passthrough) string {
	switch p {
	case axon.Inward:
		return LinkInward
	case axon.Outward:
		return LinkOutward
	}
	return LinkNormal
}
