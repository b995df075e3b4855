package main

import (
	"crypto/tls"
	"log/slog"
	"time"

	"github.com/kamaelia-go/kamaelia/internet"
)

// The internet options the commands build, all in one place.

// serverOptions are the options of a server listening as l says, with
// TLS from tlsCfg (nil: none) and logging to log.
func serverOptions(l *listenerFlags, tlsCfg *tls.Config, p protocol, log *slog.Logger) []internet.ServerCoreOption {
	opts := []internet.ServerCoreOption{
		internet.Host(l.host),
		internet.Logger(log),
		internet.MaxConnections(l.maxConns),
		internet.IdleTimeout(l.idle),
		internet.HandshakeTimeout(l.handshake),
	}
	if p.passesChunksThrough {
		opts = append(opts, internet.RecycleWrittenChunks())
	}
	switch {
	case tlsCfg == nil:
	case l.startTLS:
		opts = append(opts, internet.TLSServer(tlsCfg)) // the handler's gate sends makessl
	default:
		opts = append(opts, internet.ServeTLS(tlsCfg))
	}
	return opts
}

// clientOptions are the options of a client connecting as c says, with
// TLS from tlsCfg (nil: none). After its half-close it waits for the
// server to close for linger (-1: for as long as it takes).
func clientOptions(c *clientFlags, tlsCfg *tls.Config, linger time.Duration) []internet.TCPClientOption {
	opts := []internet.TCPClientOption{
		internet.ConnectTimeout(c.timeout),
		internet.IdleTimeout(c.stall),
		internet.Linger(linger),
	}
	if tlsCfg != nil {
		opts = append(opts, internet.TLSClient(tlsCfg))
	}
	return opts
}
