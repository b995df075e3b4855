package axon

import (
	"context"
	"fmt"
	"sort"
	"sync"
)

// Registry is Kamaelia's Coordinating Assistant Tracker: a table of
// named services (each an inbox of some component) and of the live
// components that introspection reports.
//
// A component uses the registry it was given with WithRegistry, else
// its parent's, else the one carried by its activation context (see
// NewContext), else DefaultRegistry. Tests that run in parallel give
// each test its own registry.
//
// A Registry is safe for concurrent use.
type Registry struct {
	mu       sync.Mutex
	services map[string]BoxRef
	live     map[*Core]struct{}
}

// DefaultRegistry is the process-wide registry used when no other is
// given. Apart from the defaults a program may read (DefaultInboxLimit,
// Unbounded), it is the only global state a program sees; besides it
// the package keeps only bookkeeping of its own: the counter that numbers
// components, the lock under which links change, and the list of a
// component's sends that wait while another of its sends already does
// (see Info).
var DefaultRegistry = NewRegistry()

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{services: map[string]BoxRef{}, live: map[*Core]struct{}{}}
}

type registryKey struct{}

// NewContext returns a context carrying r: components activated with it
// (and their children) use r.
func NewContext(ctx context.Context, r *Registry) context.Context {
	return context.WithValue(ctx, registryKey{}, r)
}

// RegistryFrom returns the registry carried by ctx, or DefaultRegistry.
func RegistryFrom(ctx context.Context) *Registry {
	if r, ok := ctx.Value(registryKey{}).(*Registry); ok && r != nil {
		return r
	}
	return DefaultRegistry
}

// RegisterService makes the named inbox of c reachable under name. It
// returns an error matching ErrServiceExists if name is taken, or
// ErrNoBox if c has no such inbox.
func (r *Registry) RegisterService(name string, c Component, inbox string) error {
	ref := In(c, inbox)
	if _, err := ref.resolve(); err != nil {
		return fmt.Errorf("register service %q: %w", name, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.services[name]; ok {
		return fmt.Errorf("register service %q (held by %s): %w", name, old, ErrServiceExists)
	}
	r.services[name] = ref
	return nil
}

// Service returns the inbox registered under name, ready to link to. It
// returns an error matching ErrNoService if there is none.
func (r *Registry) Service(name string) (BoxRef, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ref, ok := r.services[name]
	if !ok {
		return BoxRef{}, fmt.Errorf("service %q: %w", name, ErrNoService)
	}
	return ref, nil
}

// DeregisterService removes the service called name. It returns an error
// matching ErrNoService if there is none.
func (r *Registry) DeregisterService(name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.services[name]; !ok {
		return fmt.Errorf("deregister service %q: %w", name, ErrNoService)
	}
	delete(r.services, name)
	return nil
}

// Services returns the registered service names, sorted.
func (r *Registry) Services() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := make([]string, 0, len(r.services))
	for n := range r.services {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (r *Registry) add(c *Core) {
	r.mu.Lock()
	r.live[c] = struct{}{}
	r.mu.Unlock()
}

// remove forgets c, and any service that names one of its inboxes.
func (r *Registry) remove(c *Core) {
	r.mu.Lock()
	delete(r.live, c)
	for name, ref := range r.services {
		if ref.c.core() == c {
			delete(r.services, name)
		}
	}
	r.mu.Unlock()
}

// Live returns the components that have been activated and have not yet
// ended, ordered by ID.
func (r *Registry) Live() []*Core {
	r.mu.Lock()
	list := make([]*Core, 0, len(r.live))
	for c := range r.live {
		list = append(list, c)
	}
	r.mu.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].id < list[j].id })
	return list
}
