package nats

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// checkURLs checks a NATS URL (or a comma-separated list of them, as
// nats.go takes) and returns it with any password hidden, for errors
// and logs.
func checkURLs(urls string) (string, error) {
	if strings.TrimSpace(urls) == "" {
		return "", errors.New("no NATS URL given")
	}
	var shown []string
	for _, s := range strings.Split(urls, ",") {
		s = strings.TrimSpace(s)
		if !strings.Contains(s, "://") {
			s = "nats://" + s // as nats.go does
		}
		u, err := url.Parse(s)
		if err != nil {
			return "", fmt.Errorf("NATS URL: %w", err)
		}
		switch u.Scheme {
		case "nats", "tls", "ws", "wss":
		default:
			return "", fmt.Errorf("NATS URL %s: scheme %q is not nats, tls, ws or wss", u.Redacted(), u.Scheme)
		}
		if u.Hostname() == "" {
			return "", fmt.Errorf("NATS URL %s: no host", u.Redacted())
		}
		shown = append(shown, u.Redacted())
	}
	return strings.Join(shown, ","), nil
}

// checkSubject reports whether s can be published and subscribed to as
// it is: dot-separated tokens, none empty, no wildcards, no white space.
func checkSubject(s string) error {
	for _, tok := range strings.Split(s, ".") {
		if tok == "" || tok == "*" || tok == ">" || strings.ContainsAny(tok, " \t\r\n") {
			return fmt.Errorf("subject %q is not a NATS subject without wildcards (choose one with Subject)", s)
		}
	}
	return nil
}

// checkCreds reads a credentials file the way nats.go will, so that a
// missing or malformed one is reported by New, before any connection
// (nats.go reads the seed only once a server asks for a signature).
func checkCreds(file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	if _, err := nkeys.ParseDecoratedJWT(b); err != nil {
		return fmt.Errorf("credentials %s: %w", file, err)
	}
	kp, err := nkeys.ParseDecoratedNKey(b)
	if err != nil {
		return fmt.Errorf("credentials %s: %w", file, err)
	}
	kp.Wipe()
	return nil
}

// dialer wraps the dialer nats.go would use and remembers the last
// error, because nats.go reports a refused connection only as "no
// servers available".
type dialer struct {
	inner natsgo.CustomDialer
	mu    sync.Mutex
	last  error
}

func (d *dialer) Dial(network, address string) (net.Conn, error) {
	c, err := d.inner.Dial(network, address)
	if err != nil {
		d.mu.Lock()
		d.last = err
		d.mu.Unlock()
	}
	return c, err
}

// SkipTLSHandshake passes on the wrapped dialer's wish, if it has one.
func (d *dialer) SkipTLSHandshake() bool {
	s, ok := d.inner.(interface{ SkipTLSHandshake() bool })
	return ok && s.SkipTLSHandshake()
}

func (d *dialer) lastErr() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.last
}

// hooks returns the nats.go option, applied last, that installs the
// backplane's handlers (before any the user gave) and the dialer.
func (b *Backplane) hooks(d *dialer) natsgo.Option {
	return func(o *natsgo.Options) error {
		inner := o.CustomDialer
		if inner == nil {
			if o.Dialer != nil {
				inner = o.Dialer
			} else {
				inner = &net.Dialer{Timeout: o.Timeout}
			}
		}
		d.inner = inner
		o.CustomDialer = d
		// The backplane waits for ClosedHandler when it ends.
		o.NoCallbacksAfterClientClose = false

		userDisc, userRecon, userClosed, userErr := o.DisconnectedErrCB, o.ReconnectedCB, o.ClosedCB, o.AsyncErrorCB
		o.DisconnectedErrCB = func(nc *natsgo.Conn, err error) {
			b.disconnected(nc, err)
			if userDisc != nil {
				userDisc(nc, err)
			}
		}
		o.ReconnectedCB = func(nc *natsgo.Conn) {
			b.reconnected(nc)
			if userRecon != nil {
				userRecon(nc)
			}
		}
		o.ClosedCB = func(nc *natsgo.Conn) {
			b.connClosed(nc)
			if userClosed != nil {
				userClosed(nc)
			}
		}
		o.AsyncErrorCB = func(nc *natsgo.Conn, sub *natsgo.Subscription, err error) {
			b.asyncError(sub, err)
			if userErr != nil {
				userErr(nc, sub, err)
			}
		}
		return nil
	}
}

// connect connects to NATS and subscribes to the backplane's subject,
// and waits until the server has the subscription.
func (b *Backplane) connect(urls string, cfg *config) error {
	shown, err := checkURLs(urls)
	if err != nil {
		return err
	}
	b.url = shown
	opts := []natsgo.Option{natsgo.Name("kamaelia backplane " + b.name), natsgo.MaxReconnects(-1)}
	if cfg.reconnBuf != 0 {
		opts = append(opts, natsgo.ReconnectBufSize(cfg.reconnBuf))
	}
	if cfg.creds != "" {
		if err := checkCreds(cfg.creds); err != nil {
			return err
		}
		opts = append(opts, natsgo.UserCredentials(cfg.creds))
	}
	if len(cfg.rootCAs) > 0 {
		opts = append(opts, natsgo.RootCAs(cfg.rootCAs...))
	}
	opts = append(opts, cfg.natsOpts...)
	d := &dialer{}
	opts = append(opts, b.hooks(d))

	nc, err := natsgo.Connect(urls, opts...)
	if err != nil {
		if last := d.lastErr(); last != nil && errors.Is(err, natsgo.ErrNoServers) {
			err = fmt.Errorf("%w (%w)", err, last)
		}
		return fmt.Errorf("connect to NATS at %s: %w", shown, err)
	}
	b.nc = nc
	sub, err := nc.SubscribeSync(b.subject)
	if err == nil {
		err = nc.FlushTimeout(confirmTimeout)
	}
	if err == nil {
		// A refusal comes back before the flush's answer.
		if last := nc.LastError(); errors.Is(last, natsgo.ErrPermissionViolation) {
			err = last
		}
	}
	if err != nil {
		b.closeConn()
		return fmt.Errorf("subscribe to %s on NATS at %s: %w", b.subject, shown, err)
	}
	b.sub = sub
	return nil
}
