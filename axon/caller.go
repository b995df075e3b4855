package axon

import "context"

// stepCtx is the context a body or step receives. It names the
// component it was given to: a send or put that has to wait for room can
// tell a step's own wait (see runner.beforeWait) from a helper's, and
// Inbox.Put, which has no outbox to name the sender, learns who puts.
type stepCtx struct {
	context.Context
	self *Core
}

type callerKey struct{}

func (s *stepCtx) Value(key any) any {
	if key == (callerKey{}) {
		return s.self
	}
	return s.Context.Value(key)
}

// callerOf returns the component whose body, step or helper ctx (or an
// ancestor of it) was given to, or nil.
func callerOf(ctx context.Context) *Core {
	if s, ok := ctx.(*stepCtx); ok {
		return s.self
	}
	c, _ := ctx.Value(callerKey{}).(*Core)
	return c
}
