package nats

import (
	"log/slog"

	natsgo "github.com/nats-io/nats.go"
)

// An Option configures a Backplane (see New).
type Option func(*config)

type config struct {
	subject   string
	creds     string
	rootCAs   []string
	reconnBuf int // 0: nats.go's default
	logger    *slog.Logger
	natsOpts  []natsgo.Option
}

// Credentials authenticates with a NATS credentials file (a user JWT and
// its NKey seed, as nsc and NGS hand out), nats.go's UserCredentials.
// New checks that the file can be read and holds a seed. An empty name
// changes nothing, so a command can pass its flag as it is.
func Credentials(file string) Option { return func(c *config) { c.creds = file } }

// RootCA trusts the certificate authorities in the PEM file, and no
// others, to sign the NATS server's certificate; it also makes TLS
// required, whatever the URL's scheme. Without it a tls:// URL trusts
// the system's authorities. It is nats.go's RootCAs; give it more than
// once for more files. An empty name changes nothing.
func RootCA(file string) Option {
	return func(c *config) {
		if file != "" {
			c.rootCAs = append(c.rootCAs, file)
		}
	}
}

// Subject sets the NATS subject the backplane publishes and subscribes
// on, instead of DefaultSubject(name). Backplanes share messages when
// their subjects are the same, whatever their names.
func Subject(subject string) Option { return func(c *config) { c.subject = subject } }

// ReconnectBuffer sets how many bytes of messages the NATS client keeps
// while it reconnects (nats.go's ReconnectBufSize; 8 MiB unless set).
// Each message costs its length, its subject and about 60 bytes of
// protocol and origin header. Messages published once it is full are
// dropped and counted (Stats.Unsent). A negative size keeps none.
func ReconnectBuffer(bytes int) Option { return func(c *config) { c.reconnBuf = bytes } }

// Logger sets where the backplane logs losing and regaining NATS, and
// messages it could not send or that arrived too fast. Nothing is logged
// without it.
func Logger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// NATSOptions passes options to nats.go's Connect, for what the options
// above do not cover: user and password, NKeys, client certificates,
// timeouts, reconnect waits. They are applied after the backplane's own
// defaults (a connection name, and reconnecting for ever) and may
// change them. Handlers they set (DisconnectErrHandler,
// ReconnectHandler, ClosedHandler, ErrorHandler) are called after the
// backplane's own.
func NATSOptions(opts ...natsgo.Option) Option {
	return func(c *config) { c.natsOpts = append(c.natsOpts, opts...) }
}

// DefaultSubject returns the NATS subject of the backplane called name
// when no Subject option is given: "kamaelia.backplane." + name.
func DefaultSubject(name string) string { return "kamaelia.backplane." + name }
