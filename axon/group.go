package axon

// SetGroup puts the component in group g for introspection, or takes it
// out with 0. A group gathers components that belong together, the way
// ServerCore puts each connection's adapter and handler in a group of
// their own, so that a viewer can draw them together: ComponentInfo.Group
// reports it. The number is the caller's choice; the ID of one of the
// members (ServerCore uses the adapter's) keeps it unique in the process.
//
// Children inherit their parent's group for display unless they have one
// of their own: a handler built as a Pipeline is drawn with its
// connection, children and all.
//
// A group costs no memory beyond the component's and nothing on the
// delivery path. SetGroup is safe for concurrent use.
func (c *Core) SetGroup(g uint64) { c.group.Store(g) }

// Group returns the component's group: its own (see SetGroup), else its
// nearest ancestor's, else 0. It is safe for concurrent use.
func (c *Core) Group() uint64 {
	for p := c; p != nil; p = p.parentCore() {
		if g := p.group.Load(); g != 0 {
			return g
		}
	}
	return 0
}

// parentCore returns the component's parent, or nil.
func (c *Core) parentCore() *Core {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.parent
}
