package axon

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Snapshot is a picture of every live component of a registry: its
// boxes, their queues and counters, and the links it made. Take one with
// Registry.Snapshot. Counters are read box by box, so a snapshot of a
// busy system is not one instant, but every number in it was true at
// some point while it was taken.
type Snapshot struct {
	Taken      time.Time
	Components []ComponentInfo
}

// ComponentInfo describes one live component.
type ComponentInfo struct {
	ID       uint64
	Name     string
	Reactive bool   // built with NewReactive
	State    string // "active", "waiting", "blocked", "finished" (children still running)
	// Blocked is "comp.box" that one of its sends (from its body, step
	// or a helper) is waiting for room in, if State is "blocked".
	// Plain Go code putting into the component's inbox does not make
	// it blocked.
	Blocked  string
	Parent   string // parent's name, if any
	Children int
	Inboxes  []BoxInfo
	Outboxes []BoxInfo
	Links    []LinkInfo // links this component made
	Group    uint64     // the component's group (see Core.SetGroup), its own or inherited; 0: none
	Stats    *Stats     // what its StatsReporter reported (see Core.SetStatsReporter); nil: none
}

// BoxInfo describes one box.
type BoxInfo struct {
	Name string
	Doc  string
	// LinkedTo is "comp.box" of the box this one is linked to, if any.
	LinkedTo string
	// Inbox figures, from the box's own storage.
	Depth    int    // messages queued
	Bytes    int    // bytes of []byte and string messages queued
	Limit    Limit  // the box's limit
	Received uint64 // messages ever queued here
	Taken    uint64 // messages ever taken out
	Waiting  int    // senders waiting for room
	Overflow uint64 // messages accepted past the limit to avoid a deadlock
	// Sent counts messages put into the box by senders (outboxes, and
	// inboxes fed directly with Inbox.Put).
	Sent uint64
	// Dropped counts messages lost: sent to an outbox that leads nowhere
	// or to a component that has ended, or left in an inbox at its end.
	Dropped uint64
}

// LinkInfo describes one link.
type LinkInfo struct {
	From, To string // "comp.box"
	Kind     Passthrough
}

// Snapshot describes every live component of r.
func (r *Registry) Snapshot() Snapshot {
	live := r.Live()
	s := Snapshot{Taken: time.Now(), Components: make([]ComponentInfo, 0, len(live))}
	for _, c := range live {
		s.Components = append(s.Components, c.Info())
	}
	return s
}

// Info describes the component now. It is safe to call at any time
// from any goroutine, while the component runs, blocks or ends: each
// figure is read once, under the lock that guards it, and the data path
// is not held up for longer than a box's lock is.
func (c *Core) Info() ComponentInfo {
	ci := ComponentInfo{ID: c.id, Name: c.name, Reactive: c.kind == kindReactive}
	ci.Group, ci.Stats = c.Group(), c.reportStats()
	var blockedOn *box
	if w := c.blocked.Load(); w != nil {
		blockedOn = w.on
	}
	c.mu.Lock()
	if c.parent != nil {
		ci.Parent = c.parent.name
	}
	ci.Children = len(c.children())
	links := append([]*Linkage(nil), c.links()...)
	c.mu.Unlock()
	ci.Inboxes, ci.Outboxes = make([]BoxInfo, 0, len(c.inboxes)), make([]BoxInfo, 0, len(c.outboxes))
	switch {
	case c.state.Load() >= stateFinished:
		ci.State = "finished"
	case blockedOn != nil:
		ci.State = "blocked"
		ci.Blocked = blockedOn.label()
	case c.kind == kindBody && c.sleeping.Load():
		ci.State = "waiting"
	case c.kind == kindReactive && c.run.Load()&runBit == 0:
		ci.State = "waiting"
	default:
		ci.State = "active"
	}
	linkMu.Lock()
	for i := range c.inboxes {
		ci.Inboxes = append(ci.Inboxes, c.inboxes[i].info())
	}
	for i := range c.outboxes {
		ci.Outboxes = append(ci.Outboxes, c.outboxes[i].info())
	}
	linkMu.Unlock()
	if len(links) > 0 {
		ci.Links = make([]LinkInfo, 0, len(links))
	}
	for _, l := range links {
		ci.Links = append(ci.Links, LinkInfo{From: l.src.label(), To: l.dst.label(), Kind: l.kind})
	}
	return ci
}

// info reads a box's figures. linkMu must be held (for next).
func (b *box) info() BoxInfo {
	bi := BoxInfo{Name: b.spec.Name, Doc: b.spec.Doc, Sent: b.sent.Load(), Dropped: b.drop.Load()}
	if n := b.next(); n != nil {
		bi.LinkedTo = n.label()
	}
	if q := b.q; q != nil {
		q.mu.Lock()
		bi.Depth, bi.Bytes, bi.Limit = q.n, q.bytes, q.limit
		bi.Received, bi.Taken, bi.Waiting = q.pushed, q.popped, len(q.waiters)
		bi.Overflow = q.overflow
		bi.Dropped += q.dropped
		q.mu.Unlock()
	}
	return bi
}

// QueuedBytes returns the bytes of []byte and string messages queued in
// all the inboxes of all the components in the snapshot.
func (s Snapshot) QueuedBytes() int {
	total := 0
	for _, c := range s.Components {
		for _, b := range c.Inboxes {
			total += b.Bytes
		}
	}
	return total
}

// WriteText writes the snapshot as an indented text listing, one
// component per block, for logs and debugging.
func (s Snapshot) WriteText(w io.Writer) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d components at %s\n", len(s.Components), s.Taken.Format(time.RFC3339Nano))
	for _, c := range s.Components {
		kind := "goroutine"
		if c.Reactive {
			kind = "reactive"
		}
		fmt.Fprintf(&sb, "%s (%s, %s", c.Name, kind, c.State)
		if c.Blocked != "" {
			fmt.Fprintf(&sb, " on %s", c.Blocked)
		}
		if c.Parent != "" {
			fmt.Fprintf(&sb, ", child of %s", c.Parent)
		}
		sb.WriteString(")\n")
		for _, b := range c.Inboxes {
			fmt.Fprintf(&sb, "  in  %-16s depth %d (%d B) of %s, received %d, taken %d", b.Name, b.Depth, b.Bytes, limitText(b.Limit), b.Received, b.Taken)
			if b.Waiting > 0 {
				fmt.Fprintf(&sb, ", %d senders waiting", b.Waiting)
			}
			if b.Dropped > 0 {
				fmt.Fprintf(&sb, ", dropped %d", b.Dropped)
			}
			if b.LinkedTo != "" {
				fmt.Fprintf(&sb, " → %s", b.LinkedTo)
			}
			sb.WriteString("\n")
		}
		for _, b := range c.Outboxes {
			fmt.Fprintf(&sb, "  out %-16s sent %d", b.Name, b.Sent)
			if b.Dropped > 0 {
				fmt.Fprintf(&sb, ", dropped %d", b.Dropped)
			}
			if b.LinkedTo != "" {
				fmt.Fprintf(&sb, " → %s", b.LinkedTo)
			}
			sb.WriteString("\n")
		}
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

func limitText(l Limit) string {
	if l.Messages < 0 {
		return "unbounded"
	}
	if l.Bytes > 0 {
		return fmt.Sprintf("%d msgs/%d B", l.Messages, l.Bytes)
	}
	return fmt.Sprintf("%d msgs", l.Messages)
}
